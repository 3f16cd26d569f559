"""``hamkor cert``: list, export, verify and revoke certificates; rotate an institution's key.

``hamkor cert verify FILE`` prints every check and exits with 1 when any fails, so a script can
rely on it. Commands act as the system operator unless ``--user`` names a user whose rights
apply (and who is then named in the audit trail).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hamkor.core.cli import ListFormat, ListFormatOption, console, fail, session_factory
from hamkor.core.import_command import UserOption, acting_user

if TYPE_CHECKING:
    from rich.table import Table

    from hamkor.training.credentials.verify import Verification

app = typer.Typer(
    help="Certificates: list, export, verify, revoke; signing keys.", no_args_is_help=True
)


class ExportFormat(StrEnum):
    JWT = "jwt"
    JSON = "json"


NumberArgument = Annotated[
    str, typer.Argument(help="The certificate's number, e.g. HMK-2025-000123.")
]


def _language() -> str:
    from hamkor.settings import get_settings

    return get_settings().default_language


def _refuse(message: str) -> typer.Exit:
    console().print(f"[red]{message}[/red]")
    return typer.Exit(code=1)


@app.command("list")
def list_certificates(user: UserOption = None, output: ListFormatOption = ListFormat.TABLE) -> None:
    """The certificates (newest first) with the columns of the certificates page: number,
    holder, course, issuer, dates and whether revoked."""
    from hamkor.core.cli import print_listing
    from hamkor.core.db import transaction
    from hamkor.training import exports as lists
    from hamkor.training.credentials import service

    with transaction(session_factory()) as db:
        credentials = service.list_credentials(db=db, actor=acting_user(db, user))
        print_listing(lists.CERTIFICATES, credentials, output)


@app.command("export")
def export(
    number: NumberArgument,
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="The file to write.")],
    format: Annotated[
        ExportFormat, typer.Option("--format", help="jwt or json.")
    ] = ExportFormat.JWT,
    user: UserOption = None,
) -> None:
    """Write a certificate as its VC-JWT, or as JSON (the enveloped credential, verifiable)."""
    from hamkor.core.access import AccessDenied, NotFound
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.training.credentials import service, vc

    try:
        with transaction(session_factory()) as db:
            credential = service.get_credential(db=db, actor=acting_user(db, user), number=number)
            token = credential.token
    except UserError as error:
        raise fail(error) from error
    except (NotFound, AccessDenied) as error:
        raise _refuse(f"No certificate {number} that you may see.") from error
    if format == ExportFormat.JWT:
        out.write_text(token + "\n", encoding="utf-8")
    else:
        out.write_text(json.dumps(vc.envelope(token), indent=2) + "\n", encoding="utf-8")
    console().print(f"[green]{number} written to {out}.[/green]")


def _report(result: Verification, language: str) -> Table:
    from rich.table import Table

    from hamkor.core.i18n import Message
    from hamkor.training import labels

    table = Table(title="Valid" if result.valid else "NOT valid", title_style="bold")
    table.add_column("Check")
    table.add_column("Result")
    for outcome in result.outcomes:
        mark = {True: "[green]✔[/green]", False: "[red]✘[/red]", None: "[dim]–[/dim]"}
        text = outcome.render(language)
        if outcome.details:
            text += "\n" + "\n".join(f"  {line}" for line in outcome.details)
        label = Message(labels.CERTIFICATE_CHECK[outcome.check]).render(language)
        table.add_row(f"{mark[outcome.passed]} {label}", text)
    return table


@app.command("verify")
def verify(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, readable=True, help="A .jwt or .json file."),
    ],
) -> None:
    """Check a certificate file: signature, issuer key, dates, revocation, OB 3.0 schema."""
    from hamkor.core.db import transaction
    from hamkor.training.credentials import service

    language = _language()
    with transaction(session_factory()) as db:
        result = service.verify(db=db, data=file.read_bytes())
    console().print(_report(result, language))
    if not result.valid:
        raise typer.Exit(code=1)


@app.command("revoke")
def revoke(
    number: NumberArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why; shown to whoever verifies it.")],
    user: UserOption = None,
) -> None:
    """Revoke a certificate; verification reports it revoked, with the reason, from now on."""
    from hamkor.core.access import AccessDenied, Action, NotFound
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.training.credentials import service

    try:
        with transaction(session_factory()) as db:
            actor = acting_user(db, user)
            credential = service.get_credential(
                db=db, actor=actor, number=number, action=Action.CHANGE
            )
            service.revoke(db=db, actor=actor, credential=credential, reason=reason)
    except UserError as error:
        raise fail(error) from error
    except (NotFound, AccessDenied) as error:
        raise _refuse(f"No certificate {number} that you may revoke.") from error
    console().print(f"[green]{number} revoked.[/green]")


@app.command("rotate-key")
def rotate_key(
    institution: Annotated[str, typer.Argument(help="The institution's code.")],
    user: UserOption = None,
) -> None:
    """Retire the institution's signing key and make a new one (old certificates still verify)."""
    from sqlalchemy import select

    from hamkor.core.access import AccessDenied, get_for
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.directory.models import Institution
    from hamkor.training.credentials import service

    try:
        with transaction(session_factory()) as db:
            found = db.scalar(select(Institution.id).where(Institution.code == institution))
            if found is None:
                raise _refuse(f"No institution has the code {institution}.")
            actor = acting_user(db, user)
            key = service.rotate_key(
                db=db, actor=actor, institution=get_for(db, actor, Institution, found)
            )
            kid = key.kid
    except UserError as error:
        raise fail(error) from error
    except AccessDenied as error:
        raise _refuse(f"{user} may not rotate the keys of {institution}.") from error
    console().print(f"[green]New signing key {kid}.[/green]")
