"""directory: an institution's IATI organisation identifier

Revision ID: 7c1d2e3f4a5b
Revises: e583fec393b9
Create Date: 2026-12-07 03:00:00.000000

Issue 17: the program's IATI file names each participating organisation by its identifier
(``KZ-BIN-...``), which the directory did not keep. Added in place with an empty default for
the institutions there are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7c1d2e3f4a5b"
down_revision = "e583fec393b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "institutions",
        sa.Column("org_identifier", sa.String(length=100), server_default="", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("institutions") as batch:
        batch.drop_column("org_identifier")
