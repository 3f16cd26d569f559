"""Backup and restore (issue 22): the demo's database and a stored file, archived while the
database is open, restored into a new database equal table for table, a certificate issued
before still verifying; damaged archives, other revisions and full databases refused."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select, text

from hamkor.core import backup, files, migrate
from hamkor.core.access import Actor
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.errors import UserError
from hamkor.core.filetypes import DOCUMENTS
from hamkor.core.storage import LocalStorage
from hamkor.core.users import create_user
from hamkor.demo.loader import load_demo
from hamkor.settings import get_settings
from hamkor.training.credentials.models import Credential
from hamkor.training.credentials.service import verify
from tests.conftest import POSTGRES_ENV, fresh_database, reset_postgres
from tests.fixtures.core import PASSWORD
from tests.fixtures.files import PDF


@pytest.fixture(scope="module")
def secret() -> Iterator[None]:
    """The secret that seals the signing keys: the restored database needs the same one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAMKOR_SECRET_KEY", "backup-test-secret")
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


def _with_a_file(engine: Engine, store: LocalStorage) -> str:
    """Keep a PDF as a user would; its SHA-256."""
    with transaction(make_sessionmaker(engine)) as db:
        user = create_user(db, username="archivist", password=PASSWORD, display_name="A")
        actor = Actor.of(user)
        stored = files.put(
            db=db,
            store=store,
            actor=actor,
            source=io.BytesIO(PDF),
            allowed=DOCUMENTS,
            max_bytes=1024 * 1024,
            filename="scan.pdf",
        )
        return stored.sha256


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, secret: None) -> Iterator[tuple[Engine, Path]]:
    """The demo in an SQLite file, with its stored files (the letters of its referral abroad)
    and one more; its engine and files directory."""
    place = tmp_path_factory.mktemp("source")
    engine = make_engine(f"sqlite:///{place / 'hamkor.sqlite3'}")
    with engine.begin() as connection:
        migrate.upgrade(connection)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAMKOR_FILES_DIR", str(place / "files"))
        get_settings.cache_clear()
        with transaction(make_sessionmaker(engine)) as db:
            load_demo(db)
    get_settings.cache_clear()
    _with_a_file(engine, LocalStorage(place / "files"))
    yield engine, place / "files"
    engine.dispose()


@pytest.fixture(scope="module")
def archive(demo: tuple[Engine, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's backup."""
    source, source_files = demo
    made = tmp_path_factory.mktemp("archive") / "hamkor.tar.gz"
    backup.backup(engine=source, storage=LocalStorage(source_files), target=made)
    return made


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Engine]:
    """An empty SQLite database to restore into."""
    engine = make_engine(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in an order of their own."""
    with engine.connect() as connection:
        return {
            table: sorted(
                (tuple(row) for row in connection.execute(text(f'SELECT * FROM "{table}"'))),
                key=repr,
            )
            for table in inspect(connection).get_table_names()
        }


def test_a_backup_restores_into_a_new_database_equal_table_for_table(
    demo: tuple[Engine, Path], archive: Path, target: Engine, tmp_path: Path
) -> None:
    source, files_dir = demo
    restored_files = LocalStorage(tmp_path / "files")

    made = backup.restore(archive_path=archive, engine=target, storage=restored_files)

    assert made.rows["training_credentials"] > 0
    assert made.rows["audit_log"] > 0
    assert _tables(target) == _tables(source)
    keys = [name.removeprefix(backup.FILES) for name in made.files]
    assert len(keys) > 1  # the demo's letters abroad, and the PDF kept above
    assert hashlib.sha256(PDF).hexdigest() in keys
    for key in keys:
        with restored_files.open(key) as restored, LocalStorage(files_dir).open(key) as kept:
            assert restored.read() == kept.read()
    with make_sessionmaker(target)() as db:
        credential = db.scalars(
            select(Credential).where(Credential.revoked_at.is_(None)).limit(1)
        ).one()
        assert verify(db=db, data=credential.token).valid


def test_a_truncated_archive_is_refused_and_nothing_is_written(
    archive: Path, target: Engine, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    with pytest.raises(UserError) as refused:
        backup.restore(archive_path=cut, engine=target, storage=LocalStorage(tmp_path / "f"))

    assert refused.value.errors[0].message.text == backup.DAMAGED
    with target.connect() as connection:
        assert inspect(connection).get_table_names() == []
    assert not (tmp_path / "f").exists()


def _rewritten(archive: Path, into: Path, change: dict[str, Any]) -> Path:
    """The archive with its manifest changed (the checksums of the rest still match)."""
    with tarfile.open(archive, "r:gz") as original, tarfile.open(into, "w:gz") as copy:
        for member in original:
            content = original.extractfile(member)
            assert content is not None
            data = content.read()
            if member.name == backup.MANIFEST:
                data = json.dumps({**json.loads(data), **change}).encode()
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return into


def test_an_archive_of_another_schema_revision_is_refused_naming_both(
    archive: Path, target: Engine, tmp_path: Path
) -> None:
    older = _rewritten(archive, tmp_path / "older.tar.gz", {"revision": "0123456789ab"})

    with pytest.raises(UserError) as refused:
        backup.restore(archive_path=older, engine=target, storage=LocalStorage(tmp_path / "f"))

    message = refused.value.errors[0].message
    assert (message.text, message.params["archive"]) == (backup.OTHER_REVISION, "0123456789ab")
    assert message.params["ours"] == backup.head_revision()


def test_a_restore_into_a_database_that_holds_tables_is_refused(
    demo: tuple[Engine, Path], archive: Path
) -> None:
    source, source_files = demo
    with pytest.raises(UserError) as refused:
        backup.restore(archive_path=archive, engine=source, storage=LocalStorage(source_files))
    assert refused.value.errors[0].message.text == backup.NOT_EMPTY


def test_a_backup_to_a_place_that_cannot_be_written_is_refused(
    demo: tuple[Engine, Path], tmp_path: Path
) -> None:
    source, source_files = demo
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    with pytest.raises(UserError) as refused:
        backup.backup(
            engine=source, storage=LocalStorage(source_files), target=blocked / "hamkor.tar.gz"
        )
    assert refused.value.errors[0].message.text == backup.UNWRITABLE


def test_a_postgresql_database_is_restored_into_another(tmp_path: Path, secret: None) -> None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"PostgreSQL only: set {POSTGRES_ENV}")
    source = reset_postgres(fresh_database(url, "backup_source"))
    target = make_engine(fresh_database(url, "backup_target"))
    try:
        key = _with_a_file(source, LocalStorage(tmp_path / "source"))
        archive = tmp_path / "hamkor.tar.gz"
        made = backup.backup(
            engine=source, storage=LocalStorage(tmp_path / "source"), target=archive
        )
        backup.restore(archive_path=archive, engine=target, storage=LocalStorage(tmp_path / "t"))
        assert made.dialect == "postgresql"
        assert _tables(target) == _tables(source)
        assert LocalStorage(tmp_path / "t").exists(key)
    finally:
        source.dispose()
        target.dispose()
