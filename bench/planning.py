"""Benchmark of the planning optimizer: CP-SAT against the greedy, per scale.

Run: ``.venv/bin/python bench/planning.py [--scales 1 2 4] [--time-limit 60] [--seed 1]``
(not part of the test suite). For each scale it generates the instance (``generate(scale,
seed)``), runs the greedy and CP-SAT (every core), checks both plans with the independent
checker and prints one table: objective, gap to the proven bound, activities placed, patients
consulted, trainees reached, wall time and peak memory (the process's peak RSS growth while
that solver ran, from ``resource.getrusage``; the greedy runs first, so its figure is its own),
and the load average before and after each scale. The bound is the one the plan carries: the
lower of CP-SAT's and the LP relaxation's (``solver/relaxation.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

from rich.console import Console
from rich.table import Table

from hamkor.planning.solver.check import check
from hamkor.planning.solver.cpsat import solve
from hamkor.planning.solver.generate import generate
from hamkor.planning.solver.greedy import greedy
from hamkor.planning.solver.model import Instance, Plan


def _load() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared: say how busy it was)."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _row(
    table: Table,
    scale: int,
    name: str,
    inst: Instance,
    plan: Plan,
    bound: float | None,
    wall: float,
    mem: float,
) -> None:
    total = plan.objective.total
    gap = f"{(bound - total) / abs(bound):.2%}" if bound else "-"
    violations = check(inst, plan)
    table.add_row(
        str(scale),
        name,
        plan.solver.status,
        f"{total:,.1f}",
        f"{bound:,.1f}" if bound is not None else "-",
        gap,
        f"{len(plan.activities)}/{len(inst.activities)}",
        f"{len(plan.consultations)}/{len(inst.patients)}",
        f"{len({a.trainee for a in plan.attendances})}/{len(inst.trainees)}",
        f"{wall:.1f}",
        f"{mem:,.0f}",
        "ok" if not violations else f"{len(violations)} violations",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    console = Console(width=160)
    table = Table(
        title=f"planning benchmark: time limit {args.time_limit:g}s, seed {args.seed}, "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        title_justify="left",
    )
    for column in (
        "scale",
        "solver",
        "status",
        "objective",
        "proven bound",
        "gap",
        "activities",
        "patients",
        "trainees reached",
        "wall s",
        "peak MiB",
        "checker",
    ):
        table.add_column(column, justify="left" if column in ("solver", "status") else "right")
    for scale in args.scales:
        console.print(f"load average before scale {scale}: {_load()}")
        inst = generate(scale, args.seed)
        before = _peak_mib()
        t0 = time.monotonic()
        baseline = greedy(inst)
        g_wall, g_mem = time.monotonic() - t0, _peak_mib() - before
        before = _peak_mib()
        t0 = time.monotonic()
        plan = solve(inst, time_limit=args.time_limit, seed=args.seed)
        s_wall, s_mem = time.monotonic() - t0, _peak_mib()
        _row(table, scale, "greedy", inst, baseline, plan.bound, g_wall, g_mem)
        _row(table, scale, "cp-sat", inst, plan, plan.bound, s_wall, s_mem)
        ratio = plan.objective.total / baseline.objective.total
        console.print(
            f"scale {scale}: cp-sat / greedy = {ratio:.3f}; "
            f"cp-sat {plan.solver.status} in {s_wall:.1f}s; load average after: {_load()}"
        )
    console.print(table)


if __name__ == "__main__":
    main()
