"""Conflicts of a program's plan: shown to coordinators, never hidden and never refused.

A plan is edited by many hands and changes by the hour (a flight late, a surgeon ill), so a
conflicting activity is saved and flagged rather than refused: the coordinator sees it and
fixes it. Three kinds are found:

* a specialist leading two activities that overlap in time;
* a room booked for two activities that overlap in time;
* a move between cities faster than the road allows: consecutive activities of the same lead,
  or of the same brigade, in different cities with less time between them than the travel takes.

Cancelled activities take no time and no room. Each person's, room's and brigade's activities
are swept once in order of start, so a program of hundreds of activities costs
O(n log n + conflicts), not a comparison of every pair.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import pairwise

from hamkor.core.i18n import N_, Translator
from hamkor.directory.models import City, Person, Room
from hamkor.programs.models import Activity, ActivityStatus, Delegation

#: Minutes of travel from one city to another.
TravelMinutes = Callable[[City, City], int]


class ConflictKind(StrEnum):
    LEAD_OVERLAP = "lead_overlap"
    ROOM_OVERLAP = "room_overlap"
    TOO_FAST_MOVE = "too_fast_move"


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


def minutes_between(end: datetime, start: datetime) -> int:
    return int((start - end).total_seconds() // 60)


def _overlapping(activities: Sequence[Activity]) -> Iterator[tuple[Activity, Activity]]:
    """Pairs of overlapping activities among ``activities`` (sorted by start).

    A heap keeps the activities still running at each start, ordered by their end; every one
    left in it when the next activity starts overlaps that activity.
    """
    running: list[tuple[datetime, int, Activity]] = []
    for activity in activities:
        while running and running[0][0] <= activity.starts_at:
            heapq.heappop(running)
        for _end, _id, earlier in running:
            yield earlier, activity
        heapq.heappush(running, (activity.ends_at, activity.id, activity))


def _too_fast(
    activities: Sequence[Activity],
    travel: TravelMinutes,
    *,
    person: Person | None = None,
    delegation: Delegation | None = None,
) -> Iterator[Conflict]:
    """Moves of one lead or brigade between consecutive activities (sorted by start) in
    different cities, with less time between them than the road takes."""
    for before, after in pairwise(activities):
        if before.city_id == after.city_id:
            continue
        needed = travel(before.city, after.city)
        available = minutes_between(before.ends_at, after.starts_at)
        if available < needed:
            yield Conflict(
                ConflictKind.TOO_FAST_MOVE,
                before,
                after,
                person=person,
                delegation=delegation,
                needed_minutes=needed,
                available_minutes=available,
            )


def find(activities: Iterable[Activity], travel: TravelMinutes) -> list[Conflict]:
    """Every conflict among ``activities`` (of one program), earliest first."""
    live = sorted(
        (a for a in activities if a.status != ActivityStatus.CANCELLED),
        key=lambda a: (a.starts_at, a.id),
    )
    by_lead: dict[Person, list[Activity]] = defaultdict(list)
    by_room: dict[Room, list[Activity]] = defaultdict(list)
    by_delegation: dict[Delegation, list[Activity]] = defaultdict(list)
    for activity in live:
        for lead in activity.leads:
            by_lead[lead].append(activity)
        if activity.room is not None:
            by_room[activity.room].append(activity)
        if activity.delegation is not None:
            by_delegation[activity.delegation].append(activity)

    found: list[Conflict] = []
    for person, led in by_lead.items():
        found += (
            Conflict(ConflictKind.LEAD_OVERLAP, a, b, person=person) for a, b in _overlapping(led)
        )
        found += _too_fast(led, travel, person=person)
    for room, booked in by_room.items():
        found += (
            Conflict(ConflictKind.ROOM_OVERLAP, a, b, room=room) for a, b in _overlapping(booked)
        )
    for delegation, travelled in by_delegation.items():
        found += _too_fast(travelled, travel, delegation=delegation)
    found.sort(key=lambda c: (c.first.starts_at, c.second.starts_at, c.kind, c.first.id))
    return found


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
        "and %(second)s: %(available)s min left, %(needed)s min needed."
    ),
}


def describe(conflict: Conflict, translator: Translator) -> str:
    """The conflict in a sentence of the reader's language."""
    name = translator.name
    return translator.gettext(
        _SENTENCES[conflict.kind],
        subject=name(conflict.subject.names),
        first=name(conflict.first.titles),
        second=name(conflict.second.titles),
        origin=name(conflict.first.city.names),
        destination=name(conflict.second.city.names),
        available=max(conflict.available_minutes or 0, 0),
        needed=conflict.needed_minutes,
    )
