"""What every ``hamkor`` command that imports a file shares: its arguments, the user it acts
as, and the run itself (all or nothing, a progress bar, the refused rows as a table, exit 1).

The directory, care and training commands each wrote this out (issue 14); they now say only
what they import and how to tell the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from hamkor.core.cli import console, fail, session_factory

if TYPE_CHECKING:
    from rich.table import Table
    from sqlalchemy.orm import Session

    from hamkor.core.access import Actor
    from hamkor.core.importing import ImportResult
    from hamkor.core.importing import Progress as ImportProgress

FileArgument = Annotated[
    Path,
    typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV (UTF-8) or XLSX file."),
]
UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Import as this user, with their rights (default: the system)."),
]

#: An import as a command runs it: in ``db`` as ``actor``, from ``file`` of ``total`` rows.
Importer = Callable[["Session", "Actor", BinaryIO, "ImportProgress", int], "ImportResult"]

#: The stages of an import (``core.importing.Stage``, a string enum) as the bar tells them.
_STAGES = {
    "reading": "reading and checking rows",
    "checking": "checking against the database",
    "writing": "writing",
}


def acting_user(db: Session, username: str | None) -> Actor:
    """The user a command acts as, attributed in the audit trail; when none, the operator:
    whoever runs a command on the server may do anything, audited as the system."""
    from sqlalchemy import select

    from hamkor.core.access import Actor, Grant
    from hamkor.core.audit import AuditActor, act_as
    from hamkor.core.errors import UserError
    from hamkor.core.i18n import N_
    from hamkor.core.models import Role, User

    if username is None:
        return Actor(user_id=0, username="system", grants=(Grant(Role.PLATFORM_ADMIN),))
    user = db.scalar(select(User).where(User.username == username, User.is_active))
    if user is None:
        raise UserError.one("user", N_("No active user is called %(value)s."), value=username)
    act_as(db, AuditActor(user.id, user.username, "cli"))
    return Actor.of(user)


def refused_rows(result: ImportResult) -> Table:
    """The problems of a refused import, a row each, in the default language."""
    from rich.table import Table

    from hamkor.settings import get_settings

    shown = "" if result.error_count == len(result.errors) else f" (the first {len(result.errors)})"
    table = Table(title=f"Nothing was imported. Problems to correct: {result.error_count}{shown}")
    table.add_column("Line", justify="right")
    table.add_column("Column")
    table.add_column("Problem")
    for error in result.errors:
        table.add_row(
            str(error.line), error.column or "—", error.render(get_settings().default_language)
        )
    return table


@contextmanager
def import_bar(title: str) -> Iterator[ImportProgress]:
    """A progress bar for an import: its stage, the rows done of the rows in all, the time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console()) as bar:
        task = bar.add_task(title, total=None)

        def report(stage: str, done: int, total: int | None) -> None:
            bar.update(task, description=f"{title}: {_STAGES[stage]}", completed=done, total=total)

        yield report


def run_import(
    *,
    title: str,
    file: Path,
    username: str | None,
    importer: Importer,
    denied: str,
    done: Callable[[ImportResult], str],
) -> None:
    """Import ``file`` as ``username`` in one transaction, with a progress bar: ``done`` tells
    the result; a refusal prints its reasons (``denied`` when the user may not) and exits 1."""
    from hamkor.core.access import AccessDenied
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.core.importing import count_rows

    try:
        with (
            file.open("rb") as source,
            transaction(session_factory()) as db,
            import_bar(title) as progress,
        ):
            actor = acting_user(db, username)
            result = importer(db, actor, source, progress, count_rows(source))
    except UserError as error:
        raise fail(error) from error
    except AccessDenied as denial:
        console().print(f"[red]{denied}; nothing was imported.[/red]")
        raise typer.Exit(code=1) from denial
    if not result.ok:
        console().print(refused_rows(result))
        raise typer.Exit(code=1)
    console().print(f"[green]{done(result)}[/green]")
