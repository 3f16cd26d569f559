"""Benchmark of the planning optimizer on the published instances of ``bench/instances/``.

Run: ``.venv/bin/python bench/planning.py --scales 1 --seeds 1 2 3 4 5 --time-limit 60``
(not part of the test suite). Each (scale, seed) reads ``bench/instances/scale-S-seed-N.json.gz``
(the instance ``generate(scale, seed)`` writes), runs the greedy and the optimizer in a process
of their own, checks both plans with the independent checker and prints one table: objective,
each proven bound (CP-SAT's own, the LP relaxation of its model, the compact packing LP, and
with ``--time-indexed`` the time-indexed packing LP solved afterwards, apart from the time
limit), the gap to the lowest of them, activities placed, patients consulted, trainees reached,
wall time and peak memory (the child process's peak resident memory), and the load average
before and after each run. ``--search plain`` leaves out the neighbourhood search (CP-SAT
alone); ``--deterministic-time`` stops by CP-SAT's deterministic time instead of the clock;
``--workers N`` gives CP-SAT N workers instead of every core; ``--record FILE`` appends each
row, with the objective over time, to a JSON-lines file.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

INSTANCES = Path(__file__).parent / "instances"

COLUMNS = (
    "scale",
    "seed",
    "solver",
    "status",
    "objective",
    "bound",
    "cp-sat bound",
    "lp bound",
    "packing bound",
    "time-indexed bound",
    "gap",
    "activities",
    "patients",
    "trainees reached",
    "wall s",
    "peak MiB",
    "checker",
)


def _load() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared: say how busy it was)."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def instance_path(scale: int, seed: int) -> Path:
    return INSTANCES / f"scale-{scale}-seed-{seed}.json.gz"


def _run(args: argparse.Namespace, scale: int, seed: int) -> list[dict[str, Any]]:
    """Both solvers on one instance, in this (child) process: a row each."""
    from hamkor.planning.solver.check import check
    from hamkor.planning.solver.cpsat import solve
    from hamkor.planning.solver.greedy import greedy
    from hamkor.planning.solver.io import load_instance
    from hamkor.planning.solver.packing import bounds

    inst = load_instance(instance_path(scale, seed))
    t0 = time.monotonic()
    baseline = greedy(inst)
    g_wall = time.monotonic() - t0
    history: list[list[Any]] = []
    t0 = time.monotonic()
    plan = solve(
        inst,
        on_progress=lambda p: history.append([p.seconds, p.objective, p.bound, p.source]),
        time_limit=args.time_limit,
        seed=seed,
        workers=args.workers,
        deterministic_time=args.deterministic_time,
        neighbourhoods=args.search == "lns",
    )
    s_wall = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    proven = dict(plan.solver.bounds)
    if args.time_indexed:
        t0 = time.monotonic()
        proven["time-indexed"] = bounds(inst)["time-indexed"]
        proven["time-indexed seconds"] = time.monotonic() - t0
    rows = []
    for name, result, wall in (("greedy", baseline, g_wall), (args.search, plan, s_wall)):
        rows.append(
            {
                "scale": scale,
                "seed": seed,
                "solver": name,
                "status": result.solver.status,
                "objective": result.objective.total,
                "bounds": proven,
                "activities": [len(result.activities), len(inst.activities)],
                "patients": [len(result.consultations), len(inst.patients)],
                "trainees": [len({a.trainee for a in result.attendances}), len(inst.trainees)],
                "wall": wall,
                "peak_mib": peak if name != "greedy" else None,
                "violations": len(check(inst, result)),
                "time_limit": args.time_limit,
                "workers": result.solver.workers,
                "history": history if name != "greedy" else [],
                "deterministic_time": args.deterministic_time,
            }
        )
    return rows


def _cells(row: dict[str, Any]) -> list[str]:
    proven = {k: v for k, v in row["bounds"].items() if not k.endswith("seconds")}
    best = min(proven.values(), default=None)
    total = row["objective"]

    def fmt(kind: str) -> str:
        return f"{proven[kind]:,.1f}" if kind in proven else "-"

    return [
        str(row["scale"]),
        str(row["seed"]),
        row["solver"],
        row["status"],
        f"{total:,.1f}",
        f"{best:,.1f}" if best is not None else "-",
        fmt("cp-sat"),
        fmt("lp"),
        fmt("packing"),
        fmt("time-indexed"),
        f"{(best - total) / abs(best):.2%}" if best else "-",
        "{}/{}".format(*row["activities"]),
        "{}/{}".format(*row["patients"]),
        "{}/{}".format(*row["trainees"]),
        f"{row['wall']:.1f}",
        f"{row['peak_mib']:,.0f}" if row["peak_mib"] is not None else "-",
        "ok" if not row["violations"] else f"{row['violations']} violations",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--deterministic-time", type=float, default=None)
    parser.add_argument("--workers", type=int, default=None, help="CP-SAT's (default: every core)")
    parser.add_argument("--search", choices=["lns", "plain"], default="lns")
    parser.add_argument("--time-indexed", action="store_true")
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args()
    console = Console(width=220)
    table = Table(
        title=f"planning benchmark: {args.search}, time limit {args.time_limit:g}s, "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
        title_justify="left",
    )
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("solver", "status") else "right")
    context = multiprocessing.get_context("spawn")
    for scale in args.scales:
        for seed in args.seeds:
            console.print(f"scale {scale} seed {seed}: load average before {_load()}")
            with context.Pool(1) as pool:
                rows = pool.apply(_run, (args, scale, seed))
            console.print(f"scale {scale} seed {seed}: load average after {_load()}")
            for row in rows:
                row["load_after"] = _load()
                table.add_row(*_cells(row))
                if args.record is not None:
                    with args.record.open("a", encoding="utf-8") as out:
                        out.write(json.dumps(row) + "\n")
    console.print(table)


if __name__ == "__main__":
    main()
