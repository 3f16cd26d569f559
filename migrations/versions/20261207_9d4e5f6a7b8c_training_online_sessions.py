"""training: online sessions (meeting and recording links) and online attendance

Revision ID: 9d4e5f6a7b8c
Revises: 1ff132015aa2
Create Date: 2026-12-07 05:30:00.000000

Issue 18, distance learning: a session may be held online or hybrid, with a meeting link and
afterwards a recording link. Sessions there are stay in person (the server default). The new
attendance method ``online`` fits the existing ``String(10)`` column: no change there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9d4e5f6a7b8c"
down_revision = "1ff132015aa2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("training_sessions") as batch:
        batch.add_column(
            sa.Column("mode", sa.String(length=10), server_default="in_person", nullable=False)
        )
        batch.add_column(sa.Column("meeting_url", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("recording_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training_sessions") as batch:
        batch.drop_column("recording_url")
        batch.drop_column("meeting_url")
        batch.drop_column("mode")
