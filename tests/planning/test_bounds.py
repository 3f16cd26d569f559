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


D2 = date(2025, 10, 14)

#: A lecture of one specialist: id, the one city that may hold it, its day, minutes, weight.
Lecture = tuple[str, str, date | None, int, float]


def _one_lecturer(
    code: str,
    roads: dict[tuple[str, str], int],
    lectures: list[Lecture],
    *,
    home: str | None,
    travel_minute: float,
) -> Instance:
    """One neurologist, arriving in ``home`` on the first day and leaving from it on the last
    (when given), lectures on two days of 08:00-18:00 on an hourly grid, a lecture hall in
    each city a lecture names."""
    days = [D1, D2]
    cities = sorted({k for pair in roads for k in pair})
    return Instance(
        format=INSTANCE_FORMAT,
        program=Program(code=code, days=days, day_start="08:00", day_end="18:00", slot_minutes=60),
        cities=[City(id=k) for k in cities],
        travel=[Travel(a=a, b=b, minutes=m) for (a, b), m in roads.items()],
        rooms=[
            Room(id=f"r{k}", city=k, kind=RoomKind.LECTURE_HALL, capacity=10)
            for k in sorted({city for _, city, _, _, _ in lectures})
        ],
        specialists=[
            Specialist(
                id="s",
                specialties=["neuro"],
                arrival=Moment(city=home, day=days[0], time="07:00") if home else None,
                departure=Moment(city=home, day=days[-1], time="20:00") if home else None,
            )
        ],
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
            for aid, city, day, minutes, weight in lectures
        ],
        weights=Weights(activity=100, travel_minute=travel_minute),
    )


def _far_room(*, travel_minute: float) -> Instance:
    """The only room is in ``b``, two hours from ``a`` where the specialist arrives and
    leaves: whoever leads the lecture pays four hours of road."""
    lecture = ("lecture", "b", D1, 120, 1.0)
    return _one_lecturer("far", {("a", "b"): 120}, [lecture], home="a", travel_minute=travel_minute)


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
    """A lecture that only ``b`` can hold on the first day and one that only ``c`` can hold on
    the second. Each city is an hour from ``a``, where the specialist arrives and leaves, and
    two hours from the other: the route a → b → c → a takes four hours, the trip to either
    city and back only two."""
    return _one_lecturer(
        "turn",
        {("a", "b"): 60, ("a", "c"): 60, ("b", "c"): 120},
        [("first", "b", D1, 60, 1.0), ("second", "c", D2, 60, 1.0)],
        home="a",
        travel_minute=0.1,
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
    """A lecture only ``a`` can hold on the first day, worth two, and two four-hour lectures
    only ``b`` can hold on the second, six hours of road from ``a``. After the first day in
    ``a`` the second starts at 14:00 in ``b``: time for one of the two."""
    return _one_lecturer(
        "late",
        {("a", "b"): 360},
        [("first", "a", D1, 60, 2.0), ("x1", "b", D2, 240, 1.0), ("x2", "b", D2, 240, 1.0)],
        home=None,
        travel_minute=0,
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
