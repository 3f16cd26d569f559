"""Test set-up: every database test runs on SQLite and, when configured, on PostgreSQL.

Each test runs inside a transaction that is rolled back, so tests never see each other's rows;
the app under test shares that transaction through a savepoint-joining sessionmaker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import migrate, security
from hamkor.core.db import make_engine
from hamkor.modules import install

pytest_plugins = [
    "tests.fixtures.core",
    "tests.fixtures.directory",
    "tests.fixtures.programs",
    "tests.fixtures.planning",
    "tests.fixtures.training",
    "tests.fixtures.credentials",
    "tests.fixtures.care",
    "tests.fixtures.fhir",
    "tests.fixtures.files",
    "tests.fixtures.mail",
    "tests.fixtures.jobs",
    "tests.fixtures.agreements",
    "tests.fixtures.telemedicine",
    "tests.fixtures.reports",
]

POSTGRES_ENV = "HAMKOR_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    install()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get(POSTGRES_ENV)
    if worker and url:
        # pytest-xdist's workers run side by side: each wipes a PostgreSQL database of its own.
        os.environ[POSTGRES_ENV] = fresh_database(url, worker)


def fresh_database(url: str, suffix: str) -> str:
    """The URL of a new, empty database beside the one of ``url``, named with ``suffix``
    (dropped first if an earlier run left it)."""
    admin = make_engine(url, pool_size=1)
    name = f"{admin.url.database}_{suffix}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin.url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(autouse=True, scope="session")
def cheapest_password_hashes() -> Iterator[None]:
    """Argon2 at the cost argon2-cffi gives for tests: at the production cost each test user's
    password took a quarter of a second to hash on the CI machine, much of the suite's time.
    Hashing and checking work the same; the production parameters are argon2-cffi's defaults."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security, "_hasher", PasswordHasher.from_parameters(profiles.CHEAPEST))
        yield


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        migrate.upgrade(connection)
    yield engine
    engine.dispose()


def reset_postgres(url: str) -> Engine:
    """A PostgreSQL database emptied and migrated to head (the test database is ours to wipe)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    with engine.begin() as connection:
        migrate.upgrade(connection)
    return engine


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL variant: set {POSTGRES_ENV}=postgresql://postgres@127.0.0.1:5432/test "
            "to run it (the database is wiped)"
        )
    engine = reset_postgres(url)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Engine:
    """The engine of each backend in turn."""
    fixture = f"{request.param}_engine"
    result = request.getfixturevalue(fixture)
    assert isinstance(result, Engine)
    return result


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions that commit into savepoints of the test's transaction."""
    return sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session
