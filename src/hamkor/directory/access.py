"""Who may see and change the directory: everybody reads it, coordinators keep their own part."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false
from sqlalchemy.orm import InstrumentedAttribute

from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.models import Role
from hamkor.directory.models import City, Country, Institution, Person, Room, Specialty, TravelTime


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
    access.register(Institution, view=access.everyone, change=_coordinated(Institution.id))
    access.register(Room, view=access.everyone, change=_coordinated(Room.institution_id))
    access.register(Person, view=access.everyone, change=_coordinated(Person.institution_id))
