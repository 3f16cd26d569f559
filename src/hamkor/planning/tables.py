"""What the planning commands print: one way to show a refused file and a plan's objective."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from hamkor.core.cli import console

if TYPE_CHECKING:
    from rich.table import Table

    from hamkor.planning.solver.io import InstanceError
    from hamkor.planning.solver.model import Plan


_TERMS = ("activities", "patients", "trainees", "travel", "changes", "total")
_SUBTRACTED = ("travel", "changes")


def gap(objective: float, bound: float | None) -> float | None:
    """Relative gap between a (maximised) objective and its proven bound, or None."""
    if bound is None:
        return None
    return max(0.0, bound - objective) / max(1.0, abs(bound))


def refuse_file(error: InstanceError, path: Path) -> typer.Exit:
    """Print where a file is wrong and give the exit code of a file that cannot be used (2)."""
    from rich.table import Table

    table = Table(title=f"{path}: cannot be used", title_justify="left")
    table.add_column("where")
    table.add_column("problem")
    for problem in error.problems:
        table.add_row(problem.path or "-", problem.message)
    console().print(table)
    return typer.Exit(2)


def objective_table(plan: Plan) -> Table:
    """The objective by term, and the proven bound and gap when the solver gives one."""
    from rich.table import Table

    table = Table(title="objective", title_justify="left")
    table.add_column("term")
    table.add_column("value", justify="right")
    for name in _TERMS:
        value: float = getattr(plan.objective, name)
        sign = "−" if name in _SUBTRACTED and value else ""
        table.add_row(name, f"{sign}{value:,.2f}")
    if plan.bound is not None:
        table.add_row("bound", f"{plan.bound:,.2f}")
        found = gap(plan.objective.total, plan.bound)
        table.add_row("gap", "-" if found is None else f"{found:.2%}")
    return table
