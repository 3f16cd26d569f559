"""Reports in the demo: the targets of the 2025 Days, the figures the news files announced.

"More than 150 delegates" in six cities, 17 high-tech interventions, consultations of more than
100 patients at the traumatology institute in one day, 45 doctors trained at master classes, the
memorandum signed: each is a target of the program, which its dashboard shows against what the
other modules' demo recorded. Set through the service as the admin; a second run changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor, Grant
from hamkor.core.demo import DemoSummary
from hamkor.core.models import Role
from hamkor.programs.models import Program
from hamkor.reports import service
from hamkor.reports.models import Target
from hamkor.reports.schemas import TargetSet

PROGRAM_2025 = "KZ-UZ-2025"
SYSTEM = Actor(user_id=0, username="system", grants=(Grant(Role.PLATFORM_ADMIN),))
TARGETS = {
    "delegates": 150,
    "cities": 6,
    "interventions_performed": 17,
    "patients_consulted": 100,
    "trainees_completed": 45,
    "agreements_signed": 1,
}


def load_targets(db: Session, summary: DemoSummary) -> None:
    """The 2025 program's targets, those it does not have yet."""
    program = db.scalar(select(Program).where(Program.code == PROGRAM_2025))
    if program is None:
        return
    have = set(db.scalars(select(Target.indicator_key).where(Target.program_id == program.id)))
    for key, value in TARGETS.items():
        if key not in have:
            data = TargetSet(indicator_key=key, value=value)
            service.set_target(db=db, actor=SYSTEM, program=program, data=data)
            summary.count("report_targets")
