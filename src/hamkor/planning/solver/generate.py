"""Realistic synthetic instances, modelled on the 2025 "Days of Kazakh Medicine" in Uzbekistan.

``generate(1, seed)`` is about the 2025 program: 150 visiting specialists, 40 rooms in the six
host cities (Tashkent, Bukhara, Nukus, Samarkand, Fergana, Karshi, with road minutes between
them), 5 days from 13 October 2025, 200 requested activities (master classes, demonstration
operations, high-tech interventions, consultation sessions, lectures, practical trainings),
2,000 waiting patients and 500 local trainees. Scale 2 and 4 double and quadruple every count
(specialists, rooms, activities, patients, trainees) except the days and the six cities: a
bigger program is more brigades in the same places and week.

Everything is drawn from ``random.Random(seed)``, so the same ``(scale, seed)`` gives the same
instance. It is made solvable: every activity's room kind exists in each of its allowed cities,
fixed activities are possible on their own (else they are left unfixed), the mandatory ones are
possible together (the greedy places them all; any it cannot are made optional), and named
leads are present on the fixed day.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from hamkor.planning.solver import rules
from hamkor.planning.solver.greedy import greedy
from hamkor.planning.solver.model import (
    INSTANCE_FORMAT,
    Activity,
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
    UnplacedKind,
    clock,
)

CITIES: dict[str, str] = {
    "tashkent": "Tashkent",
    "samarkand": "Samarkand",
    "bukhara": "Bukhara",
    "fergana": "Fergana",
    "karshi": "Karshi",
    "nukus": "Nukus",
}

#: Road minutes between the host cities (about 75 km/h over the main roads).
ROAD_MINUTES: dict[tuple[str, str], int] = {
    ("tashkent", "samarkand"): 240,
    ("tashkent", "bukhara"): 420,
    ("tashkent", "fergana"): 270,
    ("tashkent", "karshi"): 390,
    ("tashkent", "nukus"): 840,
    ("samarkand", "bukhara"): 210,
    ("samarkand", "fergana"): 480,
    ("samarkand", "karshi"): 150,
    ("samarkand", "nukus"): 630,
    ("bukhara", "fergana"): 690,
    ("bukhara", "karshi"): 150,
    ("bukhara", "nukus"): 420,
    ("fergana", "karshi"): 540,
    ("fergana", "nukus"): 1080,
    ("karshi", "nukus"): 570,
}

#: Share of rooms per city (Tashkent hosts the national centres).
CITY_SHARE: dict[str, int] = {
    "tashkent": 12,
    "samarkand": 6,
    "bukhara": 6,
    "fergana": 6,
    "karshi": 5,
    "nukus": 5,
}

#: Rooms per kind at scale 1 (40 in all), with (min, max) capacity.
ROOM_KINDS: dict[RoomKind, tuple[int, int, int]] = {
    RoomKind.OPERATING_ROOM: (10, 8, 14),
    RoomKind.CATH_LAB: (3, 6, 8),
    RoomKind.ENDOSCOPY_ROOM: (3, 6, 8),
    RoomKind.CONSULTATION_ROOM: (12, 4, 6),
    RoomKind.LECTURE_HALL: (6, 80, 300),
    RoomKind.TRAINING_ROOM: (6, 20, 40),
}

INSTITUTIONS: dict[str, list[str]] = {
    "tashkent": ["vakhidov-surgery-centre", "ri-traumatology-orthopaedics", "rspc-cardiology"],
    "samarkand": ["samarkand-regional-hospital", "samarkand-medical-university"],
    "bukhara": ["bukhara-regional-hospital", "bukhara-cardiology-branch"],
    "fergana": ["fergana-regional-hospital", "fergana-perinatal-centre"],
    "karshi": ["karshi-cardiology-branch", "kashkadarya-regional-hospital"],
    "nukus": ["karakalpakstan-republican-hospital", "nukus-perinatal-centre"],
}

#: Specialty → the room kind of its high-tech interventions.
SPECIALTIES: dict[str, RoomKind] = {
    "neurosurgery": RoomKind.OPERATING_ROOM,
    "cardiac_surgery": RoomKind.OPERATING_ROOM,
    "paediatric_cardiac_surgery": RoomKind.OPERATING_ROOM,
    "endovascular_surgery": RoomKind.CATH_LAB,
    "interventional_cardiology": RoomKind.CATH_LAB,
    "hepatobiliary_surgery": RoomKind.ENDOSCOPY_ROOM,
    "endoscopic_surgery": RoomKind.ENDOSCOPY_ROOM,
    "traumatology_orthopaedics": RoomKind.OPERATING_ROOM,
    "transplantology": RoomKind.OPERATING_ROOM,
    "oncology": RoomKind.OPERATING_ROOM,
    "paediatric_oncology": RoomKind.OPERATING_ROOM,
    "obstetrics_gynaecology": RoomKind.OPERATING_ROOM,
    "neonatology": RoomKind.OPERATING_ROOM,
    "genetics": RoomKind.CONSULTATION_ROOM,
    "urology": RoomKind.OPERATING_ROOM,
    "reproductive_medicine": RoomKind.OPERATING_ROOM,
}

#: Activity kind → (share in %, room kind or None for the specialty's, minutes choices,
#: leads, (seats min, max), (weight min, max)).
KINDS: dict[str, tuple[int, RoomKind | None, list[int], int, tuple[int, int], tuple[int, int]]] = {
    "master_class": (24, RoomKind.TRAINING_ROOM, [120, 180], 1, (10, 20), (2, 4)),
    "demonstration_operation": (16, RoomKind.OPERATING_ROOM, [180, 240, 300], 2, (3, 6), (3, 5)),
    "high_tech_intervention": (10, None, [120, 180, 240], 2, (2, 4), (4, 6)),
    "consultation_session": (30, RoomKind.CONSULTATION_ROOM, [240, 300, 360], 1, (0, 0), (1, 3)),
    "lecture": (10, RoomKind.LECTURE_HALL, [60, 90], 1, (40, 120), (1, 2)),
    "practical_training": (10, RoomKind.TRAINING_ROOM, [120, 180, 240], 1, (8, 16), (2, 3)),
}

FIRST_DAY = date(2025, 10, 13)


#: Room kinds whose hosts lend them to guests only part of the day.
SURGICAL = {RoomKind.OPERATING_ROOM, RoomKind.CATH_LAB, RoomKind.ENDOSCOPY_ROOM}


def _present(specialist: Specialist, day: date) -> bool:
    """Whether a specialist is in the country and available on a day."""
    arrival, departure = specialist.arrival, specialist.departure
    return (
        day not in specialist.unavailable
        and (arrival is None or arrival.day <= day)
        and (departure is None or day <= departure.day)
    )


def _possible(base: Instance, activity: Activity) -> bool:
    """Whether ``activity`` could be placed in an otherwise empty plan of ``base``."""
    program = base.program
    travel = rules.travel_table(base)
    leads = rules.eligible_leads(base, activity)
    needed = rules.leads_needed(activity)
    for day in rules.activity_days(program, activity):
        for room in rules.eligible_rooms(base, activity):
            window = rules.room_window(program, room, day)
            if window is None:
                continue
            windows = [rules.specialist_window(base, s, day, room.city, travel) for s in leads]
            for start in rules.slot_starts(program, activity, window):
                end = start + activity.duration_minutes
                free = sum(1 for w in windows if w is not None and w[0] <= start and end <= w[1])
                if free >= needed:
                    return True
    return False


def _lent(rng: random.Random, kind: RoomKind, days: list[date]) -> tuple[list[date], list[Hours]]:
    """The days and hours a host lends a room to the guests (closed days, hours per day).

    Hosts keep their own work going: operating theatres, cath labs and endoscopy rooms are
    lent on three of the five days, half of those only after the morning list (from 13:00);
    polyclinic consultation rooms 09:00-17:00 and not on one day in three rooms of ten;
    university lecture halls and training rooms on three or four days, one of them from 14:00.
    """
    if kind in SURGICAL:
        closed = sorted(rng.sample(days, 2))
        lent = [day for day in days if day not in closed]
        return closed, [
            Hours(day=day, start="13:00", end="19:00") for day in lent if rng.random() < 0.5
        ]
    if kind == RoomKind.CONSULTATION_ROOM:
        closed = [rng.choice(days)] if rng.random() < 0.3 else []
        return closed, [
            Hours(day=day, start="09:00", end="17:00") for day in days if day not in closed
        ]
    closed = sorted(rng.sample(days, rng.randint(1, 2)))
    lent = [day for day in days if day not in closed]
    return closed, [Hours(day=rng.choice(lent), start="14:00", end="19:00")]


def _travel() -> list[Travel]:
    return [Travel(a=a, b=b, minutes=m) for (a, b), m in ROAD_MINUTES.items()]


def generate(scale: int = 1, seed: int = 0) -> Instance:
    """A synthetic instance of the given scale (1, 2, 4, ...), the same for the same seed."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    rng = random.Random(seed)
    days = [FIRST_DAY + timedelta(days=i) for i in range(5)]
    program = Program(
        code=f"KZ-UZ-2025-x{scale}-s{seed}",
        days=days,
        day_start="08:00",
        day_end="19:00",
        slot_minutes=30,
    )
    city_ids = list(CITIES)
    city_weights = [CITY_SHARE[c] for c in city_ids]

    # Rooms: every kind in every city first (so any city can host any kind), then by share.
    rooms: list[Room] = []
    for room_kind, (count, low, high) in ROOM_KINDS.items():
        total = count * scale
        where = [city_ids[i % len(city_ids)] for i in range(min(total, len(city_ids)))]
        where += rng.choices(city_ids, weights=city_weights, k=total - len(where))
        for city in where:
            number = len(rooms) + 1
            closed, hours = _lent(rng, room_kind, days)
            rooms.append(
                Room(
                    id=f"room-{number:03d}",
                    city=city,
                    institution=rng.choice(INSTITUTIONS[city]),
                    kind=room_kind,
                    capacity=rng.randint(low, high),
                    hours=hours,
                    closed=closed,
                )
            )
    kinds_in: dict[RoomKind, set[str]] = {}
    for room in rooms:
        kinds_in.setdefault(room.kind, set()).add(room.city)

    # Specialists come in brigades (a national centre's team of one specialty, about five
    # people) that stay two to four days; one in four of them comes a day later or leaves a
    # day earlier than the brigade (other duties at home).
    specialty_names = list(SPECIALTIES)
    specialists: list[Specialist] = []
    brigade: tuple[Moment, Moment] | None = None
    for number in range(1, 150 * scale + 1):
        if (number - 1) % 5 == 0 or brigade is None:
            came = rng.choice([0, 0, 0, 1, 1, 2])
            left = min(len(days) - 1, came + rng.randint(1, 3))
            brigade = (
                Moment(
                    city=rng.choice(["tashkent"] * 7 + ["samarkand"] * 2 + ["bukhara"]),
                    day=days[came],
                    time=rng.choice(["06:00", "07:00", "10:00", "14:00"]),
                ),
                Moment(city="tashkent", day=days[left], time=rng.choice(["21:00", "23:30"])),
            )
        first = specialty_names[((number - 1) // 5) % len(specialty_names)]
        specialties = [first]
        if rng.random() < 0.3:
            second = rng.choice(specialty_names)
            if second != first:
                specialties.append(second)
        arrival, departure = brigade
        if rng.random() < 0.25 and departure.day > arrival.day:
            if rng.random() < 0.5:
                arrival = arrival.model_copy(update={"day": arrival.day + timedelta(days=1)})
            else:
                departure = departure.model_copy(update={"day": departure.day - timedelta(days=1)})
        unavailable = [rng.choice(days[1:])] if rng.random() < 0.05 else []
        hours = (
            [Hours(day=rng.choice(days), start="08:00", end="14:00")] if rng.random() < 0.1 else []
        )
        specialists.append(
            Specialist(
                id=f"spec-{number:04d}",
                name=f"Specialist {number}",
                specialties=specialties,
                languages=rng.choice([["ru"], ["ru", "kk"], ["ru", "en"], ["ru", "kk", "en"]]),
                hours=[h for h in hours if h.day not in unavailable],
                unavailable=unavailable,
                arrival=arrival,
                departure=departure,
            )
        )
    base = Instance(
        format=INSTANCE_FORMAT,
        program=program,
        cities=[City(id=c, name=name) for c, name in CITIES.items()],
        travel=_travel(),
        rooms=rooms,
        specialists=specialists,
    )
    by_specialty: dict[str, list[Specialist]] = {}
    for specialist in specialists:
        for specialty in specialist.specialties:
            by_specialty.setdefault(specialty, []).append(specialist)

    # Activities.
    kind_names = list(KINDS)
    kind_weights = [KINDS[k][0] for k in kind_names]
    activities: list[Activity] = []
    for number in range(1, 200 * scale + 1):
        kind = rng.choices(kind_names, weights=kind_weights)[0]
        _, own_kind, durations, leads, (seats_lo, seats_hi), (w_lo, w_hi) = KINDS[kind]
        specialty = rng.choice(specialty_names)
        room_kind = own_kind if own_kind is not None else SPECIALTIES[specialty]
        duration = rng.choice(durations)
        seats = rng.randint(seats_lo, seats_hi)
        consultation_minutes = rng.choice([15, 20]) if kind == "consultation_session" else None
        possible = sorted(kinds_in.get(room_kind, set()))
        roll = rng.random()
        if roll < 0.2:
            cities: list[str] = []
        elif roll < 0.6:
            cities = [rng.choice(possible)]
        else:
            cities = sorted(rng.sample(possible, min(2, len(possible))))
        mandatory = rng.random() < 0.06
        fixed_day = fixed_start = None
        if rng.random() < 0.06:
            fixed_day = rng.choice(days[1:-1])
            if rng.random() < 0.5:
                fixed_start = clock(8 * 60 + 30 * rng.randint(6, 12))
        named: list[str] = []
        if rng.random() < 0.1:
            # Named leads are present on the fixed day (when there is one).
            pool = [
                s
                for s in by_specialty.get(specialty, [])
                if fixed_day is None or _present(s, fixed_day)
            ]
            named = sorted(s.id for s in rng.sample(pool, min(leads, len(pool))))
        activity = Activity(
            id=f"act-{number:04d}",
            kind=kind,
            title=f"{kind.replace('_', ' ').capitalize()}: {specialty.replace('_', ' ')}",
            specialty=specialty,
            duration_minutes=duration,
            room_kind=room_kind,
            leads=max(1, len(named)) if named else leads,
            named_leads=named,
            cities=cities,
            trainee_seats=seats,
            weight=float(rng.randint(w_lo, w_hi)),
            mandatory=mandatory,
            fixed_day=fixed_day,
            fixed_start=fixed_start,
            consultation_minutes=consultation_minutes,
        )
        # Keep it solvable: what is fixed must be possible on its own ...
        if (activity.fixed_day or activity.fixed_start) and not _possible(base, activity):
            activity = activity.model_copy(update={"fixed_day": None, "fixed_start": None})
        activities.append(activity)
    # ... and the mandatory ones possible together: those the greedy cannot place on their own
    # become optional (so a plan placing every mandatory activity always exists).
    trial = greedy(base.model_copy(update={"activities": [a for a in activities if a.mandatory]}))
    unplaceable = {u.item for u in trial.unplaced if u.kind == UnplacedKind.ACTIVITY}
    activities = [
        a.model_copy(update={"mandatory": False}) if a.id in unplaceable else a for a in activities
    ]

    trainees: list[Trainee] = []
    for number in range(1, 500 * scale + 1):
        k = rng.choice([1, 1, 2, 3])
        trainees.append(
            Trainee(
                id=f"trainee-{number:04d}",
                specialties=sorted(rng.sample(specialty_names, k)),
                city=rng.choices(city_ids, weights=city_weights)[0],
                days=sorted(rng.sample(days, rng.randint(1, 3))) if rng.random() < 0.7 else [],
            )
        )

    patients: list[Patient] = []
    for number in range(1, 2000 * scale + 1):
        home = rng.choices(city_ids, weights=city_weights)[0]
        reach = {home}
        if rng.random() < 0.25:
            reach.add("tashkent")
        patients.append(
            Patient(
                id=f"patient-{number:05d}",
                specialty=rng.choice(specialty_names),
                priority=rng.choices([1, 2, 3, 4, 5], weights=[15, 25, 30, 20, 10])[0],
                cities=sorted(reach),
                days=sorted(rng.sample(days, rng.randint(1, 3))) if rng.random() < 0.6 else [],
            )
        )

    return base.model_copy(
        update={"activities": activities, "trainees": trainees, "patients": patients}
    )
