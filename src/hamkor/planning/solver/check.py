"""The feasibility checker: every rule a plan breaks, by name, with the items involved.

Written apart from the solvers on purpose: it imports neither :mod:`.rules` nor any solver, so a
mistake in the shared rules cannot hide itself. It reads the semantics of ``docs/planning.md``
directly. Only :func:`.objective.score` is shared, to compare the plan's stated objective, and
what a conflict is (:mod:`hamkor.programs.conflict_rules`, the rules of the program's conflict
panel): a plan may add no conflict among its activities nor with the busy times of what it may
not move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from hamkor.planning.solver.model import (
    Activity,
    Busy,
    Instance,
    PlacedActivity,
    Plan,
    Program,
    Room,
    Specialist,
)
from hamkor.planning.solver.objective import score
from hamkor.programs.conflict_rules import Booking, Clash, ConflictKind, find

#: The checker's name for each kind of conflict.
_CONFLICTS = {
    ConflictKind.LEAD_OVERLAP: "specialist_overlap",
    ConflictKind.ROOM_OVERLAP: "room_overlap",
    ConflictKind.TOO_FAST_MOVE: "too_fast_move",
}


@dataclass(frozen=True)
class Violation:
    """A broken rule: its name, the ids involved and a sentence saying how."""

    constraint: str
    items: list[str]
    detail: str


def _m(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _hhmm(value: int) -> str:
    return f"{value // 60:02d}:{value % 60:02d}"


def _at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock))


def _clashes(
    placed: Iterable[PlacedActivity], busy: Iterable[Busy], trip: Callable[[str, str], int]
) -> list[Clash]:
    """The conflicts the plan takes part in, among its activities and with the busy times
    (those among busy times alone are the program's, not the plan's)."""
    ours = [
        Booking(p.activity, _at(p.day, p.start), _at(p.day, p.end), p.city, p.room, tuple(p.leads))
        for p in placed
    ]
    theirs = [
        Booking(b.id, _at(b.day, b.start), _at(b.day, b.end), b.city, b.room, tuple(b.leads))
        for b in busy
    ]
    mine = {id(booking) for booking in ours}
    return [
        clash
        for clash in find([*ours, *theirs], lambda a, b: trip(str(a), str(b)))
        if id(clash.first) in mine or id(clash.second) in mine
    ]


def check(instance: Instance, plan: Plan) -> list[Violation]:
    """Every violation of ``plan`` against ``instance``; an empty list means feasible.

    One function per family of rules (``docs/planning.md`` names each violation), called in a
    fixed order and each reporting in a stable order: ``hamkor plan check`` prints the list as
    it comes, and tests compare it.
    """
    trip = _trip(instance)
    placed = _placed(instance, plan)
    return [
        *_activities(instance, plan, trip),
        *_conflicts(instance, placed, trip),
        *_cities_and_travel(instance, placed, trip),
        *_mandatory(instance, placed),
        *_pinned(instance, placed),
        *_patients(instance, plan, placed),
        *_trainees(instance, plan, placed),
        *_objective(instance, plan),
    ]


def _trip(instance: Instance) -> Callable[[str, str], int]:
    """Travel minutes between two cities, either way; 0 within a city or without a road."""
    road: dict[frozenset[str], int] = {}
    for row in instance.travel:
        road[frozenset((row.a, row.b))] = row.minutes

    def trip(a: str, b: str) -> int:
        return 0 if a == b else road.get(frozenset((a, b)), 0)

    return trip


def _placed(instance: Instance, plan: Plan) -> dict[str, PlacedActivity]:
    """The plan's activities by id, each known one where it is first placed: the later rules
    judge that placement (:func:`_activities` reports the unknown and the repeated ones)."""
    known = {a.id for a in instance.activities}
    placed: dict[str, PlacedActivity] = {}
    for item in plan.activities:
        if item.activity in known and item.activity not in placed:
            placed[item.activity] = item
    return placed


def _activities(instance: Instance, plan: Plan, trip: Callable[[str, str], int]) -> list[Violation]:
    """Each placed activity on its own, in the plan's order: known and placed once, then its
    time, its room and its leads."""
    program = instance.program
    acts = {a.id: a for a in instance.activities}
    rooms = {r.id: r for r in instance.rooms}
    specs = {s.id: s for s in instance.specialists}
    out: list[Violation] = []
    seen: set[str] = set()
    for item in plan.activities:
        act = acts.get(item.activity)
        if act is None:
            out.append(
                Violation("activity_unknown", [item.activity], "not an activity of the instance")
            )
        elif item.activity in seen:
            out.append(Violation("activity_twice", [item.activity], "placed more than once"))
        else:
            seen.add(item.activity)
            out += _time(program, act, item)
            out += _room(program, rooms.get(item.room), act, item)
            out += _leads(program, specs, act, item, trip)
    return out


def _here(item: PlacedActivity) -> str:
    return f"{item.day} {item.start}-{item.end}"


def _time(program: Program, act: Activity, item: PlacedActivity) -> list[Violation]:
    """On the slot grid, for its duration, within the program's days and hours, at its fixed
    day and start."""
    out: list[Violation] = []
    p_start, p_end = _m(program.day_start), _m(program.day_end)
    start, end = _m(item.start), _m(item.end)
    here = _here(item)
    if end - start != act.duration_minutes or (start - p_start) % program.slot_minutes:
        out.append(
            Violation(
                "outside_day",
                [act.id],
                f"{here}: must start on the {program.slot_minutes}-minute grid and last "
                f"{act.duration_minutes} min",
            )
        )
    if item.day not in program.days or start < p_start or end > p_end:
        out.append(
            Violation("outside_day", [act.id], f"{here} is outside the program's days or hours")
        )
    if (act.fixed_day is not None and item.day != act.fixed_day) or (
        act.fixed_start is not None and item.start != act.fixed_start
    ):
        out.append(
            Violation(
                "fixed_time",
                [act.id],
                f"fixed at {act.fixed_day or 'any day'} {act.fixed_start or ''}, placed {here}",
            )
        )
    return out


def _room(
    program: Program, room: Room | None, act: Activity, item: PlacedActivity
) -> list[Violation]:
    """An allowed city, and a known room there of the right kind and size, open at the time."""
    out: list[Violation] = []
    if act.cities and item.city not in act.cities:
        out.append(
            Violation("city_not_allowed", [act.id, item.city], f"allowed: {', '.join(act.cities)}")
        )
    if room is None:
        out.append(Violation("room_kind", [act.id, item.room], "unknown room"))
        return out
    if room.city != item.city:
        out.append(
            Violation("room_city", [act.id, room.id], f"room is in {room.city}, not {item.city}")
        )
    if room.kind != act.room_kind:
        out.append(
            Violation("room_kind", [act.id, room.id], f"needs {act.room_kind}, room is {room.kind}")
        )
    if room.capacity < act.trainee_seats:
        out.append(
            Violation(
                "room_capacity",
                [act.id, room.id],
                f"{act.trainee_seats} seats in a room for {room.capacity}",
            )
        )
    if item.day in room.closed:
        out.append(Violation("room_closed", [act.id, room.id], f"room closed on {item.day}"))
        return out
    open_, close = _m(program.day_start), _m(program.day_end)
    for h in room.hours:
        if h.day == item.day:
            open_, close = _m(h.start), _m(h.end)
    if _m(item.start) < open_ or _m(item.end) > close:
        out.append(
            Violation(
                "room_closed",
                [act.id, room.id],
                f"{_here(item)} outside opening hours {_hhmm(open_)}-{_hhmm(close)}",
            )
        )
    return out


def _leads(
    program: Program,
    specs: dict[str, Specialist],
    act: Activity,
    item: PlacedActivity,
    trip: Callable[[str, str], int],
) -> list[Violation]:
    """The right leads, and each one (by id) of the specialty and there: available, arrived
    and not yet gone."""
    out: list[Violation] = []
    leads = list(item.leads)
    if act.named_leads:
        if set(leads) != set(act.named_leads) or len(leads) != len(set(leads)):
            out.append(
                Violation(
                    "named_leads",
                    [act.id, *leads],
                    f"must be led by exactly {', '.join(act.named_leads)}",
                )
            )
    elif len(set(leads)) != act.leads or len(leads) != act.leads:
        out.append(Violation("lead_count", [act.id, *leads], f"needs {act.leads} distinct leads"))
    for lead in sorted(set(leads)):
        spec = specs.get(lead)
        if spec is None or act.specialty not in spec.specialties:
            out.append(
                Violation("lead_specialty", [act.id, lead], f"lead lacks specialty {act.specialty}")
            )
        if spec is not None:
            out += _available(program, spec, act, item)
            out += _arrival_and_departure(spec, act, item, trip)
    return out


def _available(
    program: Program, spec: Specialist, act: Activity, item: PlacedActivity
) -> list[Violation]:
    """Not on an unavailable day, within the lead's hours that day (else the program's)."""
    if item.day in spec.unavailable:
        return [
            Violation("specialist_unavailable", [spec.id, act.id], f"unavailable on {item.day}")
        ]
    w_start, w_end = _m(program.day_start), _m(program.day_end)
    for h in spec.hours:
        if h.day == item.day:
            w_start, w_end = _m(h.start), _m(h.end)
    if _m(item.start) < w_start or _m(item.end) > w_end:
        return [
            Violation(
                "specialist_unavailable",
                [spec.id, act.id],
                f"{_here(item)} outside working hours {_hhmm(w_start)}-{_hhmm(w_end)}",
            )
        ]
    return []


def _arrival_and_departure(
    spec: Specialist, act: Activity, item: PlacedActivity, trip: Callable[[str, str], int]
) -> list[Violation]:
    """Nothing before the lead arrives, or after they leave, with the trip from the arrival
    city and to the departure city."""
    out: list[Violation] = []
    arr, dep = spec.arrival, spec.departure
    if arr is not None:
        if item.day < arr.day:
            out.append(Violation("before_arrival", [spec.id, act.id], f"arrives on {arr.day}"))
        elif item.day == arr.day and _m(item.start) < _m(arr.time) + trip(arr.city, item.city):
            out.append(
                Violation(
                    "before_arrival",
                    [spec.id, act.id],
                    f"arrives {arr.time} in {arr.city}, "
                    f"{trip(arr.city, item.city)} min from {item.city}",
                )
            )
    if dep is not None:
        if item.day > dep.day:
            out.append(Violation("after_departure", [spec.id, act.id], f"leaves on {dep.day}"))
        elif item.day == dep.day and _m(item.end) > _m(dep.time) - trip(item.city, dep.city):
            out.append(
                Violation(
                    "after_departure",
                    [spec.id, act.id],
                    f"leaves {dep.time} from {dep.city}, "
                    f"{trip(item.city, dep.city)} min from {item.city}",
                )
            )
    return out


def _conflicts(
    instance: Instance, placed: dict[str, PlacedActivity], trip: Callable[[str, str], int]
) -> list[Violation]:
    """Conflicts by the program's own definition, with what the plan may not move."""
    return [
        Violation(
            _CONFLICTS[clash.kind],
            [str(clash.subject), str(clash.first.key), str(clash.second.key)],
            f"{clash.first.starts_at:%Y-%m-%d %H:%M} and {clash.second.starts_at:%Y-%m-%d %H:%M}",
        )
        for clash in _clashes(placed.values(), instance.busy, trip)
    ]


