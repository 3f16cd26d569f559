"""``hamkor plan solve instance.json --out plan.json --time-limit 60``: the CP-SAT optimizer.

While CP-SAT searches, a Rich live display shows a progress bar over the time limit and the
latest objective, proven bound and gap; at the end it prints the objective by term, the bound,
the gap and how many items are unplaced. Exit 0 with a plan, 1 when the instance is infeasible
(mandatory activities that cannot be placed, listed with their reasons), 2 on a bad file.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hamkor.core.cli import console
from hamkor.planning.tables import gap, objective_table, refuse_file

if TYPE_CHECKING:
    from hamkor.planning.solver.cpsat import Progress as SolverProgress


def _status_line(latest: SolverProgress | None) -> str:
    if latest is None:
        return "searching for a first plan…"
    g = gap(latest.objective, latest.bound)
    gap_text = f"{g:.2%}" if g is not None else "-"
    return (
        f"objective [bold]{latest.objective:,.2f}[/]   bound {latest.bound:,.2f}   "
        f"gap {gap_text}   at {latest.seconds:.1f}s"
    )


def solve(
    instance: Annotated[Path, typer.Argument(dir_okay=False, help="The instance JSON file.")],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="Where to write the plan.")],
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help="Seconds CP-SAT may search.")
    ] = 60,
    seed: Annotated[int, typer.Option(help="CP-SAT's random seed.")] = 1,
    workers: Annotated[
        int | None, typer.Option(min=1, help="CP-SAT's workers (default: every core).")
    ] = None,
    deterministic_time: Annotated[
        float | None,
        typer.Option(
            "--deterministic-time",
            min=0.01,
            help="Stop by CP-SAT's deterministic time instead of the clock: the same seed "
            "and workers give the same plan on any machine.",
        ),
    ] = None,
    neighbourhoods: Annotated[
        bool,
        typer.Option(
            "--neighbourhoods/--plain", help="Large-neighbourhood search after CP-SAT's own."
        ),
    ] = True,
) -> None:
    """Solve an instance with CP-SAT and neighbourhood search, and write the plan."""
    from rich.console import Group
    from rich.live import Live
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from hamkor.planning.solver.cpsat import solve as cpsat_solve
    from hamkor.planning.solver.io import InstanceError, dump, load_instance

    try:
        loaded = load_instance(instance)
    except InstanceError as error:
        raise refuse_file(error, instance) from error

    bar = Progress(
        TextColumn("[bold]CP-SAT"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}% of {task.total:.0f}s"),
        TimeElapsedColumn(),
        console=console(),
    )
    task = bar.add_task("solve", total=time_limit)
    latest: list[SolverProgress] = []
    t0 = time.monotonic()

    def render() -> Group:
        bar.update(task, completed=min(time_limit, time.monotonic() - t0))
        return Group(bar, _status_line(latest[-1] if latest else None))

    def on_progress(progress: SolverProgress) -> None:
        latest.append(progress)

    with Live(get_renderable=render, console=console(), refresh_per_second=4, transient=False):
        plan = cpsat_solve(
            loaded,
            time_limit=time_limit,
            seed=seed,
            workers=workers,
            on_progress=on_progress,
            deterministic_time=deterministic_time,
            neighbourhoods=neighbourhoods,
        )
        bar.update(task, completed=time_limit)
    out.write_text(dump(plan), encoding="utf-8")

    if latest:
        history = Table(title="objective and bound over time", title_justify="left")
        history.add_column("seconds", justify="right")
        history.add_column("objective", justify="right")
        history.add_column("bound", justify="right")
        history.add_column("found by")
        for item in latest[-10:]:
            history.add_row(
                f"{item.seconds:.1f}", f"{item.objective:,.2f}", f"{item.bound:,.2f}", item.source
            )
        console().print(history)
    console().print(objective_table(plan))
    proven = ", ".join(f"{kind} {value:,.2f}" for kind, value in plan.solver.bounds.items())
    console().print(f"bounds proven: {proven or 'none'}")
    by_kind: dict[str, int] = {}
    for miss in plan.unplaced:
        by_kind[miss.kind.value] = by_kind.get(miss.kind.value, 0) + 1
    counts = ", ".join(f"{n} {kind}(s)" for kind, n in sorted(by_kind.items())) or "nothing"
    console().print(
        f"{out}: status {plan.solver.status} in {plan.solver.wall_seconds:.1f}s "
        f"({plan.solver.workers} workers); unplaced: {counts}"
    )
    if plan.solver.status == "infeasible" or (
        plan.solver.status not in ("optimal", "feasible") and not plan.activities
    ):
        for miss in plan.unplaced:
            if miss.kind.value == "activity":
                console().print(f"  {miss.item}: {miss.reason} — {miss.detail}")
        raise typer.Exit(1)
