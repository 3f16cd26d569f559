"""Commands of training: ``hamkor training enrol COURSE FILE`` enrols a course's trainees from
a CSV or XLSX file, all or nothing, with a progress bar; the refused rows are listed (exit 1).
The format is in ``docs/formats/training-enrolments.md``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy import select

from hamkor.core.access import AccessDenied, Action, get_for
from hamkor.core.cli import console, fail, session_factory
from hamkor.core.db import transaction
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_
from hamkor.directory.cli import FileArgument, UserOption
from hamkor.directory.cli import _actor as acting_user
from hamkor.directory.cli import _refused as refused_rows
from hamkor.training.importing import import_enrolments
from hamkor.training.models import Course

app = typer.Typer(help="Training: courses and their trainees.", no_args_is_help=True)


@app.command("enrol")
def enrol(
    course: Annotated[str, typer.Argument(help="The code of the course.")],
    file: FileArgument,
    user: UserOption = None,
) -> None:
    """Enrol the people of a file (column person = directory code; optional language)."""
    content = file.read_bytes()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with transaction(session_factory()) as db, Progress(*columns, console=console) as bar:
            course_id = db.scalar(select(Course.id).where(Course.code == course))
            if course_id is None:
                raise UserError.one(
                    "course", N_("Nothing with the code %(value)s exists."), value=course
                )
            actor = acting_user(db, user)
            task = bar.add_task(f"Enrolling in {course}", total=None)
            result = import_enrolments(
                db=db,
                actor=actor,
                course=get_for(db, actor, Course, course_id, Action.CHANGE),
                content=content,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except UserError as error:
        raise fail(error) from error
    except AccessDenied as denial:
        console.print(f"[red]{user} may not manage {course}; nothing was imported.[/red]")
        raise typer.Exit(code=1) from denial
    if not result.ok:
        console.print(refused_rows(result))
        raise typer.Exit(code=1)
    console.print(f"[green]{result.created} people enrolled in {course} from {file.name}.[/green]")
