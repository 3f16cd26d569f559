"""The checker catches each kind of violation on a hand-built plan, and passes a valid one."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hamkor.planning.solver import check as check_module
from hamkor.planning.solver.check import check
from hamkor.planning.solver.model import Attendance, Consultation, Instance, Plan

from .tiny import D1, D2, VALID_ACTIVITIES, instance, instance_data, placed, plan

A_OP, A_CONS, A_LEC = VALID_ACTIVITIES


def found(inst: Instance, p: Plan) -> set[str]:
    return {violation.constraint for violation in check(inst, p)}


def with_activity(field: str, index: int, **changes: Any) -> dict[str, Any]:
    """The tiny instance's ``field`` list with item ``index`` updated."""
    items: list[dict[str, Any]] = instance_data()[field]
    items[index] = {**items[index], **changes}
    return {field: items}


def test_valid_plan_passes() -> None:
    assert check(instance(), plan()) == []


def test_check_does_not_share_constraint_code() -> None:
    tree = ast.parse(Path(check_module.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
    }
    assert not {m for m in imported if m.endswith((".rules", ".greedy", ".cpsat"))}


Case = Callable[[], tuple[Instance, Plan]]


def same_instance(**kwargs: Any) -> tuple[Instance, Plan]:
    inst = instance()
    return inst, plan(inst, **kwargs)


def changed_instance(**changes: Any) -> tuple[Instance, Plan]:
    inst = instance(**changes)
    return inst, plan(inst)


CASES: dict[str, Case] = {
    "activity_unknown": lambda: same_instance(
        activities=[*VALID_ACTIVITIES, placed("ghost", D2, "08:00", "09:00", "a", "la", "s3")]
    ),
    "activity_twice": lambda: same_instance(
        activities=[*VALID_ACTIVITIES, placed("lec1", D2, "08:00", "09:00", "a", "la", "s3")]
    ),
    "room_kind": lambda: same_instance(
        activities=[A_OP, A_CONS, placed("lec1", D2, "08:00", "09:00", "a", "ra", "s3")]
    ),
    "room_capacity": lambda: changed_instance(**with_activity("rooms", 4, capacity=10)),
    "room_closed": lambda: changed_instance(**with_activity("rooms", 4, closed=[D1.isoformat()])),
    "room_overlap": lambda: same_instance(
        activities=[A_OP, A_CONS, placed("lec1", D1, "09:00", "10:00", "a", "ra", "s3")]
    ),
    "outside_day": lambda: same_instance(
        activities=[A_OP, A_CONS, placed("lec1", D1, "17:30", "18:30", "a", "la", "s3")]
    ),
    "fixed_time": lambda: changed_instance(
        **with_activity("activities", 0, fixed_day=D2.isoformat())
    ),
    "city_not_allowed": lambda: changed_instance(**with_activity("activities", 2, cities=["b"])),
    "room_city": lambda: same_instance(
        activities=[placed("op1", D1, "08:00", "10:00", "b", "ra", "s1", "s2"), A_CONS, A_LEC]
    ),
    "lead_specialty": lambda: same_instance(
        activities=[A_OP, A_CONS, placed("lec1", D2, "08:00", "09:00", "a", "la", "s1")]
    ),
    "lead_count": lambda: same_instance(
        activities=[placed("op1", D1, "08:00", "10:00", "a", "ra", "s1"), A_CONS, A_LEC]
    ),
    "named_leads": lambda: changed_instance(**with_activity("activities", 2, named_leads=["s4"])),
    "specialist_unavailable": lambda: changed_instance(
        **with_activity("specialists", 2, unavailable=[D1.isoformat()])
    ),
    "specialist_overlap": lambda: same_instance(
        activities=[A_OP, placed("cons1", D1, "09:00", "10:00", "a", "ca", "s1"), A_LEC]
    ),
    "one_city_per_day": lambda: same_instance(
        activities=[A_OP, placed("cons1", D1, "16:00", "17:00", "b", "cb", "s1"), A_LEC],
        consultations=[],
    ),
    "travel_after_city_change": lambda: same_instance(
        activities=[A_OP, placed("cons1", D2, "09:00", "10:00", "b", "cb", "s1"), A_LEC],
        consultations=[],
    ),
    "before_arrival": lambda: changed_instance(
        **with_activity(
            "specialists", 2, arrival={"city": "b", "day": D1.isoformat(), "time": "07:00"}
        )
    ),
    "after_departure": lambda: changed_instance(
        **with_activity(
            "specialists", 0, departure={"city": "a", "day": D1.isoformat(), "time": "10:30"}
        )
    ),
    "mandatory_unplaced": lambda: same_instance(
        activities=[A_CONS, A_LEC], attendances=[Attendance(trainee="t2", activity="lec1")]
    ),
    "consultation_specialty": lambda: same_instance(
        consultations=[Consultation(patient="p4", activity="cons1")]
    ),
    "consultation_reach": lambda: same_instance(
        consultations=[Consultation(patient="p3", activity="cons1")]
    ),
    "consultation_capacity": lambda: same_instance(
        consultations=[
            Consultation(patient="p1", activity="cons1"),
            Consultation(patient="p2", activity="cons1"),
            Consultation(patient="p5", activity="cons1"),
        ]
    ),
    "patient_twice": lambda: same_instance(
        consultations=[
            Consultation(patient="p1", activity="cons1"),
            Consultation(patient="p1", activity="cons1"),
        ]
    ),
    "trainee_specialty": lambda: same_instance(
        attendances=[Attendance(trainee="t2", activity="op1")]
    ),
    "trainee_city": lambda: same_instance(attendances=[Attendance(trainee="t3", activity="op1")]),
    "trainee_day": lambda: changed_instance(**with_activity("trainees", 0, days=[D2.isoformat()])),
    "trainee_seats": lambda: changed_instance(**with_activity("activities", 2, trainee_seats=0)),
    "trainee_overlap": lambda: (
        instance(**with_activity("trainees", 0, specialties=["neuro", "cardio"])),
        plan(
            instance(**with_activity("trainees", 0, specialties=["neuro", "cardio"])),
            attendances=[
                Attendance(trainee="t1", activity="op1"),
                Attendance(trainee="t1", activity="lec1"),
            ],
        ),
    ),
    "pinned_moved": lambda: (
        instance(accepted=[A_OP.model_dump(mode="json")], pinned=["op1"]),
        plan(
            instance(accepted=[A_OP.model_dump(mode="json")], pinned=["op1"]),
            activities=[placed("op1", D2, "08:00", "10:00", "a", "ra", "s1", "s2"), A_CONS, A_LEC],
        ),
    ),
}


@pytest.mark.parametrize("constraint", sorted(CASES))
def test_checker_catches(constraint: str) -> None:
    inst, bad_plan = CASES[constraint]()
    violations = check(inst, bad_plan)
    names = {v.constraint for v in violations}
    assert constraint in names, violations
    assert all(v.items and v.detail for v in violations)


def test_room_closed_outside_hours() -> None:
    hours = [{"day": D1.isoformat(), "start": "12:00", "end": "18:00"}]
    inst = instance(**with_activity("rooms", 4, hours=hours))
    assert "room_closed" in found(inst, plan(inst))


def test_specialist_outside_hours() -> None:
    hours = [{"day": D1.isoformat(), "start": "12:00", "end": "18:00"}]
    inst = instance(**with_activity("specialists", 2, hours=hours))
    assert "specialist_unavailable" in found(inst, plan(inst))


def test_before_arrival_day_and_after_departure_day() -> None:
    arrival = {"city": "a", "day": D2.isoformat(), "time": "06:00"}
    inst = instance(**with_activity("specialists", 2, arrival=arrival))
    assert "before_arrival" in found(inst, plan(inst))
    departure = {"city": "a", "day": D1.isoformat(), "time": "06:00"}
    inst = instance(**with_activity("specialists", 2, arrival=None, departure=departure))
    assert "after_departure" in found(inst, plan(inst))


def test_travel_allowed_after_the_trip() -> None:
    inst = instance()
    moved = [A_OP, placed("cons1", D2, "10:00", "11:00", "b", "cb", "s1"), A_LEC]
    assert found(inst, plan(inst, activities=moved, consultations=[])) == set()


def test_objective_mismatch() -> None:
    inst = instance()
    good = plan(inst)
    wrong = good.model_copy(
        update={"objective": good.objective.model_copy(update={"total": good.objective.total + 1})}
    )
    assert found(inst, wrong) == {"objective_mismatch"}
