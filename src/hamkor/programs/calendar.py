"""A program's time as people read it: calendars grouped four ways, brigades' itineraries, and
iCalendar feeds for the calendar apps on specialists' phones.

Everything here works on activities already loaded (sorted by start) and shows each in the
time zone of its own city: Tashkent and Astana at UTC+5, Moscow at UTC+3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from hamkor.core.i18n import N_, Translator
from hamkor.core.templating import Formatter
from hamkor.directory.models import City
from hamkor.programs.conflict_rules import minutes_between
from hamkor.programs.conflicts import TravelMinutes
from hamkor.programs.labels import ACTIVITY_KIND
from hamkor.programs.models import Activity, ActivityStatus, Delegation


class CalendarBy(StrEnum):
    """The ways a coordinator reads a program's calendar."""

    DAY = "day"
    CITY = "city"
    ROOM = "room"
    SPECIALIST = "specialist"


def local_day(activity: Activity) -> date:
    """The day the activity starts on the clocks of its city (which need not be its UTC day)."""
    return activity.starts_at.astimezone(ZoneInfo(activity.city.timezone)).date()


@dataclass(frozen=True)
class Group:
    """One table of the calendar: a day, a city, a room or a specialist, with its activities."""

    key: str
    title: str
    activities: list[Activity]


# Where an activity goes in a view: (sort key, anchor, title) for each group it belongs to.
_Place = tuple[tuple[Any, ...], str, str]


def _by_day(activity: Activity, translator: Translator) -> list[_Place]:
    day = local_day(activity)
    return [((day,), day.isoformat(), Formatter(translator).date(day, "full"))]


def _by_city(activity: Activity, translator: Translator) -> list[_Place]:
    title = translator.name(activity.city.names)
    return [((title,), f"city-{activity.city_id}", title)]


def _by_room(activity: Activity, translator: Translator) -> list[_Place]:
    room = activity.room
    if room is None:
        return [((1, ""), "no-room", translator.gettext(N_("Without a room")))]
    title = f"{translator.name(room.institution.names)} · {translator.name(room.names)}"
    return [((0, title), f"room-{room.id}", title)]


def _by_specialist(activity: Activity, translator: Translator) -> list[_Place]:
    if not activity.leads:
        return [((1, ""), "no-lead", translator.gettext(N_("Without a lead")))]
    return [
        ((0, translator.name(p.names)), f"person-{p.id}", translator.name(p.names))
        for p in activity.leads
    ]


_PLACES: dict[CalendarBy, Callable[[Activity, Translator], list[_Place]]] = {
    CalendarBy.DAY: _by_day,
    CalendarBy.CITY: _by_city,
    CalendarBy.ROOM: _by_room,
    CalendarBy.SPECIALIST: _by_specialist,
}


def group(activities: Iterable[Activity], by: CalendarBy, translator: Translator) -> list[Group]:
    """The activities (sorted by start) in groups of the view ``by``, each sorted by start.

    Days come in order, cities, rooms and specialists by name in the reader's language; an
    activity with several leads appears under each; those without a room or lead come last.
    """
    buckets: dict[str, tuple[tuple[Any, ...], str, list[Activity]]] = {}
    for activity in activities:
        for sort_key, key, title in _PLACES[by](activity, translator):
            buckets.setdefault(key, (sort_key, title, []))[2].append(activity)
    ordered = sorted(buckets.items(), key=lambda item: item[1][0])
    return [Group(key, title, members) for key, (_sort, title, members) in ordered]


@dataclass(frozen=True)
class Leg:
    """A brigade's journey from one city to the next, with the time the road takes and the
    time the plan leaves between the last activity here and the first one there."""

    origin: City
    destination: City
    minutes: int
    available_minutes: int

    @property
    def too_short(self) -> bool:
        return self.available_minutes < self.minutes


