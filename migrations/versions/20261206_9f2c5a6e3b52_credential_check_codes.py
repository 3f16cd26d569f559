"""credentials: a random check code in the verification address

Revision ID: 9f2c5a6e3b52
Revises: 8e1b4f5d2a41
Create Date: 2026-12-06 16:40:00.000000

Certificates were verified at /verify/<number>, so counting numbers listed every holder
(issue 15). New certificates carry a random check code in their address; those issued before
keep none, and their printed QR codes keep verifying.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9f2c5a6e3b52"
down_revision = "8e1b4f5d2a41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("training_credentials") as batch:
        batch.add_column(sa.Column("check_code", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("training_credentials") as batch:
        batch.drop_column("check_code")
