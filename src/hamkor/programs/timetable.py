"""A program's day as a timetable: lanes of rooms, specialists or cities, and each activity as
a block placed and sized on a time axis by its start and duration (issue 20).

The page may carry no inline style (the Content-Security-Policy refuses them), so the layout is
computed here as whole grid lines, and the stylesheet (``static/timetable.css``) holds one
class per line: a block is ``t-at-N t-span-M t-track-K``. Times are those of each activity's
own city, as the list shows them (:mod:`.calendar`). Also here: the days a calendar pages
through, and the day it opens on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hamkor.core.errors import UserError, problem
from hamkor.core.i18n import N_, Translator
from hamkor.programs.calendar import CalendarBy, group, local_day
from hamkor.programs.conflicts import Conflict
from hamkor.programs.models import Activity, Program

#: Minutes of one column of the grid: blocks start and end on these steps.
SLOT_MINUTES = 15
SLOTS_PER_HOUR = 60 // SLOT_MINUTES
#: The hours the axis shows on a day without activities.
EMPTY_DAY_HOURS = (8, 18)


class TimetableBy(StrEnum):
    """What the lanes of the timetable are."""

    ROOM = "room"
    SPECIALIST = "specialist"
    CITY = "city"


# --- the days a calendar pages through --------------------------------------------------------


@dataclass(frozen=True)
class DayPage:
    """The day a calendar shows, among the program's days, with the ones before and after."""

    day: date
    days: list[date]

    @property
    def previous(self) -> date | None:
        index = self.days.index(self.day)
        return self.days[index - 1] if index > 0 else None

    @property
    def next(self) -> date | None:
        index = self.days.index(self.day)
        return self.days[index + 1] if index + 1 < len(self.days) else None


def program_days(
    program: Program, first: date | None = None, last: date | None = None
) -> list[date]:
    """The program's days, narrowed to ``first``..``last`` when given."""
    start = max(program.starts_on, first or program.starts_on)
    end = min(program.ends_on, last or program.ends_on)
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def day_page(days: Sequence[date], requested: date | None, today: date) -> DayPage | None:
    """The day asked for, or else today when it is one of ``days``, or else the first of them;
    None when there are no days. A day outside them is refused, naming the field ``day``."""
    if not days:
        if requested is not None:
            raise UserError([problem("day", N_("Choose one of the program's days."))])
        return None
    if requested is not None and requested not in days:
        raise UserError([problem("day", N_("Choose one of the program's days."))])
    shown = requested or (today if today in days else days[0])
    return DayPage(shown, list(days))


def today_of(activities: Iterable[Activity], now: datetime) -> date:
    """Today on the clocks of the program's first city (of its first activity); in UTC when
    it has none. The cities of one program are rarely more than a few hours apart."""
    first = next(iter(activities), None)
    zone = ZoneInfo(first.city.timezone) if first is not None else UTC
    return now.astimezone(zone).date()


# --- the grid ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """An activity on the grid: its first column (a grid line, 1 for the lane's name), the
    columns it spans, the row (track) of its lane, and the conflicts it is part of."""

    activity: Activity
    line: int
    span: int
    track: int
    conflicts: list[Conflict]


@dataclass(frozen=True)
class Lane:
    """A room, a specialist or a city of the day: its blocks on as many tracks as overlapping
    activities need (two at once in one room are both shown, one above the other)."""

    key: str
    title: str
    blocks: list[Block]
    tracks: int


@dataclass(frozen=True)
class Grid:
    """One day of the timetable: the hours of its axis and its lanes."""

    day: date
    first_hour: int
    hours: int
    lanes: list[Lane]

    @property
    def flagged(self) -> int:
        """How many blocks are marked with a conflict."""
        return sum(1 for lane in self.lanes for block in lane.blocks if block.conflicts)

    @property
    def axis(self) -> list[tuple[datetime, int]]:
        """Each hour of the axis (as an instant whose UTC clock reads that hour, for the
        formatter) with the grid line it starts on."""
        midnight = datetime.combine(self.day, time(), UTC)
        return [
            (midnight + timedelta(hours=self.first_hour + n), 2 + n * SLOTS_PER_HOUR)
            for n in range(self.hours)
        ]


def _local_minutes(activity: Activity, instant: datetime, day: date) -> int:
    """Minutes from the day's local midnight to ``instant``, on the activity city's clocks."""
    local = instant.astimezone(ZoneInfo(activity.city.timezone))
    return (local.date() - day).days * 24 * 60 + local.hour * 60 + local.minute


def _span(activity: Activity, day: date) -> tuple[int, int]:
    """The activity's local start and end in minutes of the day, ending at midnight at most."""
    start = _local_minutes(activity, activity.starts_at, day)
    end = min(_local_minutes(activity, activity.ends_at, day), 24 * 60)
    return start, max(end, start + SLOT_MINUTES)


def _hours(spans: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """The first hour of the axis and how many hours it shows: whole hours around the spans."""
    found = list(spans)
    if not found:
        first, last = EMPTY_DAY_HOURS
        return first, last - first
    first = min(start for start, _end in found) // 60
    last = -(-max(end for _start, end in found) // 60)
    return first, last - first


def _slots(span: tuple[int, int], origin: int) -> tuple[int, int]:
    """The quarter hours from the axis' start (``origin``, in minutes) that a span covers: the
    one it starts in up to the one it ends in, a block never drawn shorter than it is."""
    start, end = span
    return (start - origin) // SLOT_MINUTES, -(-(end - origin) // SLOT_MINUTES)


def tracks(spans: Sequence[tuple[int, int]]) -> list[int]:
    """A track (1, 2, ...) for each of the spans (sorted by start) such that spans sharing a
    track do not overlap: each takes the lowest track free at its start."""
    ends: list[int] = []
    chosen: list[int] = []
    for start, end in spans:
        free = next((n for n, until in enumerate(ends) if until <= start), None)
        if free is None:
            ends.append(end)
            free = len(ends) - 1
        else:
            ends[free] = end
        chosen.append(free + 1)
    return chosen


def layout(
    activities: Iterable[Activity],
    *,
    day: date,
    by: TimetableBy,
    flagged: Mapping[int, list[Conflict]],
    translator: Translator,
) -> Grid:
    """The day's grid of the activities (sorted by start) that start on ``day`` in their own
    city, in lanes ``by`` room, specialist or city, each block flagged with its conflicts."""
    of_day = [a for a in activities if local_day(a) == day]
    minutes = {a.id: _span(a, day) for a in of_day}
    first_hour, hours = _hours(minutes.values())
    origin = first_hour * 60
    lanes = []
    for lane in group(of_day, CalendarBy(by.value), translator):
        slots = [
            (
                (minutes[a.id][0] - origin) // SLOT_MINUTES,
                -(-(minutes[a.id][1] - origin) // SLOT_MINUTES),
            )
            for a in lane.activities
        ]
        rows = tracks(slots)
        blocks = [
            Block(a, 2 + start, end - start, row, flagged.get(a.id, []))
            for a, (start, end), row in zip(lane.activities, slots, rows, strict=True)
        ]
        lanes.append(Lane(lane.key, lane.title, blocks, max(rows)))
    return Grid(day, first_hour, hours, lanes)
