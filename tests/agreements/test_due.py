"""The daily check at given days: statuses from the dates, items due soon and late, owners told
once per change however often it runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.agreements import service
from hamkor.agreements.due import DUE_JOB, due_job, mark_due
from hamkor.agreements.models import Agreement, AgreementStatus, DueAlert, ItemStatus, RoadmapItem
from hamkor.agreements.schemas import ItemCreate
from hamkor.core import jobs
from hamkor.core.access import Actor
from hamkor.core.models import User
from hamkor.core.notifications import Notification
from tests.fixtures.agreements import SIGNED_ON, VALID_UNTIL, AgreementPeople


def _notified(db: Session, user: User) -> int:
    count = select(func.count()).where(Notification.user_id == user.id)
    return db.scalar(count) or 0


def _item(db: Session, admin: User, agreement: Agreement, due_on: date) -> RoadmapItem:
    data = ItemCreate.model_validate(
        {
            "titles": {"en": "Exchange of specialists", "ru": "Обмен специалистами"},
            "owner_institution_id": agreement.parties[0].institution_id,
            "due_on": due_on,
        }
    )
    return service.add_item(db=db, actor=Actor.of(admin), agreement=agreement, data=data)


def test_items_become_due_soon_then_overdue_and_owners_are_told_once_each(
    db: Session, admin: User, memorandum: Agreement, agreement_people: AgreementPeople
) -> None:
    owner = agreement_people.vakhidov_coordinator
    item = _item(db, admin, memorandum, date(2026, 3, 1))
    far = _item(db, admin, memorandum, date(2027, 3, 1))

    mark_due(db, date(2026, 1, 15))
    assert (item.alert, far.alert, _notified(db, owner)) == (None, None, 0)

    first = mark_due(db, date(2026, 2, 10))
    again = mark_due(db, date(2026, 2, 10))
    assert (item.alert, far.alert) == (DueAlert.DUE_SOON, None)
    assert (first.notified, again.notified, _notified(db, owner)) == (1, 0, 1)

    mark_due(db, date(2026, 3, 2))
    mark_due(db, date(2026, 3, 3))
    assert item.alert == DueAlert.OVERDUE
    assert _notified(db, owner) == 2
    # The outsider owns nothing and hears nothing.
    assert _notified(db, agreement_people.outsider_coordinator) == 0


def test_a_done_item_is_neither_due_nor_late(
    db: Session, admin: User, memorandum: Agreement, agreement_people: AgreementPeople
) -> None:
    item = _item(db, admin, memorandum, date(2026, 3, 1))
    item.status = ItemStatus.DONE
    mark_due(db, date(2026, 4, 1))
    assert item.alert is None
    assert _notified(db, agreement_people.vakhidov_coordinator) == 0


def test_signed_agreements_go_in_force_and_expire_by_their_dates(
    db: Session, memorandum: Agreement
) -> None:
    seen = []
    for day in (
        SIGNED_ON - timedelta(days=1),
        SIGNED_ON,
        SIGNED_ON,
        VALID_UNTIL + timedelta(days=1),
    ):
        mark_due(db, day)
        seen.append(memorandum.status)
    assert seen == [
        AgreementStatus.SIGNED,
        AgreementStatus.IN_FORCE,
        AgreementStatus.IN_FORCE,
        AgreementStatus.EXPIRED,
    ]
    steps = [change.to_status for change in service.history(db, memorandum)]
    assert steps == [AgreementStatus.DRAFT, AgreementStatus.IN_FORCE, AgreementStatus.EXPIRED]


def test_the_daily_job_checks_as_of_its_period_and_twice_tells_once(
    db: Session,
    session_factory: sessionmaker[Session],
    admin: User,
    memorandum: Agreement,
    agreement_people: AgreementPeople,
) -> None:
    owner = agreement_people.vakhidov_coordinator
    item = _item(db, admin, memorandum, date(2026, 3, 1))
    db.commit()
    period = datetime(2026, 2, 10, tzinfo=UTC)  # 19 days before the item is due
    progress = jobs.Progress(session_factory, 0, attempt=1)
    context = jobs.JobContext(
        0, {"period_start": period.isoformat()}, None, session_factory, progress
    )

    first = due_job(context)
    again = due_job(context)

    db.refresh(item)
    assert item.alert == DueAlert.DUE_SOON
    assert (first["notified"], again["notified"], _notified(db, owner)) == (1, 0, 1)
    queued = jobs.enqueue(db=db, kind=DUE_JOB, payload={}, created_by=None)
    assert queued.max_attempts > 1  # registered as repeatable: a crash runs it again
