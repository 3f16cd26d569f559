"""Commands of the directory: bulk imports of institutions, rooms and people.

``hamkor import people delegation.xlsx`` reads the file as a stream within the import limits,
checks every row, shows a progress bar while reading and writing,
and prints a table of the refused rows (and exits with 1) when the file cannot be imported;
nothing is written then. The files' formats are in ``docs/formats/directory-import.md``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from hamkor.core.import_command import FileArgument, UserOption, run_import

app = typer.Typer(help="Bulk imports from CSV or XLSX (all or nothing).", no_args_is_help=True)


def _import(kind: str, file: Path, username: str | None) -> None:
    """Import ``file`` as the directory's import of ``kind`` (``directory.schemas.ImportKind``)."""
    from hamkor.directory.importing import import_file
    from hamkor.directory.schemas import ImportKind

    run_import(
        title=f"Importing {kind}",
        file=file,
        username=username,
        importer=lambda db, actor, source, progress, total: import_file(
            db=db, actor=actor, kind=ImportKind(kind), file=source, progress=progress, total=total
        ),
        denied=f"{username} may not change {kind}",
        done=lambda result: f"{result.created} {kind} imported from {file.name}.",
    )


@app.command("institutions")
def import_institutions(file: FileArgument, user: UserOption = None) -> None:
    """Import institutions: code, kind, city and optionally country by code, names."""
    _import("institutions", file, user)


@app.command("rooms")
def import_rooms(file: FileArgument, user: UserOption = None) -> None:
    """Import rooms: institution by code, code, kind, capacity, names."""
    _import("rooms", file, user)


@app.command("people")
def import_people(file: FileArgument, user: UserOption = None) -> None:
    """Import people: code, names, institution and specialties by code, languages, contacts."""
    _import("people", file, user)
