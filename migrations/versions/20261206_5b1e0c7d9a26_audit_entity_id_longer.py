"""core: the audit trail's entity_id holds a stored file's SHA-256

Revision ID: 5b1e0c7d9a26
Revises: 4d8e3f0a2c75
Create Date: 2026-12-06 22:40:00.000000

Stored files are keyed by the 64 hex digits of their SHA-256, and the flush hook writes that key
into ``audit_log.entity_id``, which held 60 characters: on PostgreSQL every stored file failed
to be written. SQLite rebuilds the table to change the type, which drops its triggers; they are
made again as the first migration made them, so the trail stays append-only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b1e0c7d9a26"
down_revision = "4d8e3f0a2c75"
branch_labels = None
depends_on = None

_APPEND_ONLY_SQLITE = """
CREATE TRIGGER audit_log_no_{op} BEFORE {OP} ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""


def _entity_id(old: int, new: int) -> None:
    if op.get_context().dialect.name == "postgresql":
        op.alter_column(
            "audit_log", "entity_id", type_=sa.String(new), existing_type=sa.String(old)
        )
        return
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("entity_id", type_=sa.String(new), existing_type=sa.String(old))
    for operation in ("update", "delete"):
        op.execute(_APPEND_ONLY_SQLITE.format(op=operation, OP=operation.upper()))


def upgrade() -> None:
    _entity_id(60, 100)


def downgrade() -> None:
    _entity_id(100, 60)
