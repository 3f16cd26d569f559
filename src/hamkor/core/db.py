"""The database: declarative base with named constraints, engines for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from hamkor.core import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: Now, in UTC: every stored instant is UTC and shown in the city's own zone. The clock's own
#: function, under the name the column defaults and the older services know.
utcnow = clock.now


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on both SQLite (which keeps no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """All tables; the naming convention gives every constraint a known name for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, str]: JSON(),
        list[str]: JSON(),
    }


class Timestamped:
    """Rows that remember when they were made and last changed."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def assign(row: Base, values: Mapping[str, Any]) -> None:
    """Set validated values on a row by attribute name (an update after its checks passed)."""
    for name, value in values.items():
        setattr(row, name, value)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not the driver, starts transactions, so that SAVEPOINT behaves (pysqlite quirk).
    dbapi_connection.isolation_level = None
    # WAL lets the page readers go on while a writer commits; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


#: The execution option of a connection whose transaction takes SQLite's write lock at once.
WRITE_LOCK_AT_ONCE = "hamkor_write_lock_at_once"


def _sqlite_begin(connection: Connection) -> None:
    # A transaction that reads first and writes later fails when another connection has
    # committed in between (SQLite cannot move its snapshot); one that writes for long (an
    # import job) takes the write lock at once instead, and the others wait for it.
    immediate = connection.get_execution_options().get(WRITE_LOCK_AT_ONCE)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(
    url: str, pool_size: int = 10, pool_timeout: float = 10, lock_timeout: float | None = None
) -> Engine:
    """An engine for the URL; plain ``postgresql://`` URLs use psycopg 3.

    The pool (of PostgreSQL, or of an SQLite file) keeps ``pool_size`` connections and opens as
    many again in bursts; a request that finds none free within ``pool_timeout`` seconds fails
    with the pool's ``TimeoutError``, which the app answers 503 rather than queueing for ever.

    With ``lock_timeout`` (seconds; the app's engine has one) a PostgreSQL statement that waits
    longer for a row another transaction locked fails with an ``OperationalError``, also
    answered 503. A request commits only after its answer is checked in a thread of the
    limiter: requests waiting for its locks could hold every thread, and without the time-out
    all of them would wait for ever (the booking benchmark hung so on a shared token's row).

    PostgreSQL connections are not pinged before use: the ping was a round trip on every request
    (a tenth of a booking's CPU). A connection the server closed meanwhile fails its request
    with a disconnect error, also answered 503, and SQLAlchemy then replaces the whole pool.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    pool: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": pool_size,
        "pool_timeout": pool_timeout,
    }
    # No statement's bound values in an error's text: they are patients' names and numbers, and
    # an error's text may reach a log (issue 15).
    if url.startswith("sqlite"):
        in_memory = make_url(url).database in (None, "", ":memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            hide_parameters=True,
            **({} if in_memory else pool),
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if lock_timeout is not None:
        pool["connect_args"] = {"options": f"-c lock_timeout={int(lock_timeout * 1000)}"}
    return create_engine(url, hide_parameters=True, **pool)


def dialect_insert(db: Session) -> Any:
    """The INSERT of the session's database, whose ``on_conflict_do_*`` both SQLite and
    PostgreSQL understand."""
    return postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert


def make_sessionmaker(bind: Any) -> sessionmaker[Session]:
    """Sessions that keep loaded objects after commit, so a page can render what it just saved."""
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed at the end, rolled back on any error."""
    with factory() as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise
