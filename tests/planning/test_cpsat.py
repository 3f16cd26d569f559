"""The CP-SAT optimizer: optimal on tiny instances (against an exhaustive search), feasible for
the independent checker, honest about infeasibility, and gentle when re-planning."""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter, defaultdict
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from hamkor.planning.solver import cpsat
from hamkor.planning.solver.check import check
from hamkor.planning.solver.cpsat import Progress, assign_people, solve
from hamkor.planning.solver.generate import generate
from hamkor.planning.solver.model import (
    INSTANCE_FORMAT,
    Activity,
    City,
    Hours,
    Instance,
    Moment,
    Patient,
    PlacedActivity,
    Program,
    Room,
    RoomKind,
    Specialist,
    Trainee,
    Travel,
    Weights,
    clock,
    minutes,
)
from hamkor.planning.solver.options import Data, every_option
from hamkor.planning.solver.relaxation import lp_bound

D1, D2 = date(2025, 10, 13), date(2025, 10, 14)
OR, CONS = RoomKind.OPERATING_ROOM, RoomKind.CONSULTATION_ROOM


def tiny(seed: int, *, n_activities: int = 3) -> Instance:
    """A random tiny instance: 2 days of 09:00-12:00 on a 60-minute grid, 2 cities, 2 rooms,
    2-3 specialists, 2-4 activities, 2-3 patients, 1-2 trainees."""
    rng = random.Random(seed)
    specs = ["neuro", "cardio"]
    rooms = [
        Room(id="r1", city="a", kind=OR, capacity=rng.choice([2, 5])),
        Room(
            id="r2",
            city="b",
            kind=OR if rng.random() < 0.6 else CONS,
            capacity=5,
            hours=[Hours(day=D2, start="10:00", end="12:00")] if rng.random() < 0.4 else [],
            closed=[D1] if rng.random() < 0.2 else [],
        ),
    ]
    specialists = []
    for i in range(rng.randint(2, 3)):
        specialists.append(
            Specialist(
                id=f"s{i}",
                specialties=sorted(set(rng.sample(specs, rng.randint(1, 2)))),
                unavailable=[D2] if rng.random() < 0.2 else [],
                hours=[Hours(day=D1, start="10:00", end="12:00")] if rng.random() < 0.2 else [],
                arrival=Moment(city="a", day=D1, time="09:00") if rng.random() < 0.3 else None,
                departure=Moment(city="b", day=D2, time="12:00") if rng.random() < 0.3 else None,
            )
        )
    activities = []
    for i in range(n_activities):
        kind = OR if rng.random() < 0.7 else CONS
        activities.append(
            Activity(
                id=f"a{i}",
                kind="consultation_session" if kind == CONS else "master_class",
                specialty=rng.choice(specs),
                duration_minutes=rng.choice([60, 120]),
                room_kind=kind,
                leads=1 if rng.random() < 0.8 else 2,
                cities=[rng.choice(["a", "b"])] if rng.random() < 0.2 else [],
                trainee_seats=0 if kind == CONS else rng.randint(0, 3),
                weight=float(rng.randint(1, 3)),
                consultation_minutes=30 if kind == CONS else None,
                fixed_day=D1 if rng.random() < 0.1 else None,
            )
        )
    patients = [
        Patient(
            id=f"p{i}",
            specialty=rng.choice(specs),
            priority=rng.randint(1, 5),
            cities=sorted(set(rng.sample(["a", "b"], rng.randint(1, 2)))),
            days=[rng.choice([D1, D2])] if rng.random() < 0.3 else [],
        )
        for i in range(rng.randint(2, 3))
    ]
    trainees = [
        Trainee(
            id=f"t{i}",
            specialties=sorted(set(rng.sample(specs, rng.randint(1, 2)))),
            city=rng.choice(["a", "b"]),
            days=[rng.choice([D1, D2])] if rng.random() < 0.3 else [],
        )
        for i in range(rng.randint(1, 2))
    ]
    return Instance(
        format=INSTANCE_FORMAT,
        program=Program(
            code="tiny", days=[D1, D2], day_start="09:00", day_end="12:00", slot_minutes=60
        ),
        cities=[City(id="a"), City(id="b")],
        travel=[Travel(a="a", b="b", minutes=60)],
        rooms=rooms,
        specialists=specialists,
        activities=activities,
        patients=patients,
        trainees=trainees,
        weights=Weights(activity=100, patient=4, trainee=2, travel_minute=0.5, change=50),
    )


