"""Commands of the core: migrate the database, users and their roles, stored files, e-mail,
the job worker."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hamkor.core.roles import Role

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session, sessionmaker

    from hamkor.core.errors import UserError
    from hamkor.core.exports import Listing
    from hamkor.core.models import User

db_app = typer.Typer(help="The database.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
files_app = typer.Typer(help="Stored files.", no_args_is_help=True)
mail_app = typer.Typer(help="Notification e-mail.", no_args_is_help=True)
jobs_app = typer.Typer(help="The job queue.", no_args_is_help=True)


@cache
def console() -> Console:
    """The terminal every command prints to, opened when one first prints: Rich is the largest
    import of the command line, and help is printed without it. Its lines are left whole for
    the terminal to wrap, so that a key or a number piped to another program arrives in one
    piece."""
    from rich.console import Console

    return Console(soft_wrap=True)


def session_factory() -> sessionmaker[Session]:
    """Sessions on the database of the settings, as the app opens them; the modules are wired
    here, when a command first needs the database, so that asking for help loads none of them."""
    from hamkor.core.db import make_engine, make_sessionmaker
    from hamkor.modules import install
    from hamkor.settings import get_settings

    install()
    return make_sessionmaker(make_engine(get_settings().resolved_database_url()))


#: The width a table printed to a pipe may take: its own, however wide.
_UNBOUNDED = 100_000


class ListFormat(StrEnum):
    """What a command's list prints as (``--format``): a table to read, CSV or JSON to pipe."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


#: ``--format`` of the commands that print a list.
ListFormatOption = Annotated[
    ListFormat,
    typer.Option("--format", help="table to read, csv or json to pipe to another program."),
]


def print_listing(listing: Listing[Any], rows: Iterable[Any], output: ListFormat) -> None:
    """A list as the pages describe it (``core/exports.py``), printed in the default
    language: a table for a person, CSV or JSON on standard output for a program."""
    from rich.console import Console
    from rich.table import Table

    from hamkor.core import exports
    from hamkor.core.i18n import Translator
    from hamkor.settings import get_settings

    translator = Translator(get_settings().default_language)
    if output is ListFormat.CSV:
        exports.write_csv(listing, rows, translator, sys.stdout.buffer, byte_order_mark=False)
        sys.stdout.buffer.flush()
        return
    if output is ListFormat.JSON:
        exports.write_json(listing, rows, translator, sys.stdout)
        return
    table = Table(title=translator.gettext(listing.title), title_justify="left")
    for header in listing.headers(translator):
        table.add_column(header, overflow="fold")
    for cells in exports.text_rows(listing, rows, translator):
        table.add_row(*cells)
    # A terminal folds long cells (never cutting one short); a pipe gets every row on one
    # line at its natural width, so that grep finds a certificate's number with its row.
    shown = console() if console().is_terminal else Console(width=_UNBOUNDED, soft_wrap=True)
    shown.print(table)


def fail(error: UserError) -> typer.Exit:
    """Print a refused input's messages (in the default language) and give a failing exit."""
    from hamkor.settings import get_settings

    language = get_settings().default_language
    for item in error.errors:
        where = f"{item.field}: " if item.field else ""
        console().print(f"[red]{where}{item.message.render(language)}[/red]")
    return typer.Exit(code=1)


@db_app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database of the settings to the latest schema."""
    from hamkor.core import migrate
    from hamkor.core.db import make_engine
    from hamkor.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url())
    with engine.begin() as connection:
        migrate.upgrade(connection, revision)
    console().print(f"[green]Database at {revision}.[/green]")


@user_app.command("create")
def user_create(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    display_name: Annotated[str | None, typer.Option(help="Name shown on pages.")] = None,
    role: Annotated[Role | None, typer.Option(help="A role to grant.")] = None,
    institution: Annotated[str | None, typer.Option(help="Institution code of the role.")] = None,
    program: Annotated[str | None, typer.Option(help="Program code of the role.")] = None,
    language: Annotated[str | None, typer.Option(help="Preferred language.")] = None,
    email: Annotated[str | None, typer.Option(help="Address notifications are sent to.")] = None,
) -> None:
    """Create a user, optionally granting a role globally, in an institution or in a program."""
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.core.users import create_user, grant

    try:
        with transaction(session_factory()) as db:
            user = create_user(
                db,
                username=username,
                password=password,
                display_name=display_name or username,
                language=language,
                email=email,
            )
            if role is not None:
                grant(db, user=user, role=role, institution_code=institution, program_code=program)
    except UserError as error:
        raise fail(error) from error
    console().print(f"[green]User {username} created.[/green]")


def _user(db: Session, username: str) -> User:
    from sqlalchemy import select

    from hamkor.core.models import User

    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        console().print(f"[red]No user {username}.[/red]")
        raise typer.Exit(code=1)
    return user


@user_app.command("email")
def user_email(
    username: str,
    address: Annotated[str, typer.Argument(help="The address; an empty string removes it.")],
) -> None:
    """Set the address a user's notifications are e-mailed to."""
    from hamkor.core.db import transaction
    from hamkor.core.errors import UserError
    from hamkor.core.users import set_email

    try:
        with transaction(session_factory()) as db:
            set_email(db, user=_user(db, username), email=address)
    except UserError as error:
        raise fail(error) from error
    console().print(f"[green]E-mail of {username} set.[/green]")


