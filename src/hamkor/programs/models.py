"""Programs: what is planned, who comes, and what happens where and when."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkor.core.db import Base, Timestamped
from hamkor.directory.models import City, Country, Institution, Named, Person, Room, Specialty


class ProgramKind(StrEnum):
    MEDICAL_DAYS = "medical_days"
    FORUM = "forum"
    QUALIFICATION_COURSE = "qualification_course"
    EXCHANGE = "exchange"


class ProgramStatus(StrEnum):
    DRAFT = "draft"
    PLANNED = "planned"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ParticipationRole(StrEnum):
    HEAD_OF_DELEGATION = "head_of_delegation"
    BRIGADE_LEAD = "brigade_lead"
    SPECIALIST = "specialist"
    COORDINATOR = "coordinator"
    INTERPRETER = "interpreter"
    TRAINEE = "trainee"


class ActivityKind(StrEnum):
    MASTER_CLASS = "master_class"
    DEMONSTRATION_OPERATION = "demonstration_operation"
    HIGH_TECH_INTERVENTION = "high_tech_intervention"
    CONSULTATION_SESSION = "consultation_session"
    LECTURE = "lecture"
    PRACTICAL_TRAINING = "practical_training"
    FORUM_SESSION = "forum_session"
    EXHIBITION = "exhibition"
    SIGNING_CEREMONY = "signing_ceremony"
    AWARD_CEREMONY = "award_ceremony"


class ActivityStatus(StrEnum):
    REQUESTED = "requested"
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    DONE = "done"
    CANCELLED = "cancelled"


class Program(Named, Timestamped, Base):
    """A cooperation program: medical days, a forum, a qualification course or an exchange."""

    __tablename__ = "programs"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[ProgramKind] = mapped_column(String(30))
    status: Mapped[ProgramStatus] = mapped_column(String(20), default=ProgramStatus.DRAFT)
    names: Mapped[dict[str, str]]
    descriptions: Mapped[dict[str, str]] = mapped_column(default=dict)
    guest_country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"))
    host_country_id: Mapped[int] = mapped_column(ForeignKey("countries.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    guest_country: Mapped[Country] = relationship(foreign_keys=[guest_country_id], lazy="joined")
    host_country: Mapped[Country] = relationship(foreign_keys=[host_country_id], lazy="joined")

    @property
    def is_open(self) -> bool:
        """Not yet completed or cancelled: it still takes new activities and planning."""
        return self.status not in (ProgramStatus.COMPLETED, ProgramStatus.CANCELLED)


class Delegation(Named, Timestamped, Base):
    """A brigade of a program: the people one institution sends, travelling together."""

    __tablename__ = "delegations"
    __table_args__ = (UniqueConstraint("program_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    names: Mapped[dict[str, str]]
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)

    program: Mapped[Program] = relationship()
    institution: Mapped[Institution | None] = relationship(lazy="joined")


class Participation(Timestamped, Base):
    """A person's part in a program: role, brigade, and when and where they arrive and leave."""

    __tablename__ = "participations"
    __table_args__ = (
        UniqueConstraint("program_id", "person_id"),
        CheckConstraint(
            "departs_at IS NULL OR arrives_at IS NULL OR departs_at >= arrives_at",
            name="departs_after_arrival",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    delegation_id: Mapped[int | None] = mapped_column(
        ForeignKey("delegations.id", ondelete="SET NULL"), index=True
    )
    role: Mapped[ParticipationRole] = mapped_column(String(30))
    arrival_city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"))
    arrives_at: Mapped[datetime | None]
    departure_city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"))
    departs_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(lazy="joined")
    delegation: Mapped[Delegation | None] = relationship(lazy="joined")
    arrival_city: Mapped[City | None] = relationship(foreign_keys=[arrival_city_id])
    departure_city: Mapped[City | None] = relationship(foreign_keys=[departure_city_id])


activity_leads = Table(
    "activity_leads",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
)


class Activity(Timestamped, Base):
    """Something that happens in a program: a master class, an operation, a consultation session.

    Start and end are UTC instants, shown in the time zone of the activity's city.
    """

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("trainee_capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ActivityKind] = mapped_column(String(40))
    status: Mapped[ActivityStatus] = mapped_column(String(20), default=ActivityStatus.PLANNED)
    titles: Mapped[dict[str, str]]
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialties.id"), index=True)
    delegation_id: Mapped[int | None] = mapped_column(
        ForeignKey("delegations.id", ondelete="SET NULL"), index=True
    )
    city_id: Mapped[int] = mapped_column(ForeignKey("cities.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    trainee_capacity: Mapped[int] = mapped_column(default=0)

    program: Mapped[Program] = relationship()
    specialty: Mapped[Specialty | None] = relationship(lazy="joined")
    delegation: Mapped[Delegation | None] = relationship(lazy="joined")
    city: Mapped[City] = relationship(lazy="joined")
    institution: Mapped[Institution | None] = relationship(lazy="joined")
    room: Mapped[Room | None] = relationship(lazy="joined")
    leads: Mapped[list[Person]] = relationship(
        secondary=activity_leads, lazy="selectin", order_by="Person.id"
    )
