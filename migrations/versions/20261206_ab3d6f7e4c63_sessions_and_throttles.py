"""core: log-in sessions and throttle counters in the database

Revision ID: ab3d6f7e4c63
Revises: 3c7d2e9a1b64
Create Date: 2026-12-06 21:20:00.000000

Sessions lived in a signed cookie that still read patient pages after a log-out, for up to
12 hours, and the log-in limit counted past failures without a lock, so concurrent guesses got
past it (issue 15). Both now live in tables every app process shares. Cookies signed before
this revision name no session and are simply no longer a log-in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hamkor.core.db

revision = "ab3d6f7e4c63"
down_revision = "3c7d2e9a1b64"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "throttles",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_start", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_throttles")),
    )


def downgrade() -> None:
    op.drop_table("throttles")
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))
    op.drop_table("user_sessions")
