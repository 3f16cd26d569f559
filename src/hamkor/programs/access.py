"""Who may see and change programs: their coordinators, their institutions, auditors."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.models import Role
from hamkor.programs.models import Activity, Delegation, Participation, Program


def program_visible(actor: Actor) -> ColumnElement[bool]:
    """A program is seen by its members, by the institutions taking part, and by global roles."""
    if actor.has_global(Role.PROGRAM_COORDINATOR, Role.AUDITOR):
        return true()
    institutions = actor.institutions()
    clauses: list[ColumnElement[bool]] = [Program.id.in_(actor.programs())]
    if institutions:
        clauses += [
            Program.id.in_(
                select(Activity.program_id).where(Activity.institution_id.in_(institutions))
            ),
            Program.id.in_(
                select(Delegation.program_id).where(Delegation.institution_id.in_(institutions))
            ),
        ]
    return or_(*clauses)


def program_changeable(actor: Actor) -> ColumnElement[bool]:
    """A program is changed by its coordinators (or a coordinator of all programs)."""
    if actor.has_global(Role.PROGRAM_COORDINATOR):
        return true()
    programs = actor.programs(Role.PROGRAM_COORDINATOR)
    return Program.id.in_(programs) if programs else false()


def _within(
    model: type[Activity] | type[Delegation] | type[Participation],
) -> tuple[access.Condition, access.Condition]:
    """Conditions for rows that belong to a program: as the program itself."""

    def view(actor: Actor) -> ColumnElement[bool]:
        return model.program_id.in_(select(Program.id).where(program_visible(actor)))

    def change(actor: Actor) -> ColumnElement[bool]:
        return model.program_id.in_(select(Program.id).where(program_changeable(actor)))

    return view, change


def register() -> None:
    access.register(Program, view=program_visible, change=program_changeable)
    for model in (Activity, Delegation, Participation):
        view, change = _within(model)
        access.register(model, view=view, change=change)
