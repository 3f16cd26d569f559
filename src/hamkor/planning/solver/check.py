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

from hamkor.planning.solver.model import Activity, Busy, Instance, PlacedActivity, Plan
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
    """Every violation of ``plan`` against ``instance``; an empty list means feasible."""
    out: list[Violation] = []

    def bad(constraint: str, items: list[str], detail: str) -> None:
        out.append(Violation(constraint, items, detail))

    program = instance.program
    p_start, p_end = _m(program.day_start), _m(program.day_end)
    day_order = {day: i for i, day in enumerate(program.days)}
    acts = {a.id: a for a in instance.activities}
    rooms = {r.id: r for r in instance.rooms}
    specs = {s.id: s for s in instance.specialists}
    patients = {p.id: p for p in instance.patients}
    trainees = {t.id: t for t in instance.trainees}
    road: dict[frozenset[str], int] = {}
    for row in instance.travel:
        road[frozenset((row.a, row.b))] = row.minutes

    def trip(a: str, b: str) -> int:
        return 0 if a == b else road.get(frozenset((a, b)), 0)

    # --- activities, one by one --------------------------------------------------------------
    placed: dict[str, PlacedActivity] = {}
    for item in plan.activities:
        act = acts.get(item.activity)
        if act is None:
            bad("activity_unknown", [item.activity], "not an activity of the instance")
            continue
        if item.activity in placed:
            bad("activity_twice", [item.activity], "placed more than once")
            continue
        placed[item.activity] = item
        start, end = _m(item.start), _m(item.end)
        here = f"{item.day} {item.start}-{item.end}"
        if end - start != act.duration_minutes or (start - p_start) % program.slot_minutes:
            bad(
                "outside_day",
                [act.id],
                f"{here}: must start on the {program.slot_minutes}-minute grid and last "
                f"{act.duration_minutes} min",
            )
        if item.day not in day_order or start < p_start or end > p_end:
            bad("outside_day", [act.id], f"{here} is outside the program's days or hours")
        if (act.fixed_day is not None and item.day != act.fixed_day) or (
            act.fixed_start is not None and item.start != act.fixed_start
        ):
            bad(
                "fixed_time",
                [act.id],
                f"fixed at {act.fixed_day or 'any day'} {act.fixed_start or ''}, placed {here}",
            )
        if act.cities and item.city not in act.cities:
            bad("city_not_allowed", [act.id, item.city], f"allowed: {', '.join(act.cities)}")
        room = rooms.get(item.room)
        if room is None:
            bad("room_kind", [act.id, item.room], "unknown room")
        else:
            if room.city != item.city:
                bad("room_city", [act.id, room.id], f"room is in {room.city}, not {item.city}")
            if room.kind != act.room_kind:
                bad("room_kind", [act.id, room.id], f"needs {act.room_kind}, room is {room.kind}")
            if room.capacity < act.trainee_seats:
                bad(
                    "room_capacity",
                    [act.id, room.id],
                    f"{act.trainee_seats} seats in a room for {room.capacity}",
                )
            if item.day in room.closed:
                bad("room_closed", [act.id, room.id], f"room closed on {item.day}")
            else:
                open_, close = p_start, p_end
                for h in room.hours:
                    if h.day == item.day:
                        open_, close = _m(h.start), _m(h.end)
                if start < open_ or end > close:
                    bad(
                        "room_closed",
                        [act.id, room.id],
                        f"{here} outside opening hours {_hhmm(open_)}-{_hhmm(close)}",
                    )
        # leads
        leads = list(item.leads)
        if act.named_leads:
            if set(leads) != set(act.named_leads) or len(leads) != len(set(leads)):
                bad(
                    "named_leads",
                    [act.id, *leads],
                    f"must be led by exactly {', '.join(act.named_leads)}",
                )
        elif len(set(leads)) != act.leads or len(leads) != act.leads:
            bad("lead_count", [act.id, *leads], f"needs {act.leads} distinct leads")
        for lead in sorted(set(leads)):
            spec = specs.get(lead)
            if spec is None or act.specialty not in spec.specialties:
                bad("lead_specialty", [act.id, lead], f"lead lacks specialty {act.specialty}")
            if spec is None:
                continue
            if item.day in spec.unavailable:
                bad("specialist_unavailable", [lead, act.id], f"unavailable on {item.day}")
            else:
                w_start, w_end = p_start, p_end
                for h in spec.hours:
                    if h.day == item.day:
                        w_start, w_end = _m(h.start), _m(h.end)
                if start < w_start or end > w_end:
                    bad(
                        "specialist_unavailable",
                        [lead, act.id],
                        f"{here} outside working hours {_hhmm(w_start)}-{_hhmm(w_end)}",
                    )
            arr = spec.arrival
            if arr is not None:
                if item.day < arr.day:
                    bad("before_arrival", [lead, act.id], f"arrives on {arr.day}")
                elif item.day == arr.day and start < _m(arr.time) + trip(arr.city, item.city):
                    bad(
                        "before_arrival",
                        [lead, act.id],
                        f"arrives {arr.time} in {arr.city}, "
                        f"{trip(arr.city, item.city)} min from {item.city}",
                    )
            dep = spec.departure
            if dep is not None:
                if item.day > dep.day:
                    bad("after_departure", [lead, act.id], f"leaves on {dep.day}")
                elif item.day == dep.day and end > _m(dep.time) - trip(item.city, dep.city):
                    bad(
                        "after_departure",
                        [lead, act.id],
                        f"leaves {dep.time} from {dep.city}, "
                        f"{trip(item.city, dep.city)} min from {item.city}",
                    )

    # --- conflicts, by the program's own definition, with what the plan may not move -------
    busy = list(instance.busy)
    for clash in _clashes(placed.values(), busy, trip):
        bad(
            _CONFLICTS[clash.kind],
            [str(clash.subject), str(clash.first.key), str(clash.second.key)],
            f"{clash.first.starts_at:%Y-%m-%d %H:%M} and {clash.second.starts_at:%Y-%m-%d %H:%M}",
        )

    # --- the planner's stricter rules: a specialist's day in one city, the trip between days --
    busy_by_lead: dict[str, list[Busy]] = defaultdict(list)
    for taken in busy:
        for lead in set(taken.leads):
            busy_by_lead[lead].append(taken)
    by_lead: dict[str, list[PlacedActivity]] = defaultdict(list)
    for item in placed.values():
        for lead in set(item.leads):
            by_lead[lead].append(item)
    for lead, items in sorted(by_lead.items()):
        ours: dict[date, list[PlacedActivity]] = defaultdict(list)
        for item in items:
            ours[item.day].append(item)
        # (start, city) of everything the lead does each day: the plan's and the busy times
        doing: dict[date, list[tuple[int, str]]] = defaultdict(list)
        for item in items:
            doing[item.day].append((_m(item.start), item.city))
        for taken in busy_by_lead.get(lead, []):
            doing[taken.day].append((_m(taken.start), taken.city))
        for day in sorted(ours):
            cities = sorted({city for _, city in doing[day]})
            if len(cities) > 1:
                bad("one_city_per_day", [lead, *cities], f"several cities on {day}")
        for d1, d2 in zip(program.days, program.days[1:], strict=False):
            if d1 not in ours and d2 not in ours:
                continue  # the plan has the lead on neither day: not the plan's doing
            for k1 in sorted({city for _, city in doing.get(d1, [])}):
                for k2 in sorted({city for _, city in doing.get(d2, [])} - {k1}):
                    first = min(start for start, city in doing[d2] if city == k2)
                    need = p_start + trip(k1, k2)
                    if first < need:
                        bad(
                            "travel_after_city_change",
                            [lead, k1, k2],
                            f"starts {_hhmm(first)} on {d2}, cannot before {_hhmm(need)}",
                        )

    # --- mandatory and pinned -----------------------------------------------------------------
    for act in instance.activities:
        if act.mandatory and act.id not in placed:
            bad("mandatory_unplaced", [act.id], "a mandatory activity is not placed")
    accepted = {item.activity: item for item in instance.accepted}
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
            bad("pinned_moved", [pin], "a pinned activity must keep day, start, room and leads")

    # --- patients -----------------------------------------------------------------------------
    def session_of(activity_id: str) -> tuple[Activity, PlacedActivity] | None:
        act = acts.get(activity_id)
        item = placed.get(activity_id)
        return (act, item) if act is not None and item is not None else None

    seen_patients: set[str] = set()
    booked: dict[str, list[str]] = defaultdict(list)
    for consult in plan.consultations:
        patient = patients.get(consult.patient)
        if patient is None:
            bad("consultation_specialty", [consult.patient], "not a patient of the instance")
            continue
        if consult.patient in seen_patients:
            bad("patient_twice", [consult.patient], "more than one consultation")
        seen_patients.add(consult.patient)
        found = session_of(consult.activity)
        if found is None:
            bad(
                "consultation_specialty",
                [consult.patient, consult.activity],
                "not a placed activity",
            )
            continue
        act, item = found
        if act.consultation_minutes is None or act.specialty != patient.specialty:
            bad(
                "consultation_specialty",
                [consult.patient, act.id],
                f"patient needs a {patient.specialty} consultation session",
            )
        if item.city not in patient.cities or (patient.days and item.day not in patient.days):
            bad(
                "consultation_reach",
                [consult.patient, act.id],
                f"session in {item.city} on {item.day} is out of the patient's reach",
            )
        booked[act.id].append(consult.patient)
    for activity_id, who in sorted(booked.items()):
        act = acts[activity_id]
        cap = (
            act.duration_minutes // act.consultation_minutes
            if act.consultation_minutes is not None
            else 0
        )
        if len(who) > cap:
            bad("consultation_capacity", [activity_id], f"{len(who)} patients for {cap} places")

    def overlaps(a: PlacedActivity, b: PlacedActivity) -> bool:
        return a.day == b.day and _m(a.start) < _m(b.end) and _m(b.start) < _m(a.end)

    # --- trainees -----------------------------------------------------------------------------
    seated: dict[str, int] = defaultdict(int)
    schedule: dict[str, list[PlacedActivity]] = defaultdict(list)
    for attend in plan.attendances:
        trainee = trainees.get(attend.trainee)
        found = session_of(attend.activity)
        if trainee is None or found is None:
            bad(
                "trainee_specialty",
                [attend.trainee, attend.activity],
                "unknown trainee or activity not placed",
            )
            continue
        act, item = found
        if act.consultation_minutes is not None or act.specialty not in trainee.specialties:
            bad(
                "trainee_specialty",
                [trainee.id, act.id],
                f"{act.specialty} is not among the trainee's interests (or a consultation)",
            )
        if item.city != trainee.city:
            bad("trainee_city", [trainee.id, act.id], f"in {item.city}, not {trainee.city}")
        if trainee.days and item.day not in trainee.days:
            bad("trainee_day", [trainee.id, act.id], f"trainee not available on {item.day}")
        seated[act.id] += 1
        schedule[trainee.id].append(item)
    for activity_id, count in sorted(seated.items()):
        if count > acts[activity_id].trainee_seats:
            bad(
                "trainee_seats",
                [activity_id],
                f"{count} trainees for {acts[activity_id].trainee_seats} seats",
            )
    for trainee_id, items in sorted(schedule.items()):
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if a.activity == b.activity or overlaps(a, b):
                    bad("trainee_overlap", [trainee_id, a.activity, b.activity], "same time")

    # --- objective ----------------------------------------------------------------------------
    expected = score(instance, plan)
    stated = plan.objective
    for name in ("total", "activities", "patients", "trainees", "travel", "changes"):
        want, got = getattr(expected, name), getattr(stated, name)
        if abs(want - got) > 1e-6 * max(1.0, abs(want)):
            bad("objective_mismatch", [name], f"stated {got}, computed {want}")
    return out
