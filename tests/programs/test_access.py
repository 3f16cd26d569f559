"""Who reaches a program: its coordinators change it, the institutions taking part see it,
everybody else is refused, and every refusal is written to the audit trail."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.models import AuditEntry, Role, User
from hamkor.core.security import new_api_token
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.programs import ActivityFactory, KzUzDays, ProgramFactory, submit


def denials(db: Session) -> list[tuple[str, str | None]]:
    rows = db.execute(
        select(AuditEntry.entity, AuditEntry.entity_id).where(AuditEntry.action == "denied")
    )
    return [(entity, entity_id) for entity, entity_id in rows]


@pytest.fixture
def host_registrar(
    kz_uz_days: KzUzDays, create_activity: ActivityFactory, create_user: UserFactory
) -> User:
    """A registrar of the Vakhidov centre, which hosts one of the program's activities."""
    create_activity(kz_uz_days.program, city=kz_uz_days.tashkent, room=kz_uz_days.operating_room)
    return create_user(Role.REGISTRAR, institution_id=kz_uz_days.vakhidov.id)


def test_anonymous_readers_are_sent_to_log_in(app_client: TestClient, kz_uz_days: KzUzDays) -> None:
    response = app_client.get(f"/programs/{kz_uz_days.program.id}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/programs/")


@pytest.mark.parametrize(
    "path",
    [
        "/programs/{id}",
        "/programs/{id}/calendar",
        "/programs/{id}/timetable",
        "/api/v1/programs/{id}",
        "/programs/{id}/calendar.ics",
    ],
)
def test_a_user_without_a_role_in_the_program_is_refused_and_it_is_audited(
    client_for: ClientFactory,
    create_user: UserFactory,
    kz_uz_days: KzUzDays,
    db: Session,
    path: str,
) -> None:
    outsider = create_user(Role.REGISTRAR)
    program_id = kz_uz_days.program.id
    response = client_for(outsider).get(path.format(id=program_id))
    assert response.status_code == 403
    assert denials(db) == [("programs", str(program_id))]


def test_a_stranger_sees_no_program_in_lists(
    client_for: ClientFactory, create_user: UserFactory, kz_uz_days: KzUzDays
) -> None:
    client = client_for(create_user(Role.SPECIALIST))
    assert client.get("/api/v1/programs").json()["total"] == 0
    assert "Days of Kazakh Medicine" not in client.get("/", headers={"accept-language": "en"}).text


def test_a_registrar_of_a_host_institution_sees_the_program_but_may_not_change_it(
    client_for: ClientFactory, host_registrar: User, kz_uz_days: KzUzDays, db: Session
) -> None:
    days = kz_uz_days
    client = client_for(host_registrar)
    base = f"/programs/{days.program.id}"
    pages = ("calendar", "timetable", "delegations")
    for path in (base, *(f"{base}/{page}" for page in pages), f"/api/v1{base}"):
        assert client.get(path).status_code == 200, path
    assert "Edit program" not in client.get(base, headers={"accept-language": "en"}).text
    assert client.get(f"{base}/edit").status_code == 403
    assert client.get(f"{base}/activities/new").status_code == 403
    posted = submit(client, base, f"{base}/status", {"status": "running"})
    assert posted.status_code == 403
    assert denials(db) == [("programs", str(days.program.id))] * 3


def test_a_registrar_may_not_change_the_programs_activities(
    app_client: TestClient,
    client_for: ClientFactory,
    host_registrar: User,
    kz_uz_days: KzUzDays,
    db: Session,
) -> None:
    base = f"/api/v1/programs/{kz_uz_days.program.id}/activities"
    [activity] = client_for(host_registrar).get(base).json()
    assert client_for(host_registrar).get(f"/activities/{activity['id']}/edit").status_code == 403
    _token, secret = new_api_token(db, user=host_registrar, name="tool", scopes=["read", "write"])
    db.commit()
    response = app_client.patch(
        f"{base}/{activity['id']}",
        headers={"authorization": f"Bearer {secret}"},
        json={"trainee_capacity": 5},
    )
    assert response.status_code == 403
    assert denials(db) == [("activities", str(activity["id"]))] * 2


def test_a_member_of_the_program_sees_it_and_a_coordinator_of_another_does_not(
    client_for: ClientFactory,
    create_user: UserFactory,
    kz_uz_days: KzUzDays,
    create_program: ProgramFactory,
) -> None:
    base = f"/programs/{kz_uz_days.program.id}"
    member = client_for(create_user(Role.SPECIALIST, program_id=kz_uz_days.program.id))
    assert member.get(base).status_code == 200
    assert member.get(f"{base}/edit").status_code == 403
    other = create_program()
    stranger = client_for(create_user(Role.PROGRAM_COORDINATOR, program_id=other.id))
    assert stranger.get(base).status_code == 403
    assert stranger.get(f"/programs/{other.id}/edit").status_code == 200
