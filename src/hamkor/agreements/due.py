"""The daily check of agreements: what is in force, what expired, what is due soon, what is late.

``mark_due`` takes the day as an argument (the clock is the caller's: a scheduled job passes
today, a test any day it likes). It is idempotent: an agreement changes status once, and an
item's owners are notified when its alert changes (none → due soon → overdue), so a second run
on the same day changes nothing and notifies no one again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hamkor.agreements.models import (
    Agreement,
    AgreementStatus,
    DueAlert,
    ItemStatus,
    RoadmapItem,
)
from hamkor.agreements.service import scoped, set_status_by_date
from hamkor.core import jobs, notifications
from hamkor.core.access import Actor, restrict
from hamkor.core.i18n import N_, Message
from hamkor.core.models import Membership, Role, User
from hamkor.directory.models import Institution

#: Items due within this many days are "due soon" (the pages' "due in 30 days").
SOON_DAYS = 30
#: Open items: the ones that can be due or late.
OPEN = (ItemStatus.PLANNED, ItemStatus.IN_PROGRESS)

DUE_SOON = N_("%(item)s of the agreement %(agreement)s is due on %(date)s.")
OVERDUE = N_("%(item)s of the agreement %(agreement)s was due on %(date)s and is late.")
_MESSAGES = {DueAlert.DUE_SOON: DUE_SOON, DueAlert.OVERDUE: OVERDUE}


#: The scheduled daily check (``modules.py``).
DUE_JOB = "agreements.mark_due"
DUE_LABEL = N_("Daily check of agreements and roadmap items due")


@dataclass
class DueReport:
    """What one run changed: statuses set, alerts raised, notifications sent."""

    in_force: int = 0
    expired: int = 0
    alerts: dict[DueAlert, int] = field(default_factory=lambda: dict.fromkeys(DueAlert, 0))
    notified: int = 0


def alert_on(due_on: date, today: date, soon_days: int = SOON_DAYS) -> DueAlert | None:
    """What an open item due on ``due_on`` is on ``today``."""
    if due_on < today:
        return DueAlert.OVERDUE
    if due_on <= today + timedelta(days=soon_days):
        return DueAlert.DUE_SOON
    return None


def _status_by_date(agreement: Agreement, today: date) -> AgreementStatus | None:
    """The status the dates give a signed agreement, when it differs from its own."""
    ended = agreement.valid_until is not None and agreement.valid_until < today
    started = agreement.valid_from is None or agreement.valid_from <= today
    if agreement.status in (AgreementStatus.SIGNED, AgreementStatus.IN_FORCE) and ended:
        return AgreementStatus.EXPIRED
    if agreement.status == AgreementStatus.SIGNED and started and not ended:
        return AgreementStatus.IN_FORCE
    return None


def owners(db: Session, item: RoadmapItem) -> list[User]:
    """Who is told about an item: its owner, else the coordinators of its owner institution."""
    person = item.owner_person
    if person is not None and person.user_id is not None:
        user = db.get(User, person.user_id)
        if user is not None and user.is_active:
            return [user]
    return list(
        db.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.institution_id == item.owner_institution_id,
                Membership.role == Role.INSTITUTION_COORDINATOR,
                User.is_active.is_(True),
            )
            .order_by(User.id)
        ).unique()
    )


def _notify(db: Session, item: RoadmapItem, alert: DueAlert) -> int:
    message = Message(
        _MESSAGES[alert],
        {
            "item": item.titles,
            "agreement": item.agreement.titles,
            "date": item.due_on.isoformat(),
        },
    )
    recipients = owners(db, item)
    for user in recipients:
        notifications.notify(
            db=db, user=user, message=message, link=f"/agreements/{item.agreement_id}"
        )
    return len(recipients)


def mark_due(db: Session, today: date) -> DueReport:
    """Set in force and expired from the dates; mark open items due soon or overdue and notify
    their owners of each new alert. Flushes only: the caller commits."""
    report = DueReport()
    signed = (AgreementStatus.SIGNED, AgreementStatus.IN_FORCE)
    for agreement in db.scalars(select(Agreement).where(Agreement.status.in_(signed))):
        new = _status_by_date(agreement, today)
        if new is not None:
            set_status_by_date(db, agreement, new, today)
            if new == AgreementStatus.IN_FORCE:
                report.in_force += 1
            else:
                report.expired += 1
    live = select(Agreement.id).where(Agreement.status != AgreementStatus.TERMINATED)
    items = db.scalars(
        select(RoadmapItem)
        .where(RoadmapItem.agreement_id.in_(live))
        .order_by(RoadmapItem.id)
        # Two checks at once (two workers) must not both see an item unmarked and both notify.
        .with_for_update(of=RoadmapItem)
    )
    for item in items:
        alert = alert_on(item.due_on, today) if item.status in OPEN else None
        if alert == item.alert:
            continue
        item.alert = alert
        if alert is not None:
            report.alerts[alert] += 1
            report.notified += _notify(db, item, alert)
    db.flush()
    return report


# --- what the pages list --------------------------------------------------------------------


@dataclass(frozen=True)
class DueLists:
    """Open items due within ``SOON_DAYS`` and those late, sorted by owner then date; and the
    agreements whose end or notice date comes within ``SOON_DAYS``."""

    due_soon: list[RoadmapItem]
    late: list[RoadmapItem]
    ending: list[Agreement]


def notice_date(agreement: Agreement) -> date | None:
    """The last day to give notice before the agreement ends (its end, without notice days)."""
    if agreement.valid_until is None:
        return None
    return agreement.valid_until - timedelta(days=agreement.notice_days or 0)


def due_lists(
    *,
    db: Session,
    actor: Actor,
    today: date,
    program_id: int | None = None,
    institution_id: int | None = None,
) -> DueLists:
    """What is due and late, by the dates (not waiting for the daily check), of the agreements
    the actor may read, of one program or with one institution as a party."""
    horizon = today + timedelta(days=SOON_DAYS)
    agreements = scoped(
        restrict(select(Agreement.id), actor).where(Agreement.status != AgreementStatus.TERMINATED),
        program_id,
        institution_id,
    )
    items = list(
        db.scalars(
            select(RoadmapItem)
            .join(RoadmapItem.owner_institution)
            .where(
                RoadmapItem.agreement_id.in_(agreements),
                RoadmapItem.status.in_(OPEN),
                RoadmapItem.due_on <= horizon,
            )
            .options(selectinload(RoadmapItem.agreement))
            .order_by(Institution.code, RoadmapItem.owner_person_id, RoadmapItem.due_on)
        )
    )
    live = (AgreementStatus.SIGNED, AgreementStatus.IN_FORCE)
    candidates = db.scalars(
        scoped(restrict(select(Agreement), actor), program_id, institution_id)
        .where(Agreement.status.in_(live), Agreement.valid_until >= today)
        .order_by(Agreement.valid_until)
    )
    ending = [a for a in candidates if (notice_date(a) or horizon) <= horizon]
    return DueLists(
        due_soon=[item for item in items if item.due_on >= today],
        late=[item for item in items if item.due_on < today],
        ending=ending,
    )


def due_job(context: jobs.JobContext) -> dict[str, Any]:
    """The daily check as of its period's day, in one transaction. Run twice (a retry after a
    crash), it notifies no one again: an item's alert is set, and told, once."""
    with context.sessions.begin() as db:
        report = mark_due(db, context.as_of().date())
    return {
        "in_force": report.in_force,
        "expired": report.expired,
        "alerts": {str(alert): count for alert, count in report.alerts.items()},
        "notified": report.notified,
    }
