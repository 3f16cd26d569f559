"""Conflicts of a program's plan: shown to coordinators, never hidden and never refused.

A plan is edited by many hands and changes by the hour (a flight late, a surgeon ill), so a
conflicting activity is saved and flagged rather than refused: the coordinator sees it and
fixes it. What counts as a conflict is defined once, in :mod:`.conflict_rules` (the planner's
checker uses the same rules); this module reads the program's activities into it and names
what it finds in the reader's language. Cancelled activities take no time and no room.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field

from hamkor.core.i18n import N_, Message, Translator, localized
from hamkor.core.templating import Formatter
from hamkor.directory.models import City, Person, Room
from hamkor.programs.conflict_rules import Booking, Clash, ConflictKind, Over
from hamkor.programs.conflict_rules import find as find_clashes
from hamkor.programs.models import Activity, ActivityStatus, Delegation

#: Minutes of travel from one city to another.
TravelMinutes = Callable[[City, City], int]


@dataclass(frozen=True)
class Conflict:
    """Two activities that cannot both happen as planned, and who or what they clash over.

    ``first`` starts no later than ``second``. For a move, ``needed_minutes`` is the travel
    time between their cities and ``available_minutes`` the time between the end of the first
    and the start of the second (negative when they overlap).
    """

    kind: ConflictKind
    first: Activity
    second: Activity
    person: Person | None = None
    room: Room | None = None
    delegation: Delegation | None = None
    needed_minutes: int | None = None
    available_minutes: int | None = None

    @property
    def activity_ids(self) -> tuple[int, int]:
        return self.first.id, self.second.id

    @property
    def subject(self) -> Person | Room | Delegation:
        """The specialist, room or brigade the two activities clash over."""
        subject = self.person or self.room or self.delegation
        assert subject is not None, "a conflict is always over a person, a room or a brigade"
        return subject

    @property
    def from_city(self) -> City | None:
        return self.first.city if self.kind is ConflictKind.TOO_FAST_MOVE else None

    @property
    def to_city(self) -> City | None:
        return self.second.city if self.kind is ConflictKind.TOO_FAST_MOVE else None


def booking(activity: Activity) -> Booking:
    """``activity`` as the conflict rules see it, keyed by its id."""
    return Booking(
        key=activity.id,
        starts_at=activity.starts_at,
        ends_at=activity.ends_at,
        city=activity.city_id,
        room=activity.room_id,
        leads=tuple(person.id for person in activity.leads),
        brigade=activity.delegation_id,
    )


def live(activities: Iterable[Activity]) -> list[Activity]:
    """The activities that take time and rooms (not cancelled), by start, then id."""
    return sorted(
        (a for a in activities if a.status != ActivityStatus.CANCELLED),
        key=lambda a: (a.starts_at, a.id),
    )


def find(activities: Iterable[Activity], travel: TravelMinutes) -> list[Conflict]:
    """Every conflict among ``activities`` (of one program), earliest first."""
    rows: dict[Hashable, Activity] = {activity.id: activity for activity in live(activities)}
    cities: dict[Hashable, City] = {activity.city_id: activity.city for activity in rows.values()}
    clashes = find_clashes(
        [booking(activity) for activity in rows.values()],
        lambda a, b: travel(cities[a], cities[b]),
    )
    return [_conflict(clash, rows) for clash in clashes]


def _conflict(clash: Clash, rows: Mapping[Hashable, Activity]) -> Conflict:
    first, second = rows[clash.first.key], rows[clash.second.key]
    over = clash.over
    return Conflict(
        clash.kind,
        first,
        second,
        person=next(p for p in first.leads if p.id == clash.subject) if over is Over.LEAD else None,
        room=first.room if over is Over.ROOM else None,
        delegation=first.delegation if over is Over.BRIGADE else None,
        needed_minutes=clash.needed_minutes,
        available_minutes=clash.available_minutes,
    )


def by_activity(conflicts: Iterable[Conflict]) -> dict[int, list[Conflict]]:
    """The conflicts each activity takes part in, to flag its row."""
    index: dict[int, list[Conflict]] = defaultdict(list)
    for conflict in conflicts:
        for activity_id in conflict.activity_ids:
            index[activity_id].append(conflict)
    return dict(index)


_SENTENCES = {
    ConflictKind.LEAD_OVERLAP: N_(
        "%(subject)s leads two activities at the same time: %(first)s and %(second)s."
    ),
    ConflictKind.ROOM_OVERLAP: N_(
        "%(subject)s is booked twice at the same time: %(first)s and %(second)s."
    ),
    ConflictKind.TOO_FAST_MOVE: N_(
        "%(subject)s cannot get from %(origin)s to %(destination)s in time between %(first)s "
        "and %(second)s: %(available)s left, %(needed)s needed."
    ),
}


#: Names in every language they are given in (``{"ru": ..., "en": ...}``).
Names = Mapping[str, str]


@dataclass(frozen=True)
class Sentence:
    """The words that name a conflict, in every language its names have, so that it can be
    said to any reader, now or later (a refusal is rendered in the language of its reader)."""

    kind: ConflictKind
    subject: Names
    first: Names
    second: Names
    origin: Names
    destination: Names
    available: int = 0
    needed: int | None = None

    def render(self, language: str) -> str:
        name = _name_in(language)
        translator = Translator(language)
        duration = Formatter(translator).duration
        return translator.gettext(
            _SENTENCES[self.kind],
            subject=name(self.subject),
            first=name(self.first),
            second=name(self.second),
            origin=name(self.origin),
            destination=name(self.destination),
            available=duration(self.available),
            needed=duration(self.needed or 0),
        )


def _name_in(language: str) -> Callable[[Names], str]:
    return lambda names: localized(dict(names), language)


def sentence(conflict: Conflict) -> Sentence:
    return Sentence(
        kind=conflict.kind,
        subject=conflict.subject.names,
        first=conflict.first.titles,
        second=conflict.second.titles,
        origin=conflict.first.city.names,
        destination=conflict.second.city.names,
        available=conflict.available_minutes or 0,
        needed=conflict.needed_minutes,
    )


def describe(conflict: Conflict, translator: Translator) -> str:
    """The conflict in a sentence of the reader's language."""
    return sentence(conflict).render(translator.language)


@dataclass(frozen=True)
class ConflictsMessage(Message):
    """A refusal that names conflicts: ``text`` takes them as ``%(conflicts)s``, each said in
    the language the refusal is shown in."""

    sentences: tuple[Sentence, ...] = field(default=())

    def render(self, language: str) -> str:
        said = " ".join(item.render(language) for item in self.sentences)
        return Translator(language).gettext(self.text, conflicts=said, **self.params)
