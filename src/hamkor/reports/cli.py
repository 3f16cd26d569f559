"""``hamkor report program CODE --format md|csv --lang ru|uz|uz-Cyrl|kk|en --out FILE``: a
program's report, made by the report job with a progress bar while it runs.

The job is queued and claimed here, and run in a thread (unless a worker of the app took it
first); the bar reads the job's row as the jobs page does. Exit 1 when refused (the message
says why), 0 with the file written.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hamkor.core.cli import console, fail, session_factory
from hamkor.core.import_command import UserOption, acting_user

if TYPE_CHECKING:
    from hamkor.core import jobs
    from hamkor.core.i18n import Translator

app = typer.Typer(help="Reports of programs.", no_args_is_help=True)


@app.command("program")
def program(
    code: Annotated[str, typer.Argument(help="The program's code, e.g. KZ-UZ-2025.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.", dir_okay=False)],
    format: Annotated[str, typer.Option("--format", help="md, csv (a ZIP), xlsx or pdf.")] = "md",
    lang: Annotated[str, typer.Option("--lang", help="ru, uz, uz-Cyrl, kk or en.")] = "ru",
    user: UserOption = None,
) -> None:
    """Write a program's report (small counts of patients hidden, as on its public page)."""
    from sqlalchemy import select

    from hamkor.core import jobs
    from hamkor.core.access import Action, get_for
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.core.i18n import N_, Message, Translator
    from hamkor.programs.models import Program
    from hamkor.reports import report_job
    from hamkor.settings import get_settings

    sessions = session_factory()
    settings = get_settings()
    try:
        with transaction(sessions) as db:
            actor = acting_user(db, user)
            found = db.scalar(select(Program.id).where(Program.code == code))
            if found is None:
                raise UserError.one("code", N_("Choose one of the offered values."))
            chosen = get_for(db, actor, Program, found, Action.CHANGE)
            job_id = report_job.start(
                db=db,
                actor=actor,
                program=chosen,
                format=format,
                language=lang,
                threshold=settings.report_small_count,
            ).id
    except UserError as error:
        raise fail(error) from error
    translator = Translator(settings.default_language)
    job = _run_showing_progress(sessions, job_id, translator)
    if job.status != jobs.JobStatus.DONE or job.result is None:
        why = Message(job.error or "", job.error_params).render(translator.language)
        console().print(f"[red]{translator.gettext(job.state_label)}: {why}[/red]")
        raise typer.Exit(1)
    out.write_bytes(report_job.file_of(job.result))
    console().print(f"[green]{out}[/green] ({out.stat().st_size:,} bytes)")


def _run_showing_progress(sessions: jobs.Sessions, job_id: int, translator: Translator) -> jobs.Job:
    """Run the job in a thread (unless a worker took it first) and show its progress until it
    ends; the finished job."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from hamkor.core import jobs
    from hamkor.reports import report_job
    from hamkor.settings import get_settings

    worker = jobs.run_here(sessions, job_id, jobs.Timing.of(get_settings()))
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console()) as bar:
        task = bar.add_task(translator.gettext(report_job.REPORT_LABEL), total=100)
        while True:
            with sessions() as db:
                job = db.get_one(jobs.Job, job_id)
                note = translator.gettext(job.note) if job.note else ""
                label = note or translator.gettext(job.kind_label)
                bar.update(task, completed=job.progress, description=label)
                if job.is_finished:
                    break
            time.sleep(0.2)
    if worker is not None:
        worker.join()
    return job