@dataclass
class Stop:
    """A brigade's stay in one city on one day, and how it got there."""

    city: City
    activities: list[Activity]
    leg_in: Leg | None = None


@dataclass
class ItineraryDay:
    day: date
    stops: list[Stop] = field(default_factory=list)


@dataclass
class Itinerary:
    """Where a brigade is, day by day, what it does there, and how it travels in between."""

    delegation: Delegation
    days: list[ItineraryDay]

    @property
    def cities(self) -> list[City]:
        """The cities in the order the brigade visits them (a city twice if it comes back)."""
        visited: list[City] = []
        for stop in (stop for day in self.days for stop in day.stops):
            if not visited or visited[-1].id != stop.city.id:
                visited.append(stop.city)
        return visited


def itinerary(
    delegation: Delegation, activities: Sequence[Activity], travel: TravelMinutes
) -> Itinerary:
    """The brigade's itinerary from its activities (sorted by start); cancelled ones are off."""
    days: list[ItineraryDay] = []
    previous: Activity | None = None
    for activity in activities:
        if activity.status == ActivityStatus.CANCELLED:
            continue
        day = local_day(activity)
        if not days or days[-1].day != day:
            days.append(ItineraryDay(day))
        stops = days[-1].stops
        if previous is not None and previous.city_id != activity.city_id:
            leg = Leg(
                previous.city,
                activity.city,
                travel(previous.city, activity.city),
                minutes_between(previous.ends_at, activity.starts_at),
            )
            stops.append(Stop(activity.city, [activity], leg))
        elif stops:
            stops[-1].activities.append(activity)
        else:
            stops.append(Stop(activity.city, [activity]))
        previous = activity
    return Itinerary(delegation, days)


#: How calendar apps should treat an activity of each status.
ICS_STATUS: dict[ActivityStatus, str] = {
    ActivityStatus.REQUESTED: "TENTATIVE",
    ActivityStatus.PLANNED: "TENTATIVE",
    ActivityStatus.CONFIRMED: "CONFIRMED",
    ActivityStatus.DONE: "CONFIRMED",
    ActivityStatus.CANCELLED: "CANCELLED",
}


def uid(activity: Activity) -> str:
    """The activity's identity in calendar apps: stable, so an update replaces the old event."""
    return f"activity-{activity.id}@hamkor"


def _event(activity: Activity, translator: Translator) -> Event:
    name = translator.name
    kind = translator.gettext(ACTIVITY_KIND[activity.kind])
    places = [activity.room, activity.institution, activity.city]
    details = [kind]
    if activity.specialty is not None:
        details.append(name(activity.specialty.names))
    if activity.leads:
        leads = ", ".join(name(p.names) for p in activity.leads)
        details.append(translator.gettext(N_("Leads: %(names)s"), names=leads))
    if activity.delegation is not None:
        brigade = name(activity.delegation.names)
        details.append(translator.gettext(N_("Brigade: %(name)s"), name=brigade))
    event = Event()
    event.add("uid", uid(activity))
    event.add("dtstamp", activity.updated_at)
    event.add("last-modified", activity.updated_at)
    event.add("dtstart", activity.starts_at)
    event.add("dtend", activity.ends_at)
    event.add("summary", name(activity.titles))
    event.add("location", ", ".join(name(place.names) for place in places if place is not None))
    event.add("description", "\n".join(details))
    event.add("categories", [kind])
    event.add("status", ICS_STATUS[activity.status])
    return event


def feed(activities: Iterable[Activity], *, title: str, translator: Translator) -> bytes:
    """An iCalendar feed of the activities, in UTC (no VTIMEZONE for clients to misread) and in
    the reader's language; cancelled activities stay in it as CANCELLED, so clients drop them."""
    calendar = Calendar()
    calendar.add("prodid", "-//Hamkor//Programs//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    for activity in activities:
        calendar.add_component(_event(activity, translator))
    ical: bytes = calendar.to_ical()
    return ical