# --- the exhaustive search --------------------------------------------------------------------

Choice = tuple[int, str, int, tuple[str, ...]]  # day index, room, start, leads


def _choices(inst: Instance, act: Activity) -> list[Choice]:
    prog = inst.program
    ds, de = minutes(prog.day_start), minutes(prog.day_end)
    travel = {(t.a, t.b): t.minutes for t in inst.travel}
    travel |= {(t.b, t.a): t.minutes for t in inst.travel}

    def trip(x: str, y: str) -> int:
        return 0 if x == y else travel.get((x, y), 0)

    out: list[Choice] = []
    for di, day in enumerate(prog.days):
        if act.fixed_day is not None and day != act.fixed_day:
            continue
        for room in inst.rooms:
            if room.kind != act.room_kind or room.capacity < act.trainee_seats:
                continue
            if (act.cities and room.city not in act.cities) or day in room.closed:
                continue
            lo, hi = ds, de
            for h in room.hours:
                if h.day == day:
                    lo, hi = max(lo, minutes(h.start)), min(hi, minutes(h.end))
            for start in range(ds, de, prog.slot_minutes):
                end = start + act.duration_minutes
                if start < lo or end > hi:
                    continue

                def ok(
                    s: Specialist,
                    start: int = start,
                    end: int = end,
                    day: date = day,
                    room: Room = room,
                ) -> bool:
                    if act.specialty not in s.specialties or day in s.unavailable:
                        return False
                    w0, w1 = ds, de
                    for h in s.hours:
                        if h.day == day:
                            w0, w1 = minutes(h.start), minutes(h.end)
                    if start < w0 or end > w1:
                        return False
                    if s.arrival is not None and (
                        day < s.arrival.day
                        or (
                            day == s.arrival.day
                            and start < minutes(s.arrival.time) + trip(s.arrival.city, room.city)
                        )
                    ):
                        return False
                    return s.departure is None or not (
                        day > s.departure.day
                        or (
                            day == s.departure.day
                            and end > minutes(s.departure.time) - trip(room.city, s.departure.city)
                        )
                    )

                able = [s.id for s in inst.specialists if ok(s)]
                if act.named_leads:
                    sets = [tuple(act.named_leads)] if set(act.named_leads) <= set(able) else []
                else:
                    sets = list(itertools.combinations(able, act.leads))
                out.extend((di, room.id, start, leads) for leads in sets)
    return out


