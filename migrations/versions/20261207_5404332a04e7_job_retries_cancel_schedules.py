"""core: jobs get attempts, a not-before, cancellation and the run key of their period

Revision ID: 5404332a04e7
Revises: 5b1e0c7d9a26
Create Date: 2026-12-07 10:00:00.000000

Issue 16: a job whose worker died is taken up by heartbeat (queued again while attempts
remain, else failed), a repeatable job is retried with a backoff (not claimed before
``run_after``), a job may be cancelled, and a scheduled job is queued once per period under a
unique ``run_key``. The columns are added in place, with server defaults for the rows there
are: rebuilding ``jobs`` (SQLite's batch mode) would null the plan runs' references to it
through their ON DELETE SET NULL. The unique rule is a unique index for the same reason.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hamkor.core.db

revision = "5404332a04e7"
down_revision = "5b1e0c7d9a26"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "jobs", sa.Column("max_attempts", sa.Integer(), server_default="1", nullable=False)
    )
    op.add_column(
        "jobs", sa.Column("run_after", hamkor.core.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "jobs",
        sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("jobs", sa.Column("run_key", sa.String(length=120), nullable=True))
    op.create_index("ix_jobs_run_key", "jobs", ["run_key"], unique=True)
    op.create_index(op.f("ix_jobs_created_by"), "jobs", ["created_by"], unique=False)
    # A job started before has been tried once.
    op.execute("UPDATE jobs SET attempts = 1 WHERE status <> 'queued'")


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_created_by"), table_name="jobs")
    op.drop_index("ix_jobs_run_key", table_name="jobs")
    for column in ("run_key", "cancel_requested", "run_after", "max_attempts", "attempts"):
        op.drop_column("jobs", column)
