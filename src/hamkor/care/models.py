"""Care: the patients of a visit, their consents, the waitlist, bookings and what was done.

Every table here holds health data: ``__audit_values__ = False`` keeps the audit trail to column
names, so the trail itself never becomes a second copy of the records (issue 4).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkor.core.db import Base, Timestamped, utcnow
from hamkor.core.models import User
from hamkor.directory.models import City, Institution, Named, Person, Specialty
from hamkor.programs.models import Activity, Program


class Sex(StrEnum):
    """Administrative sex, with the values of FHIR's AdministrativeGender."""

    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class IdentifierKind(StrEnum):
    """A national identifier: Uzbekistan's PINFL, Kazakhstan's IIN or a passport number."""

    UZ_PINFL = "uz_pinfl"
    KZ_IIN = "kz_iin"
    PASSPORT = "passport"


class ConsentKind(StrEnum):
    TREATMENT = "treatment"
    DATA_SHARING_ABROAD = "data_sharing_abroad"
    TELEMEDICINE = "telemedicine"


class ConsentDecision(StrEnum):
    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class ReferralStatus(StrEnum):
    WAITING = "waiting"
    BOOKED = "booked"
    SEEN = "seen"
    OPERATED = "operated"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    SEEN = "seen"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


#: Appointments that hold their slot and their referral; cancelling or a no-show frees both.
ACTIVE_APPOINTMENT_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.SEEN,
)
_ACTIVE_SQL = text("status IN ('booked', 'checked_in', 'seen')")
#: Referrals on the waitlist: waiting, or booked and not yet seen.
_WAITING_SQL = text("status IN ('waiting', 'booked')")


class Recommendation(StrEnum):
    OPERATION = "operation"
    CONSERVATIVE = "conservative"
    FOLLOW_UP_HOME = "follow_up_home"
    TELECONSULTATION = "teleconsultation"


class ProcedureOutcome(StrEnum):
    """How a procedure went (SNOMED CT 385669000, 385670004, 385671000 in FHIR)."""

    SUCCESSFUL = "successful"
    PARTIALLY_SUCCESSFUL = "partially_successful"
    UNSUCCESSFUL = "unsuccessful"


class FollowUpKind(StrEnum):
    IN_PERSON = "in_person"
    TELECONSULTATION = "teleconsultation"


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Patient(Named, Timestamped, Base):
    """A person referred to the visiting specialists, registered by a host institution.

    The registering institution is the access scope: its registrars see the patient. A patient
    merged into another keeps their row with ``merged_into_id`` set, so nothing is lost.
    """

    __tablename__ = "patients"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    names: Mapped[dict[str, str]]
    birth_date: Mapped[date] = mapped_column(index=True)
    sex: Mapped[Sex] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    languages: Mapped[list[str]] = mapped_column(default=list)
    home_city_id: Mapped[int | None] = mapped_column(ForeignKey("cities.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    # Names of records merged into this one that differ from its own, searchable as well.
    aliases: Mapped[list[str]] = mapped_column(default=list)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="SET NULL"), index=True
    )

    home_city: Mapped[City | None] = relationship(lazy="joined")
    institution: Mapped[Institution] = relationship(lazy="joined")
    identifiers: Mapped[list[PatientIdentifier]] = relationship(
        back_populates="patient",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="PatientIdentifier.id",
    )


