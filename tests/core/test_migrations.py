"""The migrations take a fresh database to head and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, insert, inspect, text
from sqlalchemy.exc import DBAPIError

from hamkor.core.db import Base
from hamkor.core.models import AuditEntry


def test_head_schema_matches_the_models(connection: Connection) -> None:
    """Fails when a model changes without a migration (the role of ``alembic check``)."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": True}
    )
    assert compare_metadata(context, Base.metadata) == []


def test_every_constraint_has_a_known_name(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        for foreign_key in inspector.get_foreign_keys(table.name):
            if engine.dialect.name == "postgresql":
                assert foreign_key["name"], table.name
        for unique in inspector.get_unique_constraints(table.name):
            assert str(unique["name"]).startswith("uq_"), table.name


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"]
)
def test_the_audit_log_refuses_rewrites(connection: Connection, statement: str) -> None:
    connection.execute(
        insert(AuditEntry).values(actor_name="t", action="view", entity="x", changes={})
    )
    savepoint = connection.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        connection.execute(text(statement))
    savepoint.rollback()


def test_the_audit_log_refuses_truncate_on_postgresql(postgresql_engine: Engine) -> None:
    """PostgreSQL's TRUNCATE passes UPDATE and DELETE triggers by; SQLite has no TRUNCATE."""
    with (
        postgresql_engine.connect() as connection,
        connection.begin(),
        pytest.raises(DBAPIError, match="append-only"),
    ):
        connection.execute(text("TRUNCATE audit_log"))
