"""core: files of imports that run as jobs

Revision ID: 4d8e3f0a2c75
Revises: 710a94a8d391
Create Date: 2026-12-06 22:00:00.000000

An import of thousands of rows held one request's transaction for minutes (issue 15); it now
runs as a job, and the uploaded file waits for its worker here, in the database that every app
process and worker shares. The job deletes it when it ends.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hamkor.core.db

revision = "4d8e3f0a2c75"
down_revision = "710a94a8d391"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_import_files_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_files")),
    )


def downgrade() -> None:
    op.drop_table("import_files")