def _cities_and_travel(
    instance: Instance, placed: dict[str, PlacedActivity], trip: Callable[[str, str], int]
) -> list[Violation]:
    """The planner's stricter rules, lead by lead: a specialist's day in one city, and the trip
    between the cities of consecutive days. Their busy times count as work there, but only
    where the plan gives them something: the rest is the program's doing."""
    busy_by_lead: dict[str, list[Busy]] = defaultdict(list)
    for taken in instance.busy:
        for lead in set(taken.leads):
            busy_by_lead[lead].append(taken)
    by_lead: dict[str, list[PlacedActivity]] = defaultdict(list)
    for item in placed.values():
        for lead in set(item.leads):
            by_lead[lead].append(item)
    out: list[Violation] = []
    for lead, items in sorted(by_lead.items()):
        ours = {item.day for item in items}
        # (start, city) of everything the lead does each day: the plan's and the busy times
        doing: dict[date, list[tuple[int, str]]] = defaultdict(list)
        for item in items:
            doing[item.day].append((_m(item.start), item.city))
        for taken in busy_by_lead.get(lead, []):
            doing[taken.day].append((_m(taken.start), taken.city))
        out += _one_city_per_day(lead, ours, doing)
        out += _travel_after_city_change(instance.program, lead, ours, doing, trip)
    return out


