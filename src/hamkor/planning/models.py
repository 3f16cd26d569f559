"""Planning in the app: the activities a program asks for, and the runs of the optimizer.

``activities`` of programs always have a time and a place; what a coordinator asks for before
the planner has placed it is a :class:`PlanningRequest`. Accepting a :class:`PlanRun` turns
requests into activities (or moves the activities made before) in one transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkor.core.db import Base, Timestamped, utcnow
from hamkor.core.jobs import Job
from hamkor.directory.models import City, Person, RoomKind, Specialty
from hamkor.programs.models import Activity, ActivityKind, Program

request_leads = Table(
    "planning_request_leads",
    Base.metadata,
    Column("request_id", ForeignKey("planning_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
)

request_cities = Table(
    "planning_request_cities",
    Base.metadata,
    Column("request_id", ForeignKey("planning_requests.id", ondelete="CASCADE"), primary_key=True),
    Column("city_id", ForeignKey("cities.id", ondelete="CASCADE"), primary_key=True),
)


class PlanningRequest(Timestamped, Base):
    """An activity a program asks for: what, of which specialty, how long, in what kind of room.

    The planner chooses its day, time, room, city and leads (unless named or fixed here); once a
    plan is accepted, ``activity`` is the program activity that carries it out.
    """

    __tablename__ = "planning_requests"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("leads_count >= 1", name="leads_positive"),
        CheckConstraint("trainee_seats >= 0", name="seats_not_negative"),
        CheckConstraint("weight >= 0", name="weight_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ActivityKind] = mapped_column(String(40))
    titles: Mapped[dict[str, str]]
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialties.id"), index=True)
    duration_minutes: Mapped[int]
    room_kind: Mapped[RoomKind] = mapped_column(String(30))
    leads_count: Mapped[int] = mapped_column(default=1)
    trainee_seats: Mapped[int] = mapped_column(default=0)
    weight: Mapped[float] = mapped_column(default=1.0)
    mandatory: Mapped[bool] = mapped_column(default=False)
    fixed_day: Mapped[date | None]
    fixed_start: Mapped[str | None] = mapped_column(String(5))
    consultation_minutes: Mapped[int | None]
    #: Kept where it is by every re-planning (a coordinator's decision).
    pinned: Mapped[bool] = mapped_column(default=False)
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), index=True
    )

    program: Mapped[Program] = relationship()
    specialty: Mapped[Specialty] = relationship(lazy="joined")
    activity: Mapped[Activity | None] = relationship(lazy="joined")
    named_leads: Mapped[list[Person]] = relationship(
        secondary=request_leads, lazy="selectin", order_by="Person.id"
    )
    cities: Mapped[list[City]] = relationship(
        secondary=request_cities, lazy="selectin", order_by="City.id"
    )


class RunStatus(StrEnum):
    SOLVING = "solving"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DISCARDED = "discarded"
    FAILED = "failed"


class PlanRun(Base):
    """One run of the optimizer on a program: the instance it read, the plan it proposed.

    ``disruption`` is what a re-planning was asked to work around (a specialist unavailable, a
    room closed); ``as_of`` the instant before which activities count as done.
    """

    __tablename__ = "planning_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    status: Mapped[RunStatus] = mapped_column(String(20), default=RunStatus.SOLVING)
    time_limit_seconds: Mapped[int]
    as_of: Mapped[datetime]
    disruption: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    instance: Mapped[dict[str, Any]] = mapped_column(JSON)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    objective: Mapped[float | None]
    bound: Mapped[float | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None]

    program: Mapped[Program] = relationship()
    job: Mapped[Job | None] = relationship(lazy="joined")
