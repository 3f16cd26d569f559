"""The packing bounds (``solver/packing.py``): never under the best plan of the exhaustive
search, tighter than the LP relaxation of the CP-SAT model where the leads' travel binds, and the
plan's ``bound`` the lowest of every kind proven."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hamkor.planning.cli import app
from hamkor.planning.solver.cpsat import solve
from hamkor.planning.solver.io import dump
from hamkor.planning.solver.model import (
    INSTANCE_FORMAT,
    Activity,
    City,
    Instance,
    Moment,
    Program,
    Room,
    RoomKind,
    Specialist,
    Travel,
    Weights,
)
from hamkor.planning.solver.packing import bounds

from .test_cpsat import _small_generated, brute_force, tiny

D1 = date(2025, 10, 13)


@pytest.mark.parametrize("seed", [5, 6, 7, 8, 11, 12, 16, 19, 23, 31])
def test_packing_bounds_are_never_under_the_exhaustive_optimum(seed: int) -> None:
    inst = tiny(seed, n_activities=3 if seed < 10 else 4)
    # the LPs bound the plans of the model's rules (a trainee at one activity a day)
    best = brute_force(inst, one_per_day=True)
    found = bounds(inst)
    assert set(found) == {"packing", "time-indexed"}
    assert found["packing"] >= best - 1e-6
    assert found["time-indexed"] >= best - 1e-6


@pytest.mark.parametrize("seed", [5, 7, 12])
def test_the_plan_bound_is_the_lowest_kind_and_at_most_cp_sat_s(seed: int) -> None:
    inst = tiny(seed, n_activities=4)
    plan = solve(inst, time_limit=10, workers=1)
    assert plan.solver.status == "optimal"
    assert {"cp-sat", "lp", "packing"} <= set(plan.solver.bounds)
    assert plan.bound == min(plan.solver.bounds.values())
    assert plan.bound <= plan.solver.bounds["cp-sat"]
    assert plan.bound == pytest.approx(brute_force(inst, one_per_day=True), abs=1e-6)


def _far_room(*, travel_minute: float) -> Instance:
    """One specialist arriving and leaving in city ``a``; the only room is in ``b``, two hours
    away: whoever leads the activity pays four hours of road."""
    return Instance(
        format=INSTANCE_FORMAT,
        program=Program(code="far", days=[D1], day_start="08:00", day_end="18:00"),
        cities=[City(id="a"), City(id="b")],
        travel=[Travel(a="a", b="b", minutes=120)],
        rooms=[Room(id="r", city="b", kind=RoomKind.LECTURE_HALL, capacity=10)],
        specialists=[
            Specialist(
                id="s",
                specialties=["neuro"],
                arrival=Moment(city="a", day=D1, time="07:00"),
                departure=Moment(city="a", day=D1, time="20:00"),
            )
        ],
        activities=[
            Activity(
                id="lecture",
                kind="lecture",
                specialty="neuro",
                duration_minutes=120,
                room_kind=RoomKind.LECTURE_HALL,
                weight=1.0,
            )
        ],
        weights=Weights(activity=100, travel_minute=travel_minute),
    )


def test_the_packing_bound_knows_the_trip_the_model_relaxation_does_not() -> None:
    inst = _far_room(travel_minute=0.1)
    plan = solve(inst, time_limit=10, workers=1)
    assert plan.objective.total == pytest.approx(100 - 240 * 0.1)
    # the relaxation of the CP-SAT model leaves the travel out: it bounds by the lecture alone
    assert plan.solver.bounds["lp"] == pytest.approx(100, rel=1e-4)
    # the packing LP makes the lead pay the road there and back: the bound is the optimum
    assert plan.solver.bounds["packing"] == pytest.approx(76, rel=1e-4)
    assert bounds(inst)["time-indexed"] == pytest.approx(76, rel=1e-4)


def _two_cities_in_turn() -> Instance:
    """One specialist arriving and leaving in ``a``: a lecture that only ``b`` can hold on the
    first day and one that only ``c`` can hold on the second. Each city is an hour from
    ``a`` and two hours from the other: the route a → b → c → a takes four hours, the trip to
    either city and back only two."""
    d2 = date(2025, 10, 14)
    lecture = {"kind": "lecture", "specialty": "neuro", "duration_minutes": 60, "weight": 1.0}
    return Instance(
        format=INSTANCE_FORMAT,
        program=Program(code="turn", days=[D1, d2], day_start="08:00", day_end="18:00"),
        cities=[City(id="a"), City(id="b"), City(id="c")],
        travel=[
            Travel(a="a", b="b", minutes=60),
            Travel(a="a", b="c", minutes=60),
            Travel(a="b", b="c", minutes=120),
        ],
        rooms=[
            Room(id=f"r{city}", city=city, kind=RoomKind.LECTURE_HALL, capacity=10)
            for city in ("b", "c")
        ],
        specialists=[
            Specialist(
                id="s",
                specialties=["neuro"],
                arrival=Moment(city="a", day=D1, time="07:00"),
                departure=Moment(city="a", day=d2, time="20:00"),
            )
        ],
        activities=[
            Activity(
                id="first",
                cities=["b"],
                fixed_day=D1,
                room_kind=RoomKind.LECTURE_HALL,
                **lecture,
            ),
            Activity(
                id="second",
                cities=["c"],
                fixed_day=d2,
                room_kind=RoomKind.LECTURE_HALL,
                **lecture,
            ),
        ],
        weights=Weights(activity=100, travel_minute=0.1),
    )


def test_the_packing_bound_pays_a_specialist_s_whole_route() -> None:
    inst = _two_cities_in_turn()
    plan = solve(inst, time_limit=10, workers=1)
    assert plan.objective.total == pytest.approx(200 - 240 * 0.1)
    # each city on its own costs its trip there and back; the route between them costs more
    found = bounds(inst)
    assert found["packing"] == pytest.approx(176, rel=1e-4)
    assert found["time-indexed"] == pytest.approx(176, rel=1e-4)


def test_the_command_line_prints_both_packing_bounds(tmp_path: Path) -> None:
    instance_file = tmp_path / "turn.json"
    instance_file.write_text(dump(_two_cities_in_turn()), encoding="utf-8")
    result = CliRunner().invoke(app, ["bound", str(instance_file)])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["packing:", "176.00", "time-indexed:", "176.00"]


def _late_after_the_road() -> Instance:
    """One specialist: a lecture only ``a`` can hold on the first day, worth two, and two
    four-hour lectures only ``b`` can hold on the second, six hours of road from ``a``. After
    the first day in ``a`` the second starts at 14:00 in ``b``: time for one of the two."""
    d2 = date(2025, 10, 14)
    return Instance(
        format=INSTANCE_FORMAT,
        program=Program(
            code="late", days=[D1, d2], day_start="08:00", day_end="18:00", slot_minutes=60
        ),
        cities=[City(id="a"), City(id="b")],
        travel=[Travel(a="a", b="b", minutes=360)],
        rooms=[
            Room(id=f"r{city}", city=city, kind=RoomKind.LECTURE_HALL, capacity=10)
            for city in ("a", "b")
        ],
        specialists=[Specialist(id="s", specialties=["neuro"])],
        activities=[
            Activity(
                id=aid,
                kind="lecture",
                specialty="neuro",
                duration_minutes=minutes,
                room_kind=RoomKind.LECTURE_HALL,
                cities=[city],
                fixed_day=day,
                weight=weight,
            )
            for aid, city, day, minutes, weight in (
                ("first", "a", D1, 60, 2.0),
                ("x1", "b", d2, 240, 1.0),
                ("x2", "b", d2, 240, 1.0),
            )
        ],
        weights=Weights(activity=100, travel_minute=0),
    )


def test_the_packing_bound_knows_a_trip_between_working_days_starts_the_day_late() -> None:
    inst = _late_after_the_road()
    plan = solve(inst, time_limit=10, workers=1)
    assert plan.objective.total == pytest.approx(300)
    # eight hours of lectures fit a ten-hour day, but not the four hours the road leaves
    found = bounds(inst)
    assert found["packing"] == pytest.approx(300, rel=1e-4)
    assert found["time-indexed"] == pytest.approx(300, rel=1e-4)


def test_on_a_generated_cut_the_time_indexed_bound_is_the_tightest() -> None:
    inst = _small_generated(3)
    found = bounds(inst)
    plan = solve(inst, time_limit=6, workers=2)
    assert plan.objective.total <= found["time-indexed"] + 1e-6
    # one variable per start: each room and lead alone packs exactly; the minutes rows of the
    # compact LP and of the model's relaxation only approach that
    assert found["time-indexed"] <= found["packing"] + 1e-6
    assert found["packing"] < plan.solver.bounds["lp"]
