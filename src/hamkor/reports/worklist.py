"""A program's state for the people who run it: what is next, what clashes, what is late.

The coordinator's workspace opens on the program's dashboard with this on top (issue 20). It
reads the other modules through their own queries and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.agreements.due import due_lists
from hamkor.agreements.models import RoadmapItem
from hamkor.care import service as care
from hamkor.core.access import Actor, restrict
from hamkor.planning import service as planning
from hamkor.planning.models import PlanningRequest
from hamkor.programs import service as programs
from hamkor.programs.conflicts import Conflict
from hamkor.programs.models import Activity, ActivityStatus, Program

#: How many of the coming activities the state lists.
NEXT_COUNT = 5


@dataclass(frozen=True)
class ProgramState:
    """What a coordinator looks at first: the coming activities, the conflicts of the plan, the
    roadmap items past due, the follow-ups past due and the requests no plan has placed yet."""

    program: Program
    today: date
    coming: list[Activity]
    conflicts: list[Conflict]
    late_items: list[RoadmapItem]
    overdue_follow_ups: int
    unplaced: list[PlanningRequest]

    @property
    def ended(self) -> bool:
        return self.program.ends_on < self.today


def program_state(
    *, db: Session, actor: Actor, program: Program, now: datetime, today: date
) -> ProgramState:
    """The state of a program ``actor`` may see, as of ``now`` (``today`` in the program's
    country, for what is late)."""
    coming = db.scalars(
        restrict(select(Activity), actor)
        .where(
            Activity.program_id == program.id,
            Activity.status != ActivityStatus.CANCELLED,
            Activity.starts_at >= now,
        )
        .order_by(Activity.starts_at, Activity.id)
        .limit(NEXT_COUNT)
    )
    requests = planning.list_requests(db=db, actor=actor, program=program)
    return ProgramState(
        program=program,
        today=today,
        coming=list(coming),
        conflicts=programs.program_conflicts(db=db, actor=actor, program=program),
        late_items=due_lists(db=db, actor=actor, today=today, program_id=program.id).late,
        overdue_follow_ups=care.overdue_follow_ups(
            db=db, actor=actor, today=today, program_id=program.id
        ),
        unplaced=[request for request in requests if request.activity_id is None],
    )