def brute_force(inst: Instance, *, one_per_day: bool = False) -> float:
    """The optimum by enumerating every placement on the grid (and every patient and trainee
    assignment; a trainee attends any set of activities that do not overlap, or with
    ``one_per_day`` at most one a day, the rule of the solver's model)."""
    w = inst.weights
    prog = inst.program
    ds = minutes(prog.day_start)
    acts = inst.activities
    city = {r.id: r.city for r in inst.rooms}
    travel = {(t.a, t.b): t.minutes for t in inst.travel}
    travel |= {(t.b, t.a): t.minutes for t in inst.travel}

    def trip(x: str, y: str) -> int:
        return 0 if x == y else travel.get((x, y), 0)

    options: list[list[Choice | None]] = [[None, *_choices(inst, a)] for a in acts]
    specs = {s.id: s for s in inst.specialists}
    memo: dict[tuple[tuple[int, str, int, int] | None, ...], float] = {}

    def people(where: tuple[tuple[int, str, int, int] | None, ...]) -> float:
        if where in memo:
            return memo[where]
        best_p = 0.0
        pch: list[list[int | None]] = []
        for p in inst.patients:
            ok: list[int | None] = [None]
            ok += [
                i
                for i, a in enumerate(acts)
                if where[i] is not None
                and a.consultation_minutes is not None
                and a.specialty == p.specialty
                and where[i][1] in p.cities  # type: ignore[index]
                and (not p.days or prog.days[where[i][0]] in p.days)  # type: ignore[index]
            ]
            pch.append(ok)
        for pick in itertools.product(*pch):
            load: dict[int, int] = defaultdict(int)
            for i in pick:
                if i is not None:
                    load[i] += 1
            if all(n <= acts[i].patient_capacity for i, n in load.items()):
                value = sum(
                    w.patient * p.priority
                    for p, i in zip(inst.patients, pick, strict=True)
                    if i is not None
                )
                best_p = max(best_p, value)
        best_t = 0.0
        tch = []
        for t in inst.trainees:
            ok_t = [
                i
                for i, a in enumerate(acts)
                if where[i] is not None
                and a.consultation_minutes is None
                and a.trainee_seats > 0
                and a.specialty in t.specialties
                and where[i][1] == t.city  # type: ignore[index]
                and (not t.days or prog.days[where[i][0]] in t.days)  # type: ignore[index]
            ]
            subsets = [
                sub
                for r in range(len(ok_t) + 1)
                for sub in itertools.combinations(ok_t, r)
                if not any(
                    where[i][0] == where[j][0]  # type: ignore[index]
                    and (
                        one_per_day
                        or (
                            where[i][2] < where[j][3]  # type: ignore[index]
                            and where[j][2] < where[i][3]  # type: ignore[index]
                        )
                    )
                    for i, j in itertools.combinations(sub, 2)
                )
            ]
            tch.append(subsets)
        for pick_t in itertools.product(*tch):
            seats: dict[int, int] = defaultdict(int)
            for sub in pick_t:
                for i in sub:
                    seats[i] += 1
            if all(n <= acts[i].trainee_seats for i, n in seats.items()):
                best_t = max(best_t, w.trainee * sum(seats.values()))
        memo[where] = best_p + best_t
        return memo[where]

    best = float("-inf")
    for combo in itertools.product(*options):
        if any(c is None and a.mandatory for c, a in zip(combo, acts, strict=True)):
            continue
        placed = [(a, c) for a, c in zip(acts, combo, strict=True) if c is not None]
        feasible = True
        for (a1, c1), (a2, c2) in itertools.combinations(placed, 2):
            if c1[0] != c2[0]:
                continue
            overlap = c1[2] < c2[2] + a2.duration_minutes and c2[2] < c1[2] + a1.duration_minutes
            shared = set(c1[3]) & set(c2[3])
            if (overlap and (c1[1] == c2[1] or shared)) or (shared and city[c1[1]] != city[c2[1]]):
                feasible = False
                break
        if not feasible:
            continue
        stops: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for _, c in placed:
            for s in c[3]:
                stops[s].append((c[0], c[2], city[c[1]]))
        travel_total = 0
        for s, items in stops.items():
            items.sort()
            for (d1, _, x), (d2, t2, y) in itertools.pairwise(items):
                if d2 == d1 + 1 and x != y and t2 < ds + trip(x, y):
                    feasible = False
            path = [c for _, _, c in items]
            sp = specs[s]
            if sp.arrival is not None:
                path.insert(0, sp.arrival.city)
            if sp.departure is not None:
                path.append(sp.departure.city)
            travel_total += sum(trip(x, y) for x, y in itertools.pairwise(path))
        if not feasible:
            continue
        where = tuple(
            (c[0], city[c[1]], c[2], c[2] + a.duration_minutes) if c is not None else None
            for c, a in zip(combo, acts, strict=True)
        )
        value = (
            sum(w.activity * a.weight for a, _ in placed)
            + people(where)
            - w.travel_minute * travel_total
        )
        best = max(best, value)
    return best


# --- tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "n"), [(5, 3), (6, 3), (8, 3), (16, 3), (19, 3), (7, 4), (11, 4), (12, 4)]
)
def test_tiny_optimum_equals_exhaustive_search(seed: int, n: int) -> None:
    inst = tiny(seed, n_activities=n)
    plan = solve(inst, time_limit=10, workers=1)
    assert plan.solver.status == "optimal"
    assert check(inst, plan) == []
    assert plan.objective.total == pytest.approx(brute_force(inst), abs=1e-6)
    # the model's optimum (one activity per trainee per day) is what CP-SAT proves
    assert plan.bound == pytest.approx(brute_force(inst, one_per_day=True), abs=1e-6)


