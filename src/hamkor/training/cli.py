"""Commands of training: ``hamkor training enrol COURSE FILE`` enrols a course's trainees from
a CSV or XLSX file, all or nothing, with a progress bar; the refused rows are listed (exit 1).
The format is in ``docs/formats/training-enrolments.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hamkor.core.import_command import FileArgument, UserOption, run_import

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hamkor.core.access import Actor
    from hamkor.training.models import Course

app = typer.Typer(help="Training: courses and their trainees.", no_args_is_help=True)


def _course(db: Session, actor: Actor, code: str) -> Course:
    """The course of ``code``, which ``actor`` must be allowed to change."""
    from sqlalchemy import select

    from hamkor.core.access import Action, get_for
    from hamkor.core.errors import UserError
    from hamkor.core.i18n import N_
    from hamkor.training.models import Course

    course_id = db.scalar(select(Course.id).where(Course.code == code))
    if course_id is None:
        raise UserError.one("course", N_("Nothing with the code %(value)s exists."), value=code)
    return get_for(db, actor, Course, course_id, Action.CHANGE)


@app.command("enrol")
def enrol(
    course: Annotated[str, typer.Argument(help="The code of the course.")],
    file: FileArgument,
    user: UserOption = None,
) -> None:
    """Enrol the people of a file (column person = directory code; optional language)."""
    from hamkor.training.importing import import_enrolments

    run_import(
        title=f"Enrolling in {course}",
        file=file,
        username=user,
        importer=lambda db, actor, source, progress, total: import_enrolments(
            db=db,
            actor=actor,
            course=_course(db, actor, course),
            file=source,
            progress=progress,
            total=total,
        ),
        denied=f"{user} may not manage {course}",
        done=lambda result: f"{result.created} people enrolled in {course} from {file.name}.",
    )
