"""Shared readings of an instance's rules, for the solvers (greedy and CP-SAT).

Times are minutes since midnight; a :data:`Window` is a half-open-free ``(start, end)`` pair
within which an activity must start and end. The semantics are those of ``docs/planning.md``.
The checker (:mod:`hamkor.planning.solver.check`) deliberately does NOT use this module: it is
written apart so that it can catch a mistake here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from hamkor.planning.solver.model import (
    Activity,
    Hours,
    Instance,
    Program,
    Room,
    Specialist,
    minutes,
)

#: ``(start, end)`` in minutes since midnight.
Window = tuple[int, int]


def program_window(program: Program) -> Window:
    """The program's working hours."""
    return minutes(program.day_start), minutes(program.day_end)


def intersect(first: Window | None, second: Window | None) -> Window | None:
    """The overlap of two windows, or None when they do not overlap."""
    if first is None or second is None:
        return None
    start, end = max(first[0], second[0]), min(first[1], second[1])
    return (start, end) if start < end else None


def _hours_on(hours: Iterable[Hours], day: date) -> Window | None:
    for item in hours:
        if item.day == day:
            return minutes(item.start), minutes(item.end)
    return None


def room_window(program: Program, room: Room, day: date) -> Window | None:
    """When an activity may use ``room`` on ``day``: its hours (else the program's) within the
    program's hours; None on a closed day."""
    if day in room.closed:
        return None
    own = _hours_on(room.hours, day) or program_window(program)
    return intersect(own, program_window(program))


def travel_table(instance: Instance) -> dict[tuple[str, str], int]:
    """Travel minutes both ways, and 0 from a city to itself."""
    table: dict[tuple[str, str], int] = {(city.id, city.id): 0 for city in instance.cities}
    for row in instance.travel:
        table[row.a, row.b] = row.minutes
        table[row.b, row.a] = row.minutes
    return table


@dataclass(frozen=True)
class Taken:
    """What the instance's busy times take: the windows of each (room, day) and (specialist,
    day), merged where they overlap, and the cities each specialist is in each day with their
    earliest busy start there."""

    rooms: dict[tuple[str, date], list[Window]]
    leads: dict[tuple[str, date], list[Window]]
    cities: dict[tuple[str, date], dict[str, int]]

    @classmethod
    def of(cls, instance: Instance) -> Taken:
        rooms: dict[tuple[str, date], list[Window]] = defaultdict(list)
        leads: dict[tuple[str, date], list[Window]] = defaultdict(list)
        cities: dict[tuple[str, date], dict[str, int]] = defaultdict(dict)
        for busy in instance.busy:
            window = (minutes(busy.start), minutes(busy.end))
            if busy.room is not None:
                rooms[busy.room, busy.day].append(window)
            for lead in set(busy.leads):
                leads[lead, busy.day].append(window)
                here = cities[lead, busy.day]
                here[busy.city] = min(here.get(busy.city, window[0]), window[0])
        return cls(
            rooms={key: merged(windows) for key, windows in rooms.items()},
            leads={key: merged(windows) for key, windows in leads.items()},
            cities=dict(cities),
        )

    def free(self, key: tuple[str, date], start: int, end: int, *, room: bool) -> bool:
        """Whether the room (or specialist) of ``key`` has no busy time within start–end."""
        taken = (self.rooms if room else self.leads).get(key, [])
        return all(end <= lo or hi <= start for lo, hi in taken)


def merged(windows: Iterable[Window]) -> list[Window]:
    """The union of ``windows`` as disjoint windows, by start."""
    out: list[Window] = []
    for start, end in sorted(windows):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def busy_window(
    instance: Instance,
    taken: Taken,
    travel: dict[tuple[str, str], int],
    specialist_id: str,
    day: date,
    city: str,
) -> Window | None:
    """When the specialist's busy times let them lead in ``city`` on ``day`` by the planner's
    own rules, the whole day when they have none; None when not at all.

    One city a day: not on a day they are busy in another city. The trip between days: from a
    city they are busy in the day before, they start no earlier than the day's start plus the
    trip (and not at all when a busy time of theirs that day already starts before it); to a
    city they are busy in the day after, the trip must fit before that busy time starts.
    """
    days = instance.program.days
    day_start, _ = program_window(instance.program)
    here = taken.cities.get((specialist_id, day), {})
    if set(here) - {city}:
        return None
    index = days.index(day)
    earliest = 0
    if index > 0:
        for before in set(taken.cities.get((specialist_id, days[index - 1]), {})) - {city}:
            need = day_start + travel[before, city]
            if here.get(city, need) < need:
                return None
            earliest = max(earliest, need)
    if index + 1 < len(days):
        after = taken.cities.get((specialist_id, days[index + 1]), {})
        if any(first < day_start + travel[city, k] for k, first in after.items() if k != city):
            return None
    return earliest, 24 * 60


