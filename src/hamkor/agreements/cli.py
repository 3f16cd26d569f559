"""Commands of agreements: ``hamkor agreements mark-due`` runs the daily check (until the
scheduler runs it), ``hamkor agreements iati PROGRAM --out FILE`` writes a program as IATI."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from hamkor.core.cli import console, fail, session_factory

app = typer.Typer(help="Agreements, roadmaps and their IATI export.", no_args_is_help=True)


def _day(value: str | None) -> date:
    """The day given, else today as the clock tells it (UTC: the job's own day)."""
    from hamkor.core import clock

    if value is None:
        return clock.now().date()
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter("give the day as YYYY-MM-DD") from error


@app.command("mark-due")
def mark_due_command(
    today: Annotated[
        str | None,
        typer.Option("--today", help="The day to check as (YYYY-MM-DD; default: today)."),
    ] = None,
) -> None:
    """Set agreements in force or expired, mark roadmap items due soon or late, tell owners."""
    from hamkor.agreements.due import mark_due
    from hamkor.core.db import transaction

    day = _day(today)
    with transaction(session_factory()) as db:
        report = mark_due(db, day)
    console().print(
        f"{day}: {report.in_force} in force, {report.expired} expired, "
        f"{sum(report.alerts.values())} items newly due or late, {report.notified} notified."
    )


@app.command("iati")
def iati(
    program: Annotated[str, typer.Argument(help="The code of the program.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the XML file.")],
) -> None:
    """Write the program as an IATI 2.03 activity file, checked against IATI's schema."""
    from datetime import datetime

    from sqlalchemy import select

    from hamkor.agreements.iati import export, schema
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.core.i18n import N_
    from hamkor.programs.models import Program
    from hamkor.settings import get_settings

    settings = get_settings()
    try:
        with transaction(session_factory()) as db:
            found = db.scalar(select(Program).where(Program.code == program))
            if found is None:
                raise UserError.one(
                    "program", N_("Nothing with the code %(value)s exists."), value=program
                )
            document = export.activity_file(
                export.gather(db, found), settings, datetime.now().astimezone()
            )
    except UserError as error:
        raise fail(error) from error
    problems = schema.problems(document)
    if problems:
        for problem in problems:
            console().print(f"[red]{problem}[/red]")
        raise typer.Exit(code=1)
    out.write_bytes(document)
    console().print(f"{out}: the program {program} as IATI {export.VERSION}, valid by its schema.")
