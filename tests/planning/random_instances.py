"""Random small instances for the solvers' property tests, with or without busy times."""

from __future__ import annotations

import random
from datetime import date, timedelta

from hamkor.planning.solver.model import (
    INSTANCE_FORMAT,
    Activity,
    Busy,
    City,
    Hours,
    Instance,
    Moment,
    Patient,
    Program,
    Room,
    RoomKind,
    Specialist,
    Trainee,
    Travel,
    clock,
)

SPECIALTIES = ["neuro", "cardio", "onco"]
KINDS = [RoomKind.OPERATING_ROOM, RoomKind.CONSULTATION_ROOM, RoomKind.LECTURE_HALL]


def random_instance(rng: random.Random) -> Instance:
    """A small random instance: 1-3 cities and days, a few of everything."""
    first = date(2025, 10, 13)
    days = [first + timedelta(days=i) for i in range(rng.randint(1, 3))]
    slot = rng.choice([30, 60])
    cities = [f"c{i}" for i in range(rng.randint(1, 3))]
    travel = [
        Travel(a=a, b=b, minutes=rng.choice([0, 60, 180, 400]))
        for i, a in enumerate(cities)
        for b in cities[i + 1 :]
    ]

    def some_days() -> list[date]:
        return sorted(rng.sample(days, rng.randint(1, len(days)))) if rng.random() < 0.3 else []

    def hours() -> list[Hours]:
        if rng.random() < 0.3:
            return [Hours(day=rng.choice(days), start="10:00", end=rng.choice(["12:00", "15:00"]))]
        return []

    rooms = [
        Room(
            id=f"r{i}",
            city=rng.choice(cities),
            kind=rng.choice(KINDS),
            capacity=rng.choice([2, 10, 40]),
            hours=hours(),
            closed=[rng.choice(days)] if rng.random() < 0.2 else [],
        )
        for i in range(rng.randint(1, 5))
    ]
    specialists = []
    for i in range(rng.randint(1, 5)):
        arrival = departure = None
        if rng.random() < 0.4:
            arrival = Moment(
                city=rng.choice(cities), day=rng.choice(days), time=rng.choice(["06:00", "11:00"])
            )
        if rng.random() < 0.4:
            day = rng.choice([d for d in days if arrival is None or d >= arrival.day])
            departure = Moment(
                city=rng.choice(cities), day=day, time=rng.choice(["15:00", "23:00"])
            )
        specialists.append(
            Specialist(
                id=f"s{i}",
                specialties=sorted(rng.sample(SPECIALTIES, rng.randint(1, 2))),
                hours=hours(),
                unavailable=[rng.choice(days)] if rng.random() < 0.2 else [],
                arrival=arrival,
                departure=departure,
            )
        )
    activities = []
    for i in range(rng.randint(1, 7)):
        kind = rng.choice(KINDS)
        consult = kind == RoomKind.CONSULTATION_ROOM
        specialty = rng.choice(SPECIALTIES)
        duration = rng.choice([30, 60, 90, 120])
        named = sorted(rng.sample([s.id for s in specialists], 1)) if rng.random() < 0.2 else []
        fixed = rng.random() < 0.2
        activities.append(
            Activity(
                id=f"a{i}",
                kind="consultation_session" if consult else "master_class",
                specialty=specialty,
                duration_minutes=duration,
                room_kind=kind,
                leads=rng.choice([1, 1, 2]),
                named_leads=named,
                cities=[rng.choice(cities)] if rng.random() < 0.3 else [],
                trainee_seats=0 if consult else rng.choice([0, 3, 20]),
                weight=float(rng.randint(0, 5)),
                mandatory=rng.random() < 0.2,
                fixed_day=rng.choice(days) if fixed else None,
                fixed_start=clock(8 * 60 + slot * rng.randint(0, 4)) if fixed else None,
                consultation_minutes=rng.choice([15, 30]) if consult else None,
            )
        )
    trainees = [
        Trainee(
            id=f"t{i}",
            specialties=sorted(rng.sample(SPECIALTIES, rng.randint(1, 3))),
            city=rng.choice(cities),
            days=some_days(),
        )
        for i in range(rng.randint(0, 5))
    ]
    patients = [
        Patient(
            id=f"p{i}",
            specialty=rng.choice(SPECIALTIES),
            priority=rng.randint(1, 5),
            cities=sorted(rng.sample(cities, rng.randint(1, len(cities)))),
            days=some_days(),
        )
        for i in range(rng.randint(0, 8))
    ]
    return Instance(
        format=INSTANCE_FORMAT,
        program=Program(
            code="random", days=days, day_start="08:00", day_end="14:00", slot_minutes=slot
        ),
        cities=[City(id=c) for c in cities],
        travel=travel,
        rooms=rooms,
        specialists=specialists,
        activities=activities,
        trainees=trainees,
        patients=patients,
    )


def with_busy(inst: Instance, rng: random.Random) -> Instance:
    """``inst`` with a few busy times: activities the plan may not move, entered by hand as a
    coordinator would, so that some break the planner's rules among themselves (a lead in two
    cities a day, a room booked twice, a move too fast) and some lie outside working hours."""
    days = inst.program.days
    cities = [city.id for city in inst.cities]
    busy = []
    for i in range(rng.randint(1, 6)):
        start = rng.choice([7 * 60, 8 * 60, 9 * 60 + 30, 11 * 60, 13 * 60, 18 * 60 + 30])
        room = rng.choice(inst.rooms) if rng.random() < 0.7 else None
        leads = rng.sample(inst.specialists, rng.randint(0, min(2, len(inst.specialists))))
        busy.append(
            Busy(
                id=f"b{i}",
                day=rng.choice(days),
                start=clock(start),
                end=clock(min(start + rng.choice([30, 60, 120, 240]), 23 * 60 + 59)),
                city=room.city if room is not None and rng.random() < 0.8 else rng.choice(cities),
                room=room.id if room is not None else None,
                leads=sorted(s.id for s in leads),
            )
        )
    return inst.model_copy(update={"busy": busy})
