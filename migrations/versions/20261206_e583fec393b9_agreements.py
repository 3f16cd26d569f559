"""agreements: agreements, parties, status history, roadmap items, stands and awards

Revision ID: e583fec393b9
Revises: 5404332a04e7
Create Date: 2026-12-06 23:59:08.969570

What institutions sign, with whom and until when, and the roadmap of what they promised
(issue 17). New tables only; the documents are the core's stored files and attachments, and
the directory's new institution kinds (company, government agency) are values of its string
column, so neither needs a change of schema.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hamkor.core.db

revision = "e583fec393b9"
down_revision = "5404332a04e7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("summaries", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("renewal_terms", sa.String(length=4000), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=True),
        sa.Column("confidentiality", sa.String(length=20), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("ceremony_activity_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("roadmap_approved_on", sa.Date(), nullable=True),
        sa.Column("search", sa.String(length=2000), nullable=False),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "notice_days IS NULL OR notice_days >= 0",
            name=op.f("ck_agreements_notice_not_negative"),
        ),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_agreements_not_own_parent")
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from",
            name=op.f("ck_agreements_valid_until_after_from"),
        ),
        sa.ForeignKeyConstraint(
            ["ceremony_activity_id"],
            ["activities.id"],
            name=op.f("fk_agreements_ceremony_activity_id_activities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["agreements.id"],
            name=op.f("fk_agreements_parent_id_agreements"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_agreements_program_id_programs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("code", name=op.f("uq_agreements_code")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreements_ceremony_activity_id"), ["ceremony_activity_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_agreements_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreements_program_id"), ["program_id"], unique=False)

    op.create_table(
        "awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("recipient_person_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=300), nullable=False),
        sa.Column("conferred_by_institution_id", sa.Integer(), nullable=False),
        sa.Column("conferred_on", sa.Date(), nullable=False),
        sa.Column("ceremony_activity_id", sa.Integer(), nullable=True),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ceremony_activity_id"],
            ["activities.id"],
            name=op.f("fk_awards_ceremony_activity_id_activities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conferred_by_institution_id"],
            ["institutions.id"],
            name=op.f("fk_awards_conferred_by_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_awards_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_person_id"],
            ["people.id"],
            name=op.f("fk_awards_recipient_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_awards")),
    )
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_awards_program_id"), ["program_id"], unique=False)

    op.create_table(
        "exhibition_stands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("stand", sa.String(length=40), nullable=False),
        sa.Column("exhibits", sa.JSON(), nullable=False),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_exhibition_stands_activity_id_activities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_exhibition_stands_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_exhibition_stands_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exhibition_stands")),
        sa.UniqueConstraint(
            "program_id", "stand", name=op.f("uq_exhibition_stands_program_id_stand")
        ),
    )
    with op.batch_alter_table("exhibition_stands", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exhibition_stands_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_exhibition_stands_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "agreement_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("signer_person_id", sa.Integer(), nullable=True),
        sa.Column("signer_name", sa.String(length=300), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_parties_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_agreement_parties_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["signer_person_id"],
            ["people.id"],
            name=op.f("fk_agreement_parties_signer_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_parties")),
        sa.UniqueConstraint(
            "agreement_id",
            "institution_id",
            name=op.f("uq_agreement_parties_agreement_id_institution_id"),
        ),
    )
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_parties_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreement_parties_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "agreement_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("changed_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_status_changes_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_agreement_status_changes_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_status_changes")),
    )
    with op.batch_alter_table("agreement_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_status_changes_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "roadmap_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("owner_institution_id", sa.Integer(), nullable=False),
        sa.Column("owner_person_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("baseline_due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("alert", sa.String(length=20), nullable=True),
        sa.Column("outside_validity", sa.Boolean(), nullable=False),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "percent BETWEEN 0 AND 100", name=op.f("ck_roadmap_items_percent_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_roadmap_items_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_institution_id"],
            ["institutions.id"],
            name=op.f("fk_roadmap_items_owner_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_person_id"],
            ["people.id"],
            name=op.f("fk_roadmap_items_owner_person_id_people"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_items")),
    )
    with op.batch_alter_table("roadmap_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roadmap_items_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_roadmap_items_due_on"), ["due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_roadmap_items_owner_institution_id"),
            ["owner_institution_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_roadmap_items_owner_person_id"), ["owner_person_id"], unique=False
        )

    op.create_table(
        "roadmap_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("indicator_key", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("target", sa.Double(), nullable=False),
        sa.Column("actual", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["roadmap_items.id"],
            name=op.f("fk_roadmap_indicators_item_id_roadmap_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_indicators")),
        sa.UniqueConstraint(
            "item_id",
            "indicator_key",
            "period",
            name=op.f("uq_roadmap_indicators_item_id_indicator_key_period"),
        ),
    )
    with op.batch_alter_table("roadmap_indicators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roadmap_indicators_item_id"), ["item_id"], unique=False
        )

    op.create_table(
        "roadmap_item_activities",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_roadmap_item_activities_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["roadmap_items.id"],
            name=op.f("fk_roadmap_item_activities_item_id_roadmap_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "activity_id", name=op.f("pk_roadmap_item_activities")),
    )
    op.create_table(
        "roadmap_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["roadmap_items.id"],
            name=op.f("fk_roadmap_milestones_item_id_roadmap_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_milestones")),
    )
    with op.batch_alter_table("roadmap_milestones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roadmap_milestones_item_id"), ["item_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("roadmap_milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_milestones_item_id"))

    op.drop_table("roadmap_milestones")
    op.drop_table("roadmap_item_activities")
    with op.batch_alter_table("roadmap_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_indicators_item_id"))

    op.drop_table("roadmap_indicators")
    with op.batch_alter_table("roadmap_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roadmap_items_owner_person_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_items_owner_institution_id"))
        batch_op.drop_index(batch_op.f("ix_roadmap_items_due_on"))
        batch_op.drop_index(batch_op.f("ix_roadmap_items_agreement_id"))

    op.drop_table("roadmap_items")
    with op.batch_alter_table("agreement_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_status_changes_agreement_id"))

    op.drop_table("agreement_status_changes")
    with op.batch_alter_table("agreement_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_parties_institution_id"))
        batch_op.drop_index(batch_op.f("ix_agreement_parties_agreement_id"))

    op.drop_table("agreement_parties")
    with op.batch_alter_table("exhibition_stands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exhibition_stands_program_id"))
        batch_op.drop_index(batch_op.f("ix_exhibition_stands_institution_id"))

    op.drop_table("exhibition_stands")
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_awards_program_id"))

    op.drop_table("awards")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_program_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_parent_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_ceremony_activity_id"))

    op.drop_table("agreements")
