"""The directory's searchable pickers: people and rooms found by a few letters in any script.

Every form of every module that picks a person or a room finds them here, through the folded
``search`` column (Latin finds Cyrillic and back, :func:`hamkor.directory.filters.matching`)
and the directory's access rule, so a picker can only ever offer what its reader may see.
The same finder answers the htmx suggestions as the reader types and reads a typed name on
submit (:mod:`hamkor.core.pickers`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.i18n import Translator
from hamkor.core.pages import Picks
from hamkor.core.pickers import Candidate, Finder, number_in
from hamkor.directory.filters import matching
from hamkor.directory.models import Person, Room


class Pickable(StrEnum):
    """What a picker picks; its value is the address of its suggestions."""

    PEOPLE = "people"
    ROOMS = "rooms"


_MODELS: dict[Pickable, type[Person] | type[Room]] = {Pickable.PEOPLE: Person, Pickable.ROOMS: Room}


def _label(translator: Translator, row: Any) -> str:
    """A person by name; a room by its institution's name, its own and its capacity."""
    if isinstance(row, Room):
        institution = translator.name(row.institution.names)
        return f"{institution} · {translator.name(row.names)} ({row.capacity})"
    return translator.name(row.names)


def finder(db: Session, actor: Actor, translator: Translator, kind: Pickable) -> Finder:
    """The records of ``kind`` the actor may see whose names hold every word typed."""
    model = _MODELS[kind]

    def find(text: str, limit: int) -> list[Candidate]:
        condition = matching(model.search, text)
        if condition is None:
            return []
        stmt = access.restrict(select(model).where(condition), actor).order_by(model.id)
        rows = db.scalars(stmt.limit(limit))
        return [Candidate(row.id, _label(translator, row)) for row in rows]

    return find


def chosen(
    db: Session, actor: Actor, translator: Translator, kind: Pickable, text: str
) -> Candidate | None:
    """The one record ``text`` names (its number, or a name only it matches), if it names one."""
    number = number_in(text)
    if number is None:
        found = finder(db, actor, translator, kind)(text, 2)
        return found[0] if len(found) == 1 else None
    model = _MODELS[kind]
    row = db.scalar(access.restrict(select(model).where(model.id == number), actor))
    return None if row is None else Candidate(row.id, _label(translator, row))


def picks(
    db: Session,
    actor: Actor,
    translator: Translator,
    *,
    people: tuple[str, ...] = (),
    rooms: tuple[str, ...] = (),
    multiple: tuple[str, ...] = (),
) -> Picks:
    """A form's pickers: which fields pick people, which rooms, which take several."""
    person = finder(db, actor, translator, Pickable.PEOPLE)
    room = finder(db, actor, translator, Pickable.ROOMS)
    finders = {**{name: person for name in people}, **{name: room for name in rooms}}
    return Picks(finders=finders, multiple=frozenset(multiple))
