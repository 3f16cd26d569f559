"""Who may see and change the directory: everybody reads it, coordinators keep their own part.

Reference data (countries, cities, travel times, specialties) is kept by platform admins.
Institutions, their rooms and their people are kept by the institution's coordinators, and by
the global program coordinators who register host institutions when they set up a program
(DESIGN.md, flow 1).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute

from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.models import Role
from hamkor.directory.models import City, Country, Institution, Person, Room, Specialty, TravelTime


def manages_directory(actor: Actor) -> bool:
    """Whether ``actor`` may add institutions and people of no institution, and change them all."""
    return actor.is_admin or actor.has_global(Role.PROGRAM_COORDINATOR)


def may_add_to_institutions(actor: Actor) -> bool:
    """Whether ``actor`` may add rooms and people to at least one institution."""
    return manages_directory(actor) or bool(actor.institutions(Role.INSTITUTION_COORDINATOR))


def refuse_unless(allowed: bool, entity: str) -> None:
    """Refuse (403, audited) an actor without the right to add a record of ``entity``.

    New records have no row yet for :func:`hamkor.core.access.require` to test.
    """
    if not allowed:
        raise access.AccessDenied(entity, None, access.Action.CHANGE)


def _managers(actor: Actor) -> ColumnElement[bool]:
    return true() if manages_directory(actor) else false()


def _coordinated(
    column: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
) -> access.Condition:
    """Rows of institutions the actor coordinates."""

    def condition(actor: Actor) -> ColumnElement[bool]:
        ids = actor.institutions(Role.INSTITUTION_COORDINATOR)
        return column.in_(ids) if ids else false()

    return condition


def register() -> None:
    for reference in (Country, City, TravelTime, Specialty):
        access.register(reference, view=access.everyone, change=access.admins_only)
    for model, column in (
        (Institution, Institution.id),
        (Room, Room.institution_id),
        (Person, Person.institution_id),
    ):
        access.register(
            model, view=access.everyone, change=access.any_of(_managers, _coordinated(column))
        )