@pytest.mark.parametrize("seed", range(20, 40))
def test_tiny_objective_between_the_model_and_the_real_optimum(seed: int) -> None:
    inst = tiny(seed, n_activities=3)
    plan = solve(inst, time_limit=10, workers=1)
    assert check(inst, plan) == []
    model_best, best = brute_force(inst, one_per_day=True), brute_force(inst)
    assert model_best - 1e-6 <= plan.objective.total <= best + 1e-6


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6), n=st.integers(min_value=2, max_value=4))
def test_random_tiny_plans_pass_the_checker(seed: int, n: int) -> None:
    inst = tiny(seed, n_activities=n)
    plan = solve(inst, time_limit=3, workers=2)
    assert plan.solver.status in ("optimal", "feasible")
    assert check(inst, plan) == []


def _small_generated(seed: int) -> Instance:
    """A cut of a generated scale-1 instance: 40 specialists, 30 activities, 150 patients."""
    full = generate(1, seed)
    specialists = full.specialists[:40]
    kept = {s.id for s in specialists}
    activities = [a for a in full.activities if set(a.named_leads) <= kept][:30]
    return full.model_copy(
        update={
            "specialists": specialists,
            "activities": activities,
            "patients": full.patients[:150],
            "trainees": full.trainees[:60],
        }
    )


def test_generated_small_instance_passes_the_checker() -> None:
    inst = _small_generated(3)
    seen: list[Progress] = []
    plan = solve(inst, time_limit=6, seed=1, workers=2, on_progress=seen.append)
    assert plan.solver.status in ("optimal", "feasible")
    assert (plan.solver.name, plan.solver.workers, plan.solver.seed) == ("cp-sat", 2, 1)
    assert check(inst, plan) == []
    assert seen
    assert seen[-1].objective == pytest.approx(plan.objective.total)
    assert plan.bound is not None
    assert plan.bound >= plan.objective.total - 1e-6
    placed = {p.activity for p in plan.activities}
    unplaced = {u.item for u in plan.unplaced if u.kind.value == "activity"}
    assert placed | unplaced == {a.id for a in inst.activities}
    assert not placed & unplaced


@pytest.mark.parametrize("seed", [1, 3])
def test_the_start_is_a_complete_hint_the_model_accepts(seed: int) -> None:
    """CP-SAT starts from the greedy plan only if the hint gives every variable, the ones that
    name a sum included, a value of a solution; fixed to the hint, the model must be feasible."""
    inst = _small_generated(seed)
    data = Data(inst)
    built = cpsat._build(data, every_option(data))
    _, start = cpsat._starts(inst)
    cpsat._hint(built, data, start)
    proto = built.model.proto
    assert built.defined
    assert sorted(proto.solution_hint.vars) == list(range(len(proto.variables)))
    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    assert solver.solve(built.model) == cp_model.OPTIMAL


def test_mandatory_without_a_room_is_infeasible_with_the_reason() -> None:
    inst = tiny(1)
    bad = Activity(
        id="cath",
        kind="intervention",
        specialty="neuro",
        duration_minutes=60,
        room_kind=RoomKind.CATH_LAB,
        mandatory=True,
    )
    plan = solve(inst.model_copy(update={"activities": [*inst.activities, bad]}), time_limit=5)
    assert plan.solver.status == "infeasible"
    assert [(u.item, u.reason) for u in plan.unplaced] == [("cath", "no_room_of_kind")]


def test_mandatory_clash_is_proved_infeasible() -> None:
    inst = tiny(1).model_copy(
        update={
            "specialists": [Specialist(id="s0", specialties=["neuro"])],
            "activities": [
                Activity(
                    id=f"m{i}",
                    kind="master_class",
                    specialty="neuro",
                    duration_minutes=60,
                    room_kind=OR,
                    named_leads=["s0"],
                    mandatory=True,
                    fixed_day=D1,
                    fixed_start="10:00",
                )
                for i in range(2)
            ],
        }
    )
    plan = solve(inst, time_limit=5, workers=1)
    assert plan.solver.status == "infeasible"
    assert {u.item for u in plan.unplaced} == {"m0", "m1"}


