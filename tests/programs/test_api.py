"""The JSON API: the same schemas, rules and filters as the pages, with bearer tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.models import AuditEntry, Membership, Role, User
from hamkor.core.security import new_api_token
from hamkor.programs.models import Activity, Delegation, Participation, Program
from tests.fixtures.core import UserFactory
from tests.fixtures.programs import ActivityFactory, KzUzDays

EN = {"accept-language": "en"}


def bearer(db: Session, user: User, *scopes: str) -> dict[str, str]:
    _token, secret = new_api_token(db, user=user, name="tool", scopes=list(scopes or ["read"]))
    db.commit()
    return {"authorization": f"Bearer {secret}", **EN}


@pytest.fixture
def writer(db: Session, kz_uz_days: KzUzDays) -> dict[str, str]:
    """Headers of the program's coordinator with a read-and-write token."""
    return bearer(db, kz_uz_days.coordinator, "read", "write")


def test_programs_are_listed_read_created_and_updated(
    app_client: TestClient, db: Session, kz_uz_days: KzUzDays, create_user: UserFactory
) -> None:
    days = kz_uz_days
    user = create_user(Role.PROGRAM_COORDINATOR)
    headers = bearer(db, user, "read", "write")
    listing = app_client.get("/api/v1/programs?q=kazakh", headers=headers).json()
    assert [p["code"] for p in listing["items"]] == ["KZ-UZ-2025"]
    created = app_client.post(
        "/api/v1/programs",
        headers=headers,
        json={
            "code": "UZ-KZ-2026",
            "kind": "forum",
            "names": {"uz": "Oʻzbek-qozoq tibbiyot forumi"},
            "guest_country_id": days.uzbekistan.id,
            "host_country_id": days.kazakhstan.id,
            "starts_on": "2026-05-04",
            "ends_on": "2026-05-05",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft"
    assert (
        db.scalar(
            select(Membership.role).where(
                Membership.user_id == user.id, Membership.program_id == body["id"]
            )
        )
        == Role.PROGRAM_COORDINATOR
    )
    changed = app_client.patch(
        f"/api/v1/programs/{body['id']}", headers=headers, json={"ends_on": "2026-05-06"}
    )
    assert changed.status_code == 200
    assert changed.json()["ends_on"] == "2026-05-06"
    db.expire_all()
    assert db.get_one(Program, body["id"]).ends_on == date(2026, 5, 6)
    assert app_client.get(f"/api/v1/programs/{body['id']}", headers=headers).json() == (
        changed.json()
    )


def test_a_program_ending_before_it_starts_is_refused_naming_ends_on(
    app_client: TestClient, db: Session, kz_uz_days: KzUzDays, writer: dict[str, str]
) -> None:
    response = app_client.patch(
        f"/api/v1/programs/{kz_uz_days.program.id}", headers=writer, json={"ends_on": "2025-10-01"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "ends_on", "message": "The program cannot end before it starts."}
    ]
    db.expire_all()
    assert db.get_one(Program, kz_uz_days.program.id).ends_on == date(2025, 10, 17)


def test_status_moves_and_only_drafts_are_deleted(
    app_client: TestClient, kz_uz_days: KzUzDays, writer: dict[str, str]
) -> None:
    url = f"/api/v1/programs/{kz_uz_days.program.id}"
    assert app_client.delete(url, headers=writer).status_code == 422
    moved = app_client.post(f"{url}/status", headers=writer, json={"status": "running"})
    assert moved.json()["status"] == "running"


def test_activities_take_instants_with_offsets_and_filter_by_local_day(
    app_client: TestClient,
    db: Session,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    writer: dict[str, str],
) -> None:
    days = kz_uz_days
    url = f"/api/v1/programs/{days.program.id}/activities"
    created = app_client.post(
        url,
        headers=writer,
        json={
            "kind": "master_class",
            "titles": {"en": "Endovascular aortic repair"},
            "city_id": days.tashkent.id,
            "institution_id": days.vakhidov.id,
            "room_id": days.lecture_hall.id,
            "specialty_id": days.cardiac_surgery.id,
            "lead_ids": [days.surgeon.id],
            "starts_at": "2025-10-15T00:30:00+05:00",
            "ends_at": "2025-10-15T02:00:00+05:00",
            "trainee_capacity": 60,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["starts_at"] == "2025-10-14T19:30:00Z"
    assert body["timezone"] == "Asia/Tashkent"
    assert body["lead_ids"] == [days.surgeon.id]
    create_activity(days.program, city=days.samarkand, day=date(2025, 10, 14))

    def ids(query: str) -> list[int]:
        return [a["id"] for a in app_client.get(f"{url}?{query}", headers=writer).json()]

    # 00:30 in Tashkent on the 15th is still the 14th in UTC: days are the city's own.
    assert ids("from=2025-10-15&to=2025-10-15") == [body["id"]]
    assert len(ids("from=2025-10-14&to=2025-10-14")) == 1
    assert ids(f"city={days.tashkent.id}") == [body["id"]]
    assert ids(f"specialty={days.cardiac_surgery.id}") == [body["id"]]
    assert len(ids("")) == 2


def test_an_activity_is_updated_refused_on_its_field_and_deleted(
    app_client: TestClient,
    db: Session,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    writer: dict[str, str],
) -> None:
    days = kz_uz_days
    activity = create_activity(days.program, city=days.tashkent, room=days.operating_room)
    url = f"/api/v1/programs/{days.program.id}/activities/{activity.id}"
    moved = app_client.patch(url, headers=writer, json={"day": "2025-10-16"})
    assert moved.json()["starts_at"] == "2025-10-16T04:00:00Z"
    refused = app_client.patch(url, headers=writer, json={"trainee_capacity": 99})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["trainee_capacity"]
    db.expire_all()
    assert db.get_one(Activity, activity.id).trainee_capacity == 0
    assert app_client.delete(url, headers=writer).status_code == 204
    assert app_client.get(url, headers=writer).status_code == 404


def test_an_activity_of_another_program_is_not_found_under_this_one(
    app_client: TestClient,
    db: Session,
    admin: User,
    kz_uz_days: KzUzDays,
    create_program: Any,
    create_activity: ActivityFactory,
    writer: dict[str, str],
) -> None:
    """Whether or not the caller may see it in its own program: 404, and no denial recorded."""
    other = create_program()
    activity = create_activity(other, city=kz_uz_days.tashkent)
    url = f"/api/v1/programs/{kz_uz_days.program.id}/activities/{activity.id}"
    assert app_client.get(url, headers=writer).status_code == 404
    assert app_client.get(url, headers=bearer(db, admin)).status_code == 404  # may see it
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "denied")) is None


def test_conflicts_are_given_with_their_explanation(
    app_client: TestClient,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    writer: dict[str, str],
) -> None:
    days = kz_uz_days
    first = create_activity(days.program, city=days.tashkent, room=days.operating_room)
    second = create_activity(
        days.program, city=days.tashkent, start="10:00", end="12:00", room=days.operating_room
    )
    response = app_client.get(f"/api/v1/programs/{days.program.id}/conflicts", headers=writer)
    assert response.json() == [
        {
            "kind": "room_overlap",
            "activity_ids": [first.id, second.id],
            "person_id": None,
            "room_id": days.operating_room.id,
            "delegation_id": None,
            "from_city_id": None,
            "to_city_id": None,
            "needed_minutes": None,
            "available_minutes": None,
            "message": "Operating room 1 is booked twice at the same time: "
            "Master class and Master class.",
        }
    ]


def test_delegations_and_participations_through_the_api(
    app_client: TestClient,
    db: Session,
    kz_uz_days: KzUzDays,
    programs_directory: Any,
    writer: dict[str, str],
) -> None:
    days = kz_uz_days
    base = f"/api/v1/programs/{days.program.id}"
    brigade = app_client.post(
        f"{base}/delegations",
        headers=writer,
        json={"code": "OBST", "names": {"ru": "Бригада акушеров"}},
    )
    assert brigade.status_code == 201
    brigade_id = brigade.json()["id"]
    renamed = app_client.patch(
        f"{base}/delegations/{brigade_id}", headers=writer, json={"code": "OBGYN"}
    )
    assert renamed.json()["code"] == "OBGYN"
    assert db.get_one(Delegation, brigade_id).code == "OBGYN"
    person = programs_directory.person(en="Dr Saule Omarova")
    db.commit()
    joined = app_client.post(
        f"{base}/participations",
        headers=writer,
        json={
            "person_id": person.id,
            "role": "brigade_lead",
            "delegation_id": brigade_id,
            "arrival_city_id": days.tashkent.id,
            "arrives_at": "2025-10-12T18:00:00+05:00",
        },
    )
    assert joined.status_code == 201, joined.text
    assert joined.json()["arrives_at"] == "2025-10-12T13:00:00Z"
    participation_id = joined.json()["id"]
    again = app_client.post(
        f"{base}/participations", headers=writer, json={"person_id": person.id, "role": "trainee"}
    )
    assert [e["field"] for e in again.json()["errors"]] == ["person_id"]
    left = app_client.patch(
        f"{base}/participations/{participation_id}",
        headers=writer,
        json={"departure_city_id": days.samarkand.id, "departs_at": "2025-10-17T20:00:00+05:00"},
    )
    assert left.json()["departs_at"] == "2025-10-17T15:00:00Z"
    members = app_client.get(f"{base}/participations", headers=writer).json()
    assert participation_id in [m["id"] for m in members]
    assert (
        app_client.delete(f"{base}/participations/{participation_id}", headers=writer).status_code
        == 204
    )
    assert db.get(Participation, participation_id) is None
    assert app_client.delete(f"{base}/delegations/{brigade_id}", headers=writer).status_code == 204


def test_a_read_only_token_may_not_write(
    app_client: TestClient, db: Session, kz_uz_days: KzUzDays
) -> None:
    headers = bearer(db, kz_uz_days.coordinator, "read")
    response = app_client.post(
        f"/api/v1/programs/{kz_uz_days.program.id}/status",
        headers=headers,
        json={"status": "running"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "token"
    assert (
        app_client.get(f"/api/v1/programs/{kz_uz_days.program.id}", headers=headers).status_code
        == 200
    )


def test_instants_are_utc_in_answers(
    app_client: TestClient,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    writer: dict[str, str],
) -> None:
    activity = create_activity(kz_uz_days.program, city=kz_uz_days.samarkand)
    body = app_client.get(
        f"/api/v1/programs/{kz_uz_days.program.id}/activities/{activity.id}", headers=writer
    ).json()
    assert datetime.fromisoformat(body["starts_at"]) == datetime(2025, 10, 13, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1/programs/99999999999", None),
        ("get", "/api/v1/programs?country=99999999999", None),
        ("get", "/api/v1/programs/{id}/activities?from=0001-01-01", None),
        ("post", "/api/v1/programs/{id}/delegations", {"code": "A\x00B", "names": {"en": "x"}}),
        (
            "post",
            "/api/v1/programs/{id}/activities",
            {
                "kind": "lecture",
                "titles": {"en": "x"},
                "city_id": 99999999999,
                "starts_at": "0001-01-01T00:00:00+05:00",
                "ends_at": "0001-01-01T01:00:00+05:00",
                "trainee_capacity": 10**12,
            },
        ),
    ],
)
def test_values_no_database_could_hold_are_refused_not_crashed_on(
    app_client: TestClient,
    kz_uz_days: KzUzDays,
    writer: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    url = path.format(id=kz_uz_days.program.id)
    response = app_client.request(method, url, headers=writer, json=body)
    assert response.status_code == 422, response.text
