"""What the enum values of programs are called on pages and in feeds, marked for translation.

One dict per enum: templates and feeds translate the label of a value with ``_()`` when they
show it, so the stored values stay stable while the words change with the reader's language.
"""

from __future__ import annotations

from hamkor.core.i18n import N_
from hamkor.programs.conflict_rules import ConflictKind
from hamkor.programs.models import (
    ActivityKind,
    ActivityStatus,
    ParticipationRole,
    ProgramKind,
    ProgramStatus,
)

PROGRAM_KIND: dict[ProgramKind, str] = {
    ProgramKind.MEDICAL_DAYS: N_("Medical days"),
    ProgramKind.FORUM: N_("Forum"),
    ProgramKind.QUALIFICATION_COURSE: N_("Qualification course"),
    ProgramKind.EXCHANGE: N_("Exchange"),
}

PROGRAM_STATUS: dict[ProgramStatus, str] = {
    ProgramStatus.DRAFT: N_("Draft"),
    ProgramStatus.PLANNED: N_("Planned"),
    ProgramStatus.RUNNING: N_("Running"),
    ProgramStatus.COMPLETED: N_("Completed"),
    ProgramStatus.CANCELLED: N_("Cancelled"),
}

PARTICIPATION_ROLE: dict[ParticipationRole, str] = {
    ParticipationRole.HEAD_OF_DELEGATION: N_("Head of delegation"),
    ParticipationRole.BRIGADE_LEAD: N_("Brigade lead"),
    ParticipationRole.SPECIALIST: N_("Specialist"),
    ParticipationRole.COORDINATOR: N_("Coordinator"),
    ParticipationRole.INTERPRETER: N_("Interpreter"),
    ParticipationRole.TRAINEE: N_("Trainee"),
}

ACTIVITY_KIND: dict[ActivityKind, str] = {
    ActivityKind.MASTER_CLASS: N_("Master class"),
    ActivityKind.DEMONSTRATION_OPERATION: N_("Demonstration operation"),
    ActivityKind.HIGH_TECH_INTERVENTION: N_("High-tech intervention"),
    ActivityKind.CONSULTATION_SESSION: N_("Consultations"),
    ActivityKind.LECTURE: N_("Lecture"),
    ActivityKind.PRACTICAL_TRAINING: N_("Practical training"),
    ActivityKind.FORUM_SESSION: N_("Forum session"),
    ActivityKind.EXHIBITION: N_("Exhibition"),
    ActivityKind.SIGNING_CEREMONY: N_("Signing ceremony"),
    ActivityKind.AWARD_CEREMONY: N_("Award ceremony"),
}

ACTIVITY_STATUS: dict[ActivityStatus, str] = {
    ActivityStatus.REQUESTED: N_("Requested"),
    ActivityStatus.PLANNED: N_("Planned"),
    ActivityStatus.CONFIRMED: N_("Confirmed"),
    ActivityStatus.DONE: N_("Done"),
    ActivityStatus.CANCELLED: N_("Cancelled"),
}

CONFLICT_KIND: dict[ConflictKind, str] = {
    ConflictKind.LEAD_OVERLAP: N_("Specialist double-booked"),
    ConflictKind.ROOM_OVERLAP: N_("Room double-booked"),
    ConflictKind.TOO_FAST_MOVE: N_("Too little time to travel"),
}
