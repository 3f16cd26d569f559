"""Backup and restore: one archive of the database, the stored files and a manifest (issue 22).

Hamkor holds health data of two countries and certificates that must outlive any server, so a
backup is only worth what its restore proves. The archive (a gzipped tar) holds:

* ``manifest.json``: the archive's format, the schema revision, the database's kind, the rows
  of every table and the SHA-256 of every other member;
* the database: SQLite's online backup (``database.sqlite3``) or ``pg_dump``'s custom format
  (``database.pgdump``), taken while the app runs; on PostgreSQL the rows are counted in the
  very snapshot ``pg_dump`` reads (``pg_export_snapshot``), so the manifest tells what the dump
  holds even while requests write;
* ``files/<sha256>``: the stored files the database names.

A restore reads the whole archive and checks every checksum before it writes anything, refuses
an archive of another schema revision or database kind and a database that is not empty, and
compares the rows restored with the manifest. The certificates' signing keys are in the
database sealed with the secret key (``HAMKOR_SECRET_KEY``, else ``var/secret_key``): the
archive never holds that key, which must be kept apart from it (the README says where).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, inspect, select, text
from sqlalchemy.sql import quoted_name

from hamkor.core.errors import UserError
from hamkor.core.i18n import N_
from hamkor.core.migrate import alembic_config
from hamkor.core.storage import Storage

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files/"
_DATABASE = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}

DAMAGED = N_("The archive is damaged or is no Hamkor backup: %(reason)s.")
OTHER_REVISION = N_(
    "The archive was made at schema revision %(archive)s and this Hamkor is at %(ours)s: "
    "restore it with the version that made it, then upgrade."
)
OTHER_DATABASE = N_("The archive holds a %(archive)s database; this one is %(ours)s.")
NOT_EMPTY = N_("The database to restore into already holds tables: restore into an empty one.")
UNWRITABLE = N_("The backup cannot be written there: %(reason)s.")
ROWS_DIFFER = N_("The restored table %(table)s holds %(restored)s rows, the archive %(archived)s.")

#: Told as an archive's members are written or restored: the member's name, done, in all.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Manifest:
    """What an archive holds, written first in it and checked against it on restore."""

    revision: str
    dialect: str
    rows: dict[str, int]
    checksums: dict[str, str]
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    format: int = FORMAT

    @property
    def files(self) -> list[str]:
        return [name for name in self.checksums if name.startswith(FILES)]

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = json.loads(raw)
        return cls(
            revision=str(data["revision"]),
            dialect=str(data["dialect"]),
            rows={str(k): int(v) for k, v in data["rows"].items()},
            checksums={str(k): str(v) for k, v in data["checksums"].items()},
            created_at=str(data["created_at"]),
            format=int(data["format"]),
        )


def _refuse(message: str, **params: Any) -> UserError:
    return UserError.one("archive", message, **params)


def head_revision() -> str:
    """The schema revision of this version of Hamkor."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def row_counts(connection: Connection) -> dict[str, int]:
    """The rows of every table of the database, by name."""
    return {
        table: int(connection.scalar(select(text("count(*)")).select_from(text(_quoted(table)))))
        for table in sorted(inspect(connection).get_table_names())
    }


def _quoted(table: str) -> str:
    return f'"{quoted_name(table, quote=True)}"'


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _libpq_url(engine: Engine) -> str:
    """The engine's URL as ``pg_dump`` and ``pg_restore`` take it (no SQLAlchemy driver)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


# --- backup -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Copy:
    """A consistent copy of the database, and what it holds: the rows of each table and the
    stored files it names (read in the copy's own snapshot, so the archive has each file the
    dump refers to)."""

    path: Path
    rows: dict[str, int]
    files: list[str]


_STORED_FILES = text("SELECT sha256 FROM stored_files ORDER BY sha256")


def _copy_database(engine: Engine, into: Path) -> _Copy:
    """A consistent copy of the database in the directory ``into``."""
    if engine.dialect.name == "sqlite":
        copy = into / _DATABASE["sqlite"]
        source = engine.raw_connection()
        try:
            with sqlite3.connect(copy) as target:
                source.driver_connection.backup(target)  # type: ignore[union-attr]
        finally:
            source.close()
        counter = create_engine(f"sqlite:///{copy}")
        try:
            with counter.connect() as connection:
                files = list(connection.scalars(_STORED_FILES))
                return _Copy(copy, row_counts(connection), files)
        finally:
            counter.dispose()
    copy = into / _DATABASE["postgresql"]
    with engine.connect() as connection:
        connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
        rows = row_counts(connection)
        files = list(connection.scalars(_STORED_FILES))
        _run(
            "pg_dump",
            "--format=custom",
            "--no-owner",
            f"--snapshot={snapshot}",
            f"--file={copy}",
            f"--dbname={_libpq_url(engine)}",
        )
    return _Copy(copy, rows, files)


def _run(*command: str) -> None:
    """Run a PostgreSQL client tool; its own message (never data) becomes the refusal."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        raise _refuse(DAMAGED if command[0] == "pg_restore" else UNWRITABLE, reason=reason)


