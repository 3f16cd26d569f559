"""audit log: TRUNCATE refused like UPDATE and DELETE

Revision ID: 8e1b4f5d2a41
Revises: 6c8f2d3b0e11
Create Date: 2026-12-06 16:30:00.000000

PostgreSQL's row and statement triggers on UPDATE and DELETE do not fire on TRUNCATE, so the
append-only trail could still be emptied in one statement (issue 15). SQLite has no TRUNCATE:
its ``DELETE FROM audit_log`` already meets the delete trigger.
"""

from __future__ import annotations

from alembic import op

revision = "8e1b4f5d2a41"
down_revision = "6c8f2d3b0e11"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