def test_pinned_activity_keeps_day_start_room_and_leads() -> None:
    inst = tiny(2)
    first = solve(inst, time_limit=5)
    act = first.activities[0]
    spot = next(
        PlacedActivity(
            activity=act.activity,
            day=day,
            start=clock(start),
            end=clock(start + (minutes(act.end) - minutes(act.start))),
            city=act.city,
            room=act.room,
            leads=act.leads,
        )
        for day in (D2, D1)
        for start in range(minutes("11:00"), minutes("08:00"), -60)
        if start + minutes(act.end) - minutes(act.start) <= minutes("12:00")
    )
    replan = inst.model_copy(update={"accepted": [spot], "pinned": [spot.activity]})
    plan = solve(replan, time_limit=5)
    assert plan.solver.status == "optimal"
    assert spot.start != act.start or spot.day != act.day  # the pin really moved it
    kept = next(p for p in plan.activities if p.activity == spot.activity)
    assert (kept.day, kept.start, kept.room, sorted(kept.leads)) == (
        spot.day,
        spot.start,
        spot.room,
        sorted(spot.leads),
    )
    assert check(replan, plan) == []


def test_replan_after_losing_a_specialist_changes_only_what_it_must() -> None:
    inst = _small_generated(5)
    first = solve(inst, time_limit=5, workers=2)
    # the busiest specialist among those who lead no mandatory activity (a mandatory one that
    # must move may push an unaffected activity aside: then that change is needed too)
    mandatory = {a.id for a in inst.activities if a.mandatory}
    counts: dict[str, int] = defaultdict(int)
    for p in first.activities:
        for lead in p.leads:
            counts[lead] += 1
    for p in first.activities:
        if p.activity in mandatory:
            for lead in p.leads:
                counts.pop(lead, None)
    gone = max(counts, key=lambda s: (counts[s], s))
    affected = {p.activity for p in first.activities if gone in p.leads}
    assert affected
    specialists = [
        s.model_copy(update={"unavailable": list(inst.program.days)}) if s.id == gone else s
        for s in inst.specialists
    ]
    replan = inst.model_copy(
        update={
            "specialists": specialists,
            "accepted": first.activities,
            "weights": inst.weights.model_copy(update={"change": 10_000.0}),
        }
    )
    plan = solve(replan, time_limit=8, workers=2)
    assert check(replan, plan) == []
    before = {p.activity: p for p in first.activities}
    changed = {
        a
        for a, old in before.items()
        if (new := next((p for p in plan.activities if p.activity == a), None)) is None
        or (new.day, new.start, new.room, set(new.leads))
        != (old.day, old.start, old.room, set(old.leads))
    }
    assert changed <= affected
    assert plan.objective.changes == pytest.approx(10_000.0 * len(changed))


# --- classes of interchangeable patients and trainees -------------------------------------------


def test_assign_people_splits_a_class_over_the_sessions_of_a_cell() -> None:
    cell, other = ("neuro", "a", 0), ("neuro", "b", 0)
    classes = [["p1", "p2", "p3", "p4", "p5"], ["q1"]]
    places = {cell: [("s1", 2), ("s2", 3)], other: [("s3", 4)]}
    pairs = assign_people({(0, cell): 4, (0, other): 1, (1, cell): 1}, classes, places)
    assert sorted(pairs) == [
        ("p1", "s1"), ("p2", "s1"), ("p3", "s2"), ("p4", "s2"), ("p5", "s3"), ("q1", "s2")
    ]  # fmt: skip
    # each person at most once; each session within its places
    assert len({p for p, _ in pairs}) == len(pairs)
    assert Counter(s for _, s in pairs) == {"s1": 2, "s2": 3, "s3": 1}


