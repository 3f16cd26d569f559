"""Busy times: what the plan may not move holds its rooms and leads, and no plan adds a conflict.

The property behind issue 13: accepting a plan never grows the program's conflict list, even
when what was entered by hand already breaks the planner's own rules.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hamkor.planning.solver import rules
from hamkor.planning.solver.check import check
from hamkor.planning.solver.cpsat import solve
from hamkor.planning.solver.greedy import greedy
from hamkor.planning.solver.io import validate_instance
from hamkor.planning.solver.model import Busy, Instance, Plan, Travel
from hamkor.programs.conflict_rules import Booking, Clash, added, find

from .random_instances import random_instance, with_busy
from .tiny import D1, D2, instance

Solver = Callable[[Instance], Plan]
SOLVERS: dict[str, Solver] = {
    "greedy": greedy,
    "cp-sat": lambda inst: solve(inst, time_limit=3, seed=1, workers=2),
}


def _at(day: object, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock))  # type: ignore[arg-type]


def conflicts(inst: Instance, plan: Plan | None = None) -> list[Clash]:
    """The program's conflicts as the panel would list them: the busy times, and the plan."""
    table = rules.travel_table(inst)
    bookings = [
        Booking(b.id, _at(b.day, b.start), _at(b.day, b.end), b.city, b.room, tuple(b.leads))
        for b in inst.busy
    ]
    for p in plan.activities if plan else []:
        bookings.append(
            Booking(p.activity, _at(p.day, p.start), _at(p.day, p.end), p.city, p.room, (*p.leads,))
        )
    return find(bookings, lambda a, b: table[str(a), str(b)])


def busy(**fields: object) -> Busy:
    return Busy.model_validate({"id": "b1", "day": D1, "start": "08:00", "end": "18:00", **fields})


def test_the_checker_names_a_plan_that_books_a_busy_room_or_lead() -> None:
    inst = instance()
    plan = greedy(inst)
    op1 = next(p for p in plan.activities if p.activity == "op1")
    taken = inst.model_copy(
        update={
            "busy": [
                busy(day=op1.day, city=op1.city, room=op1.room, start="07:00"),
                busy(id="b2", day=op1.day, city=op1.city, leads=[op1.leads[0]], start="07:00"),
            ]
        }
    )
    found = {(v.constraint, tuple(v.items)) for v in check(taken, plan)}
    assert {
        ("room_overlap", (op1.room, "b1", "op1")),
        ("specialist_overlap", (op1.leads[0], "b2", "op1")),
    } <= found
    assert {(constraint, items[1]) for constraint, items in found} == {
        ("room_overlap", "b1"),
        ("specialist_overlap", "b2"),
    }


def test_the_checker_names_a_day_in_two_cities_and_a_move_too_fast() -> None:
    inst = instance().model_copy(update={"travel": [Travel(a="a", b="b", minutes=600)]})
    plan = greedy(inst)
    op1 = next(p for p in plan.activities if p.activity == "op1")
    other = "b" if op1.city == "a" else "a"
    lead = op1.leads[0]
    same_day = inst.model_copy(
        update={"busy": [busy(day=op1.day, city=other, start="17:00", end="18:00", leads=[lead])]}
    )
    assert "one_city_per_day" in {v.constraint for v in check(same_day, plan)}
    day_before = inst.model_copy(
        update={
            "busy": [busy(day=D1, city=other, start="22:00", end="23:59", leads=[lead])],
            "program": inst.program.model_copy(update={"days": [D1, D2]}),
        }
    )
    moved = plan.model_copy(
        update={
            "activities": [
                p.model_copy(update={"day": D2, "start": "08:00", "end": "10:00"})
                if p.activity == "op1"
                else p
                for p in plan.activities
            ]
        }
    )
    constraints = {v.constraint for v in check(day_before, moved)}
    assert {"too_fast_move", "travel_after_city_change"} <= constraints


def test_busy_among_themselves_is_not_the_plans_doing() -> None:
    inst = instance()
    clashing = inst.model_copy(
        update={
            "busy": [
                busy(city="a", room="ra", leads=["s1"]),
                busy(id="b2", city="b", room="ra", leads=["s1"]),
            ]
        }
    )
    assert validate_instance(clashing) == []
    assert check(clashing, Plan.model_validate({**greedy(inst).model_dump(), "activities": []}))


@pytest.mark.parametrize("name", SOLVERS)
def test_a_busy_room_and_lead_are_left_alone(name: str) -> None:
    inst = instance()
    first = next(p for p in SOLVERS[name](inst).activities if p.activity == "op1")
    other = D2 if first.day == D1 else D1
    taken = inst.model_copy(
        update={
            "busy": [  # where the solver put op1, and one of its leads on the other day
                busy(day=first.day, city=first.city, room=first.room),
                busy(id="b2", day=other, city="a", room="ca", start="12:00", leads=["s1"]),
            ]
        }
    )
    plan = SOLVERS[name](taken)

    assert [v.constraint for v in check(taken, plan)] == []
    led = [p for p in plan.activities if "s1" in p.leads]
    assert all((p.day, p.room) != (first.day, first.room) for p in plan.activities)
    assert all(p.day != other or p.end <= "12:00" for p in led)
    assert all(p.day != other or p.city == "a" for p in led)
    assert added(conflicts(taken), conflicts(taken, plan)) == []


@pytest.mark.parametrize("name", SOLVERS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rng=st.randoms(use_true_random=False))
def test_no_plan_adds_a_conflict_to_what_was_entered_by_hand(name: str, rng: random.Random) -> None:
    inst = with_busy(random_instance(rng), rng)
    assert validate_instance(inst) == []
    plan = SOLVERS[name](inst)

    assert added(conflicts(inst), conflicts(inst, plan)) == []
    broken = [v for v in check(inst, plan) if v.constraint != "mandatory_unplaced"]
    assert broken == []
