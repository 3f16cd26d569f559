"""Commands of planning, registered in the root CLI as ``hamkor plan``.

``hamkor plan generate --scale 1 --seed 7 --out instance.json`` writes a synthetic instance;
``hamkor plan greedy instance.json --out plan.json`` writes the greedy baseline's plan;
``hamkor plan bound instance.json`` proves bounds on every plan of it;
``hamkor plan check instance.json plan.json`` lists every violated constraint (exit 1 on any, 0
when none, 2 when a file cannot be read); ``hamkor plan program CODE --user NAME`` plans a
program of the database as the pages do. The formats are in ``docs/planning.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hamkor.core.cli import console
from hamkor.planning.plan_command import program
from hamkor.planning.solve_command import solve
from hamkor.planning.tables import objective_table, refuse_file

app = typer.Typer(
    help="Plan a program: synthetic instances, the greedy baseline, the feasibility checker.",
    no_args_is_help=True,
)

FileArgument = Annotated[Path, typer.Argument(dir_okay=False, help="A JSON file.")]
OutOption = Annotated[Path, typer.Option("--out", dir_okay=False, help="Where to write JSON.")]


@app.command()
def generate(
    out: OutOption,
    scale: Annotated[int, typer.Option(min=1, help="1 is the 2025 program; 2, 4 double it.")] = 1,
    seed: Annotated[int, typer.Option(help="The random seed.")] = 0,
) -> None:
    """Write a realistic synthetic instance."""
    from hamkor.planning.solver.generate import generate as generate_instance
    from hamkor.planning.solver.io import dump

    with console().status(f"Generating scale {scale}, seed {seed}…"):
        instance = generate_instance(scale, seed)
        out.write_text(dump(instance), encoding="utf-8")
    console().print(
        f"{out}: {len(instance.specialists)} specialists, {len(instance.rooms)} rooms, "
        f"{len(instance.activities)} activities, {len(instance.patients)} patients, "
        f"{len(instance.trainees)} trainees"
    )


@app.command()
def greedy(instance_file: FileArgument, out: OutOption) -> None:
    """Write the greedy baseline's plan of an instance."""
    from hamkor.planning.solver.greedy import greedy as greedy_plan
    from hamkor.planning.solver.io import InstanceError, dump, load_instance

    try:
        instance = load_instance(instance_file)
    except InstanceError as error:
        raise refuse_file(error, instance_file) from error
    with console().status("Placing greedily…"):
        plan = greedy_plan(instance)
        out.write_text(dump(plan), encoding="utf-8")
    placed = len(plan.activities)
    console().print(
        f"{out}: {placed}/{len(instance.activities)} activities, "
        f"{len(plan.consultations)} patients consulted, {len(plan.attendances)} trainee places, "
        f"{plan.solver.wall_seconds:.2f} s ({plan.solver.status})"
    )
    console().print(objective_table(plan))


@app.command()
def check(instance_file: FileArgument, plan_file: FileArgument) -> None:
    """List every constraint a plan violates (exit 1 on any)."""
    from rich.table import Table

    from hamkor.planning.solver.check import check as check_plan
    from hamkor.planning.solver.io import InstanceError, load_instance, load_plan

    try:
        instance = load_instance(instance_file)
    except InstanceError as error:
        raise refuse_file(error, instance_file) from error
    try:
        plan = load_plan(plan_file)
    except InstanceError as error:
        raise refuse_file(error, plan_file) from error
    with console().status("Checking…"):
        violations = check_plan(instance, plan)
    if not violations:
        console().print("no violations")
        return
    table = Table(title=f"{len(violations)} violations", title_justify="left")
    table.add_column("constraint")
    table.add_column("items")
    table.add_column("detail")
    for violation in violations:
        table.add_row(violation.constraint, ", ".join(violation.items), violation.detail)
    console().print(table)
    raise typer.Exit(1)


@app.command()
def bound(
    instance_file: FileArgument,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", min=0.1, help="Seconds each LP may take (default: no limit)."),
    ] = None,
) -> None:
    """Prove upper bounds on every plan of an instance: the compact and the time-indexed
    packing LPs (``docs/planning.md``, "Bounds")."""
    from hamkor.planning.solver.io import InstanceError, load_instance
    from hamkor.planning.solver.packing import bounds

    try:
        instance = load_instance(instance_file)
    except InstanceError as error:
        raise refuse_file(error, instance_file) from error
    with console().status("Solving the packing LPs…"):
        found = bounds(instance, time_limit=time_limit)
    for kind in ("packing", "time-indexed"):
        value = found.get(kind)
        console().print(f"{kind}: {value:,.2f}" if value is not None else f"{kind}: not proven")


app.command()(solve)
app.command()(program)