def _one_city_per_day(
    lead: str, ours: set[date], doing: dict[date, list[tuple[int, str]]]
) -> list[Violation]:
    out: list[Violation] = []
    for day in sorted(ours):
        cities = sorted({city for _, city in doing[day]})
        if len(cities) > 1:
            out.append(Violation("one_city_per_day", [lead, *cities], f"several cities on {day}"))
    return out


def _travel_after_city_change(
    program: Program,
    lead: str,
    ours: set[date],
    doing: dict[date, list[tuple[int, str]]],
    trip: Callable[[str, str], int],
) -> list[Violation]:
    out: list[Violation] = []
    p_start = _m(program.day_start)
    for d1, d2 in zip(program.days, program.days[1:], strict=False):
        if d1 not in ours and d2 not in ours:
            continue  # the plan has the lead on neither day: not the plan's doing
        for k1 in sorted({city for _, city in doing.get(d1, [])}):
            for k2 in sorted({city for _, city in doing.get(d2, [])} - {k1}):
                first = min(start for start, city in doing[d2] if city == k2)
                need = p_start + trip(k1, k2)
                if first < need:
                    out.append(
                        Violation(
                            "travel_after_city_change",
                            [lead, k1, k2],
                            f"starts {_hhmm(first)} on {d2}, cannot before {_hhmm(need)}",
                        )
                    )
    return out


