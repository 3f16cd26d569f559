"""The program's lists as files: its calendar, participants and brigades' itineraries.

Each row is what one line of the page shows; the files say in columns what the page says in
one cell (a place is a room, an institution and a city), so that a spreadsheet can sort and
filter by each.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sized
from dataclasses import dataclass
from datetime import date

from hamkor.core.exports import Column, Kind, Listing, label_of, local, name_of, plain
from hamkor.core.i18n import N_, Translator
from hamkor.programs import labels
from hamkor.programs.calendar import Group, Itinerary, Leg, local_day
from hamkor.programs.models import Activity, Participation


@dataclass(frozen=True)
class CalendarRow:
    """An activity in one group of the calendar (by specialist, an activity shows once under
    each of its leads, as on the page), with the number of its conflicts."""

    group: str
    activity: Activity
    conflicts: int


def calendar_rows(groups: list[Group], flagged: Mapping[int, Sized]) -> Iterator[CalendarRow]:
    """The calendar page's rows, group by group."""
    for group in groups:
        for activity in group.activities:
            yield CalendarRow(group.title, activity, len(flagged.get(activity.id, ())))


def _starts(activity: Activity) -> object:
    return local(activity.starts_at, activity.city.timezone)


def _ends(activity: Activity) -> object:
    return local(activity.ends_at, activity.city.timezone)


def _leads(activity: Activity, translator: Translator) -> str:
    return ", ".join(translator.name(person.names) for person in activity.leads)


def _place(activity: Activity, translator: Translator) -> str:
    parts = (activity.room, activity.institution)
    return ", ".join(translator.name(part.names) for part in parts if part is not None)


CALENDAR: Listing[CalendarRow] = Listing(
    title=N_("Calendar"),
    slug="calendar",
    columns=(
        Column(N_("Group"), plain(lambda r: r.group), width=30),
        Column(N_("Day"), plain(lambda r: local_day(r.activity)), Kind.DATE, 12),
        Column(N_("Starts"), plain(lambda r: _starts(r.activity)), Kind.DATETIME, 17),
        Column(N_("Ends"), plain(lambda r: _ends(r.activity)), Kind.DATETIME, 17),
        Column(N_("Activity"), name_of(lambda r: r.activity.titles), width=40),
        Column(N_("Kind"), label_of(labels.ACTIVITY_KIND, lambda r: r.activity.kind), width=22),
        Column(
            N_("Specialty"),
            name_of(lambda r: r.activity.specialty.names if r.activity.specialty else None),
            width=24,
        ),
        Column(N_("Place"), lambda r, t: _place(r.activity, t), width=36),
        Column(N_("City"), name_of(lambda r: r.activity.city.names), width=16),
        Column(N_("Leads"), lambda r, t: _leads(r.activity, t), width=36),
        Column(
            N_("Brigade"),
            name_of(lambda r: r.activity.delegation.names if r.activity.delegation else None),
            width=28,
        ),
        Column(N_("Trainees"), plain(lambda r: r.activity.trainee_capacity), Kind.INT, 10),
        Column(N_("Status"), label_of(labels.ACTIVITY_STATUS, lambda r: r.activity.status)),
        Column(N_("Conflicts"), plain(lambda r: r.conflicts), Kind.INT, 10),
    ),
)


def _zone_of(city: object) -> str | None:
    return getattr(city, "timezone", None)


PARTICIPANTS: Listing[Participation] = Listing(
    title=N_("Participants"),
    slug="participants",
    columns=(
        Column(N_("Person"), name_of(lambda p: p.person.names), width=32),
        Column(
            N_("Institution"),
            name_of(lambda p: p.person.institution.names if p.person.institution else None),
            width=40,
        ),
        Column(N_("Role"), label_of(labels.PARTICIPATION_ROLE, lambda p: p.role), width=20),
        Column(
            N_("Brigade"),
            name_of(lambda p: p.delegation.names if p.delegation else None),
            width=28,
        ),
        Column(
            N_("Arrival city"),
            name_of(lambda p: p.arrival_city.names if p.arrival_city else None),
        ),
        Column(
            N_("Arrival"),
            plain(lambda p: local(p.arrives_at, _zone_of(p.arrival_city))),
            Kind.DATETIME,
            17,
        ),
        Column(
            N_("Departure city"),
            name_of(lambda p: p.departure_city.names if p.departure_city else None),
        ),
        Column(
            N_("Departure"),
            plain(lambda p: local(p.departs_at, _zone_of(p.departure_city))),
            Kind.DATETIME,
            17,
        ),
    ),
)


@dataclass(frozen=True)
class ItineraryRow:
    """An activity of a brigade's itinerary, with the road that led to its city, if any."""

    itinerary: Itinerary
    day: date
    activity: Activity
    leg_in: Leg | None


def itinerary_rows(itineraries: list[Itinerary]) -> Iterator[ItineraryRow]:
    """The itinerary page's rows: brigade by brigade, day by day, stop by stop; the road to a
    city goes with the first activity there."""
    for it in itineraries:
        for day in it.days:
            for stop in day.stops:
                for index, activity in enumerate(stop.activities):
                    yield ItineraryRow(it, day.day, activity, stop.leg_in if index == 0 else None)


ITINERARIES: Listing[ItineraryRow] = Listing(
    title=N_("Itineraries"),
    slug="itineraries",
    columns=(
        Column(N_("Brigade"), name_of(lambda r: r.itinerary.delegation.names), width=32),
        Column(N_("Code"), plain(lambda r: r.itinerary.delegation.code), width=12),
        Column(N_("Day"), plain(lambda r: r.day), Kind.DATE, 12),
        Column(N_("City"), name_of(lambda r: r.activity.city.names)),
        Column(N_("Starts"), plain(lambda r: _starts(r.activity)), Kind.DATETIME, 17),
        Column(N_("Ends"), plain(lambda r: _ends(r.activity)), Kind.DATETIME, 17),
        Column(N_("Activity"), name_of(lambda r: r.activity.titles), width=40),
        Column(N_("Kind"), label_of(labels.ACTIVITY_KIND, lambda r: r.activity.kind), width=22),
        Column(
            N_("Minutes on the road"),
            plain(lambda r: r.leg_in.minutes if r.leg_in else None),
            Kind.INT,
            12,
        ),
        Column(
            N_("Minutes between activities"),
            plain(lambda r: max(r.leg_in.available_minutes, 0) if r.leg_in else None),
            Kind.INT,
            12,
        ),
    ),
)