def test_assign_people_once_a_day_lets_a_trainee_come_back_another_day() -> None:
    monday, tuesday = ("neuro", "a", 0), ("neuro", "a", 1)
    places = {monday: [("m1", 1), ("m2", 1)], tuesday: [("t1", 2)]}
    pairs = assign_people(
        {(0, monday): 2, (0, tuesday): 2}, [["t-a", "t-b", "t-c"]], places, once_a_day=True
    )
    assert sorted(pairs) == [("t-a", "m1"), ("t-a", "t1"), ("t-b", "m2"), ("t-b", "t1")]


def _two_sessions() -> Instance:
    """One city, one day: two one-hour neuro sessions of two places each at the same time, two
    master classes of one seat each at the same time, five patients of whom four are identical,
    and two identical trainees."""
    day = Program(code="cls", days=[D1], day_start="09:00", day_end="10:00", slot_minutes=60)
    return Instance(
        format=INSTANCE_FORMAT,
        program=day,
        cities=[City(id="a")],
        rooms=[
            Room(id="c1", city="a", kind=CONS, capacity=2),
            Room(id="c2", city="a", kind=CONS, capacity=2),
            Room(id="o1", city="a", kind=OR, capacity=2),
            Room(id="o2", city="a", kind=OR, capacity=2),
        ],
        specialists=[Specialist(id=f"s{i}", specialties=["neuro"]) for i in range(4)],
        activities=[
            Activity(
                id=f"{kind}-{i}",
                kind=kind,
                specialty="neuro",
                duration_minutes=60,
                room_kind=CONS if kind == "session" else OR,
                consultation_minutes=30 if kind == "session" else None,
                trainee_seats=0 if kind == "session" else 1,
            )
            for kind in ("session", "class")
            for i in (1, 2)
        ],
        patients=[
            *(Patient(id=f"p{i}", specialty="neuro", priority=3, cities=["a"]) for i in range(4)),
            Patient(id="low", specialty="neuro", priority=1, cities=["a"]),
        ],
        trainees=[Trainee(id=f"t{i}", specialties=["neuro"], city="a") for i in range(2)],
    )


def test_a_class_split_over_two_sessions_maps_back_to_a_valid_plan() -> None:
    inst = _two_sessions()
    plan = solve(inst, time_limit=10, workers=1)
    assert plan.solver.status == "optimal"
    assert check(inst, plan) == []
    # the four identical patients fill both sessions; the priority-1 patient waits
    assert {c.patient for c in plan.consultations} == {"p0", "p1", "p2", "p3"}
    assert Counter(c.activity for c in plan.consultations) == {"session-1": 2, "session-2": 2}
    assert [(u.item, u.reason) for u in plan.unplaced] == [("low", "sessions_full")]
    # the two identical trainees take one seat of each master class
    assert sorted((a.trainee, a.activity) for a in plan.attendances) in (
        [("t0", "class-1"), ("t1", "class-2")],
        [("t0", "class-2"), ("t1", "class-1")],
    )
    weights = inst.weights
    assert plan.objective.total == pytest.approx(
        4 * weights.activity + 12 * weights.patient + 2 * weights.trainee
    )
    assert plan.bound == pytest.approx(plan.objective.total)


# --- the LP relaxation bound --------------------------------------------------------------------


def test_lp_bound_is_the_linear_relaxation() -> None:
    model = cp_model.CpModel()
    x, y = model.new_int_var(0, 3, "x"), model.new_int_var(0, 3, "y")
    b = model.new_bool_var("b")
    model.add(2 * x + 2 * y <= 5)  # integers: x + y <= 2; LP: 2.5
    model.add(x == 0).only_enforce_if(b)  # enforced: left out of the LP
    model.maximize(x + y + b)
    bound = lp_bound(model, deadline=time.monotonic() + 5)
    assert bound is not None
    assert 3.5 <= bound == pytest.approx(3.5, rel=1e-5)  # rounded outward, never under
    # leaving out what is on y loosens it (y up to 3 on its own)
    looser = lp_bound(model, deadline=time.monotonic() + 5, leave_out=[y])
    assert looser == pytest.approx(7, rel=1e-5)
    assert lp_bound(model, deadline=time.monotonic() - 1) is None  # no time left: no bound
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(model) == cp_model.OPTIMAL
    assert solver.objective_value == 3
