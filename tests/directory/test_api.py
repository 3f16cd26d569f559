"""The directory's JSON API: the pages' rules, errors named by field, no partial writes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.core.models import AuditEntry, Role, User
from hamkor.directory.models import City, Country, Institution, Person, Room, Specialty
from tests.fixtures.core import UserFactory
from tests.fixtures.directory import bearer, city_body


@pytest.fixture
def as_admin(db: Session, admin: User) -> dict[str, str]:
    return bearer(db, admin)


def test_cities_are_created_read_and_replaced(
    app_client: TestClient, db: Session, as_admin: dict[str, str], uzbekistan: Country
) -> None:
    created = app_client.post("/api/v1/cities", json=city_body(uzbekistan), headers=as_admin)
    assert created.status_code == 201
    body = created.json()
    assert body["names"]["uz-Cyrl"] == "Самарқанд"
    assert body["country"] == {"id": uzbekistan.id, "code": "UZ", "names": uzbekistan.names}
    path = f"/api/v1/cities/{body['id']}"
    assert app_client.get(path, headers=as_admin).json() == body
    replaced = app_client.put(
        path, json=city_body(uzbekistan, timezone="Asia/Tashkent"), headers=as_admin
    )
    assert replaced.status_code == 200
    city = db.get(City, body["id"])
    assert city is not None
    db.refresh(city)
    assert city.timezone == "Asia/Tashkent"


def test_a_bad_city_is_refused_field_by_field(
    app_client: TestClient, db: Session, as_admin: dict[str, str], uzbekistan: Country
) -> None:
    body = city_body(uzbekistan, latitude=95, timezone="Mars/Olympus", names={})
    del body["code"]
    response = app_client.post("/api/v1/cities", json=body, headers=as_admin)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "code", "message": "This field is required."},
        {"field": "names", "message": "Give the name in at least one language."},
        {"field": "latitude", "message": "Must be at most 90."},
        {
            "field": "timezone",
            "message": "Unknown time zone Mars/Olympus; use a name such as Asia/Tashkent.",
        },
    ]
    assert db.scalar(select(func.count()).select_from(City)) == 0


def test_a_refusal_in_russian_is_a_422_too(
    app_client: TestClient, as_admin: dict[str, str], uzbekistan: Country
) -> None:
    response = app_client.post(
        "/api/v1/cities",
        json=city_body(uzbekistan, country_id="Узбекистан"),
        headers={**as_admin, "accept-language": "ru"},
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["country_id"]


def test_a_reference_to_nothing_is_the_fields_error(
    app_client: TestClient, db: Session, as_admin: dict[str, str], tashkent: City
) -> None:
    body = {"code": "X", "kind": "clinic", "names": {"en": "X"}, "city_id": 999_999}
    response = app_client.post("/api/v1/institutions", json=body, headers=as_admin)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "city_id", "message": "Choose one of the offered values."}
    ]
    assert db.scalar(select(func.count()).select_from(Institution)) == 0


def test_institutions_rooms_and_people_through_the_api(
    app_client: TestClient,
    db: Session,
    as_admin: dict[str, str],
    tashkent: City,
    kazakhstan: Country,
    neurosurgery: Specialty,
) -> None:
    institution = app_client.post(
        "/api/v1/institutions",
        json={
            "code": "KZ-NCN",
            "kind": "research_centre",
            "city_id": tashkent.id,
            "country_id": kazakhstan.id,
            "names": {
                "kk": "Ұлттық нейрохирургия орталығы",
                "en": "National Centre for Neurosurgery",
            },
        },
        headers=as_admin,
    )
    assert institution.status_code == 201, institution.text
    institution_id = institution.json()["id"]
    assert institution.json()["country_id"] == kazakhstan.id
    room = app_client.post(
        "/api/v1/rooms",
        json={
            "institution_id": institution_id,
            "code": "HALL",
            "kind": "lecture_hall",
            "capacity": 120,
            "names": {"en": "Hall"},
        },
        headers=as_admin,
    )
    assert room.status_code == 201, room.text
    person = app_client.post(
        "/api/v1/people",
        json={
            "names": {"kk": "Сейтқали Айгерім"},
            "institution_id": institution_id,
            "specialty_ids": [neurosurgery.id],
            "languages": ["kk", "ru"],
        },
        headers=as_admin,
    )
    assert person.status_code == 201, person.text
    assert person.json()["specialties"][0]["code"] == "neurosurgery"
    assert person.json()["position"] == {}

    room_path = f"/api/v1/rooms/{room.json()['id']}"
    changed = {**room.json(), "capacity": 150}
    del changed["id"], changed["institution_id"]
    assert app_client.put(room_path, json=changed, headers=as_admin).json()["capacity"] == 150

    person_path = f"/api/v1/people/{person.json()['id']}"
    moved = {
        "names": {"kk": "Сейтқали Айгерім"},
        "institution_id": None,
        "phone": "+7 701 555 0102",
    }
    assert app_client.put(person_path, json=moved, headers=as_admin).status_code == 200
    stored = db.get(Person, person.json()["id"])
    assert stored is not None
    db.refresh(stored)
    assert (stored.institution_id, stored.phone, stored.specialties) == (
        None,
        "+7 701 555 0102",
        [],
    )

    listed = app_client.get(f"/api/v1/rooms?institution={institution_id}", headers=as_admin)
    assert listed.json()["total"] == 1
    people = app_client.get("/api/v1/people?q=АЙГЕРІМ", headers=as_admin).json()
    assert people["total"] == 1
    typed_in_russian = app_client.get("/api/v1/people?q=айгерим", headers=as_admin).json()
    assert typed_in_russian["total"] == 1


def test_reference_data_is_read_only_in_the_api(
    app_client: TestClient,
    db: Session,
    as_admin: dict[str, str],
    neurosurgery: Specialty,
    uzbekistan: Country,
) -> None:
    countries = app_client.get("/api/v1/countries?q=ўзбекистон", headers=as_admin).json()
    assert [c["code"] for c in countries["items"]] == ["UZ"]
    country = app_client.get(f"/api/v1/countries/{uzbekistan.id}", headers=as_admin).json()
    assert country["names"]["kk"] == "Өзбекстан"
    specialties = app_client.get("/api/v1/specialties", headers=as_admin).json()
    assert specialties["items"] == [
        {"id": neurosurgery.id, "code": "neurosurgery", "names": neurosurgery.names}
    ]


def test_reference_data_is_read_only_through_the_api_with_a_translated_refusal(
    app_client: TestClient, db: Session, as_admin: dict[str, str], uzbekistan: Country
) -> None:
    before = db.scalar(select(func.count()).select_from(Country))
    refused = app_client.post(
        "/api/v1/countries", json={"code": "TR"}, headers={**as_admin, "accept-language": "ru"}
    )
    assert (refused.status_code, refused.json()["detail"]) == (
        405,
        "Это действие здесь не допускается.",
    )
    assert db.scalar(select(func.count()).select_from(Country)) == before


def test_a_coordinator_changes_only_their_institutions_rooms(
    app_client: TestClient,
    db: Session,
    create_user: UserFactory,
    vakhidov: Institution,
    syzganov: Institution,
    vakhidov_theatre: Room,
) -> None:
    theirs = Room(
        institution=syzganov, code="CATH", kind="cath_lab", capacity=6, names={"en": "Cath lab"}
    )
    db.add(theirs)
    db.commit()
    coordinator = create_user(Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id)
    headers = bearer(db, coordinator)
    body = {"code": "OR-1", "kind": "operating_room", "capacity": 9, "names": {"en": "OR"}}
    assert (
        app_client.put(
            f"/api/v1/rooms/{vakhidov_theatre.id}", json=body, headers=headers
        ).status_code
        == 200
    )
    response = app_client.put(f"/api/v1/rooms/{theirs.id}", json=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "You do not have access to this record."
    denial = db.scalar(select(AuditEntry).where(AuditEntry.action == "denied"))
    assert denial is not None
    assert (denial.entity, denial.entity_id, denial.actor_name) == (
        "rooms",
        str(theirs.id),
        coordinator.username,
    )
    db.refresh(theirs)
    assert theirs.capacity == 6


def test_reading_needs_a_token_and_writing_a_write_token(
    app_client: TestClient, db: Session, admin: User, uzbekistan: Country
) -> None:
    assert app_client.get("/api/v1/cities").status_code == 401
    reader = bearer(db, admin, write=False)
    assert app_client.get("/api/v1/cities", headers=reader).status_code == 200
    response = app_client.post("/api/v1/cities", json=city_body(uzbekistan), headers=reader)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "token"


def test_unknown_fields_and_records(
    app_client: TestClient, as_admin: dict[str, str], uzbekistan: Country
) -> None:
    response = app_client.post(
        "/api/v1/cities", json=city_body(uzbekistan, population=2_900_000), headers=as_admin
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "population", "message": "This value is not valid."}
    ]
    for path in ("/api/v1/cities/999999", "/api/v1/people/999999", "/api/v1/travel-times/1/999999"):
        assert app_client.get(path, headers=as_admin).status_code == 404


def test_the_openapi_document_lists_the_directory(app_client: TestClient) -> None:
    paths = app_client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/institutions", "/api/v1/rooms/{room_id}", "/api/v1/travel-times"} <= set(paths)
    assert "/directory/institutions" not in paths
