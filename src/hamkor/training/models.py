"""Training: courses and their sessions, who enrols, who attends, and the mentoring cascade."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkor.core.db import Base, Timestamped, utcnow
from hamkor.core.models import User
from hamkor.directory.models import City, Institution, Named, Person, Room
from hamkor.programs.models import Activity, Program

#: The longest meeting or recording link kept (video-call links with their passcode fit).
LINK_MAX = 500


class CourseKind(StrEnum):
    MASTER_CLASS = "master_class"
    PRACTICAL_TRAINING = "practical_training"
    QUALIFICATION_COURSE = "qualification_course"


class EnrolmentStatus(StrEnum):
    REQUESTED = "requested"
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    FAILED = "failed"


class AttendanceMethod(StrEnum):
    QR = "qr"
    LIST = "list"
    #: Joined an online session by the trainee's personal signed link (issue 18).
    ONLINE = "online"


class SessionMode(StrEnum):
    """Where a session is held: in the room, online only, or both at once (hybrid)."""

    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


class Course(Named, Timestamped, Base):
    """A master class or practical training of a program (linked to its activity), or a
    standalone qualification course, possibly abroad, that ends with a certificate.

    The completion rule is ``min_attendance_percent`` of the sessions and, when set, a score of
    at least ``min_score``.
    """

    __tablename__ = "training_courses"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
        CheckConstraint(
            "min_attendance_percent BETWEEN 0 AND 100", name="attendance_is_a_percentage"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[dict[str, str]]
    kind: Mapped[CourseKind] = mapped_column(String(30))
    program_id: Mapped[int | None] = mapped_column(
        ForeignKey("programs.id", ondelete="SET NULL"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), unique=True
    )
    specialty: Mapped[str | None] = mapped_column(ForeignKey("specialties.code"), index=True)
    issuer_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    host_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    hours: Mapped[int] = mapped_column(default=0)
    cme_credits: Mapped[float] = mapped_column(default=0.0)
    language: Mapped[str] = mapped_column(String(10))
    capacity: Mapped[int] = mapped_column(default=0)
    min_attendance_percent: Mapped[int] = mapped_column(default=80)
    min_score: Mapped[float | None]
    certificate_valid_years: Mapped[int | None]

    program: Mapped[Program | None] = relationship()
    activity: Mapped[Activity | None] = relationship()
    issuer_institution: Mapped[Institution] = relationship(
        foreign_keys=[issuer_institution_id], lazy="joined"
    )
    host_institution: Mapped[Institution] = relationship(
        foreign_keys=[host_institution_id], lazy="joined"
    )
    sessions: Mapped[list[CourseSession]] = relationship(
        back_populates="course", order_by="CourseSession.starts_at"
    )

    @property
    def names(self) -> dict[str, str]:
        """The title, under the name the directory's search folding reads."""
        return self.title


class CourseSession(Timestamped, Base):
    """One sitting of a course: a lecture, a day in the clinic. Instants are UTC, shown in the
    zone of the session's city (else the host institution's city).

    An online or hybrid session has a meeting link (a video call trainees join from home) and,
    once it is over, possibly a recording link: distance learning between visits (issue 18).
    """

    __tablename__ = "training_sessions"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    topic: Mapped[str] = mapped_column(String(300), default="")
    city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    mode: Mapped[SessionMode] = mapped_column(
        String(10), default=SessionMode.IN_PERSON, server_default=SessionMode.IN_PERSON.value
    )
    meeting_url: Mapped[str | None] = mapped_column(String(LINK_MAX))
    recording_url: Mapped[str | None] = mapped_column(String(LINK_MAX))

    course: Mapped[Course] = relationship(back_populates="sessions")
    city: Mapped[City | None] = relationship(lazy="joined")
    room: Mapped[Room | None] = relationship(lazy="joined")


class Enrolment(Timestamped, Base):
    """A trainee's place in a course, from the request to completion (or not).

    The waiting list is ordered by ``requested_at``; ``language`` is the one the trainee's
    certificate is written in (besides English).
    """

    __tablename__ = "training_enrolments"
    __table_args__ = (
        UniqueConstraint("course_id", "person_id"),
        CheckConstraint("score IS NULL OR score >= 0", name="score_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("training_courses.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(String(20), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[float | None]
    completed_at: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(String(10))

    course: Mapped[Course] = relationship(lazy="joined")
    person: Mapped[Person] = relationship(lazy="joined")


class Attendance(Base):
    """A trainee present at a session, checked in by QR code or marked on the list."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("training_enrolments.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[AttendanceMethod] = mapped_column(String(10))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    session: Mapped[CourseSession] = relationship()
    enrolment: Mapped[Enrolment] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class Mentorship(Timestamped, Base):
    """A trained doctor passing the course on to a colleague at home: one link of the cascade."""

    __tablename__ = "training_mentorships"
    __table_args__ = (
        UniqueConstraint("mentor_id", "mentee_id"),
        CheckConstraint("mentor_id <> mentee_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_courses.id", ondelete="SET NULL"), index=True
    )
    started_on: Mapped[date]

    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id], lazy="joined")
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id], lazy="joined")
    institution: Mapped[Institution] = relationship(lazy="joined")
    course: Mapped[Course | None] = relationship()


class CascadeSession(Timestamped, Base):
    """A session a mentor holds at home to pass a course on (the regional cascade)."""

    __tablename__ = "training_cascade_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_courses.id", ondelete="SET NULL"), index=True
    )
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    held_on: Mapped[date]
    topic: Mapped[str] = mapped_column(String(300))

    mentor: Mapped[Person] = relationship(lazy="joined")
    institution: Mapped[Institution] = relationship(lazy="joined")
    attendees: Mapped[list[CascadeAttendee]] = relationship(
        back_populates="cascade_session", cascade="all, delete-orphan"
    )


class CascadeAttendee(Base):
    """A colleague who attended a cascade session."""

    __tablename__ = "training_cascade_attendees"
    __table_args__ = (UniqueConstraint("cascade_session_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cascade_session_id: Mapped[int] = mapped_column(
        ForeignKey("training_cascade_sessions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)

    cascade_session: Mapped[CascadeSession] = relationship(back_populates="attendees")
    person: Mapped[Person] = relationship(lazy="joined")
