"""From the database to the solver's instance (``hamkor.plan-instance/1``) of one program.

Every id in the instance names its row, so a plan maps straight back: ``r12`` is planning
request 12, ``a7`` the program activity 7 as a busy time (one the plan may not move: entered
by hand, done, pinned or past, so that the plan leaves its room and leads alone), ``s34`` the
person 34 as a specialist, ``t56`` the person 56 as a trainee, ``p78`` the referral 78 (a
waiting patient), ``m9`` the room 9, ``c3`` the city 3. Times are the local times of the city
concerned, as the solver expects.

What the database does not hold yet is taken as the program's working hours: rooms are open and
specialists work 08:00–19:00 local time on every program day between their arrival and their
departure (read from their participation). The rooms are those of the host country's
institutions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care import service as care_service
from hamkor.care.schemas import WaitingPatient
from hamkor.core.access import Actor
from hamkor.core.errors import FieldError, UserError
from hamkor.core.i18n import N_, Message
from hamkor.directory.models import City, Institution, Person, Room
from hamkor.directory.service import travel_matrix
from hamkor.planning.models import PlanningRequest
from hamkor.planning.solver import model as m
from hamkor.planning.solver.io import validate_instance
from hamkor.programs.models import (
    Activity,
    ActivityStatus,
    Participation,
    ParticipationRole,
    Program,
)

DAY_START, DAY_END, SLOT = "08:00", "19:00", 30
#: Roles whose people lead activities (when they have a specialty).
LEADING_ROLES = (
    ParticipationRole.SPECIALIST,
    ParticipationRole.BRIGADE_LEAD,
    ParticipationRole.HEAD_OF_DELEGATION,
)


def rid(prefix: str, number: int) -> str:
    return f"{prefix}{number}"


def row_id(instance_id: str, prefix: str) -> int:
    """The row behind an instance id (``row_id("r12", "r") == 12``)."""
    if not instance_id.startswith(prefix) or not instance_id[len(prefix) :].isdigit():
        raise ValueError(f"{instance_id!r} is not an id of kind {prefix!r}")
    return int(instance_id[len(prefix) :])


@dataclass(frozen=True)
class Disruption:
    """What a re-planning works around: a specialist gone from a local day and time, or a room
    closed on some days."""

    specialist_id: int | None = None
    day: date | None = None
    time: str | None = None
    room_id: int | None = None
    closed_days: tuple[date, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "specialist_id": self.specialist_id,
            "day": self.day.isoformat() if self.day else None,
            "time": self.time,
            "room_id": self.room_id,
            "closed_days": [day.isoformat() for day in self.closed_days],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Disruption:
        return cls(
            specialist_id=data.get("specialist_id"),
            day=date.fromisoformat(data["day"]) if data.get("day") else None,
            time=data.get("time"),
            room_id=data.get("room_id"),
            closed_days=tuple(date.fromisoformat(d) for d in data.get("closed_days", [])),
        )


def _local(moment: datetime, city: City) -> datetime:
    return moment.astimezone(ZoneInfo(city.timezone))


def _clock(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def program_days(program: Program) -> list[date]:
    count = (program.ends_on - program.starts_on).days + 1
    return [program.starts_on + timedelta(days=n) for n in range(count)]


@dataclass
class _Builder:
    db: Session
    program: Program
    days: list[date]
    disruption: Disruption
    cities: dict[int, City] = field(default_factory=dict)

    def city(self, city: City) -> str:
        self.cities[city.id] = city
        return rid("c", city.id)

    def moment(self, city: City | None, at: datetime | None) -> tuple[m.Moment | None, int]:
        """An arrival or departure, and whether it falls before (−1), within (0) or after (1)
        the program's days. One outside them is moved to the edge of the first or last day
        (midnight), so that the travel from or to that city still counts."""
        if city is None or at is None:
            return None, 0
        local = _local(at, city)
        if local.date() < self.days[0]:
            return m.Moment(city=self.city(city), day=self.days[0], time="00:00"), -1
        if local.date() > self.days[-1]:
            return m.Moment(city=self.city(city), day=self.days[-1], time="23:59"), 1
        return m.Moment(city=self.city(city), day=local.date(), time=_clock(local)), 0

    def specialist(
        self, person: Person, participation: Participation | None
    ) -> m.Specialist | None:
        arrival, arrives = (None, 0)
        departure, departs = (None, 0)
        if participation is not None:
            arrival, arrives = self.moment(participation.arrival_city, participation.arrives_at)
            departure, departs = self.moment(participation.departure_city, participation.departs_at)
        if arrives > 0 or departs < 0:
            return None  # comes after the program ends, or leaves before it starts
        hours: list[m.Hours] = []
        unavailable: list[date] = []
        gone = self.disruption
        if gone.specialist_id == person.id and gone.day is not None:
            unavailable = [day for day in self.days if day > gone.day]
            last = gone.time or DAY_START
            if m.minutes(last) > m.minutes(DAY_START) and gone.day in self.days:
                hours.append(m.Hours(day=gone.day, start=DAY_START, end=min(last, DAY_END)))
            elif gone.day in self.days:
                unavailable.append(gone.day)
        return m.Specialist(
            id=rid("s", person.id),
            name=person.names.get("en") or next(iter(person.names.values()), ""),
            specialties=[s.code for s in person.specialties],
            languages=list(person.languages),
            hours=hours,
            unavailable=sorted(set(unavailable)),
            arrival=arrival,
            departure=departure,
        )

    def trainee(self, participation: Participation) -> m.Trainee | None:
        person = participation.person
        institution = person.institution
        if institution is None or not person.specialties:
            return None
        first, last = self.days[0], self.days[-1]
        if participation.arrives_at is not None:
            first = max(first, _local(participation.arrives_at, institution.city).date())
        if participation.departs_at is not None:
            last = min(last, _local(participation.departs_at, institution.city).date())
        days = [day for day in self.days if first <= day <= last]
        if not days:
            return None
        return m.Trainee(
            id=rid("t", person.id),
            specialties=[s.code for s in person.specialties],
            city=self.city(institution.city),
            days=[] if len(days) == len(self.days) else days,
        )

    def room(self, room: Room) -> m.Room:
        closed = (
            [day for day in self.disruption.closed_days if day in self.days]
            if self.disruption.room_id == room.id
            else []
        )
        return m.Room(
            id=rid("m", room.id),
            city=self.city(room.institution.city),
            institution=room.institution.code[:64],
            kind=m.RoomKind(room.kind),
            capacity=room.capacity,
            closed=closed,
        )

    def activity(self, request: PlanningRequest) -> m.Activity:
        return m.Activity(
            id=rid("r", request.id),
            kind=request.kind,
            title=request.titles.get("en") or next(iter(request.titles.values()), ""),
            specialty=request.specialty.code,
            duration_minutes=request.duration_minutes,
            room_kind=m.RoomKind(request.room_kind),
            leads=request.leads_count,
            named_leads=[rid("s", person.id) for person in request.named_leads],
            cities=[self.city(city) for city in request.cities],
            trainee_seats=request.trainee_seats,
            weight=request.weight,
            mandatory=request.mandatory,
            fixed_day=request.fixed_day,
            fixed_start=request.fixed_start,
            consultation_minutes=request.consultation_minutes,
        )

    def placed(self, request: PlanningRequest, activity: Activity) -> m.PlacedActivity:
        start, end = (
            _local(activity.starts_at, activity.city),
            _local(activity.ends_at, activity.city),
        )
        return m.PlacedActivity(
            activity=rid("r", request.id),
            day=start.date(),
            start=_clock(start),
            end=_clock(end),
            city=self.city(activity.city),
            room=rid("m", activity.room_id or 0),
            leads=[rid("s", person.id) for person in activity.leads],
        )

    def busy(
        self, activity: Activity, room_ids: set[str], specialists: Mapping[int, m.Specialist]
    ) -> list[m.Busy]:
        """``activity``, which the plan may not move, as the time it takes on each program day
        it touches: its room when it is one the plan could use, its leads when the plan could
        give them work (a room or lead the instance lacks cannot clash with anything planned)."""
        city = activity.city
        start, end = _local(activity.starts_at, city), _local(activity.ends_at, city)
        room = rid("m", activity.room_id) if activity.room_id is not None else None
        leads = sorted(rid("s", person.id) for person in activity.leads if person.id in specialists)
        entries: list[m.Busy] = []
        for day in self.days:
            if not start.date() <= day <= end.date():
                continue
            first = _clock(start) if day == start.date() else "00:00"
            last = _clock(end) if day == end.date() else "23:59"
            if first < last:
                entries.append(
                    m.Busy(
                        id=rid("a", activity.id),
                        day=day,
                        start=first,
                        end=last,
                        city=self.city(city),
                        room=room if room in room_ids else None,
                        leads=leads,
                    )
                )
        return entries

    def travel(self) -> list[m.Travel]:
        matrix = travel_matrix(self.db, self.cities)
        ids = sorted(self.cities)
        return [
            m.Travel(a=rid("c", a), b=rid("c", b), minutes=matrix[a, b])
            for i, a in enumerate(ids)
            for b in ids[i + 1 :]
        ]


def _host_rooms(db: Session, program: Program) -> Sequence[Room]:
    return db.scalars(
        select(Room)
        .join(Institution, Room.institution_id == Institution.id)
        .where(Institution.country_id == program.host_country_id)
        .order_by(Room.id)
    ).all()


def _requests(db: Session, program_id: int) -> Sequence[PlanningRequest]:
    return db.scalars(
        select(PlanningRequest)
        .where(PlanningRequest.program_id == program_id)
        .order_by(PlanningRequest.id)
    ).all()


def _by_hand(db: Session, program_id: int, linked: set[int | None]) -> Sequence[Activity]:
    """The program's activities entered by hand (not made from a request), not cancelled."""
    return db.scalars(
        select(Activity)
        .where(
            Activity.program_id == program_id,
            Activity.status != ActivityStatus.CANCELLED,
            Activity.id.not_in({i for i in linked if i is not None}),
        )
        .order_by(Activity.id)
    ).all()