def backup(
    *, engine: Engine, storage: Storage, target: Path, progress: Progress | None = None
) -> Manifest:
    """Write the archive of the database and its stored files to ``target``, while the app
    runs. The archive is written beside ``target`` and renamed onto it when complete, so that
    a backup interrupted half-way never leaves a file that looks whole."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, partial_name = tempfile.mkstemp(dir=target.parent, prefix=".backup-")
    except OSError as error:
        raise _refuse(UNWRITABLE, reason=error.strerror or type(error).__name__) from error
    partial = Path(partial_name)
    try:
        with tempfile.TemporaryDirectory() as scratch, os.fdopen(handle, "wb") as out:
            copy = _copy_database(engine, Path(scratch))
            manifest = Manifest(
                revision=_revision(engine),
                dialect=engine.dialect.name,
                rows=copy.rows,
                checksums={
                    copy.path.name: _sha256(copy.path),
                    **{FILES + key: key for key in copy.files},
                },
            )
            with tarfile.open(fileobj=out, mode="w:gz") as archive:
                described = json.dumps(asdict(manifest), indent=1).encode()
                _add(archive, MANIFEST, io.BytesIO(described), len(described))
                archive.add(copy.path, arcname=copy.path.name)
                for done, key in enumerate(copy.files, start=1):
                    with storage.open(key) as source:
                        _add(archive, FILES + key, source, os.fstat(source.fileno()).st_size)
                    if progress is not None:
                        progress(key, done, len(copy.files))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() or ""


def _add(archive: tarfile.TarFile, name: str, source: IO[bytes], size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, source)


# --- restore ------------------------------------------------------------------------------------


def read_manifest(path: Path) -> Manifest:
    """The manifest of the archive at ``path``, after checking every member against it."""
    try:
        with tarfile.open(path, mode="r:gz") as archive:
            first = archive.next()
            if first is None or first.name != MANIFEST:
                raise _refuse(DAMAGED, reason="no manifest")
            manifest = Manifest.from_json(_member(archive, first).read())
            seen = set()
            for member in archive:
                if member.name == MANIFEST:
                    continue
                expected = manifest.checksums.get(member.name)
                if expected is None or _member_sha256(archive, member) != expected:
                    raise _refuse(DAMAGED, reason=f"{member.name} does not match its checksum")
                seen.add(member.name)
    except (tarfile.TarError, EOFError, OSError, ValueError, KeyError) as error:
        raise _refuse(DAMAGED, reason=type(error).__name__) from error
    missing = sorted(set(manifest.checksums) - seen)
    if missing:
        raise _refuse(DAMAGED, reason=f"{missing[0]} is missing")
    return manifest


def _member(archive: tarfile.TarFile, member: tarfile.TarInfo) -> BinaryIO:
    """The bytes of a member, which must be a file (tarfile's reader is a buffered binary
    file, typed there as a mere ``IO[bytes]``)."""
    extracted = archive.extractfile(member)
    if extracted is None:
        raise _refuse(DAMAGED, reason=f"{member.name} is no file")
    return cast(BinaryIO, extracted)


def _member_sha256(archive: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    source = _member(archive, member)
    digest = hashlib.sha256()
    for chunk in iter(lambda: source.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _check_target(engine: Engine, manifest: Manifest) -> None:
    if manifest.revision != head_revision():
        raise _refuse(OTHER_REVISION, archive=manifest.revision, ours=head_revision())
    if manifest.dialect != engine.dialect.name:
        raise _refuse(OTHER_DATABASE, archive=manifest.dialect, ours=engine.dialect.name)
    with engine.connect() as connection:
        if inspect(connection).get_table_names():
            raise _refuse(NOT_EMPTY)


def restore(
    *, archive_path: Path, engine: Engine, storage: Storage, progress: Progress | None = None
) -> Manifest:
    """Restore the archive into the empty database of ``engine`` and into ``storage``, after
    reading it whole and checking it; then the rows restored are compared with the manifest."""
    manifest = read_manifest(archive_path)
    _check_target(engine, manifest)
    database = _DATABASE[manifest.dialect]
    with tempfile.TemporaryDirectory() as scratch, tarfile.open(archive_path, "r:gz") as archive:
        done = 0
        for member in archive:
            if member.name == database:
                copy = Path(scratch) / database
                with copy.open("wb") as out:
                    shutil.copyfileobj(_member(archive, member), out)
                _restore_database(engine, copy)
            elif member.name.startswith(FILES):
                storage.put(member.name.removeprefix(FILES), _member(archive, member))
                done += 1
                if progress is not None:
                    progress(member.name, done, len(manifest.files))
    with engine.connect() as connection:
        restored = row_counts(connection)
    for table, archived in manifest.rows.items():
        if restored.get(table) != archived:
            raise _refuse(
                ROWS_DIFFER, table=table, restored=restored.get(table, 0), archived=archived
            )
    return manifest


def _restore_database(engine: Engine, copy: Path) -> None:
    if engine.dialect.name == "sqlite":
        target = engine.raw_connection()
        try:
            with sqlite3.connect(copy) as source:
                source.backup(target.driver_connection)  # type: ignore[arg-type]
        finally:
            target.close()
        return
    _run(
        "pg_restore",
        "--no-owner",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={_libpq_url(engine)}",
        str(copy),
    )
