"""Deadlines at given clock times: a reminder before, an escalation after, each once; the list
by deadline; the e-mail in the recipient's language (issue 18)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import jobs
from hamkor.core.access import Actor
from hamkor.core.models import User
from hamkor.core.notifications import Notification
from hamkor.core.users import set_email
from hamkor.telemedicine import service
from hamkor.telemedicine.deadlines import (
    DEADLINE_JOB,
    DEADLINE_NEAR,
    ESCALATED,
    check_deadlines,
    deadline_job,
)
from hamkor.telemedicine.models import CaseStatus, TeleCase
from tests.fixtures.mail import Inbox
from tests.fixtures.telemedicine import DEADLINES, NOW, CaseFactory, TeleWorld, take


def _told(db: Session, user: User) -> list[str]:
    found = select(Notification.message).where(
        Notification.user_id == user.id, Notification.message.in_((DEADLINE_NEAR, ESCALATED))
    )
    return list(db.scalars(found.order_by(Notification.id)))


def test_the_assignee_is_reminded_before_and_the_coordinator_told_after_once_each(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.ACCEPTED, urgency="urgent")  # due NOW + 24 h
    at_19 = check_deadlines(db, NOW + timedelta(hours=19), DEADLINES)
    assert (at_19.reminded, at_19.escalated) == (0, 0)
    assert _told(db, tele_world.assignee) == []

    at_20 = check_deadlines(db, NOW + timedelta(hours=20), DEADLINES)
    at_21 = check_deadlines(db, NOW + timedelta(hours=21), DEADLINES)
    assert (at_20.reminded, at_21.reminded) == (1, 0)
    assert _told(db, tele_world.assignee) == [DEADLINE_NEAR]
    assert _told(db, tele_world.coordinator) == []

    at_24 = check_deadlines(db, NOW + timedelta(hours=24), DEADLINES)
    at_30 = check_deadlines(db, NOW + timedelta(hours=30), DEADLINES)
    assert (at_24.escalated, at_30.escalated) == (1, 0)
    assert _told(db, tele_world.coordinator) == [ESCALATED]
    assert _told(db, tele_world.assignee) == [DEADLINE_NEAR]
    assert case.escalated_at == NOW + timedelta(hours=24)


def test_while_nobody_is_assigned_the_coordinators_are_reminded(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    create_case(CaseStatus.SUBMITTED)  # routine: due NOW + 72 h
    assert check_deadlines(db, NOW + timedelta(hours=67), DEADLINES).reminded == 0
    assert check_deadlines(db, NOW + timedelta(hours=68), DEADLINES).reminded == 1
    assert _told(db, tele_world.coordinator) == [DEADLINE_NEAR]


def test_an_answer_in_time_stops_the_escalation(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.ACCEPTED, urgency="urgent")
    take(db, tele_world, case, "answer", NOW + timedelta(hours=23))
    report = check_deadlines(db, NOW + timedelta(hours=25), DEADLINES)
    assert (report.reminded, report.escalated) == (0, 0)
    times = service.answer_times(db)
    assert (times.answered, times.in_time, times.median_hours) == (1, 1, 23.0)


def test_reopening_starts_the_deadline_afresh(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.ACCEPTED, urgency="urgent")
    check_deadlines(db, NOW + timedelta(hours=25), DEADLINES)
    take(db, tele_world, case, "answer", NOW + timedelta(hours=26))
    take(db, tele_world, case, "close", NOW + timedelta(hours=27))
    take(db, tele_world, case, "reopen", NOW + timedelta(days=5))
    assert (case.reminded_at, case.escalated_at) == (None, None)
    report = check_deadlines(db, NOW + timedelta(days=6, hours=1), DEADLINES)
    assert report.escalated == 1


def test_the_hourly_job_checks_as_of_its_period_and_twice_tells_once(
    db: Session,
    session_factory: sessionmaker[Session],
    tele_world: TeleWorld,
    create_case: CaseFactory,
) -> None:
    create_case(CaseStatus.ACCEPTED, urgency="urgent")
    period = NOW + timedelta(hours=21)
    context = jobs.JobContext(
        0,
        {"period_start": period.isoformat()},
        None,
        session_factory,
        jobs.Progress(session_factory, 0, attempt=1),
    )
    first, again = deadline_job(context), deadline_job(context)
    assert (first["reminded"], again["reminded"]) == (1, 0)
    assert _told(db, tele_world.assignee) == [DEADLINE_NEAR]
    schedule = {s.kind: s.every for s in jobs.schedules()}
    assert schedule[DEADLINE_JOB] == timedelta(hours=1)
    queued = jobs.enqueue(db=db, kind=DEADLINE_JOB, payload={}, created_by=None)
    assert queued.max_attempts > 1


def test_the_reminder_is_emailed_in_the_recipients_language(
    db: Session,
    session_factory: sessionmaker[Session],
    mail_server: Inbox,
    tele_world: TeleWorld,
    create_case: CaseFactory,
) -> None:
    case = create_case(CaseStatus.ACCEPTED, urgency="urgent")
    assignee = tele_world.assignee
    assignee.language = "kk"
    set_email(db, user=assignee, email="surgeon@syzganov.example")
    db.commit()
    check_deadlines(db, NOW + timedelta(hours=21), DEADLINES)
    db.commit()
    while jobs.run_next(session_factory, "test:1") is not None:
        pass
    (message,) = mail_server.messages
    assert mail_server.recipients == [["surgeon@syzganov.example"]]
    assert message["Content-Language"] == "kk"
    assert f"TC-{case.id}" in message["Subject"]
    body = message.get_content()
    assert "4 сағат" in body
    assert f"https://hamkor.example/telemedicine/{case.id}" in body


def test_the_list_puts_the_soonest_deadline_first(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    routine = create_case(CaseStatus.SUBMITTED)  # due NOW + 72 h
    urgent = create_case(CaseStatus.ACCEPTED, urgency="urgent")  # due NOW + 24 h
    draft = create_case(CaseStatus.DRAFT)
    closed = create_case(CaseStatus.CLOSED)
    later = create_case(CaseStatus.DRAFT, urgency="urgent")
    take(db, tele_world, later, "submit", NOW + timedelta(hours=1))  # due NOW + 25 h
    page = service.list_cases(db=db, actor=Actor.of(tele_world.asker), page=1, size=10)
    assert [c.id for c in page.items] == [urgent.id, later.id, routine.id, closed.id, draft.id]
    assert db.get(TeleCase, urgent.id) is urgent