def _held(request: PlanningRequest, as_of: datetime) -> bool:
    """Whether the request's activity is not the planner's to move: pinned, done or past."""
    current = _current(request)
    return current is not None and (
        request.pinned or current.status == ActivityStatus.DONE or current.ends_at <= as_of
    )


def _current(request: PlanningRequest) -> Activity | None:
    activity = request.activity
    if activity is None or activity.status == ActivityStatus.CANCELLED:
        return None
    return activity


def build(
    *,
    db: Session,
    actor: Actor,
    program: Program,
    as_of: datetime,
    disruption: Disruption | None = None,
) -> m.Instance:
    """The instance of ``program`` as it stands: requests, people, rooms, the accepted plan.

    Every activity the planner may not move (entered by hand, or of a request that is pinned,
    done or ended before ``as_of``) is a busy time, rule-breaking or not: nothing of the program
    is left out for the plan to book over. The accepted activities of the other requests may
    move at the cost of a change. Refuses (naming each place) an
    instance the solver could not read, such as a fixed day outside the program's dates.
    """
    days = program_days(program)
    builder = _Builder(db, program, days, disruption or Disruption())
    participations = db.scalars(
        select(Participation)
        .where(Participation.program_id == program.id)
        .order_by(Participation.person_id)
    ).all()
    requests = _requests(db, program.id)

    specialists: dict[int, m.Specialist] = {}
    leaders = [p for p in participations if p.role in LEADING_ROLES and p.person.specialties]
    named = {person.id: person for r in requests for person in r.named_leads}
    for participation in leaders:
        if found := builder.specialist(participation.person, participation):
            specialists[participation.person_id] = found
    for person_id, person in named.items():
        if person_id in specialists or not person.specialties:
            continue
        if found := builder.specialist(person, None):
            specialists[person_id] = found

    rooms = [builder.room(room) for room in _host_rooms(db, program)]
    if not rooms:
        raise UserError.one(
            "program",
            N_("The host country's institutions have no rooms in the directory: add them first."),
        )
    room_ids = {room.id for room in rooms}
    movable = [request for request in requests if not _held(request, as_of)]
    activities = [builder.activity(request) for request in movable]
    accepted: list[m.PlacedActivity] = []
    for request in movable:
        current = _current(request)
        if current is None or current.room_id is None:
            continue
        placed = builder.placed(request, current)
        leads_known = all(row_id(lead, "s") in specialists for lead in placed.leads)
        if placed.day in days and placed.room in room_ids and leads_known:
            accepted.append(placed)

    linked = {request.activity_id for request in requests}
    held = [
        *(request.activity for request in requests if _held(request, as_of)),
        *_by_hand(db, program.id, linked),
    ]
    busy = [
        entry
        for activity in held
        if activity is not None
        for entry in builder.busy(activity, room_ids, specialists)
    ]

    trainees = [
        made
        for participation in participations
        if participation.role == ParticipationRole.TRAINEE
        and (made := builder.trainee(participation)) is not None
    ]
    patients = _patients(db, actor, program, builder)
    instance = m.Instance(
        format=m.INSTANCE_FORMAT,
        program=m.Program(
            code=program.code,
            days=days,
            day_start=DAY_START,
            day_end=DAY_END,
            slot_minutes=SLOT,
        ),
        cities=[
            m.City(id=rid("c", city.id), name=city.names.get("en") or city.code)
            for city in sorted(builder.cities.values(), key=lambda c: c.id)
        ],
        travel=builder.travel(),
        rooms=rooms,
        specialists=list(specialists.values()),
        activities=activities,
        trainees=trainees,
        patients=patients,
        accepted=accepted,
        busy=busy,
    )
    _refuse_unreadable(validate_instance(instance))
    return instance


