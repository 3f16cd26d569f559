"""telemedicine: teleconsultation cases, their messages, files and steps; referrals abroad

Revision ID: c81aa44ad87b
Revises: 7c1d2e3f4a5b
Create Date: 2026-12-07 02:59:50.374400

Issue 18: a doctor at home asks a specialist centre abroad about a patient, who may then be
referred there for treatment. New tables only; the bytes of a case's files are the core's
stored files and attachments.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hamkor.core.db

revision = "c81aa44ad87b"
down_revision = "7c1d2e3f4a5b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telemedicine_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("asking_institution_id", sa.Integer(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("specialty_id", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(length=10), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("clinical_summary", sa.Text(), nullable=False),
        sa.Column("icd10", sa.JSON(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("recommendation", sa.String(length=30), nullable=True),
        sa.Column("visit_avoided", sa.Boolean(), nullable=True),
        sa.Column("submitted_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deid_seed", sa.String(length=64), nullable=False),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "centre_id <> asking_institution_id",
            name=op.f("ck_telemedicine_cases_centre_not_asker"),
        ),
        sa.ForeignKeyConstraint(
            ["asked_by_id"],
            ["users.id"],
            name=op.f("fk_telemedicine_cases_asked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["asking_institution_id"],
            ["institutions.id"],
            name=op.f("fk_telemedicine_cases_asking_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_telemedicine_cases_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["institutions.id"],
            name=op.f("fk_telemedicine_cases_centre_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_telemedicine_cases_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_telemedicine_cases_program_id_programs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["specialty_id"],
            ["specialties.id"],
            name=op.f("fk_telemedicine_cases_specialty_id_specialties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemedicine_cases")),
    )
    with op.batch_alter_table("telemedicine_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telemedicine_cases_asked_by_id"), ["asked_by_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telemedicine_cases_asking_institution_id"),
            ["asking_institution_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_telemedicine_cases_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            "ix_telemedicine_cases_centre_id_status_due_at",
            ["centre_id", "status", "due_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_telemedicine_cases_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telemedicine_cases_program_id"), ["program_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telemedicine_cases_specialty_id"), ["specialty_id"], unique=False
        )

    op.create_table(
        "telemedicine_abroad_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("referring_institution_id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cost_estimate", sa.String(length=100), nullable=True),
        sa.Column("travel_from", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("travel_until", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["telemedicine_cases.id"],
            name=op.f("fk_telemedicine_abroad_referrals_case_id_telemedicine_cases"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["institutions.id"],
            name=op.f("fk_telemedicine_abroad_referrals_centre_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_telemedicine_abroad_referrals_patient_id_patients"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["referring_institution_id"],
            ["institutions.id"],
            name=op.f("fk_telemedicine_abroad_referrals_referring_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemedicine_abroad_referrals")),
    )
    with op.batch_alter_table("telemedicine_abroad_referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telemedicine_abroad_referrals_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telemedicine_abroad_referrals_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telemedicine_abroad_referrals_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telemedicine_abroad_referrals_referring_institution_id"),
            ["referring_institution_id"],
            unique=False,
        )

    op.create_table(
        "telemedicine_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("original_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("shared", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("study_uid", sa.String(length=64), nullable=True),
        sa.Column("series_uid", sa.String(length=64), nullable=True),
        sa.Column("frames", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["telemedicine_cases.id"],
            name=op.f("fk_telemedicine_files_case_id_telemedicine_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["original_id"],
            ["telemedicine_files.id"],
            name=op.f("fk_telemedicine_files_original_id_telemedicine_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_telemedicine_files_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemedicine_files")),
    )
    with op.batch_alter_table("telemedicine_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telemedicine_files_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_telemedicine_files_original_id"), ["original_id"], unique=False
        )

    op.create_table(
        "telemedicine_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_telemedicine_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["telemedicine_cases.id"],
            name=op.f("fk_telemedicine_messages_case_id_telemedicine_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["telemedicine_messages.id"],
            name=op.f("fk_telemedicine_messages_reply_to_id_telemedicine_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemedicine_messages")),
    )
    with op.batch_alter_table("telemedicine_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telemedicine_messages_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "telemedicine_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["users.id"],
            name=op.f("fk_telemedicine_transitions_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["telemedicine_cases.id"],
            name=op.f("fk_telemedicine_transitions_case_id_telemedicine_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemedicine_transitions")),
    )
    with op.batch_alter_table("telemedicine_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telemedicine_transitions_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "telemedicine_abroad_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["users.id"],
            name=op.f("fk_telemedicine_abroad_steps_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["telemedicine_abroad_referrals.id"],
            name=op.f("fk_telemedicine_abroad_steps_referral_id_telemedicine_abroad_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telemedicine_abroad_steps")),
    )
    with op.batch_alter_table("telemedicine_abroad_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_telemedicine_abroad_steps_referral_id"), ["referral_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("telemedicine_abroad_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telemedicine_abroad_steps_referral_id"))

    op.drop_table("telemedicine_abroad_steps")
    with op.batch_alter_table("telemedicine_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telemedicine_transitions_case_id"))

    op.drop_table("telemedicine_transitions")
    with op.batch_alter_table("telemedicine_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telemedicine_messages_case_id"))

    op.drop_table("telemedicine_messages")
    with op.batch_alter_table("telemedicine_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telemedicine_files_original_id"))
        batch_op.drop_index(batch_op.f("ix_telemedicine_files_case_id"))

    op.drop_table("telemedicine_files")
    with op.batch_alter_table("telemedicine_abroad_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telemedicine_abroad_referrals_referring_institution_id"))
        batch_op.drop_index(batch_op.f("ix_telemedicine_abroad_referrals_patient_id"))
        batch_op.drop_index(batch_op.f("ix_telemedicine_abroad_referrals_centre_id"))
        batch_op.drop_index(batch_op.f("ix_telemedicine_abroad_referrals_case_id"))

    op.drop_table("telemedicine_abroad_referrals")
    with op.batch_alter_table("telemedicine_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telemedicine_cases_specialty_id"))
        batch_op.drop_index(batch_op.f("ix_telemedicine_cases_program_id"))
        batch_op.drop_index(batch_op.f("ix_telemedicine_cases_patient_id"))
        batch_op.drop_index("ix_telemedicine_cases_centre_id_status_due_at")
        batch_op.drop_index(batch_op.f("ix_telemedicine_cases_assignee_id"))
        batch_op.drop_index(batch_op.f("ix_telemedicine_cases_asking_institution_id"))
        batch_op.drop_index(batch_op.f("ix_telemedicine_cases_asked_by_id"))

    op.drop_table("telemedicine_cases")
