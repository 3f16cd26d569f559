"""The program as a proposed plan would leave it: the conflicts the proposal would add.

A plan is judged by the program's own definition of a conflict (``programs.conflict_rules``)
over everything the program holds, not only over what the planner knew when it solved: an
activity entered by hand after the solve, or one the instance could not express, still counts.
Nothing is written to find out: the proposal's activities are set in memory in place of those
it moves or cancels.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.directory.models import City, Person, Room
from hamkor.directory.service import travel_matrix
from hamkor.planning.instance import rid, row_id
from hamkor.planning.models import PlanningRequest
from hamkor.planning.solver.model import Instance, PlacedActivity, Plan
from hamkor.programs import conflicts
from hamkor.programs.conflict_rules import Booking, Clash, Over, Travel, added, find
from hamkor.programs.models import Activity, Delegation, Program


@dataclass(frozen=True)
class Conflicts:
    """The program's conflicts as it stands, and those the proposal would add to them."""

    existing: list[conflicts.Sentence]
    added: list[conflicts.Sentence]


@dataclass
class _Names:
    """What each key of a booking is called, in every language."""

    titles: dict[Hashable, dict[str, str]]
    cities: dict[Hashable, dict[str, str]]
    subjects: dict[tuple[Over, Hashable], dict[str, str]]

    def sentence(self, clash: Clash) -> conflicts.Sentence:
        return conflicts.Sentence(
            kind=clash.kind,
            subject=self.subjects[clash.over, clash.subject],
            first=self.titles[clash.first.key],
            second=self.titles[clash.second.key],
            origin=self.cities[clash.first.city],
            destination=self.cities[clash.second.city],
            available=clash.available_minutes or 0,
            needed=clash.needed_minutes,
        )


def find_conflicts(*, db: Session, program: Program, instance: Instance, plan: Plan) -> Conflicts:
    """The conflicts of ``program`` now, and those it would have in addition once ``plan`` (a
    proposal made from ``instance``) is accepted: the activities of the instance's requests
    that the plan moves or leaves out give way to the plan's."""
    activities = conflicts.live(
        db.scalars(select(Activity).where(Activity.program_id == program.id))
    )
    requests = {
        rid("r", request.id): request
        for request in db.scalars(
            select(PlanningRequest).where(PlanningRequest.program_id == program.id)
        )
    }
    given_way = {requests[a.id].activity_id for a in instance.activities if a.id in requests} - {
        None
    }
    rooms = {
        room.id: room
        for room in db.scalars(
            select(Room).where(Room.id.in_({row_id(p.room, "m") for p in plan.activities}))
        )
    }
    placed = [p for p in plan.activities if p.activity in requests]
    now = [conflicts.booking(activity) for activity in activities]
    then = [
        *(booking for booking in now if booking.key not in given_way),
        *(_booking(p, requests[p.activity], rooms[row_id(p.room, "m")]) for p in placed),
    ]
    travel = _travel(db, [*now, *then])
    before, after = find(now, travel), find(then, travel)
    names = _names(db, activities, [(p, requests[p.activity]) for p in placed], [*before, *after])
    return Conflicts(
        existing=[names.sentence(clash) for clash in before],
        added=[names.sentence(clash) for clash in added(before, after)],
    )


def _travel(db: Session, bookings: Iterable[Booking]) -> Travel:
    """Road minutes between the bookings' cities (their keys are city ids), read at once."""
    matrix = travel_matrix(db, {cast(int, booking.city) for booking in bookings})
    return lambda a, b: matrix[cast(int, a), cast(int, b)]


def _booking(placed: PlacedActivity, request: PlanningRequest, room: Room) -> Booking:
    """The plan's activity for ``request``, keyed as the row it will be: the request's
    activity when it has one (so that a conflict it keeps is the same conflict), else its id in
    the plan."""
    city = room.institution.city
    zone = ZoneInfo(city.timezone)
    current = request.activity
    return Booking(
        key=current.id if current is not None else placed.activity,
        starts_at=datetime.combine(placed.day, time.fromisoformat(placed.start), zone),
        ends_at=datetime.combine(placed.day, time.fromisoformat(placed.end), zone),
        city=city.id,
        room=room.id,
        leads=tuple(row_id(lead, "s") for lead in placed.leads),
        brigade=current.delegation_id if current is not None else None,
    )


def _names(
    db: Session,
    activities: Iterable[Activity],
    placed: Iterable[tuple[PlacedActivity, PlanningRequest]],
    clashes: Iterable[Clash],
) -> _Names:
    titles: dict[Hashable, dict[str, str]] = {a.id: a.titles for a in activities}
    for item, request in placed:
        titles[request.activity_id or item.activity] = request.titles
    found = list(clashes)
    wanted: dict[Over, set[Hashable]] = {over: set() for over in Over}
    city_ids: set[Hashable] = set()
    for clash in found:
        wanted[clash.over].add(clash.subject)
        city_ids |= {clash.first.city, clash.second.city}
    subjects: dict[tuple[Over, Hashable], dict[str, str]] = {}
    for over, rows in (
        (Over.LEAD, db.scalars(select(Person).where(Person.id.in_(wanted[Over.LEAD])))),
        (Over.ROOM, db.scalars(select(Room).where(Room.id.in_(wanted[Over.ROOM])))),
        (
            Over.BRIGADE,
            db.scalars(select(Delegation).where(Delegation.id.in_(wanted[Over.BRIGADE]))),
        ),
    ):
        for row in rows:
            subjects[over, row.id] = row.names
    cities: dict[Hashable, dict[str, str]] = {
        city.id: city.names for city in db.scalars(select(City).where(City.id.in_(city_ids)))
    }
    return _Names(titles=titles, cities=cities, subjects=subjects)
