"""Alembic environment: the same migrations take SQLite and PostgreSQL to head."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from hamkor.core.db import Base, make_engine
from hamkor.modules import install
from hamkor.settings import get_settings

install()
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the connection a caller handed over (tests, ``hamkor db upgrade``), else the settings."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(get_settings().resolved_database_url())
    with engine.begin() as own:
        _run(own)


run_migrations_online()
