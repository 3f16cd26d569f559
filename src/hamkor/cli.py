"""The ``hamkor`` command: the same settings and service functions as the app."""

from __future__ import annotations

from typing import Annotated

import typer

from hamkor.agreements.cli import app as agreements_app
from hamkor.care import cli as care_cli
from hamkor.care.fhir.cli import app as fhir_app
from hamkor.core import backup_cli
from hamkor.core.cli import console, db_app, files_app, jobs_app, mail_app, user_app, worker
from hamkor.demo.cli import demo
from hamkor.directory.cli import app as directory_app
from hamkor.planning.cli import app as plan_app
from hamkor.reports.cli import app as report_app
from hamkor.telemedicine.cli import app as telemedicine_app
from hamkor.training.cli import app as training_app
from hamkor.training.credentials.cli import app as cert_app

app = typer.Typer(
    help="Hamkor: cross-border medical cooperation programs.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(files_app, name="files")
app.add_typer(mail_app, name="mail")
app.add_typer(jobs_app, name="jobs")
app.add_typer(directory_app, name="import")
care_cli.register(directory_app)
app.add_typer(plan_app, name="plan")
app.add_typer(training_app, name="training")
app.add_typer(cert_app, name="cert")
app.add_typer(fhir_app, name="fhir")
app.add_typer(agreements_app, name="agreements")
app.add_typer(telemedicine_app, name="telemedicine")
app.add_typer(report_app, name="report")
app.command()(demo)
app.command()(backup_cli.backup)
app.command()(backup_cli.restore)
app.command()(worker)


@app.command()
def messages(
    action: Annotated[str, typer.Argument(help="Only 'update' for now.")] = "update",
) -> None:
    """Extract the messages of the code and merge them into every language's catalog."""
    from hamkor.core import catalogs

    if action != "update":
        raise typer.BadParameter(action)
    for language, missing in catalogs.update().items():
        console().print(f"{language}: {missing} untranslated")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the web app and the JSON API."""
    import uvicorn

    from hamkor.core.server import follow_served_address, server_options
    from hamkor.settings import get_settings

    public = follow_served_address(host, port)
    database = get_settings().resolved_database_url()
    console().print(
        f"Hamkor on http://{host}:{port} (public address {public}) — database {database}"
    )
    uvicorn.run(
        "hamkor.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **server_options(),
    )