class PatientIdentifier(Timestamped, Base):
    """A national identifier of a patient; one number belongs to one patient only.

    ``issuer`` is the ISO 3166 country that issued it: UZ for a PINFL, KZ for an IIN, the
    passport's country for a passport.
    """

    __tablename__ = "patient_identifiers"
    __audit_values__ = False
    __table_args__ = (UniqueConstraint("kind", "issuer", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[IdentifierKind] = mapped_column(String(20))
    issuer: Mapped[str] = mapped_column(String(2))
    value: Mapped[str] = mapped_column(String(40))

    patient: Mapped[Patient] = relationship(back_populates="identifiers")


class Consent(Base):
    """One decision of a patient (or their representative): a consent given or withdrawn.

    Decisions are never edited; the latest one per kind is the one in force.
    """

    __tablename__ = "consents"
    __audit_values__ = False
    __table_args__ = (
        Index("ix_consents_patient_id_kind", "patient_id", "kind"),
        CheckConstraint(
            "(by_patient AND representative_name IS NULL) OR "
            "(NOT by_patient AND representative_name IS NOT NULL)",
            name="representative_named",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    kind: Mapped[ConsentKind] = mapped_column(String(30))
    decision: Mapped[ConsentDecision] = mapped_column(String(10))
    by_patient: Mapped[bool] = mapped_column(default=True)
    representative_name: Mapped[str | None] = mapped_column(String(200))
    representative_relation: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship()
    recorded_by: Mapped[User | None] = relationship()


referral_cities = Table(
    "referral_cities",
    Base.metadata,
    Column("referral_id", ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True),
    Column("city_id", ForeignKey("cities.id", ondelete="CASCADE"), primary_key=True),
)


class Referral(Timestamped, Base):
    """A patient on the waitlist of a program: waiting to be seen by a visiting specialty.

    Priority runs from 1 to 5, and **5 is the most urgent** (the planning solver weighs a
    priority-5 patient five times a priority-1 one). Empty ``days`` means any day of the program.
    """

    __tablename__ = "referrals"
    __audit_values__ = False
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        Index("ix_referrals_program_id_status", "program_id", "status"),
        # One place on a program's waitlist per specialty, however many clerks add it at once.
        Index(
            "uq_referrals_waiting",
            "patient_id",
            "program_id",
            "specialty_id",
            unique=True,
            sqlite_where=_WAITING_SQL,
            postgresql_where=_WAITING_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialties.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    icd10: Mapped[str] = mapped_column(String(10))
    priority: Mapped[int] = mapped_column(default=3)
    referring_institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    days: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[ReferralStatus] = mapped_column(String(20), default=ReferralStatus.WAITING)

    patient: Mapped[Patient] = relationship(lazy="joined")
    program: Mapped[Program] = relationship()
    specialty: Mapped[Specialty] = relationship(lazy="joined")
    referring_institution: Mapped[Institution] = relationship(lazy="joined")
    cities: Mapped[list[City]] = relationship(
        secondary=referral_cities, lazy="selectin", order_by="City.id"
    )
    history: Mapped[list[ReferralStatusChange]] = relationship(
        back_populates="referral",
        cascade="all, delete-orphan",
        order_by="ReferralStatusChange.id",
    )


class ReferralStatusChange(Base):
    """One step of a referral's way through the waitlist: who moved it, when, from and to."""

    __tablename__ = "referral_status_changes"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[ReferralStatus | None] = mapped_column(String(20))
    to_status: Mapped[ReferralStatus] = mapped_column(String(20))

    referral: Mapped[Referral] = relationship(back_populates="history")
    by: Mapped[User | None] = relationship()


class ConsultationSetting(Base):
    """How long one consultation lasts in a consultation session: the session's slot length."""

    __tablename__ = "consultation_settings"
    __table_args__ = (CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),)

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    slot_minutes: Mapped[int] = mapped_column(default=20)


class Appointment(Timestamped, Base):
    """A referral booked into one slot of a consultation session.

    Slot ``n`` starts ``n × slot_minutes`` after the session starts. Two partial unique indexes
    make a double booking impossible in the database itself: a slot holds one active
    appointment, and a referral holds one active slot. Cancelling frees both.
    """

    __tablename__ = "appointments"
    __audit_values__ = False
    __table_args__ = (
        CheckConstraint("slot >= 0", name="slot_not_negative"),
        Index(
            "uq_appointments_activity_slot_active",
            "activity_id",
            "slot",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
        Index(
            "uq_appointments_referral_active",
            "referral_id",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[int]
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[AppointmentStatus] = mapped_column(String(20), default=AppointmentStatus.BOOKED)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime | None]

    activity: Mapped[Activity] = relationship(lazy="joined")
    referral: Mapped[Referral] = relationship(lazy="joined")


class Encounter(Timestamped, Base):
    """A consultation that took place: what the specialist found and what they recommend."""

    __tablename__ = "encounters"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), unique=True
    )
    specialist_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    occurred_at: Mapped[datetime]
    findings: Mapped[str] = mapped_column(Text)
    recommendation: Mapped[Recommendation] = mapped_column(String(30))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    referral: Mapped[Referral] = relationship(lazy="joined")
    specialist: Mapped[Person | None] = relationship(lazy="joined")
    diagnoses: Mapped[list[Diagnosis]] = relationship(
        back_populates="encounter",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="Diagnosis.rank",
    )


class Diagnosis(Base):
    """An ICD-10 (WHO) diagnosis made at an encounter; rank 1 is the main one."""

    __tablename__ = "diagnoses"
    __audit_values__ = False
    __table_args__ = (
        UniqueConstraint("encounter_id", "rank"),
        CheckConstraint("rank >= 1", name="rank_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"))
    rank: Mapped[int]
    icd10: Mapped[str] = mapped_column(String(10))

    encounter: Mapped[Encounter] = relationship(back_populates="diagnoses")


procedure_surgeons = Table(
    "procedure_surgeons",
    Base.metadata,
    Column("procedure_id", ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
)


class Procedure(Timestamped, Base):
    """An operation or intervention performed on a referred patient, by whom and how it went.

    When it was shown as a demonstration operation or high-tech intervention of the program,
    ``activity_id`` points to that activity.
    """

    __tablename__ = "procedures"
    __audit_values__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    performed_on: Mapped[date]
    outcome: Mapped[ProcedureOutcome] = mapped_column(String(30))
    complications: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    referral: Mapped[Referral] = relationship(lazy="joined")
    activity: Mapped[Activity | None] = relationship()
    surgeons: Mapped[list[Person]] = relationship(
        secondary=procedure_surgeons, lazy="selectin", order_by="Person.id"
    )


class FollowUpTask(Timestamped, Base):
    """Care handed over to a local institution after the visit, due by a date."""

    __tablename__ = "follow_up_tasks"
    __audit_values__ = False
    __table_args__ = (Index("ix_follow_up_tasks_status_due_on", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referrals.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    kind: Mapped[FollowUpKind] = mapped_column(String(20))
    due_on: Mapped[date]
    status: Mapped[FollowUpStatus] = mapped_column(String(20), default=FollowUpStatus.OPEN)
    notes: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    referral: Mapped[Referral] = relationship(lazy="joined")
    institution: Mapped[Institution] = relationship(lazy="joined")
