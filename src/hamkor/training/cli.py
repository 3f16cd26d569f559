"""Commands of training: ``hamkor training enrol COURSE FILE`` enrols a course's trainees from
a CSV or XLSX file, all or nothing, with a progress bar; the refused rows are listed (exit 1).
The format is in ``docs/formats/training-enrolments.md``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from hamkor.core.access import AccessDenied, Action, get_for
from hamkor.core.cli import console, fail, import_bar, session_factory
from hamkor.core.db import transaction
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_
from hamkor.core.importing import count_rows
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
    try:
        with (
            file.open("rb") as source,
            transaction(session_factory()) as db,
            import_bar(f"Enrolling in {course}") as progress,
        ):
            course_id = db.scalar(select(Course.id).where(Course.code == course))
            if course_id is None:
                raise UserError.one(
                    "course", N_("Nothing with the code %(value)s exists."), value=course
                )
            actor = acting_user(db, user)
            result = import_enrolments(
                db=db,
                actor=actor,
                course=get_for(db, actor, Course, course_id, Action.CHANGE),
                file=source,
                progress=progress,
                total=count_rows(source),
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