def _patients(db: Session, actor: Actor, program: Program, builder: _Builder) -> list[m.Patient]:
    days = set(builder.days)
    patients: list[m.Patient] = []
    found = care_service.waiting_for_program(db=db, actor=actor, program_id=program.id)
    cities = {city.id: city for city in db.scalars(select(City).where(City.id.in_(_ids(found))))}
    for patient in found:
        reach = [builder.city(cities[c]) for c in patient.city_ids if c in cities]
        when = [day for day in patient.days if day in days]
        if not reach or (patient.days and not when):
            continue  # nowhere or never reachable in this program
        patients.append(
            m.Patient(
                id=rid("p", patient.referral_id),
                specialty=patient.specialty,
                priority=min(5, max(1, patient.priority)),
                cities=reach,
                days=when,
            )
        )
    return patients


def _ids(patients: Iterable[WaitingPatient]) -> set[int]:
    return {city_id for patient in patients for city_id in patient.city_ids}


def _refuse_unreadable(problems: Sequence[Any]) -> None:
    if problems:
        raise UserError(
            [
                FieldError(
                    "program",
                    Message(
                        N_("The program cannot be planned as it stands: %(place)s: %(problem)s"),
                        {"place": problem.path, "problem": problem.message},
                    ),
                )
                for problem in problems
            ]
        )
