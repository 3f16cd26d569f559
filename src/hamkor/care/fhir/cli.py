"""``hamkor fhir export`` and ``hamkor fhir import``: the same functions as the /fhir API.

Both run as the operator (audited as the system) unless ``--user`` names a user whose rights
they then have, as the directory's imports do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hamkor.core.cli import console, fail, session_factory
from hamkor.core.import_command import UserOption, acting_user

if TYPE_CHECKING:
    from rich.progress import Progress
    from rich.table import Table

    from hamkor.core.errors import UserError

app = typer.Typer(help="FHIR R4 (R4B, 4.3.0) export and import of care data.", no_args_is_help=True)


def _bar() -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console()
    )


@app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="Where to write the Bundle (JSON).")],
    program: Annotated[
        int | None, typer.Option("--program", help="A program's id (all programs when left out).")
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="The receiving institution's code: patients of another country go only with "
            "consent to sharing their data abroad.",
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option(help="The base of the entries' fullUrl (default: Hamkor's own)."),
    ] = None,
    user: UserOption = None,
) -> None:
    """Export the care data of a program (or of all) as a FHIR collection Bundle."""
    from sqlalchemy import select

    from hamkor.care.fhir.export import export_bundle
    from hamkor.care.fhir.terms import DEFAULT_BASE
    from hamkor.core.access import AccessDenied, NotFound
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.core.i18n import N_
    from hamkor.directory.models import Institution

    try:
        with transaction(session_factory()) as db, _bar() as bar:
            task = bar.add_task("Exporting", total=None)
            recipient = None
            if to is not None:
                recipient = db.scalar(select(Institution).where(Institution.code == to))
                if recipient is None:
                    raise UserError.one("to", N_("No institution has the code %(code)s."), code=to)
            bundle = export_bundle(
                db=db,
                actor=acting_user(db, user),
                base=(base or DEFAULT_BASE).rstrip("/"),
                program_id=program,
                recipient=recipient,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except UserError as error:
        raise fail(error) from error
    except (AccessDenied, NotFound) as refusal:
        console().print(f"[red]No program {program} that {user or 'the operator'} may see.[/red]")
        raise typer.Exit(code=1) from refusal
    out.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
    console().print(f"[green]{len(bundle['entry'])} resources written to {out}.[/green]")


def _refused(error: UserError) -> Table:
    from rich.table import Table

    from hamkor.settings import get_settings

    language = get_settings().default_language
    table = Table(title=f"Nothing was imported. Problems to correct: {len(error.errors)}")
    table.add_column("Where")
    table.add_column("Problem")
    for item in error.errors:
        table.add_row(item.field or "—", item.message.render(language))
    return table


@app.command("import")
def import_(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="A FHIR Bundle (JSON)."),
    ],
    user: Annotated[
        str,
        typer.Option(
            "--user",
            help="The registrar or coordinator who registers the referrals, with their rights.",
        ),
    ],
    program: Annotated[
        str | None,
        typer.Option("--program", help="The program's code, for referrals that do not name it."),
    ] = None,
) -> None:
    """Import referrals with their patients and consents from a transaction or collection
    Bundle: all or nothing.

    Health records are registered by a person (the waitlist remembers who moved a referral),
    so the import names its user rather than running as the operator.
    """
    from hamkor.care.fhir.importing import import_bundle
    from hamkor.core.access import AccessDenied
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.core.importing import megabytes
    from hamkor.settings import get_settings

    limit = get_settings().fhir_max_bytes
    if file.stat().st_size > limit:
        console().print(
            f"[red]{file.name} is larger than {megabytes(limit)} MB, the most a Bundle may be "
            "(HAMKOR_FHIR_MAX_BYTES).[/red]"
        )
        raise typer.Exit(code=1)
    try:
        bundle = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        console().print(f"[red]{file.name} is not JSON in UTF-8: {error}[/red]")
        raise typer.Exit(code=1) from error
    try:
        with transaction(session_factory()) as db, _bar() as bar:
            task = bar.add_task("Importing", total=None)
            outcomes = import_bundle(
                db=db,
                actor=acting_user(db, user),
                bundle=bundle,
                program_code=program,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except UserError as error:
        console().print(_refused(error))
        raise typer.Exit(code=1) from error
    except AccessDenied as denial:
        console().print(f"[red]{user} may not change {denial.entity}; nothing was imported.[/red]")
        raise typer.Exit(code=1) from denial
    created = sum(1 for outcome in outcomes if outcome.status.startswith("201"))
    console().print(f"[green]{created} records imported from {file.name}.[/green]")
