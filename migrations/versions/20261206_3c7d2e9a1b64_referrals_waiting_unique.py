"""care: one waiting referral per patient, program and specialty, by a unique index

Revision ID: 3c7d2e9a1b64
Revises: 9f2c5a6e3b52
Create Date: 2026-12-06 21:00:00.000000

The rule was checked before the insert and nothing stood behind it: 12 concurrent referrals of
one patient to one program and specialty made 6 waiting ones (issue 15). A partial unique index
on the referrals still on the waitlist lets the database refuse the second.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3c7d2e9a1b64"
down_revision = "9f2c5a6e3b52"
branch_labels = None
depends_on = None

_WAITING = sa.text("status IN ('waiting', 'booked')")


def upgrade() -> None:
    op.create_index(
        "uq_referrals_waiting",
        "referrals",
        ["patient_id", "program_id", "specialty_id"],
        unique=True,
        sqlite_where=_WAITING,
        postgresql_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_index("uq_referrals_waiting", table_name="referrals")
