"""Who may see and change requested activities and plan runs: as their program."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.planning.models import PlanningRequest, PlanRun
from hamkor.programs.access import program_changeable, program_visible
from hamkor.programs.models import Program


def _as_program(model: type[PlanningRequest] | type[PlanRun]) -> None:
    def view(actor: Actor) -> ColumnElement[bool]:
        return model.program_id.in_(select(Program.id).where(program_visible(actor)))

    def change(actor: Actor) -> ColumnElement[bool]:
        return model.program_id.in_(select(Program.id).where(program_changeable(actor)))

    access.register(model, view=view, change=change)


def register() -> None:
    """Requests and runs are seen by whoever sees the program, changed by its coordinators."""
    _as_program(PlanningRequest)
    _as_program(PlanRun)
