"""training credentials: signing keys of issuing institutions and the certificates they sign

Revision ID: 5b7e1c2a9d02
Revises: 5b7e1c2a9d01
Create Date: 2026-11-29 09:12:51.364919
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hamkor.core.db

revision = "5b7e1c2a9d02"
down_revision = "5b7e1c2a9d01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=300), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("retired_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_training_signing_keys_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_signing_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_training_signing_keys_kid")),
    )
    with op.batch_alter_table("training_signing_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_signing_keys_institution_id"), ["institution_id"], unique=False
        )

    op.create_table(
        "training_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("uid", sa.String(length=60), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("issuer_institution_id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=300), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("valid_from", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("revoked_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["training_enrolments.id"],
            name=op.f("fk_training_credentials_enrolment_id_training_enrolments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_institution_id"],
            ["institutions.id"],
            name=op.f("fk_training_credentials_issuer_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["users.id"],
            name=op.f("fk_training_credentials_revoked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_credentials")),
        sa.UniqueConstraint(
            "issuer_institution_id",
            "status_index",
            name=op.f("uq_training_credentials_issuer_institution_id_status_index"),
        ),
        sa.UniqueConstraint("number", name=op.f("uq_training_credentials_number")),
        sa.UniqueConstraint("uid", name=op.f("uq_training_credentials_uid")),
    )
    with op.batch_alter_table("training_credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_credentials_enrolment_id"), ["enrolment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_credentials_issuer_institution_id"),
            ["issuer_institution_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("training_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_credentials_issuer_institution_id"))
        batch_op.drop_index(batch_op.f("ix_training_credentials_enrolment_id"))

    op.drop_table("training_credentials")
    with op.batch_alter_table("training_signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_signing_keys_institution_id"))

    op.drop_table("training_signing_keys")
