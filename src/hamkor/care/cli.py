"""``hamkor import referrals FILE``: referrals with their patients from CSV or XLSX.

It reads the file as a stream within the import limits, checks every row, shows a progress
bar while reading and writing, and prints a table of the refused rows
(and exits with 1) when the file cannot be imported; nothing is written then. The format is in
``docs/formats/referral-import.md``.
"""

from __future__ import annotations

import typer

from hamkor.care.importing import import_referrals
from hamkor.core.access import AccessDenied
from hamkor.core.cli import console, fail, import_bar, session_factory
from hamkor.core.db import transaction
from hamkor.core.errors import UserError
from hamkor.core.importing import count_rows
from hamkor.directory.cli import FileArgument, UserOption
from hamkor.directory.cli import _actor as acting_user
from hamkor.directory.cli import _refused as refused_table


def import_referrals_command(file: FileArgument, user: UserOption = None) -> None:
    """Import referrals with their patients: identifiers, program, specialty, ICD-10, priority."""
    try:
        with (
            file.open("rb") as source,
            transaction(session_factory()) as db,
            import_bar("Importing referrals") as progress,
        ):
            result = import_referrals(
                db=db,
                actor=acting_user(db, user),
                file=source,
                progress=progress,
                total=count_rows(source),
            )
    except UserError as error:
        raise fail(error) from error
    except AccessDenied as denial:
        console.print(f"[red]{user} may not register patients; nothing was imported.[/red]")
        raise typer.Exit(code=1) from denial
    if not result.ok:
        console.print(refused_table(result))
        raise typer.Exit(code=1)
    console.print(f"[green]{result.created} referrals imported from {file.name}.[/green]")


def register(import_app: typer.Typer) -> None:
    """Add ``referrals`` to the ``hamkor import`` commands."""
    import_app.command("referrals")(import_referrals_command)