def specialist_window(
    instance: Instance,
    specialist: Specialist,
    day: date,
    city: str,
    travel: dict[tuple[str, str], int] | None = None,
    taken: Taken | None = None,
) -> Window | None:
    """When ``specialist`` may lead an activity in ``city`` on ``day``.

    Their hours that day (else the program's) within the program's hours; None on an
    unavailable day, before the arrival day or after the departure day. On the arrival day
    activities start no earlier than arrival time + travel from the arrival city; on the
    departure day they end no later than departure time − travel to the departure city.
    The specialist's busy times narrow it (:func:`busy_window`). Travel between the cities of
    consecutive days the plan itself gives them is not included (it depends on the plan).
    """
    if day in specialist.unavailable:
        return None
    table = travel if travel is not None else travel_table(instance)
    program = program_window(instance.program)
    busy = busy_window(instance, taken or Taken.of(instance), table, specialist.id, day, city)
    window = intersect(intersect(_hours_on(specialist.hours, day) or program, program), busy)
    if window is None:
        return None
    start, end = window
    arrival, departure = specialist.arrival, specialist.departure
    if arrival is not None:
        if day < arrival.day:
            return None
        if day == arrival.day:
            start = max(start, minutes(arrival.time) + table[arrival.city, city])
    if departure is not None:
        if day > departure.day:
            return None
        if day == departure.day:
            end = min(end, minutes(departure.time) - table[city, departure.city])
    return (start, end) if start < end else None


def activity_days(program: Program, activity: Activity) -> list[date]:
    """The days an activity may take place on: its fixed day, else every program day."""
    if activity.fixed_day is not None:
        return [activity.fixed_day] if activity.fixed_day in program.days else []
    return list(program.days)


def slot_starts(program: Program, activity: Activity, window: Window | None = None) -> list[int]:
    """The grid starts (every ``slot_minutes`` from ``day_start``) at which ``activity`` fits
    entirely inside ``window`` (default: the program's hours); only its fixed start if any."""
    day_start, _ = program_window(program)
    lo, hi = window if window is not None else program_window(program)
    if activity.fixed_start is not None:
        candidates: Iterable[int] = [minutes(activity.fixed_start)]
    else:
        candidates = range(day_start, hi, program.slot_minutes)
    return [
        start
        for start in candidates
        if start >= lo
        and start + activity.duration_minutes <= hi
        and (start - day_start) % program.slot_minutes == 0
    ]


def room_fits(activity: Activity, room: Room) -> bool:
    """Right kind, big enough for the trainee seats, in an allowed city."""
    return (
        room.kind == activity.room_kind
        and room.capacity >= activity.trainee_seats
        and (not activity.cities or room.city in activity.cities)
    )


def eligible_rooms(instance: Instance, activity: Activity) -> list[Room]:
    """The rooms ``activity`` may use (see :func:`room_fits`)."""
    return [room for room in instance.rooms if room_fits(activity, room)]


def eligible_leads(instance: Instance, activity: Activity) -> list[Specialist]:
    """Who may lead ``activity``: its named leads that have its specialty, when it names any
    (then all of them must lead), else every specialist having its specialty (then
    ``activity.leads`` of them lead)."""
    if activity.named_leads:
        named = set(activity.named_leads)
        return [
            s for s in instance.specialists if s.id in named and activity.specialty in s.specialties
        ]
    return [s for s in instance.specialists if activity.specialty in s.specialties]


def leads_needed(activity: Activity) -> int:
    """How many specialists lead ``activity``."""
    return len(set(activity.named_leads)) if activity.named_leads else activity.leads


def is_consultation(activity: Activity) -> bool:
    """A consultation session (patients are booked into it; trainees are not)."""
    return activity.consultation_minutes is not None
