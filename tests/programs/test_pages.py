"""The pages: programs and activities made and changed through forms, calendars, brigades."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session

from hamkor.core.models import Membership, Role, User
from hamkor.programs.models import Activity, Delegation, Participation, Program
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.programs import ActivityFactory, KzUzDays, submit

EN = {"accept-language": "en"}


def count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def program_form(days: KzUzDays, **changes: str) -> dict[str, str]:
    return {
        "code": "KZ-UZ-2026",
        "kind": "medical_days",
        "names.ru": "Дни казахстанской медицины 2026",
        "names.en": "Days of Kazakh Medicine 2026",
        "guest_country_id": str(days.kazakhstan.id),
        "host_country_id": str(days.uzbekistan.id),
        "starts_on": "2026-10-12",
        "ends_on": "2026-10-16",
        **changes,
    }


def activity_form(days: KzUzDays, **changes: str) -> dict[str, str | list[str]]:
    return {
        "titles.en": "Off-pump coronary bypass",
        "titles.ru": "Коронарное шунтирование на работающем сердце",
        "kind": "demonstration_operation",
        "status": "planned",
        "specialty_id": str(days.cardiac_surgery.id),
        "delegation_id": str(days.brigade.id),
        "city_id": str(days.tashkent.id),
        "institution_id": str(days.vakhidov.id),
        "room_id": str(days.operating_room.id),
        "day": "2025-10-14",
        "start_time": "09:00",
        "end_time": "11:00",
        "lead_ids": [str(days.surgeon.id), str(days.second_surgeon.id)],
        "trainee_capacity": "10",
        **changes,
    }


def error_beside(html: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{re.escape(field)}">([^<]*)</p>', html)
    assert found, f"no error beside {field}"
    return found.group(1)


def test_a_coordinator_creates_a_program_through_the_form(
    client_for: ClientFactory, create_user: UserFactory, kz_uz_days: KzUzDays, db: Session
) -> None:
    user = create_user(Role.PROGRAM_COORDINATOR)
    client = client_for(user)
    response = submit(client, "/programs/new", "/programs", program_form(kz_uz_days))
    assert response.status_code == 303
    program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2026")).one()
    assert response.headers["location"] == f"/programs/{program.id}"
    assert program.names["en"] == "Days of Kazakh Medicine 2026"
    assert program.starts_on == date(2026, 10, 12)
    assert (
        db.scalar(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.program_id == program.id
            )
        )
        == Role.PROGRAM_COORDINATOR
    )
    overview = client.get(response.headers["location"], headers=EN)
    assert "Days of Kazakh Medicine 2026" in overview.text


def test_a_program_ending_before_it_starts_comes_back_with_the_error_and_writes_nothing(
    client_for: ClientFactory, admin: User, kz_uz_days: KzUzDays, db: Session
) -> None:
    before = count(db, Program)
    response = submit(
        client_for(admin),
        "/programs/new",
        "/programs",
        program_form(kz_uz_days, ends_on="2026-10-01"),
    )
    assert response.status_code == 422
    assert error_beside(response.text, "ends_on") == "The program cannot end before it starts."
    assert 'value="Days of Kazakh Medicine 2026"' in response.text
    assert count(db, Program) == before
    assert count(db, Membership) == 2  # the admin's and the fixture coordinator's grants


def test_a_coordinator_edits_the_program(
    client_for: ClientFactory, kz_uz_days: KzUzDays, db: Session
) -> None:
    days = kz_uz_days
    client = client_for(days.coordinator)
    edit = client.get(f"/programs/{days.program.id}/edit")
    assert 'value="KZ-UZ-2025"' in edit.text
    response = submit(
        client,
        f"/programs/{days.program.id}/edit",
        f"/programs/{days.program.id}/edit",
        program_form(days, code="KZ-UZ-2025", starts_on="2025-10-12", ends_on="2025-10-17"),
    )
    assert response.status_code == 303
    db.expire_all()
    program = db.get_one(Program, days.program.id)
    assert program.starts_on == date(2025, 10, 12)
    assert program.names["ru"] == "Дни казахстанской медицины 2026"


def test_the_status_moves_on_from_the_overview(
    client_for: ClientFactory, kz_uz_days: KzUzDays, db: Session
) -> None:
    days = kz_uz_days
    client = client_for(days.coordinator)
    page = f"/programs/{days.program.id}"
    response = submit(client, page, f"{page}/status", {"status": "running"})
    assert response.status_code == 303
    db.expire_all()
    assert db.get_one(Program, days.program.id).status == "running"
    refused = submit(client, page, f"{page}/status", {"status": "draft"})
    assert refused.status_code == 422
    assert "The program cannot move from its status to this one." in refused.text


def test_the_programs_list_searches_and_filters(
    client_for: ClientFactory, admin: User, kz_uz_days: KzUzDays, create_program: Any
) -> None:
    create_program(names={"en": "Moscow obstetrics course"}, kind="qualification_course")
    client = client_for(admin)
    everything = client.get("/programs", headers=EN).text
    assert "Days of Kazakh Medicine in Uzbekistan" in everything
    assert "Moscow obstetrics course" in everything
    found = client.get("/programs?q=kazakh", headers=EN).text
    assert "Days of Kazakh Medicine in Uzbekistan" in found
    assert "Moscow obstetrics course" not in found
    courses = client.get("/programs?kind=qualification_course&status=", headers=EN).text
    assert "Days of Kazakh Medicine in Uzbekistan" not in courses
    by_country = client.get(f"/programs?country={kz_uz_days.uzbekistan.id}", headers=EN).text
    assert "Moscow obstetrics course" not in by_country


def test_an_activity_in_local_time_is_stored_in_utc_and_shown_in_local_time(
    client_for: ClientFactory, kz_uz_days: KzUzDays, db: Session
) -> None:
    days = kz_uz_days
    client = client_for(days.coordinator)
    response = submit(
        client,
        f"/programs/{days.program.id}/activities/new",
        f"/programs/{days.program.id}/activities",
        activity_form(days),
    )
    assert response.status_code == 303, response.text
    activity = db.scalars(select(Activity)).one()
    assert activity.starts_at == datetime(2025, 10, 14, 4, 0, tzinfo=UTC)
    assert {p.id for p in activity.leads} == {days.surgeon.id, days.second_surgeon.id}
    calendar = client.get(response.headers["location"], headers=EN).text
    row = calendar[calendar.index(f'id="activity-{activity.id}"') :]
    assert "9:00" in row[: row.index("</tr>")]
    assert "Saved." in calendar
    edit = client.get(f"/activities/{activity.id}/edit").text
    assert 'name="start_time" type="time" value="09:00"' in edit


def test_an_activity_is_edited_through_the_form(
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    db: Session,
) -> None:
    days = kz_uz_days
    activity = create_activity(days.program, city=days.tashkent, leads=[days.surgeon])
    client = client_for(days.coordinator)
    form = activity_form(days, start_time="15:00", end_time="16:30")
    del form["lead_ids"]
    page = f"/activities/{activity.id}/edit"
    response = submit(client, page, page, form)
    assert response.status_code == 303
    db.expire_all()
    changed = db.get_one(Activity, activity.id)
    assert changed.starts_at == datetime(2025, 10, 14, 10, 0, tzinfo=UTC)
    assert changed.room_id == days.operating_room.id
    assert changed.leads == []  # nothing chosen in the multiple select means no leads


def test_refused_activities_come_back_with_errors_beside_their_fields(
    client_for: ClientFactory, kz_uz_days: KzUzDays, db: Session
) -> None:
    days = kz_uz_days
    client = client_for(days.coordinator)
    page = f"/programs/{days.program.id}/activities/new"
    action = f"/programs/{days.program.id}/activities"
    cases = {
        "day": {"day": "2025-10-20"},
        "end_time": {"end_time": "08:00"},
        "room_id": {"room_id": str(days.samarkand_theatre.id)},
        "trainee_capacity": {"trainee_capacity": "40"},
    }
    for field, changes in cases.items():
        response = submit(client, page, action, activity_form(days, **changes))
        assert response.status_code == 422, field
        assert error_beside(response.text, field)
    assert count(db, Activity) == 0


def test_an_activity_that_brings_a_conflict_is_saved_and_flagged(
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    db: Session,
) -> None:
    days = kz_uz_days
    earlier = create_activity(
        days.program, city=days.tashkent, day=date(2025, 10, 14), leads=[days.surgeon]
    )
    client = client_for(days.coordinator)
    response = submit(
        client,
        f"/programs/{days.program.id}/activities/new",
        f"/programs/{days.program.id}/activities",
        activity_form(days, start_time="10:00", end_time="12:00"),
    )
    assert response.status_code == 303
    assert count(db, Activity) == 2
    calendar = client.get(response.headers["location"], headers=EN).text
    assert "Saved, with conflicts to resolve" in calendar
    assert "Dr Aidos Bekov leads two activities at the same time" in calendar
    rows = re.findall(r'<tr id="activity-(\d+)" class="([^"]*)"', calendar)
    assert {int(a) for a, classes in rows if "has-conflict" in classes} >= {earlier.id}
    assert '<span class="badge conflict">1 conflict</span>' in calendar
    assert '<h2 id="conflicts-title">Conflicts <span class="badge conflict">1</span></h2>' in (
        calendar
    )


def test_the_calendar_groups_a_day_by_city_room_and_specialist(
    client_for: ClientFactory, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(
        days.program,
        city=days.tashkent,
        room=days.operating_room,
        leads=[days.surgeon, days.second_surgeon],
    )
    create_activity(
        days.program,
        city=days.samarkand,
        start="12:00",
        end="13:00",
        room=days.samarkand_theatre,
        leads=[days.neurosurgeon],
    )
    create_activity(days.program, city=days.samarkand, start="14:00", end="15:00", title="Lecture")
    create_activity(days.program, city=days.bukhara, day=date(2025, 10, 16))
    client = client_for(days.coordinator)
    calendar = f"/programs/{days.program.id}/calendar"

    def groups(by: str, day: str = "2025-10-13") -> list[str]:
        html = client.get(f"{calendar}?by={by}&day={day}", headers=EN).text
        return re.findall(r'<section class="calendar-group" id="([^"]+)">', html)

    assert groups("day") == ["2025-10-13"]
    assert groups("day", "2025-10-16") == ["2025-10-16"]
    assert groups("day", "2025-10-15") == []
    assert groups("city") == [f"city-{days.samarkand.id}", f"city-{days.tashkent.id}"]
    assert groups("room") == [
        f"room-{days.samarkand_theatre.id}",
        f"room-{days.operating_room.id}",
        "no-room",
    ]
    assert groups("specialist") == [
        f"person-{days.surgeon.id}",
        f"person-{days.second_surgeon.id}",
        f"person-{days.neurosurgeon.id}",
        "no-lead",
    ]
    # A filter of days narrows the days the list pages through.
    narrowed = client.get(f"{calendar}?from=2025-10-16&to=2025-10-16", headers=EN).text
    assert re.findall(r'<section class="calendar-group" id="([^"]+)">', narrowed) == ["2025-10-16"]


def test_the_itinerary_lists_cities_in_order_with_travel_legs(
    client_for: ClientFactory, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    for day, city in (
        (date(2025, 10, 13), days.tashkent),
        (date(2025, 10, 14), days.samarkand),
        (date(2025, 10, 16), days.bukhara),
    ):
        create_activity(days.program, city=city, day=day, delegation=days.brigade)
    page = client_for(days.coordinator).get(
        f"/programs/{days.program.id}/delegations/{days.brigade.id}", headers=EN
    )
    assert page.status_code == 200
    assert '<p class="route">Tashkent → Samarkand → Bukhara</p>' in page.text
    assert "Tashkent → Samarkand:\n            4 hr 30 min on the road" in page.text
    assert "Dr Aidos Bekov" in page.text  # a member


def test_brigades_and_participants_are_managed_through_forms(
    client_for: ClientFactory, kz_uz_days: KzUzDays, programs_directory: Any, db: Session
) -> None:
    days = kz_uz_days
    client = client_for(days.coordinator)
    base = f"/programs/{days.program.id}"
    listing = client.get(f"{base}/delegations", headers=EN).text
    assert re.search(
        r"Syzganov brigade</a></td>\s*<td>[^<]*</td>\s*<td class=\"num\">3</td>", listing
    )
    made = submit(
        client,
        f"{base}/delegations/new",
        f"{base}/delegations",
        {"code": "NEURO", "names.en": "Neurosurgery brigade", "institution_id": ""},
    )
    assert made.status_code == 303
    brigade = db.scalars(select(Delegation).where(Delegation.code == "NEURO")).one()
    taken = submit(
        client, f"{base}/delegations/new", f"{base}/delegations", {"code": "NEURO", "names.en": "x"}
    )
    assert taken.status_code == 422
    assert error_beside(taken.text, "code") == "The code NEURO is taken."
    guest = programs_directory.person(en="Dr Guest Interpreter")
    db.commit()
    added = submit(
        client,
        f"{base}/participants/new",
        f"{base}/participants",
        {
            "person_id": str(guest.id),
            "role": "interpreter",
            "delegation_id": str(brigade.id),
            "arrival_city_id": str(days.tashkent.id),
            "arrives_at": "2025-10-12T21:40",
        },
    )
    assert added.status_code == 303
    participation = db.scalars(
        select(Participation).where(Participation.person_id == guest.id)
    ).one()
    assert participation.arrives_at == datetime(2025, 10, 12, 16, 40, tzinfo=UTC)
    edit = client.get(f"{base}/participants/{participation.id}/edit").text
    assert 'value="2025-10-12T21:40"' in edit
    listing = client.get(f"{base}/participants", headers=EN).text
    assert "Dr Guest Interpreter" in listing


def test_the_programs_list_shows_programs_with_dates_and_figures(
    client_for: ClientFactory, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent)
    create_activity(days.program, city=days.samarkand, day=date(2025, 10, 15))
    listing = client_for(days.coordinator).get("/programs", headers=EN).text
    assert "Days of Kazakh Medicine in Uzbekistan" in listing
    assert "Oct 13, 2025" in listing
    # Delegates, activities and cities, the last three cells of the program's row.
    assert re.findall(r'<td class="num">(\d+)</td>', listing) == ["3", "2", "2"]


def test_the_calendar_page_costs_the_same_queries_for_ten_or_forty_activities(
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    programs_directory: Any,
    connection: Connection,
) -> None:
    days = kz_uz_days
    client = client_for(days.coordinator)
    url = f"/programs/{days.program.id}/calendar?by=specialist"

    def add(number: int) -> None:
        for n in range(number):
            lead = programs_directory.person(specialties=[days.cardiac_surgery], en=f"Dr {n}")
            create_activity(
                days.program,
                city=(days.tashkent, days.samarkand)[n % 2],
                day=date(2025, 10, 13 + n % 5),
                start=f"{8 + n % 9:02d}:00",
                end=f"{9 + n % 9:02d}:00",
                leads=[lead, days.surgeon],
                room=(days.operating_room, days.samarkand_theatre)[n % 2],
                delegation=days.brigade,
                specialty=days.cardiac_surgery,
            )

    def queries() -> int:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        event.listen(connection, "before_cursor_execute", record)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(connection, "before_cursor_execute", record)
        return len(statements)

    add(10)
    few = queries()
    add(30)
    assert queries() == few, few
