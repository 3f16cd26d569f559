"""planning: requested activities, plan runs, and the job queue

Revision ID: 7d9a3e4c1f31
Revises: a7abacee71c2
Create Date: 2026-11-29 09:12:26.798321
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hamkor.core.db

revision = "7d9a3e4c1f31"
down_revision = "a7abacee71c2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("error_params", sa.JSON(), nullable=False),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_jobs_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_status"), ["status"], unique=False)

    op.create_table(
        "planning_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("time_limit_seconds", sa.Integer(), nullable=False),
        sa.Column("as_of", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disruption", sa.JSON(), nullable=False),
        sa.Column("instance", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("objective", sa.Double(), nullable=True),
        sa.Column("bound", sa.Double(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_by", sa.Integer(), nullable=True),
        sa.Column("accepted_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["users.id"],
            name=op.f("fk_planning_runs_accepted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_planning_runs_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_planning_runs_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_planning_runs_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_runs")),
    )
    with op.batch_alter_table("planning_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planning_runs_program_id"), ["program_id"], unique=False
        )

    op.create_table(
        "planning_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("specialty_id", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("room_kind", sa.String(length=30), nullable=False),
        sa.Column("leads_count", sa.Integer(), nullable=False),
        sa.Column("trainee_seats", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.Column("fixed_day", sa.Date(), nullable=True),
        sa.Column("fixed_start", sa.String(length=5), nullable=True),
        sa.Column("consultation_minutes", sa.Integer(), nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("created_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hamkor.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_planning_requests_duration_positive")
        ),
        sa.CheckConstraint("leads_count >= 1", name=op.f("ck_planning_requests_leads_positive")),
        sa.CheckConstraint(
            "trainee_seats >= 0", name=op.f("ck_planning_requests_seats_not_negative")
        ),
        sa.CheckConstraint("weight >= 0", name=op.f("ck_planning_requests_weight_not_negative")),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_planning_requests_activity_id_activities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_planning_requests_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["specialty_id"],
            ["specialties.id"],
            name=op.f("fk_planning_requests_specialty_id_specialties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planning_requests")),
    )
    with op.batch_alter_table("planning_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_planning_requests_activity_id"), ["activity_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planning_requests_program_id"), ["program_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_planning_requests_specialty_id"), ["specialty_id"], unique=False
        )

    op.create_table(
        "planning_request_cities",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["city_id"],
            ["cities.id"],
            name=op.f("fk_planning_request_cities_city_id_cities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["planning_requests.id"],
            name=op.f("fk_planning_request_cities_request_id_planning_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "city_id", name=op.f("pk_planning_request_cities")),
    )
    op.create_table(
        "planning_request_leads",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_planning_request_leads_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["planning_requests.id"],
            name=op.f("fk_planning_request_leads_request_id_planning_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", "person_id", name=op.f("pk_planning_request_leads")),
    )


def downgrade() -> None:
    op.drop_table("planning_request_leads")
    op.drop_table("planning_request_cities")
    with op.batch_alter_table("planning_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planning_requests_specialty_id"))
        batch_op.drop_index(batch_op.f("ix_planning_requests_program_id"))
        batch_op.drop_index(batch_op.f("ix_planning_requests_activity_id"))

    op.drop_table("planning_requests")
    with op.batch_alter_table("planning_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_planning_runs_program_id"))

    op.drop_table("planning_runs")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_status"))

    op.drop_table("jobs")
