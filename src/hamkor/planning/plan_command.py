"""``hamkor plan program CODE --user NAME [--time-limit 60] [--accept]``: plan a program of the
database from the command line, by the same service functions as the pages.

The run is started and its job claimed here; while a thread runs it, a Rich display reads the
job's row (progress, objective, bound) as the page would. With ``--accept`` the proposal is
written in one transaction. Exit 1 when refused (the message says why), 0 otherwise.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from hamkor.core.cli import console, fail, session_factory
from hamkor.core.import_command import acting_user
from hamkor.planning.tables import objective_table

if TYPE_CHECKING:
    from hamkor.core import jobs
    from hamkor.core.access import Actor


def _actor(username: str) -> Actor:
    with session_factory()() as db:
        return acting_user(db, username)


def program(
    code: Annotated[str, typer.Argument(help="The program's code, e.g. KZ-UZ-2025.")],
    user: Annotated[str, typer.Option("--user", help="Plan as this user, with their rights.")],
    time_limit: Annotated[
        int, typer.Option("--time-limit", min=1, max=600, help="Seconds CP-SAT may search.")
    ] = 60,
    accept: Annotated[bool, typer.Option(help="Write the proposal to the program.")] = False,
) -> None:
    """Plan a program of the database; show its progress; accept the proposal if asked."""
    from sqlalchemy import select

    from hamkor.core.access import Action, get_for
    from hamkor.core.audit import AuditActor, act_as
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.core.i18n import N_
    from hamkor.planning import review, service
    from hamkor.planning.models import PlanRun
    from hamkor.planning.solver.model import Instance
    from hamkor.programs.models import Program

    sessions = session_factory()
    try:
        actor = _actor(user)
        with transaction(sessions) as db:
            act_as(db, AuditActor(actor.user_id, actor.username, "cli"))
            found = db.scalar(select(Program.id).where(Program.code == code))
            if found is None:
                raise UserError.one("code", N_("Choose one of the offered values."))
            program = get_for(db, actor, Program, found, Action.CHANGE)
            run = service.start_run(
                db=db, actor=actor, program=program, time_limit_seconds=time_limit
            )
            run_id, job_id = run.id, run.job_id
    except UserError as error:
        raise fail(error) from error
    assert job_id is not None
    _solve_showing_progress(sessions, job_id)

    with sessions() as db:
        solved = db.get(PlanRun, run_id)
        assert solved is not None
        plan = service.plan_of(solved)
        if plan is None:
            job = solved.job
            console().print(f"[red]run {run_id} failed: {job.error if job else 'unknown'}[/red]")
            raise typer.Exit(1)
        lines = review.compare(Instance.model_validate(solved.instance), plan)
    console().print(objective_table(plan))
    counts = review.counts(lines)
    console().print(
        f"run {run_id}: "
        + ", ".join(f"{n} {change.value}" for change, n in counts.items())
        + f"; {len(plan.unplaced)} unplaced"
    )
    if accept:
        try:
            with transaction(sessions) as db:
                act_as(db, AuditActor(actor.user_id, actor.username, "cli"))
                run = get_for(db, actor, PlanRun, run_id, Action.CHANGE)
                service.accept_run(db=db, actor=actor, run=run)
        except UserError as error:
            raise fail(error) from error
        console().print(f"[green]run {run_id} accepted[/green]")


def _solve_showing_progress(sessions: jobs.Sessions, job_id: int) -> None:
    """Run the job in a thread (unless an app worker took it first) and show its row's
    progress until it ends."""
    from rich.live import Live
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hamkor.core import jobs
    from hamkor.settings import get_settings

    worker = jobs.run_here(sessions, job_id, jobs.Timing.of(get_settings()))
    bar = Progress(
        TextColumn("[bold]CP-SAT"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console(),
    )
    task = bar.add_task("searching…", total=100)
    with Live(bar, console=console(), refresh_per_second=4):
        finished = False
        while not finished:
            time.sleep(0.5)
            with sessions() as db:
                job = db.get(jobs.Job, job_id)
                assert job is not None
                finished = job.is_finished
                figures = job.details
                text = (
                    f"objective {figures['objective']:,.2f}  bound {figures['bound']:,.2f}"
                    if "objective" in figures
                    else "searching…"
                )
                bar.update(task, completed=job.progress, description=text)
    console().print()
    if worker is not None:
        worker.join()
