"""reports: the targets of programs' indicators and the publications of their figures

Revision ID: 1ff132015aa2
Revises: c81aa44ad87b
Create Date: 2026-12-07 02:32:41.864595

What a program means to reach per indicator, and whether a coordinator has published its
figures at a public address (issue 19). New tables only: the figures are counted when read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hamkor.core.db

revision = "1ff132015aa2"
down_revision = "c81aa44ad87b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_publications",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("published_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_report_publications_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_report_publications_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_report_publications")),
        sa.UniqueConstraint("slug", name=op.f("uq_report_publications_slug")),
    )
    op.create_table(
        "report_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("indicator_key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value >= 0", name=op.f("ck_report_targets_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_report_targets_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_targets")),
        sa.UniqueConstraint(
            "program_id", "indicator_key", name=op.f("uq_report_targets_program_id_indicator_key")
        ),
    )
    with op.batch_alter_table("report_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_targets_program_id"), ["program_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("report_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_targets_program_id"))

    op.drop_table("report_targets")
    op.drop_table("report_publications")
