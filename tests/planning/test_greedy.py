"""The greedy baseline: its plans pass the checker, on generated and on random instances."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hamkor.planning.solver.check import check
from hamkor.planning.solver.generate import generate
from hamkor.planning.solver.greedy import greedy
from hamkor.planning.solver.io import validate_instance
from hamkor.planning.solver.model import (
    Instance,
    Plan,
    UnplacedKind,
)
from hamkor.planning.solver.objective import score

from .random_instances import random_instance
from .tiny import instance, instance_data

REASONS = {
    UnplacedKind.ACTIVITY: {
        "no_room_of_kind",
        "room_too_small",
        "no_specialist_of_specialty",
        "named_lead_unavailable",
        "no_free_time",
    },
    UnplacedKind.PATIENT: {"no_session_of_specialty", "no_session_reachable", "sessions_full"},
    UnplacedKind.TRAINEE: {"no_activity_of_interest", "seats_exhausted"},
}


def assert_sound(inst: Instance, plan: Plan) -> None:
    """The plan passes the checker, but for mandatory activities it reports as unplaced."""
    unplaced = {(u.kind, u.item) for u in plan.unplaced}
    for violation in check(inst, plan):
        assert violation.constraint == "mandatory_unplaced", violation
        assert (UnplacedKind.ACTIVITY, violation.items[0]) in unplaced
    for item in plan.unplaced:
        assert item.reason in REASONS[item.kind], item
        assert item.detail
    placed = {p.activity for p in plan.activities}
    assert placed | {u.item for u in plan.unplaced if u.kind == UnplacedKind.ACTIVITY} == {
        a.id for a in inst.activities
    }
    assert plan.objective == score(inst, plan)
    assert plan.solver.name == "greedy"
    assert plan.bound is None


def test_greedy_on_the_tiny_instance() -> None:
    inst = instance()
    plan = greedy(inst)
    assert check(inst, plan) == []
    assert len(plan.activities) == 3
    assert {c.patient for c in plan.consultations} == {"p1", "p2"}
    reasons = {u.item: u.reason for u in plan.unplaced}
    assert reasons["p3"] == "no_session_reachable"
    assert reasons["p4"] == "no_session_of_specialty"
    assert reasons["p5"] == "sessions_full"
    assert reasons["t3"] == "no_activity_of_interest"


def test_greedy_activity_reasons() -> None:
    data = instance_data()
    base = data["activities"][2]
    data["activities"] += [
        {**base, "id": "x1", "room_kind": "cath_lab"},
        {**base, "id": "x2", "trainee_seats": 500},
        {**base, "id": "x3", "specialty": "genetics"},
        {**base, "id": "x4", "named_leads": ["s1"]},
        {**base, "id": "x5", "duration_minutes": 11 * 60},
    ]
    inst = Instance.model_validate(data)
    plan = greedy(inst)
    reasons = {u.item: u.reason for u in plan.unplaced}
    assert reasons["x1"] == "no_room_of_kind"
    assert reasons["x2"] == "room_too_small"
    assert reasons["x3"] == "no_specialist_of_specialty"
    assert reasons["x4"] == "named_lead_unavailable"
    assert reasons["x5"] == "no_free_time"
    assert_sound(inst, plan)


def test_greedy_passes_the_checker_at_scale_1() -> None:
    inst = generate(1, 1)
    plan = greedy(inst)
    assert check(inst, plan) == []
    assert_sound(inst, plan)
    assert plan.solver.status == "feasible"
    # the instance is scarce (docs/planning.md): most, not all, activities fit
    assert 150 <= len(plan.activities) < 200
    assert len(plan.consultations) > 400
    assert len(plan.attendances) > 300


def test_greedy_keeps_pinned_activities() -> None:
    inst = generate(1, 2)
    first = greedy(inst)
    kept = first.activities[::3]
    replan = inst.model_copy(
        update={"accepted": first.activities, "pinned": [p.activity for p in kept]}
    )
    plan = greedy(replan)
    assert_sound(replan, plan)
    assert {p.activity: p for p in plan.activities}.items() >= {p.activity: p for p in kept}.items()
    assert plan.objective.changes == 0  # nothing changed, so everything accepted is kept


def test_greedy_replans_after_a_disruption() -> None:
    inst = generate(1, 2)
    first = greedy(inst)
    busiest = max(inst.specialists, key=lambda s: sum(s.id in p.leads for p in first.activities))
    day = inst.program.days[2]
    specialists = [
        s.model_copy(update={"unavailable": [*s.unavailable, day]}) if s is busiest else s
        for s in inst.specialists
    ]
    replan = inst.model_copy(update={"specialists": specialists, "accepted": first.activities})
    plan = greedy(replan)
    assert_sound(replan, plan)
    touched = [p for p in first.activities if busiest.id in p.leads and p.day == day]
    assert touched
    assert 0 < plan.objective.changes <= len(touched) * replan.weights.change


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.booleans())
def test_greedy_plans_pass_the_checker(rng: random.Random, replan: bool) -> None:
    inst = random_instance(rng)
    assert validate_instance(inst) == []
    plan = greedy(inst)
    assert_sound(inst, plan)
    if replan and plan.activities:
        pinned = [p.activity for p in plan.activities if rng.random() < 0.5]
        again = inst.model_copy(update={"accepted": plan.activities, "pinned": pinned})
        assert_sound(again, greedy(again))
