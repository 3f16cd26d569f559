"""The hourly check of teleconsultation deadlines: a reminder before, an escalation after.

``check_deadlines`` takes the instant as an argument (a scheduled job passes its period's
start, a test any time it likes). Each waiting case is reminded once, ``remind_before`` its
deadline (its assignee, or the centre's coordinators while nobody is assigned), and escalated
once, when the deadline has passed, to the centre's coordinators; ``reminded_at`` and
``escalated_at`` record that, so a second run in the same hour tells no one again. Reopening a
case starts its deadline, and so its reminder and escalation, afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core import jobs
from hamkor.core.i18n import N_
from hamkor.core.models import User
from hamkor.settings import get_settings
from hamkor.telemedicine.models import WAITING_STATUSES, TeleCase
from hamkor.telemedicine.service import Deadlines, coordinators, tell

#: The scheduled hourly check (``modules.py``).
DEADLINE_JOB = "telemedicine.deadlines"
DEADLINE_LABEL = N_("Hourly check of teleconsultation deadlines")

DEADLINE_NEAR = N_(
    "The teleconsultation case %(case)s in %(specialty)s is due for an answer within "
    "%(hours)s hours."
)
ESCALATED = N_(
    "The teleconsultation case %(case)s in %(specialty)s has not been answered by its deadline."
)


@dataclass
class DeadlineReport:
    """What one run did: cases reminded and escalated, notifications sent."""

    reminded: int = 0
    escalated: int = 0
    notified: int = 0


def _reminded_users(db: Session, case: TeleCase) -> list[User]:
    """Who answers the case now: its assignee, else whoever assigns it."""
    assignee = db.get(User, case.assignee_id) if case.assignee_id else None
    if assignee is not None and assignee.is_active:
        return [assignee]
    return coordinators(db, case.centre_id)


def check_deadlines(db: Session, now: datetime, deadlines: Deadlines) -> DeadlineReport:
    """Remind and escalate the waiting cases whose time has come. Flushes only."""
    report = DeadlineReport()
    waiting = db.scalars(
        select(TeleCase)
        .where(
            TeleCase.status.in_(WAITING_STATUSES),
            TeleCase.due_at.is_not(None),
            TeleCase.due_at <= now + deadlines.remind_before,
            TeleCase.escalated_at.is_(None),
        )
        .order_by(TeleCase.due_at, TeleCase.id)
        # Two checks at once (two workers) must not both see a case untold and both tell.
        .with_for_update(of=TeleCase)
    )
    hours = int(deadlines.remind_before.total_seconds() // 3600)
    for case in waiting:
        assert case.due_at is not None
        if case.due_at <= now:
            case.escalated_at = now
            report.escalated += 1
            report.notified += tell(db, coordinators(db, case.centre_id), case, ESCALATED)
        elif case.reminded_at is None:
            case.reminded_at = now
            report.reminded += 1
            users = _reminded_users(db, case)
            report.notified += tell(db, users, case, DEADLINE_NEAR, hours=hours)
    db.flush()
    return report


def deadline_job(context: jobs.JobContext) -> dict[str, Any]:
    """The hourly check as of its period's start, in one transaction; run twice (a retry
    after a crash), it tells no one again."""
    deadlines = Deadlines.of(get_settings())
    with context.sessions.begin() as db:
        report = check_deadlines(db, context.as_of(), deadlines)
    return {"reminded": report.reminded, "escalated": report.escalated, "notified": report.notified}
