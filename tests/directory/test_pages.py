"""The directory's pages: lists, records and their forms, who may change what, refused forms."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session

from hamkor.core.db import Base
from hamkor.core.models import AuditEntry, Role
from hamkor.directory.models import City, Country, Institution, Person, Room, Specialty
from tests.fixtures.core import ClientFactory, UserFactory, csrf_of
from tests.fixtures.directory import InstitutionFactory, RoomFactory

EN = {"accept-language": "en"}


def post_form(client: TestClient, page: str, action: str, data: dict[str, Any]) -> Any:
    """Open the form ``page`` (for its CSRF token) and post ``data`` to ``action``."""
    token = csrf_of(client.get(page).text)
    return client.post(
        action, data={**data, "csrf_token": token}, headers=EN, follow_redirects=False
    )


def count(db: Session, model: type[Base]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def denials(db: Session, entity: str) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.action == "denied", AuditEntry.entity == entity)
    return list(db.scalars(stmt))


# Countries, cities, specialties: reference data kept by admins


def test_an_admin_adds_a_country_by_its_code(admin_client: TestClient, db: Session) -> None:
    response = post_form(
        admin_client, "/directory/countries", "/directory/countries", {"code": "tr"}
    )
    assert response.status_code == 303
    country = db.scalar(select(Country).where(Country.code == "TR"))
    assert country is not None
    assert country.names["ru"] == "Турция"
    assert country.names["uz-Cyrl"] == "Туркия"
    assert response.headers["location"] == f"/directory/countries/{country.id}"
    assert "Турция" in admin_client.get(response.headers["location"]).text


def test_a_wrong_country_code_is_shown_beside_the_field(
    admin_client: TestClient, db: Session
) -> None:
    response = post_form(
        admin_client, "/directory/countries", "/directory/countries", {"code": "SU"}
    )
    assert response.status_code == 422
    assert "SU is not an ISO 3166-1 country code." in response.text
    assert count(db, Country) == 0


def test_an_admin_creates_and_edits_a_city(
    admin_client: TestClient, db: Session, uzbekistan: Country
) -> None:
    form = {
        "code": "BHK",
        "country_id": str(uzbekistan.id),
        "names.uz": "Buxoro",
        "names.uz-Cyrl": "Бухоро",
        "names.ru": "Бухара",
        "latitude": "39.7747",
        "longitude": "64.4286",
        "timezone": "Asia/Samarkand",
    }
    created = post_form(admin_client, "/directory/cities/new", "/directory/cities", form)
    assert created.status_code == 303
    city = db.scalar(select(City).where(City.code == "BHK"))
    assert city is not None
    assert city.names["uz-Cyrl"] == "Бухоро"
    edit = f"/directory/cities/{city.id}/edit"
    assert 'value="39.7747"' in admin_client.get(edit).text
    changed = post_form(admin_client, edit, edit, {**form, "timezone": "Asia/Tashkent"})
    assert changed.status_code == 303
    db.refresh(city)
    assert city.timezone == "Asia/Tashkent"


def test_only_admins_add_cities(
    client_for: ClientFactory, create_user: UserFactory, db: Session, uzbekistan: Country
) -> None:
    client = client_for(create_user(Role.PROGRAM_COORDINATOR))
    assert "New city" not in client.get("/directory/cities", headers=EN).text
    assert client.get("/directory/cities/new").status_code == 403
    response = post_form(client, "/directory/cities", "/directory/cities", {"code": "X"})
    assert response.status_code == 403
    assert len(denials(db, "cities")) == 2


def test_the_specialties_vocabulary_is_listed(
    admin_client: TestClient, neurosurgery: Specialty, cardiac_surgery: Specialty
) -> None:
    page = admin_client.get("/directory/specialties?q=нейро", headers=EN)
    assert "Neurosurgery" in page.text
    assert "Cardiac surgery" not in page.text


# Institutions


def institution_form(city: City, **changes: str) -> dict[str, str]:
    return {
        "code": "UZ-RIATO",
        "kind": "research_centre",
        "city_id": str(city.id),
        "country_id": "",
        "names.ru": "Центр травматологии и ортопедии",
        "names.uz": "Travmatologiya va ortopediya markazi",
        **changes,
    }


def test_a_program_coordinator_registers_a_host_institution(
    client_for: ClientFactory, create_user: UserFactory, db: Session, tashkent: City
) -> None:
    client = client_for(create_user(Role.PROGRAM_COORDINATOR))
    assert "New institution" in client.get("/directory/institutions", headers=EN).text
    response = post_form(
        client, "/directory/institutions/new", "/directory/institutions", institution_form(tashkent)
    )
    assert response.status_code == 303
    institution = db.scalar(select(Institution).where(Institution.code == "UZ-RIATO"))
    assert institution is not None
    # The country was left blank: it is the city's.
    assert institution.country_id == tashkent.country_id


def test_a_refused_institution_form_keeps_what_was_typed(
    admin_client: TestClient, db: Session, tashkent: City
) -> None:
    form = institution_form(tashkent, code="", kind="", **{"names.ru": "", "names.uz": ""})
    form["names.en"] = "Centre of Traumatology"
    response = post_form(
        admin_client, "/directory/institutions/new", "/directory/institutions", form
    )
    assert response.status_code == 422
    assert '<div class="alert" role="alert">' in response.text
    assert '<p class="error" id="e-code">This field is required.</p>' in response.text
    assert '<p class="error" id="e-kind">This field is required.</p>' in response.text
    assert 'value="Centre of Traumatology"' in response.text
    assert count(db, Institution) == 0


def test_a_taken_code_is_refused(
    admin_client: TestClient, db: Session, vakhidov: Institution, tashkent: City
) -> None:
    form = institution_form(tashkent, code="UZ-VAKHIDOV")
    response = post_form(
        admin_client, "/directory/institutions/new", "/directory/institutions", form
    )
    assert response.status_code == 422
    assert "The code UZ-VAKHIDOV is taken." in response.text
    assert count(db, Institution) == 1


def test_a_refused_form_in_russian_is_still_a_form(
    admin_client: TestClient, db: Session, tashkent: City
) -> None:
    token = csrf_of(admin_client.get("/directory/institutions/new").text)
    response = admin_client.post(
        "/directory/institutions",
        data={**institution_form(tashkent, city_id="nine"), "csrf_token": token},
        headers={"accept-language": "ru"},
    )
    assert response.status_code == 422
    assert 'id="e-city_id"' in response.text
    assert count(db, Institution) == 0


def test_a_coordinator_edits_their_institution(
    client_for: ClientFactory, create_user: UserFactory, db: Session, vakhidov: Institution
) -> None:
    client = client_for(create_user(Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id))
    page = f"/directory/institutions/{vakhidov.id}"
    assert f'href="{page}/edit"' in client.get(page).text
    form = institution_form(vakhidov.city, code="UZ-VAKHIDOV", kind="hospital")
    assert post_form(client, f"{page}/edit", f"{page}/edit", form).status_code == 303
    db.refresh(vakhidov)
    assert vakhidov.kind == "hospital"
    assert vakhidov.names["uz"] == "Travmatologiya va ortopediya markazi"


def test_an_institution_page_shows_its_rooms_and_people(
    admin_client: TestClient, vakhidov_theatre: Room, syzganov_surgeon: Person, db: Session
) -> None:
    syzganov_surgeon.institution = vakhidov_theatre.institution
    db.commit()
    page = admin_client.get(
        f"/directory/institutions/{vakhidov_theatre.institution_id}", headers=EN
    )
    assert "Operating room OR-1" in page.text
    assert "Ахметов Нурлан" not in page.text  # English is asked for, and given
    assert "Nurlan Akhmetov" in page.text
    assert "Add room" in page.text


def test_readers_see_no_edit_buttons(
    client_for: ClientFactory, create_user: UserFactory, vakhidov: Institution
) -> None:
    client = client_for(create_user(Role.SPECIALIST))
    page = client.get(f"/directory/institutions/{vakhidov.id}", headers=EN)
    assert page.status_code == 200
    assert "/edit" not in page.text
    assert "Add room" not in page.text
    assert client.get(f"/directory/institutions/{vakhidov.id}/edit").status_code == 403


def test_a_missing_record_is_not_found(admin_client: TestClient) -> None:
    for path in ("/directory/institutions/999999", "/directory/people/999999/edit"):
        assert admin_client.get(path).status_code == 404


# Rooms and people: kept by their institution's coordinators


def room_form(institution: Institution | None = None, **changes: str) -> dict[str, str]:
    form = {
        "code": "OR-2",
        "kind": "operating_room",
        "capacity": "12",
        "names.ru": "Операционная 2",
    }
    if institution is not None:
        form["institution_id"] = str(institution.id)
    return {**form, **changes}


def person_form(institution: Institution, **changes: Any) -> dict[str, Any]:
    return {
        "names.uz": "Karimova Dilnoza",
        "names.ru": "Каримова Дильноза",
        "code": "UZ-KARIMOVA",
        "institution_id": str(institution.id),
        "position.ru": "Анестезиолог",
        "languages": ["uz", "ru"],
        "email": "d.karimova@example.uz",
        "phone": "+998 71 277-26-44",
        **changes,
    }


def test_a_coordinator_adds_a_room_to_their_institution(
    client_for: ClientFactory, create_user: UserFactory, db: Session, vakhidov: Institution
) -> None:
    client = client_for(create_user(Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id))
    new = f"/directory/rooms/new?institution={vakhidov.id}"
    assert f'<option value="{vakhidov.id}" selected>' in client.get(new).text
    response = post_form(client, new, "/directory/rooms", room_form(vakhidov))
    assert response.status_code == 303
    room = db.scalar(select(Room).where(Room.code == "OR-2"))
    assert room is not None
    assert (room.institution_id, room.capacity) == (vakhidov.id, 12)


def test_a_refused_room_writes_nothing(
    admin_client: TestClient, db: Session, vakhidov: Institution
) -> None:
    form = room_form(vakhidov, capacity="-1", **{"names.ru": ""})
    response = post_form(admin_client, "/directory/rooms/new", "/directory/rooms", form)
    assert response.status_code == 422
    assert "Must be greater than 0." in response.text
    assert "Give the name in at least one language." in response.text
    assert count(db, Room) == 0


def test_a_room_code_is_unique_within_its_institution_only(
    admin_client: TestClient,
    db: Session,
    vakhidov_theatre: Room,
    syzganov: Institution,
) -> None:
    same = room_form(vakhidov_theatre.institution, code="OR-1")
    taken = post_form(admin_client, "/directory/rooms/new", "/directory/rooms", same)
    assert taken.status_code == 422
    elsewhere = room_form(syzganov, code="OR-1")
    assert (
        post_form(admin_client, "/directory/rooms/new", "/directory/rooms", elsewhere).status_code
        == 303
    )
    assert count(db, Room) == 2


def test_a_coordinator_adds_and_edits_a_person(
    client_for: ClientFactory,
    create_user: UserFactory,
    db: Session,
    vakhidov: Institution,
    neurosurgery: Specialty,
) -> None:
    client = client_for(create_user(Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id))
    form = person_form(vakhidov, specialty_ids=[str(neurosurgery.id)])
    assert post_form(client, "/directory/people/new", "/directory/people", form).status_code == 303
    person = db.scalar(select(Person).where(Person.code == "UZ-KARIMOVA"))
    assert person is not None
    assert person.languages == ["uz", "ru"]
    assert person.position == {"ru": "Анестезиолог"}
    assert [s.code for s in person.specialties] == ["neurosurgery"]
    edit = f"/directory/people/{person.id}/edit"
    assert 'value="d.karimova@example.uz"' in client.get(edit).text
    changed = person_form(vakhidov, email="", specialty_ids=[], languages="uz")
    assert post_form(client, edit, edit, changed).status_code == 303
    db.refresh(person)
    assert (person.email, person.languages, person.specialties) == (None, ["uz"], [])


def test_a_person_of_no_institution_is_for_managers_only(
    client_for: ClientFactory, create_user: UserFactory, db: Session, vakhidov: Institution
) -> None:
    coordinator = client_for(create_user(Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id))
    form = person_form(vakhidov, institution_id="")
    refused = post_form(coordinator, "/directory/people/new", "/directory/people", form)
    assert refused.status_code == 403
    manager = client_for(create_user(Role.PROGRAM_COORDINATOR))
    assert post_form(manager, "/directory/people/new", "/directory/people", form).status_code == 303
    assert count(db, Person) == 1


def test_bad_contacts_are_refused_beside_their_fields(
    admin_client: TestClient, db: Session, vakhidov: Institution
) -> None:
    form = person_form(vakhidov, email="karimova(at)example", phone="12-34", languages=["uz", "xx"])
    response = post_form(admin_client, "/directory/people/new", "/directory/people", form)
    assert response.status_code == 422
    assert '<p class="error" id="e-email">Enter a valid e-mail address.</p>' in response.text
    assert 'id="e-phone"' in response.text
    assert "Unknown language code xx." in response.text
    assert count(db, Person) == 0


@pytest.mark.parametrize("kind", ["room", "person"])
def test_a_coordinator_may_not_touch_another_institutions_records(
    client_for: ClientFactory,
    create_user: UserFactory,
    db: Session,
    vakhidov: Institution,
    vakhidov_theatre: Room,
    syzganov: Institution,
    syzganov_surgeon: Person,
    create_room: RoomFactory,
    kind: str,
) -> None:
    """A coordinator of Vakhidov (A) reaching for Syzganov's (B) rooms and people: 403, audited."""
    client = client_for(create_user(Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id))
    own_page = f"/directory/rooms/{vakhidov_theatre.id}/edit"
    if kind == "room":
        theirs = create_room("OR-9", institution=syzganov)
        path, form, table = f"/directory/rooms/{theirs.id}/edit", room_form(code="HACKED"), "rooms"
    else:
        theirs_id = syzganov_surgeon.id
        path, form, table = f"/directory/people/{theirs_id}/edit", person_form(vakhidov), "people"
    assert client.get(path).status_code == 403
    token = csrf_of(client.get(own_page).text)
    response = client.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 403
    entries = denials(db, table)
    assert len(entries) == 2
    assert entries[0].actor_name.startswith("user")
    assert entries[0].note == "change"
    # Nothing of theirs changed.
    assert db.scalar(select(func.count()).select_from(Room).where(Room.code == "HACKED")) == 0
    db.refresh(syzganov_surgeon)
    assert syzganov_surgeon.institution_id == syzganov.id


