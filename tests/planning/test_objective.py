"""The objective of a hand-built plan, computed by hand."""

from __future__ import annotations

import pytest

from hamkor.planning.solver.objective import score, travel_minutes

from .tiny import D2, VALID_ACTIVITIES, instance, instance_data, placed, plan


def test_score_by_hand() -> None:
    inst = instance()
    objective = score(inst, plan(inst))
    # op1 (weight 3) + cons1 (1) + lec1 (1), × 100
    assert objective.activities == pytest.approx(500.0)
    # p1 (priority 5) + p2 (2), × 4
    assert objective.patients == pytest.approx(28.0)
    # t1 at op1, t2 at lec1, × 2
    assert objective.trainees == pytest.approx(4.0)
    # s3 arrives in b and lectures in a: 120 min × 0.05
    assert objective.travel == pytest.approx(6.0)
    assert objective.changes == 0
    assert objective.total == pytest.approx(500 + 28 + 4 - 6)


def test_travel_between_days_and_to_departure() -> None:
    departure = {"city": "a", "day": D2.isoformat(), "time": "20:00"}
    specialists = instance_data()["specialists"]
    specialists[0]["departure"] = departure
    inst = instance(specialists=specialists)
    op1, _, lec1 = VALID_ACTIVITIES
    cons = placed("cons1", D2, "10:00", "11:00", "b", "cb", "s1")
    p = plan(inst, activities=[op1, cons, lec1], consultations=[])
    # s1: a (day 1) → b (day 2) → departs from a; s3: arrives in b, works in a.
    assert travel_minutes(inst, p) == {"s1": 240, "s2": 0, "s3": 120}
    assert score(inst, p).travel == pytest.approx(0.05 * 360)


def test_changes_to_the_accepted_plan_cost() -> None:
    op1 = VALID_ACTIVITIES[0]
    accepted = [item.model_dump(mode="json") for item in VALID_ACTIVITIES]
    inst = instance(accepted=accepted)
    assert score(inst, plan(inst)).changes == 0
    moved = placed("lec1", D2, "08:00", "09:00", "a", "la", "s3")
    p = plan(inst, activities=[op1, moved])  # lec1 moved, cons1 dropped
    objective = score(inst, p)
    assert objective.changes == pytest.approx(2 * 50.0)
    assert objective.total == pytest.approx(
        objective.activities + objective.patients + objective.trainees - objective.travel - 100
    )
