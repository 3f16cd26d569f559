"""``hamkor import referrals FILE``: referrals with their patients from CSV or XLSX.

It reads the file as a stream within the import limits, checks every row, shows a progress
bar while reading and writing, and prints a table of the refused rows
(and exits with 1) when the file cannot be imported; nothing is written then. The format is in
``docs/formats/referral-import.md``.
"""

from __future__ import annotations

import typer

from hamkor.core.import_command import FileArgument, UserOption, run_import


def import_referrals_command(file: FileArgument, user: UserOption = None) -> None:
    """Import referrals with their patients: identifiers, program, specialty, ICD-10, priority."""
    from hamkor.care.importing import import_referrals

    run_import(
        title="Importing referrals",
        file=file,
        username=user,
        importer=lambda db, actor, source, progress, total: import_referrals(
            db=db, actor=actor, file=source, progress=progress, total=total
        ),
        denied=f"{user} may not register patients",
        done=lambda result: f"{result.created} referrals imported from {file.name}.",
    )


def register(import_app: typer.Typer) -> None:
    """Add ``referrals`` to the ``hamkor import`` commands."""
    import_app.command("referrals")(import_referrals_command)
