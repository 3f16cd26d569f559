"""What a conflict is: the one definition the program's conflict panel and the planner's checker
both use.

It imports nothing of the database (and nothing of the solver), so the pure planner can judge a
plan by exactly the rules a coordinator's calendar shows. Three kinds are found:

* a specialist leading two activities that overlap in time;
* a room booked for two activities that overlap in time;
* a move between cities faster than the road allows: consecutive activities of the same lead,
  or of the same brigade, in different cities with less time between them than the travel takes.

The planner keeps stricter rules of its own (one city a day for a specialist, the next-day
travel rule); they govern what it places, not what counts as a conflict.

Each person's, room's and brigade's bookings are swept once in order of start, so a program of
hundreds of activities costs O(n log n + conflicts), not a comparison of every pair.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import pairwise

#: Minutes of travel from one city to another, by the cities' keys.
Travel = Callable[[Hashable, Hashable], int]


class ConflictKind(StrEnum):
    LEAD_OVERLAP = "lead_overlap"
    ROOM_OVERLAP = "room_overlap"
    TOO_FAST_MOVE = "too_fast_move"


class Over(StrEnum):
    """What two bookings clash over."""

    LEAD = "lead"
    ROOM = "room"
    BRIGADE = "brigade"


@dataclass(frozen=True)
class Booking:
    """An activity as the rules see it: when and where, the room, the leads and the brigade.

    ``key`` names the activity to whoever asks (a row id, a plan's activity id); ``starts_at``
    and ``ends_at`` are comparable across every booking of one call (all aware, or all local
    times of one zone).
    """

    key: Hashable
    starts_at: datetime
    ends_at: datetime
    city: Hashable
    room: Hashable | None = None
    leads: tuple[Hashable, ...] = ()
    brigade: Hashable | None = None


@dataclass(frozen=True)
class Clash:
    """Two bookings that cannot both happen as planned, and the lead, room or brigade they
    clash over. ``first`` starts no later than ``second``. For a move, ``needed_minutes`` is the
    travel time between their cities and ``available_minutes`` the time between the end of the
    first and the start of the second (negative when they overlap)."""

    kind: ConflictKind
    first: Booking
    second: Booking
    over: Over
    #: The key of the lead, room or brigade.
    subject: Hashable
    needed_minutes: int | None = None
    available_minutes: int | None = None

    @property
    def identity(self) -> tuple[ConflictKind, Over, Hashable, Hashable, Hashable]:
        """The same clash before and after a change, whatever else moved."""
        return self.kind, self.over, self.subject, self.first.key, self.second.key


def minutes_between(end: datetime, start: datetime) -> int:
    return int((start - end).total_seconds() // 60)


def _overlapping(bookings: Sequence[Booking]) -> Iterator[tuple[Booking, Booking]]:
    """Pairs of overlapping bookings among ``bookings`` (sorted by start).

    A heap keeps the bookings still running at each start, ordered by their end; every one left
    in it when the next booking starts overlaps that booking.
    """
    running: list[tuple[datetime, int, Booking]] = []
    for rank, booking in enumerate(bookings):
        while running and running[0][0] <= booking.starts_at:
            heapq.heappop(running)
        for _end, _rank, earlier in running:
            yield earlier, booking
        heapq.heappush(running, (booking.ends_at, rank, booking))


def _too_fast(
    bookings: Sequence[Booking], travel: Travel, over: Over, subject: Hashable
) -> Iterator[Clash]:
    """Moves between consecutive bookings (sorted by start) in different cities, with less time
    between them than the road takes."""
    for before, after in pairwise(bookings):
        if before.city == after.city:
            continue
        needed = travel(before.city, after.city)
        available = minutes_between(before.ends_at, after.starts_at)
        if available < needed:
            yield Clash(
                ConflictKind.TOO_FAST_MOVE,
                before,
                after,
                over,
                subject,
                needed_minutes=needed,
                available_minutes=available,
            )


def find(bookings: Iterable[Booking], travel: Travel) -> list[Clash]:
    """Every clash among ``bookings``, earliest first; bookings that start together keep the
    order they were given in."""
    ordered = sorted(bookings, key=lambda b: b.starts_at)
    rank = {id(booking): n for n, booking in enumerate(ordered)}
    by_lead: dict[Hashable, list[Booking]] = defaultdict(list)
    by_room: dict[Hashable, list[Booking]] = defaultdict(list)
    by_brigade: dict[Hashable, list[Booking]] = defaultdict(list)
    for booking in ordered:
        for lead in dict.fromkeys(booking.leads):
            by_lead[lead].append(booking)
        if booking.room is not None:
            by_room[booking.room].append(booking)
        if booking.brigade is not None:
            by_brigade[booking.brigade].append(booking)

    found: list[Clash] = []
    for lead, led in by_lead.items():
        found += (
            Clash(ConflictKind.LEAD_OVERLAP, a, b, Over.LEAD, lead) for a, b in _overlapping(led)
        )
        found += _too_fast(led, travel, Over.LEAD, lead)
    for room, booked in by_room.items():
        found += (
            Clash(ConflictKind.ROOM_OVERLAP, a, b, Over.ROOM, room) for a, b in _overlapping(booked)
        )
    for brigade, travelled in by_brigade.items():
        found += _too_fast(travelled, travel, Over.BRIGADE, brigade)
    found.sort(key=lambda c: (c.first.starts_at, c.second.starts_at, c.kind, rank[id(c.first)]))
    return found


def added(before: Iterable[Clash], after: Iterable[Clash]) -> list[Clash]:
    """The clashes of ``after`` that ``before`` does not have (by their identity)."""
    known = {clash.identity for clash in before}
    return [clash for clash in after if clash.identity not in known]
