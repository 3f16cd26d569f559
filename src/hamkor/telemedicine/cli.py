"""Commands of telemedicine, for a coordinator who scripts: ``hamkor telemedicine deadlines``
runs the deadline check now (the workers run it hourly), ``hamkor telemedicine export`` writes
the cases as a FHIR Bundle (ServiceRequest, Task, Communication, DocumentReference)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from hamkor.core.cli import console, fail, session_factory
from hamkor.core.import_command import UserOption, acting_user

app = typer.Typer(help="Teleconsultations: deadlines and FHIR export.", no_args_is_help=True)


@app.command("deadlines")
def deadlines_command(
    at: Annotated[
        str | None,
        typer.Option("--at", help="The instant to check as (ISO 8601, UTC; default: now)."),
    ] = None,
) -> None:
    """Remind the assignees of cases due soon and tell the coordinators of late ones (once)."""
    from hamkor.core import clock
    from hamkor.core.db import transaction
    from hamkor.settings import get_settings
    from hamkor.telemedicine.deadlines import check_deadlines
    from hamkor.telemedicine.service import Deadlines

    try:
        instant = datetime.fromisoformat(at) if at else clock.now()
    except ValueError as error:
        raise typer.BadParameter("give the instant as YYYY-MM-DDTHH:MM+00:00") from error
    with transaction(session_factory()) as db:
        report = check_deadlines(db, instant, Deadlines.of(get_settings()))
    console().print(
        f"{report.reminded} reminded, {report.escalated} escalated, {report.notified} notified."
    )


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the Bundle (JSON).")],
    centre: Annotated[
        str | None, typer.Option("--centre", help="Only the cases of this centre (its code).")
    ] = None,
    base: Annotated[
        str, typer.Option(help="The base of the entries' fullUrl.")
    ] = "https://hamkor.example/fhir",
    user: UserOption = None,
) -> None:
    """Export the cases the user may see as a FHIR collection Bundle, each resource validated."""
    from sqlalchemy import select

    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.core.i18n import N_
    from hamkor.directory.models import Institution
    from hamkor.telemedicine.fhir import bundle, export_cases

    try:
        with transaction(session_factory()) as db:
            centre_id = None
            if centre is not None:
                centre_id = db.scalar(select(Institution.id).where(Institution.code == centre))
                if centre_id is None:
                    raise UserError.one(
                        "centre", N_("No institution has the code %(code)s."), code=centre
                    )
            resources = export_cases(
                db=db, actor=acting_user(db, user), base=base.rstrip("/"), centre_id=centre_id
            )
    except UserError as error:
        raise fail(error) from error
    out.write_text(json.dumps(bundle(resources, base), ensure_ascii=False, indent=1), "utf-8")
    console().print(f"[green]{len(resources)} resources written to {out}.[/green]")
