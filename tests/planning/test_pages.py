"""Planning pages: requests through forms, plan this program, progress, review, accept; API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import jobs
from hamkor.core.models import Role
from hamkor.planning.models import PlanningRequest, PlanRun, RunStatus
from tests.fixtures.core import ClientFactory, UserFactory, csrf_of
from tests.fixtures.directory import bearer
from tests.fixtures.planning import PlannedDays
from tests.fixtures.programs import ProgramFactory, submit


def english(client: TestClient) -> TestClient:
    client.headers["accept-language"] = "en"
    return client


def _count(db: Session, model: type[object]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _request_form(planned: PlannedDays, **changes: str) -> dict[str, str | list[str]]:
    days = planned.days
    return {
        "titles.ru": "Мастер-класс по клапанам",
        "titles.en": "Valve master class",
        "kind": "master_class",
        "specialty_id": str(days.cardiac_surgery.id),
        "duration_minutes": "90",
        "room_kind": "operating_room",
        "leads_count": "1",
        "city_ids": [str(days.tashkent.id)],
        "trainee_seats": "2",
        "weight": "1.5",
        "mandatory": "true",
        **changes,
    }


def test_a_coordinator_asks_for_an_activity_through_the_form(
    db: Session, client_for: ClientFactory, planned_days: PlannedDays
) -> None:
    program = planned_days.days.program
    client = english(client_for(planned_days.days.coordinator))
    page = f"/programs/{program.id}/planning/requests/new"
    response = submit(
        client, page, f"/programs/{program.id}/planning/requests", _request_form(planned_days)
    )

    assert response.status_code == 303
    made = db.scalars(select(PlanningRequest).order_by(PlanningRequest.id.desc())).first()
    assert made is not None
    assert (made.titles["en"], made.duration_minutes, made.mandatory) == (
        "Valve master class",
        90,
        True,
    )
    assert [c.id for c in made.cities] == [planned_days.days.tashkent.id]
    listing = client.get(f"/programs/{program.id}/planning").text
    assert "Valve master class" in listing


def test_a_refused_request_comes_back_with_the_error_beside_its_field(
    db: Session, client_for: ClientFactory, planned_days: PlannedDays
) -> None:
    program = planned_days.days.program
    client = english(client_for(planned_days.days.coordinator))
    before = _count(db, PlanningRequest)
    response = submit(
        client,
        f"/programs/{program.id}/planning/requests/new",
        f"/programs/{program.id}/planning/requests",
        _request_form(planned_days, kind="consultation_session", fixed_day="2025-11-01"),
    )
    assert response.status_code == 422
    assert 'id="e-consultation_minutes"' in response.text
    assert _count(db, PlanningRequest) == before


def test_plan_progress_review_and_accept_through_the_pages(
    db: Session,
    client_for: ClientFactory,
    planned_days: PlannedDays,
    session_factory: sessionmaker[Session],
) -> None:
    program = planned_days.days.program
    client = english(client_for(planned_days.days.coordinator))
    planning = f"/programs/{program.id}/planning"
    started = submit(client, planning, f"/programs/{program.id}/plan", {"time_limit_seconds": "10"})
    assert started.status_code == 303
    run_url = started.headers["location"]

    waiting = client.get(run_url)
    assert 'hx-trigger="every 1s"' in waiting.text
    assert "<progress" in waiting.text
    run_id = int(run_url.rsplit("/", 1)[1])
    run = db.get(PlanRun, run_id)
    assert run is not None
    assert jobs.run_next(session_factory) == run.job_id

    done = client.get(f"{run_url}/progress")
    assert done.headers.get("HX-Refresh") == "true"
    review = client.get(run_url)
    assert review.status_code == 200
    assert review.text.count('<tr class="change-added">') == 4
    assert "Demonstration operation" in review.text
    assert "Proven bound" in review.text
    assert "This plan adds no conflict to the program." in review.text
    assert "The program has no conflict as it stands." in review.text

    accepted = client.post(
        f"{run_url}/accept",
        data={"csrf_token": csrf_of(review.text)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/programs/{program.id}/calendar"
    calendar = client.get(accepted.headers["location"]).text
    assert "Demonstration operation" in calendar

    again = client.post(
        f"{run_url}/accept", data={"csrf_token": csrf_of(review.text)}, follow_redirects=False
    )
    assert again.status_code == 409
    assert "no longer a proposal" in again.text


def test_the_api_asks_for_an_activity_and_starts_a_run(
    db: Session, client_for: ClientFactory, planned_days: PlannedDays
) -> None:
    program = planned_days.days.program
    headers = bearer(db, planned_days.days.coordinator)
    client = english(client_for(planned_days.days.coordinator))
    body = {
        "kind": "lecture",
        "titles": {"en": "Cardiac imaging"},
        "specialty_id": planned_days.days.cardiac_surgery.id,
        "duration_minutes": 60,
        "room_kind": "lecture_hall",
    }
    made = client.post(f"/api/v1/programs/{program.id}/requests", json=body, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["room_kind"] == "lecture_hall"

    run = client.post(
        f"/api/v1/programs/{program.id}/runs", json={"time_limit_seconds": 5}, headers=headers
    )
    assert run.status_code == 202, run.text
    detail = client.get(f"/api/v1/planning/runs/{run.json()['id']}", headers=headers).json()
    assert detail["status"] == RunStatus.SOLVING
    assert detail["instance"]["format"] == "hamkor.plan-instance/1"
    assert len(detail["instance"]["activities"]) == 5

    gone = {"specialist_id": planned_days.days.surgeon.id, "unavailable_day": "2025-10-14"}
    replanned = client.post(f"/api/v1/programs/{program.id}/replans", json=gone, headers=headers)
    assert replanned.status_code == 202, replanned.text
    assert replanned.json()["disruption"]["specialist_id"] == planned_days.days.surgeon.id
    discarded = client.post(f"/api/v1/planning/runs/{run.json()['id']}/discard", headers=headers)
    assert discarded.status_code == 409  # still solving: nothing to set aside yet


def test_another_programs_coordinator_may_not_plan_this_one(
    db: Session,
    client_for: ClientFactory,
    create_user: UserFactory,
    create_program: ProgramFactory,
    planned_days: PlannedDays,
) -> None:
    other = create_program(code="OTHER")
    outsider = create_user(Role.PROGRAM_COORDINATOR, program_id=other.id)
    client = english(client_for(outsider))
    program = planned_days.days.program
    assert client.get(f"/programs/{program.id}/planning").status_code == 403
    token = csrf_of(client.get("/tokens").text)
    response = client.post(
        f"/programs/{program.id}/plan",
        data={"time_limit_seconds": "10", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _count(db, PlanRun) == 0


def test_a_disruption_is_replanned_through_the_form(
    db: Session, client_for: ClientFactory, planned_days: PlannedDays
) -> None:
    days = planned_days.days
    client = english(client_for(days.coordinator))
    page = f"/programs/{days.program.id}/replan"
    action = page

    refused = submit(client, page, action, {"time_limit_seconds": "10"})
    assert refused.status_code == 422
    assert 'id="e-specialist_id"' in refused.text
    outside = submit(
        client,
        page,
        action,
        {"specialist_id": str(days.surgeon.id), "unavailable_day": "2025-12-01"},
    )
    assert outside.status_code == 422
    assert 'id="e-unavailable_day"' in outside.text
    assert _count(db, PlanRun) == 0

    started = submit(
        client,
        page,
        action,
        {
            "specialist_id": str(days.surgeon.id),
            "unavailable_day": "2025-10-14",
            "unavailable_time": "12:00",
            "time_limit_seconds": "10",
        },
    )
    assert started.status_code == 303
    run = db.scalars(select(PlanRun)).one()
    assert run.disruption["specialist_id"] == days.surgeon.id
    assert "Re-planning after a disruption." in client.get(started.headers["location"]).text
