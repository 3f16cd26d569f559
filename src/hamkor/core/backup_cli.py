"""``hamkor backup FILE`` and ``hamkor restore FILE``: the archive of ``core.backup``, with a
progress bar over the stored files and a summary of what the archive holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hamkor.core.cli import console, fail

if TYPE_CHECKING:
    from hamkor.core import backup as archives

BackupTarget = Annotated[Path, typer.Argument(help="The archive to write (a .tar.gz file).")]
ArchiveFile = Annotated[
    Path,
    typer.Argument(exists=True, dir_okay=False, readable=True, help="The archive to restore."),
]


@contextmanager
def _files_bar(title: str) -> Iterator[archives.Progress]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console()) as bar:
        task = bar.add_task(title, total=None)
        yield lambda _name, done, total: bar.update(task, completed=done, total=total)


def _summary(manifest: archives.Manifest) -> str:
    rows = sum(manifest.rows.values())
    return (
        f"{len(manifest.rows)} tables ({rows} rows) and {len(manifest.files)} stored files, "
        f"schema {manifest.revision}, {manifest.dialect}, made {manifest.created_at}"
    )


def backup(file: BackupTarget) -> None:
    """Write the database and the stored files to one archive, while the app runs. Keep the
    secret key (HAMKOR_SECRET_KEY or var/secret_key) apart: the archive never holds it."""
    from hamkor.core import backup as archives
    from hamkor.core.db import make_engine
    from hamkor.core.errors import UserError
    from hamkor.core.storage import storage_for
    from hamkor.settings import get_settings

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url())
    try:
        with _files_bar("Stored files") as progress:
            manifest = archives.backup(
                engine=engine, storage=storage_for(settings), target=file, progress=progress
            )
    except UserError as error:
        raise fail(error) from error
    finally:
        engine.dispose()
    console().print(f"[green]{file}: {_summary(manifest)}.[/green]")


def restore(file: ArchiveFile) -> None:
    """Restore an archive into the empty database of the settings, after checking all of it;
    refused when damaged, of another schema revision, or when the database is not empty."""
    from hamkor.core import backup as archives
    from hamkor.core.db import make_engine
    from hamkor.core.errors import UserError
    from hamkor.core.storage import storage_for
    from hamkor.settings import get_settings

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url())
    try:
        with _files_bar("Stored files") as progress:
            manifest = archives.restore(
                archive_path=file, engine=engine, storage=storage_for(settings), progress=progress
            )
    except UserError as error:
        raise fail(error) from error
    finally:
        engine.dispose()
    console().print(f"[green]Restored {_summary(manifest)}.[/green]")