def test_a_coordinator_may_not_add_a_room_to_another_institution(
    client_for: ClientFactory,
    create_user: UserFactory,
    db: Session,
    vakhidov: Institution,
    syzganov: Institution,
) -> None:
    client = client_for(create_user(Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id))
    new = client.get("/directory/rooms/new").text
    assert f'<option value="{syzganov.id}"' not in new
    response = post_form(client, "/directory/rooms/new", "/directory/rooms", room_form(syzganov))
    assert response.status_code == 403
    assert count(db, Room) == 0
    assert [e.entity_id for e in denials(db, "institutions")] == [str(syzganov.id)]


def test_lists_show_new_buttons_to_those_who_may_add(
    client_for: ClientFactory, create_user: UserFactory, vakhidov: Institution
) -> None:
    coordinator = client_for(create_user(Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id))
    trainee = client_for(create_user(Role.TRAINEE))
    for path, label in (("/directory/rooms", "New room"), ("/directory/people", "New person")):
        assert label in coordinator.get(path, headers=EN).text
        assert label not in trainee.get(path, headers=EN).text
    assert "New institution" not in coordinator.get("/directory/institutions", headers=EN).text
    assert trainee.get("/directory/people/new").status_code == 403


def test_pages_need_a_login(app_client: TestClient) -> None:
    response = app_client.get("/directory/institutions", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_list_pages_do_not_query_per_row(
    admin_client: TestClient,
    connection: Connection,
    db: Session,
    create_institution: InstitutionFactory,
    tashkent: City,
    neurosurgery: Specialty,
) -> None:
    """Adding rows adds no queries: related names come with the rows (N+1 tripwire)."""
    lists = ("/directory/institutions", "/directory/people", "/directory/rooms")

    def queries(path: str) -> int:
        seen: list[str] = []

        def listener(*args: Any) -> None:
            seen.append(args[2])

        event.listen(connection, "before_cursor_execute", listener)
        try:
            assert admin_client.get(path).status_code == 200
        finally:
            event.remove(connection, "before_cursor_execute", listener)
        return len(seen)

    def add(n: int) -> None:
        for i in range(n):
            institution = create_institution(f"H-{i}-{n}", {"ru": f"Больница {i}"}, city=tashkent)
            doctor = Person(names={"en": f"Dr {i}"}, institution=institution)
            doctor.specialties = [neurosurgery]
            room = Room(institution=institution, code="R", kind="lecture_hall", capacity=9)
            room.names = {"en": "Hall"}
            db.add_all([doctor, room])
        db.commit()

    add(1)
    first = {path: queries(path) for path in lists}
    add(8)
    assert {path: queries(path) for path in lists} == first


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/directory/cities/{2**64}", "city_id"),
        (f"/directory/people/{2**64}/edit", "person_id"),
        (f"/directory/travel-times?country={2**64}", "country"),
        (f"/directory/rooms/new?institution={2**64}", "institution"),
    ],
)
def test_an_id_past_what_the_database_holds_is_refused_naming_it(
    admin_client: TestClient, url: str, field: str
) -> None:
    # SQLite cannot take an integer past 64 bits: sent to it, such an id was a 500 (issue 15).
    response = admin_client.get(url, headers={"accept-language": "en"})

    assert response.status_code == 422
    assert f"<code>{field}</code>: Must be at most 2147483647." in response.text