def _mandatory(instance: Instance, placed: dict[str, PlacedActivity]) -> list[Violation]:
    return [
        Violation("mandatory_unplaced", [act.id], "a mandatory activity is not placed")
        for act in instance.activities
        if act.mandatory and act.id not in placed
    ]


def _pinned(instance: Instance, placed: dict[str, PlacedActivity]) -> list[Violation]:
    """A pinned activity keeps the day, start, room and leads it has in ``accepted`` (a pin
    without an accepted placement holds nothing)."""
    accepted = {item.activity: item for item in instance.accepted}
    out: list[Violation] = []
    for pin in instance.pinned:
        old = accepted.get(pin)
        new = placed.get(pin)
        if old is None:
            continue
        if (
            new is None
            or new.day != old.day
            or new.start != old.start
            or new.room != old.room
            or sorted(new.leads) != sorted(old.leads)
        ):
            out.append(
                Violation(
                    "pinned_moved", [pin], "a pinned activity must keep day, start, room and leads"
                )
            )
    return out


def _session(
    acts: dict[str, Activity], placed: dict[str, PlacedActivity], activity_id: str
) -> tuple[Activity, PlacedActivity] | None:
    act = acts.get(activity_id)
    item = placed.get(activity_id)
    return (act, item) if act is not None and item is not None else None


def _patients(instance: Instance, plan: Plan, placed: dict[str, PlacedActivity]) -> list[Violation]:
    """Each consultation, in the plan's order: a known patient, once, in a placed session of
    their specialty within their reach; then each session's places."""
    acts = {a.id: a for a in instance.activities}
    patients = {p.id: p for p in instance.patients}
    out: list[Violation] = []
    seen: set[str] = set()
    booked: dict[str, list[str]] = defaultdict(list)
    for consult in plan.consultations:
        patient = patients.get(consult.patient)
        if patient is None:
            out.append(
                Violation(
                    "consultation_specialty", [consult.patient], "not a patient of the instance"
                )
            )
            continue
        if consult.patient in seen:
            out.append(Violation("patient_twice", [consult.patient], "more than one consultation"))
        seen.add(consult.patient)
        found = _session(acts, placed, consult.activity)
        if found is None:
            out.append(
                Violation(
                    "consultation_specialty",
                    [consult.patient, consult.activity],
                    "not a placed activity",
                )
            )
            continue
        act, item = found
        if act.consultation_minutes is None or act.specialty != patient.specialty:
            out.append(
                Violation(
                    "consultation_specialty",
                    [consult.patient, act.id],
                    f"patient needs a {patient.specialty} consultation session",
                )
            )
        if item.city not in patient.cities or (patient.days and item.day not in patient.days):
            out.append(
                Violation(
                    "consultation_reach",
                    [consult.patient, act.id],
                    f"session in {item.city} on {item.day} is out of the patient's reach",
                )
            )
        booked[act.id].append(consult.patient)
    return out + _consultation_capacity(acts, booked)


