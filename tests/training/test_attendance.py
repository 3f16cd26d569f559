"""QR check-in and the coordinator's list: who is let in, who is refused and why."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.forms import error_map
from hamkor.core.models import AuditEntry
from hamkor.training import attendance
from hamkor.training.attendance import WINDOW_SECONDS, check_in, checkin_token
from hamkor.training.models import Attendance, AttendanceMethod, EnrolmentStatus
from tests.fixtures.directory import bearer
from tests.fixtures.programs import KzUzDays
from tests.fixtures.training import EnrolmentFactory, MasterClass, TraineeFactory

SECRET = "test-secret-key"


def refused(error: pytest.ExceptionInfo[UserError]) -> dict[str, str]:
    return error_map(error.value, "en")


def during(master_class: MasterClass, minutes: int = 30) -> datetime:
    return master_class.sessions[0].starts_at + timedelta(minutes=minutes)


@pytest.fixture
def enrolled(master_class: MasterClass, create_enrolment: EnrolmentFactory) -> Actor:
    create_enrolment(master_class.course, master_class.trainee.person)
    return Actor.of(master_class.trainee.user)


def scan(db: Session, actor: Actor, master_class: MasterClass, token: str, now: datetime) -> bool:
    result = check_in(
        db=db,
        actor=actor,
        session=master_class.sessions[0],
        token=token,
        secret_key=SECRET,
        now=now,
    )
    return result.already


def test_a_trainee_checks_in_once_and_a_second_scan_says_so(
    db: Session, master_class: MasterClass, enrolled: Actor
) -> None:
    now = during(master_class)
    token = checkin_token(secret_key=SECRET, session_id=master_class.sessions[0].id, now=now)
    assert scan(db, enrolled, master_class, token, now) is False
    assert scan(db, enrolled, master_class, token, now + timedelta(seconds=5)) is True
    rows = attendance.session_list(db, master_class.sessions[0])
    assert [(a.method, a.recorded_by_id) for _, a in rows if a] == [
        (AttendanceMethod.QR, master_class.trainee.user.id)
    ]
    audited = select(AuditEntry.action).where(AuditEntry.entity == "training_attendance")
    assert db.scalars(audited).all() == ["create"]


def test_the_code_of_the_previous_window_still_works_but_not_older(
    db: Session, master_class: MasterClass, enrolled: Actor
) -> None:
    now = during(master_class)
    session_id = master_class.sessions[0].id
    old = checkin_token(
        secret_key=SECRET, session_id=session_id, now=now - timedelta(seconds=2 * WINDOW_SECONDS)
    )
    with pytest.raises(UserError) as error:
        scan(db, enrolled, master_class, old, now)
    assert refused(error) == {
        "token": "This check-in code has expired. Scan the code on the screen again."
    }
    previous = checkin_token(
        secret_key=SECRET, session_id=session_id, now=now - timedelta(seconds=WINDOW_SECONDS)
    )
    assert scan(db, enrolled, master_class, previous, now) is False


@pytest.mark.parametrize(
    ("token_of", "message"),
    [
        ("forged", "This check-in code is not valid."),
        ("other secret", "This check-in code is not valid."),
        ("other session", "This check-in code is for another session."),
        ("future", "This check-in code has expired. Scan the code on the screen again."),
    ],
)
def test_bad_codes_are_refused_with_their_reason(
    db: Session, master_class: MasterClass, enrolled: Actor, token_of: str, message: str
) -> None:
    now = during(master_class)
    session_id = master_class.sessions[0].id
    token = {
        "forged": "eyJzIjoxLCJ3IjoxfQ.forged",
        "other secret": checkin_token(secret_key="another", session_id=session_id, now=now),
        "other session": checkin_token(
            secret_key=SECRET, session_id=master_class.sessions[1].id, now=now
        ),
        "future": checkin_token(
            secret_key=SECRET, session_id=session_id, now=now + timedelta(minutes=5)
        ),
    }[token_of]
    with pytest.raises(UserError) as error:
        scan(db, enrolled, master_class, token, now)
    assert refused(error) == {"token": message}


@pytest.mark.parametrize("offset", [timedelta(minutes=-16), timedelta(hours=2, seconds=1)])
def test_check_in_outside_the_session_is_refused(
    db: Session, master_class: MasterClass, enrolled: Actor, offset: timedelta
) -> None:
    now = master_class.sessions[0].starts_at + offset
    token = checkin_token(secret_key=SECRET, session_id=master_class.sessions[0].id, now=now)
    with pytest.raises(UserError) as error:
        scan(db, enrolled, master_class, token, now)
    assert refused(error) == {
        "token": "Check-in is open from 15 minutes before the session starts until it ends."
    }


@pytest.mark.parametrize("status", [None, EnrolmentStatus.WAITLISTED, EnrolmentStatus.REQUESTED])
def test_only_enrolled_trainees_check_in(
    db: Session,
    master_class: MasterClass,
    create_enrolment: EnrolmentFactory,
    status: EnrolmentStatus | None,
) -> None:
    if status is not None:
        create_enrolment(master_class.course, master_class.trainee.person, status=status)
    now = during(master_class)
    token = checkin_token(secret_key=SECRET, session_id=master_class.sessions[0].id, now=now)
    with pytest.raises(UserError) as error:
        scan(db, Actor.of(master_class.trainee.user), master_class, token, now)
    assert refused(error) == {"token": "You are not enrolled in this course."}


def test_the_coordinator_marks_the_list(
    db: Session,
    app_client: TestClient,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    create_enrolment: EnrolmentFactory,
    create_trainee: TraineeFactory,
) -> None:
    first = create_enrolment(master_class.course, master_class.trainee.person)
    second = create_enrolment(master_class.course, create_trainee().person)
    waiting = create_enrolment(
        master_class.course, create_trainee().person, status=EnrolmentStatus.WAITLISTED
    )
    session = master_class.sessions[0]
    actor = Actor.of(kz_uz_days.coordinator)
    marked = attendance.mark_attendance(
        db=db, actor=actor, session=session, present={first.id, second.id}
    )
    assert sorted(a.enrolment_id for a in marked) == [first.id, second.id]
    marked = attendance.mark_attendance(db=db, actor=actor, session=session, present={second.id})
    assert [a.enrolment_id for a in marked] == [second.id]
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "training_attendance")
    ).all()
    assert sorted(actions) == ["create", "create", "delete"]
    with pytest.raises(UserError) as error:
        attendance.mark_attendance(db=db, actor=actor, session=session, present={waiting.id})
    assert refused(error) == {"present": "Choose trainees holding a seat in this course."}
    # The list is loaded for change before it is marked, which a trainee may not.
    response = app_client.put(
        f"/api/v1/training/sessions/{session.id}/attendance",
        json={"present": [first.id]},
        headers=bearer(db, master_class.trainee.user),
    )
    assert response.status_code == 403
    marked_now = db.scalars(
        select(Attendance.enrolment_id).where(Attendance.session_id == session.id)
    )
    assert marked_now.all() == [second.id]
