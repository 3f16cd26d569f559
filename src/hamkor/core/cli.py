"""Commands of the core: migrate the database, create users and grant roles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import migrate
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.errors import UserError
from hamkor.core.importing import Progress as ImportProgress
from hamkor.core.importing import Stage
from hamkor.core.models import Role
from hamkor.core.users import create_user, grant
from hamkor.settings import get_settings

db_app = typer.Typer(help="The database.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
console = Console()


def session_factory() -> sessionmaker[Session]:
    """Sessions on the database of the settings, as the app opens them."""
    return make_sessionmaker(make_engine(get_settings().resolved_database_url()))


def fail(error: UserError) -> typer.Exit:
    """Print a refused input's messages (in the default language) and give a failing exit."""
    language = get_settings().default_language
    for item in error.errors:
        where = f"{item.field}: " if item.field else ""
        console.print(f"[red]{where}{item.message.render(language)}[/red]")
    return typer.Exit(code=1)


_STAGES = {
    Stage.READING: "reading and checking rows",
    Stage.CHECKING: "checking against the database",
    Stage.WRITING: "writing",
}


@contextmanager
def import_bar(title: str) -> Iterator[ImportProgress]:
    """A progress bar for an import: its stage, the rows done of the rows in all, the time."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(title, total=None)

        def report(stage: Stage, done: int, total: int | None) -> None:
            bar.update(task, description=f"{title}: {_STAGES[stage]}", completed=done, total=total)

        yield report


@db_app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the database of the settings to the latest schema."""
    engine = make_engine(get_settings().resolved_database_url())
    with engine.begin() as connection:
        migrate.upgrade(connection, revision)
    console.print(f"[green]Database at {revision}.[/green]")


@user_app.command("create")
def user_create(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    display_name: Annotated[str | None, typer.Option(help="Name shown on pages.")] = None,
    role: Annotated[Role | None, typer.Option(help="A role to grant.")] = None,
    institution: Annotated[str | None, typer.Option(help="Institution code of the role.")] = None,
    program: Annotated[str | None, typer.Option(help="Program code of the role.")] = None,
    language: Annotated[str | None, typer.Option(help="Preferred language.")] = None,
) -> None:
    """Create a user, optionally granting a role globally, in an institution or in a program."""
    try:
        with transaction(session_factory()) as db:
            user = create_user(
                db,
                username=username,
                password=password,
                display_name=display_name or username,
                language=language,
            )
            if role is not None:
                grant(db, user=user, role=role, institution_code=institution, program_code=program)
    except UserError as error:
        raise fail(error) from error
    console.print(f"[green]User {username} created.[/green]")