def _consultation_capacity(
    acts: dict[str, Activity], booked: dict[str, list[str]]
) -> list[Violation]:
    out: list[Violation] = []
    for activity_id, who in sorted(booked.items()):
        act = acts[activity_id]
        cap = (
            act.duration_minutes // act.consultation_minutes
            if act.consultation_minutes is not None
            else 0
        )
        if len(who) > cap:
            out.append(
                Violation(
                    "consultation_capacity", [activity_id], f"{len(who)} patients for {cap} places"
                )
            )
    return out


def _trainees(instance: Instance, plan: Plan, placed: dict[str, PlacedActivity]) -> list[Violation]:
    """Each attendance, in the plan's order: a known trainee in a placed activity of interest,
    in their city and days; then each activity's seats, then each trainee's timetable."""
    acts = {a.id: a for a in instance.activities}
    trainees = {t.id: t for t in instance.trainees}
    out: list[Violation] = []
    seated: dict[str, int] = defaultdict(int)
    schedule: dict[str, list[PlacedActivity]] = defaultdict(list)
    for attend in plan.attendances:
        trainee = trainees.get(attend.trainee)
        found = _session(acts, placed, attend.activity)
        if trainee is None or found is None:
            out.append(
                Violation(
                    "trainee_specialty",
                    [attend.trainee, attend.activity],
                    "unknown trainee or activity not placed",
                )
            )
            continue
        act, item = found
        if act.consultation_minutes is not None or act.specialty not in trainee.specialties:
            out.append(
                Violation(
                    "trainee_specialty",
                    [trainee.id, act.id],
                    f"{act.specialty} is not among the trainee's interests (or a consultation)",
                )
            )
        if item.city != trainee.city:
            out.append(
                Violation(
                    "trainee_city", [trainee.id, act.id], f"in {item.city}, not {trainee.city}"
                )
            )
        if trainee.days and item.day not in trainee.days:
            out.append(
                Violation(
                    "trainee_day", [trainee.id, act.id], f"trainee not available on {item.day}"
                )
            )
        seated[act.id] += 1
        schedule[trainee.id].append(item)
    return out + _trainee_seats(acts, seated) + _trainee_overlap(schedule)


def _trainee_seats(acts: dict[str, Activity], seated: dict[str, int]) -> list[Violation]:
    return [
        Violation(
            "trainee_seats",
            [activity_id],
            f"{count} trainees for {acts[activity_id].trainee_seats} seats",
        )
        for activity_id, count in sorted(seated.items())
        if count > acts[activity_id].trainee_seats
    ]


def _trainee_overlap(schedule: dict[str, list[PlacedActivity]]) -> list[Violation]:
    out: list[Violation] = []
    for trainee_id, items in sorted(schedule.items()):
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if a.activity == b.activity or _overlap(a, b):
                    out.append(
                        Violation(
                            "trainee_overlap", [trainee_id, a.activity, b.activity], "same time"
                        )
                    )
    return out


def _overlap(a: PlacedActivity, b: PlacedActivity) -> bool:
    return a.day == b.day and _m(a.start) < _m(b.end) and _m(b.start) < _m(a.end)


def _objective(instance: Instance, plan: Plan) -> list[Violation]:
    """The stated objective, term by term, is the one computed from the plan."""
    expected = score(instance, plan)
    stated = plan.objective
    out: list[Violation] = []
    for name in ("total", "activities", "patients", "trainees", "travel", "changes"):
        want, got = getattr(expected, name), getattr(stated, name)
        if abs(want - got) > 1e-6 * max(1.0, abs(want)):
            out.append(Violation("objective_mismatch", [name], f"stated {got}, computed {want}"))
    return out
