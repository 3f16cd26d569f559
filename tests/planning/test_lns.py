"""The large-neighbourhood search (``solver/lns.py``): never worse than its start, every plan it
gives passes the checker, and a run by deterministic time is reproducible."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from hamkor.planning.solver import cpsat, lns
from hamkor.planning.solver.check import check
from hamkor.planning.solver.cpsat import Progress, solve
from hamkor.planning.solver.options import ActivityOptions, Data, every_option

from .test_cpsat import _small_generated

#: Cuts of generated instances whose mandatory activities can all be placed.
FEASIBLE = [1, 3, 5, 6]


def _start(seed: int) -> tuple[cpsat._Built, dict[str, ActivityOptions], list[int], float]:
    """A model of a generated cut and a first solution of it (a short deterministic search)."""
    inst = _small_generated(seed)
    data = Data(inst)
    opts = every_option(data)
    built = cpsat._build(data, opts)
    solver = cpsat._solver(seed, 1, 0.2)
    solver.parameters.max_deterministic_time = 0.2
    assert solver.solve(built.model) in (cp_model.FEASIBLE, cp_model.OPTIMAL)
    return built, opts, list(solver.response_proto.solution), solver.objective_value


@pytest.mark.parametrize("seed", FEASIBLE[:3])
def test_the_search_never_returns_less_than_its_start(seed: int) -> None:
    built, opts, start, value = _start(seed)
    steps: list[lns.Step] = []
    solution, objective = lns.improve(
        built.model,
        opts,
        cpsat._variables(built, opts),
        start,
        value,
        budget=lns.Budget(deterministic=1.0, step_seconds=0.1),
        seed=seed,
        workers=1,
        on_step=steps.append,
    )
    assert objective >= value
    # every step it takes improves on the one before
    assert [s.objective for s in steps] == sorted({s.objective for s in steps})
    assert all(s.objective > value for s in steps)
    if steps:
        assert objective == steps[-1].objective
    else:
        assert solution == start
    # the solution it returns is a solution of the whole model, of that objective
    check_model = built.model.clone()
    for i, v in enumerate(solution):
        domain = check_model.proto.variables[i].domain
        domain.clear()
        domain.extend([v, v])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(check_model) == cp_model.OPTIMAL
    assert solver.objective_value == pytest.approx(objective)


def test_the_plan_is_the_best_the_search_reported() -> None:
    inst = _small_generated(5)
    seen: list[Progress] = []
    plan = solve(inst, time_limit=8, seed=2, workers=2, on_progress=seen.append)
    assert check(inst, plan) == []
    assert {p.source for p in seen} <= {"cp-sat", "lns", "end"}
    assert seen[-1].source == "end"
    assert seen[-1].objective == pytest.approx(plan.objective.total)
    assert plan.objective.total >= max(p.objective for p in seen[:-1]) - 1e-6


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(min_value=1, max_value=10**6))
def test_plans_after_the_neighbourhoods_pass_the_checker(seed: int) -> None:
    inst = _small_generated(FEASIBLE[seed % len(FEASIBLE)])
    plan = solve(inst, time_limit=4, seed=seed, workers=2)
    assert check(inst, plan) == []


def test_a_run_by_deterministic_time_is_reproducible() -> None:
    inst = _small_generated(6)
    first = solve(inst, time_limit=600, seed=3, workers=2, deterministic_time=2.0)
    second = solve(inst, time_limit=600, seed=3, workers=2, deterministic_time=2.0)
    assert first.activities == second.activities
    assert first.consultations == second.consultations
    assert first.attendances == second.attendances
    assert first.objective == second.objective
    assert first.solver.bounds == second.solver.bounds
    assert check(inst, first) == []
