"""Who reads which figures, and who sets a program's targets and publishes its figures.

The figures carry each source model's own access conditions (see ``sources.py``). On top of
that, a reader who is neither an admin, a coordinator of all programs, an auditor, nor a member
of the programs read (a registrar at a host institution) reads the figures of their own
institutions only. Targets and publications are seen with their program and kept by its
coordinators.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, select

from hamkor.care.access import CARE_ROLES
from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.models import Role
from hamkor.programs.access import program_changeable, program_visible
from hamkor.programs.models import Program
from hamkor.reports.models import Publication, Target


def own_institutions(actor: Actor, program_ids: Collection[int] | None) -> frozenset[int] | None:
    """The institutions ``actor`` reads the figures of, or ``None`` for all of them."""
    if actor.is_admin or actor.has_global(Role.PROGRAM_COORDINATOR, Role.AUDITOR):
        return None
    members_of = actor.programs()
    if program_ids is not None and program_ids and set(program_ids) <= members_of:
        return None
    return frozenset(actor.institutions())


def reads_patients(actor: Actor) -> bool:
    """Whether ``actor``'s role reaches any patient record. An auditor's does not (issue 4):
    counts of patients are withheld from them rather than shown as a misleading 0."""
    return actor.is_admin or actor.has_role(*CARE_ROLES)


def _of_programs(
    model: type[Target] | type[Publication],
) -> tuple[access.Condition, access.Condition]:
    def view(actor: Actor) -> ColumnElement[bool]:
        return model.program_id.in_(select(Program.id).where(program_visible(actor)))

    def change(actor: Actor) -> ColumnElement[bool]:
        return model.program_id.in_(select(Program.id).where(program_changeable(actor)))

    return view, change


def register() -> None:
    for model in (Target, Publication):
        view, change = _of_programs(model)
        access.register(model, view=view, change=change)