@files_app.command("collect")
def files_collect(
    older_than_hours: Annotated[
        float | None,
        typer.Option(
            help="Keep files stored more recently than this, referred or not "
            "(default: the grace period of stored files, an hour)."
        ),
    ] = None,
) -> None:
    """Remove the stored files that nothing refers to any more."""
    from datetime import timedelta

    from hamkor.core import files
    from hamkor.core.storage import storage_for
    from hamkor.settings import get_settings

    grace = files.GRACE if older_than_hours is None else timedelta(hours=older_than_hours)
    removed = files.collect_garbage(
        sessions=session_factory(),
        store=storage_for(get_settings()),
        older_than=grace,
    )
    console().print(f"[green]{len(removed)} stored files removed.[/green]")


@mail_app.command("test")
def mail_test(username: str) -> None:
    """Notify a user with a test message and e-mail it now, to check the mail settings."""
    from hamkor.core import notifications
    from hamkor.core.db import transaction
    from hamkor.core.i18n import Message
    from hamkor.settings import get_settings

    settings = get_settings()
    if not settings.smtp_url:
        console().print("[red]HAMKOR_SMTP_URL is not set: no e-mail is sent.[/red]")
        raise typer.Exit(code=1)
    sessions = session_factory()
    with transaction(sessions) as db:
        user = _user(db, username)
        if not user.email:
            console().print(f"[red]{username} has no e-mail address (hamkor user email).[/red]")
            raise typer.Exit(code=1)
        notification = notifications.notify(
            db=db,
            user=user,
            message=Message(notifications.TEST_MESSAGE, {"sender": "hamkor mail test"}),
            link="/notifications",
            email=False,
        )
    # Sent here rather than by a worker, so that a refusal of the server is printed.
    try:
        notifications.send_email(sessions, {"notification_id": notification.id}, settings)
    except OSError as error:  # smtplib's errors are OSErrors too
        console().print(f"[red]The mail server refused: {error}[/red]")
        raise typer.Exit(code=1) from error
    console().print(f"[green]Sent to {user.email}.[/green]")


def worker(
    threads: Annotated[int, typer.Option(min=1, max=16, help="Jobs run at once.")] = 1,
) -> None:
    """Run queued and scheduled jobs until stopped (SIGTERM, Ctrl-C): a running job stops at
    its next progress report and is queued again (or failed as interrupted), else finishes."""
    import signal
    import threading

    from sqlalchemy.engine import make_url

    from hamkor.core import jobs
    from hamkor.core.worker import WorkerPool
    from hamkor.settings import get_settings

    settings = get_settings()
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    pool = WorkerPool(session_factory(), threads, timing=jobs.Timing.of(settings))
    pool.start()
    database = make_url(settings.resolved_database_url()).render_as_string(hide_password=True)
    console().print(f"Worker {jobs.worker_name()}: {threads} threads on {database}")
    while not stopping.wait(1):
        pass
    pool.stop(timeout=None)
    console().print("Worker stopped.")


@jobs_app.command("probe")
def jobs_probe(
    wait: Annotated[float, typer.Option(min=1, help="Seconds to wait for a worker.")] = 30,
) -> None:
    """Queue a probe job and wait for a worker to run it: exit 1 if none did in time."""
    import time

    from hamkor.core import jobs
    from hamkor.core.db import transaction

    sessions = session_factory()
    with transaction(sessions) as db:
        job_id = jobs.enqueue(db=db, kind=jobs.PROBE_JOB, payload={}, created_by=None).id
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with sessions() as db:
            job = db.get(jobs.Job, job_id)
            assert job is not None
            if job.status == jobs.JobStatus.DONE:
                console().print(
                    f"[green]Job {job_id} run by {(job.result or {})['worker']}.[/green]"
                )
                return
        time.sleep(0.2)
    console().print(f"[red]No worker ran job {job_id} within {wait:g} seconds.[/red]")
    raise typer.Exit(code=1)
