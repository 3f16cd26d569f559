"""Commands of the directory: bulk imports of institutions, rooms and people.

``hamkor import people delegation.xlsx`` reads the file as a stream within the import limits,
checks every row, shows a progress bar while reading and writing,
and prints a table of the refused rows (and exits with 1) when the file cannot be imported;
nothing is written then. The files' formats are in ``docs/formats/directory-import.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import AccessDenied, Actor, Grant
from hamkor.core.audit import AuditActor, act_as
from hamkor.core.cli import console, fail, import_bar, session_factory
from hamkor.core.db import transaction
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_
from hamkor.core.importing import ImportResult, count_rows
from hamkor.core.models import Role, User
from hamkor.directory.importing import import_file
from hamkor.directory.schemas import ImportKind
from hamkor.settings import get_settings

app = typer.Typer(help="Bulk imports from CSV or XLSX (all or nothing).", no_args_is_help=True)

#: Whoever runs the command on the server may do anything; it is audited as the system.
OPERATOR = Actor(user_id=0, username="system", grants=(Grant(Role.PLATFORM_ADMIN),))

FileArgument = Annotated[
    Path,
    typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV (UTF-8) or XLSX file."),
]
UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Import as this user, with their rights (default: the system)."),
]


def _actor(db: Session, username: str | None) -> Actor:
    """The user the import acts as, attributed in the audit trail; the operator when none."""
    if username is None:
        return OPERATOR
    user = db.scalar(select(User).where(User.username == username, User.is_active))
    if user is None:
        raise UserError.one("user", N_("No active user is called %(value)s."), value=username)
    act_as(db, AuditActor(user.id, user.username, "cli"))
    return Actor.of(user)


def _refused(result: ImportResult) -> Table:
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


def _import(kind: ImportKind, file: Path, username: str | None) -> None:
    try:
        with (
            file.open("rb") as source,
            transaction(session_factory()) as db,
            import_bar(f"Importing {kind}") as progress,
        ):
            result = import_file(
                db=db,
                actor=_actor(db, username),
                kind=kind,
                file=source,
                progress=progress,
                total=count_rows(source),
            )
    except UserError as error:
        raise fail(error) from error
    except AccessDenied as denial:
        console.print(
            f"[red]{username} may not change {denial.entity}; nothing was imported.[/red]"
        )
        raise typer.Exit(code=1) from denial
    if not result.ok:
        console.print(_refused(result))
        raise typer.Exit(code=1)
    console.print(f"[green]{result.created} {kind} imported from {file.name}.[/green]")


@app.command("institutions")
def import_institutions(file: FileArgument, user: UserOption = None) -> None:
    """Import institutions: code, kind, city and optionally country by code, names."""
    _import(ImportKind.INSTITUTIONS, file, user)


@app.command("rooms")
def import_rooms(file: FileArgument, user: UserOption = None) -> None:
    """Import rooms: institution by code, code, kind, capacity, names."""
    _import(ImportKind.ROOMS, file, user)


@app.command("people")
def import_people(file: FileArgument, user: UserOption = None) -> None:
    """Import people: code, names, institution and specialties by code, languages, contacts."""
    _import(ImportKind.PEOPLE, file, user)
