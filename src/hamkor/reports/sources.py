"""The rows each indicator counts, as one SELECT per indicator over the other modules' models.

Every source labels its columns the same way, so one engine (``indicators.py``) filters, groups
and counts them all: ``program`` (the program the row belongs to), ``unit`` (what is counted,
distinct), ``amount`` (what is summed, for sums), ``at`` (the date or instant the ``day``
breakdown and the date filters read) and one column per breakdown (``city``, ``specialty``,
``institution``, ``kind``, ``status``...). Each source carries the reader's access conditions
on every model it reads (``core.access``'s choke point), so a figure counts only rows its
reader may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import QueryableAttribute

from hamkor.agreements.models import (
    Agreement,
    AgreementParty,
    AgreementStatus,
    ItemStatus,
    RoadmapItem,
)
from hamkor.care.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    Appointment,
    Encounter,
    FollowUpStatus,
    FollowUpTask,
    Procedure,
    Referral,
)
from hamkor.core.access import Action, Actor, condition
from hamkor.core.db import Base
from hamkor.directory.models import Institution, Person, Specialty
from hamkor.programs.models import (
    Activity,
    ActivityKind,
    ActivityStatus,
    Delegation,
    Participation,
    Program,
)
from hamkor.telemedicine.models import TeleCase
from hamkor.training.credentials.models import Credential
from hamkor.training.models import (
    Attendance,
    Course,
    CourseSession,
    Enrolment,
    EnrolmentStatus,
    Mentorship,
)

#: Enrolments of trainees who took their place (a request or a withdrawal is no place taken).
ENROLLED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.FAILED)
#: Agreements that have been signed, whether or not they are still in force.
SIGNED = (
    AgreementStatus.SIGNED,
    AgreementStatus.IN_FORCE,
    AgreementStatus.EXPIRED,
    AgreementStatus.TERMINATED,
)


@dataclass(frozen=True)
class Reading:
    """Who reads the figures and on what day (follow-ups and roadmap items are late by it)."""

    actor: Actor
    today: date


#: A SELECT of labelled columns, of any number and type.
Rows: TypeAlias = Select[*tuple[Any, ...]]
#: A column given to a source's helper: a model's attribute or an expression.
Column: TypeAlias = ColumnElement[Any] | QueryableAttribute[Any]
Source = Callable[[Reading], Rows]


def visible(actor: Actor, *models: type[Base]) -> ColumnElement[bool]:
    """The rows of every one of ``models`` that ``actor`` may see."""
    return and_(*(condition(model, actor, Action.VIEW) for model in models))


def delegates(reading: Reading) -> Rows:
    return (
        select(
            Participation.program_id.label("program"),
            Participation.person_id.label("unit"),
            Participation.arrives_at.label("at"),
            Participation.arrival_city_id.label("city"),
            func.coalesce(Delegation.institution_id, Person.institution_id).label("institution"),
            Participation.role.label("role"),
        )
        .select_from(Participation)
        .join(Person, Person.id == Participation.person_id)
        .outerjoin(Delegation, Delegation.id == Participation.delegation_id)
        .where(visible(reading.actor, Participation))
    )


def brigades(reading: Reading) -> Rows:
    return select(
        Delegation.program_id.label("program"),
        Delegation.id.label("unit"),
        Delegation.institution_id.label("institution"),
    ).where(visible(reading.actor, Delegation))


def _activities(reading: Reading, unit: Column) -> Rows:
    return select(
        Activity.program_id.label("program"),
        unit.label("unit"),
        Activity.starts_at.label("at"),
        Activity.city_id.label("city"),
        Activity.specialty_id.label("specialty"),
        Activity.institution_id.label("institution"),
        Activity.kind.label("kind"),
        Activity.status.label("status"),
    ).where(visible(reading.actor, Activity))


def cities(reading: Reading) -> Rows:
    """The cities where the program held something (a cancelled activity held nothing)."""
    return _activities(reading, Activity.city_id).where(Activity.status != ActivityStatus.CANCELLED)


def activities(reading: Reading) -> Rows:
    return _activities(reading, Activity.id)


def interventions_performed(reading: Reading) -> Rows:
    """High-tech interventions done (the news files' "17 high-tech interventions"); the
    demonstration operations are counted among the operations performed."""
    return _activities(reading, Activity.id).where(
        Activity.kind == ActivityKind.HIGH_TECH_INTERVENTION,
        Activity.status == ActivityStatus.DONE,
    )


def operations_performed(reading: Reading) -> Rows:
    """Procedures recorded on referred patients: how they went and whether with complications."""
    return (
        select(
            Referral.program_id.label("program"),
            Procedure.id.label("unit"),
            Procedure.performed_on.label("at"),
            Activity.city_id.label("city"),
            Referral.specialty_id.label("specialty"),
            Activity.institution_id.label("institution"),
            Procedure.outcome.label("outcome"),
            case((func.coalesce(Procedure.complications, "") == "", "without"), else_="with").label(
                "complications"
            ),
        )
        .select_from(Procedure)
        .join(Referral, Referral.id == Procedure.referral_id)
        .outerjoin(Activity, Activity.id == Procedure.activity_id)
        .where(visible(reading.actor, Procedure, Referral))
    )


def patients_referred(reading: Reading) -> Rows:
    return select(
        Referral.program_id.label("program"),
        Referral.patient_id.label("unit"),
        Referral.created_at.label("at"),
        Referral.specialty_id.label("specialty"),
        Referral.referring_institution_id.label("institution"),
        Referral.priority.label("priority"),
        Referral.status.label("status"),
    ).where(visible(reading.actor, Referral))


def _consultation_places() -> tuple[ColumnElement[Any], ...]:
    return (
        Activity.city_id.label("city"),
        Referral.specialty_id.label("specialty"),
        Activity.institution_id.label("institution"),
        Referral.priority.label("priority"),
    )


def patients_booked(reading: Reading) -> Rows:
    return (
        select(
            Referral.program_id.label("program"),
            Referral.patient_id.label("unit"),
            Activity.starts_at.label("at"),
            *_consultation_places(),
        )
        .select_from(Appointment)
        .join(Referral, Referral.id == Appointment.referral_id)
        .join(Activity, Activity.id == Appointment.activity_id)
        .where(
            Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES),
            visible(reading.actor, Appointment, Referral),
        )
    )


def patients_consulted(reading: Reading) -> Rows:
    """Patients a specialist saw (an encounter), where its session was held."""
    return (
        select(
            Referral.program_id.label("program"),
            Referral.patient_id.label("unit"),
            Encounter.occurred_at.label("at"),
            *_consultation_places(),
        )
        .select_from(Encounter)
        .join(Referral, Referral.id == Encounter.referral_id)
        .outerjoin(Appointment, Appointment.id == Encounter.appointment_id)
        .outerjoin(Activity, Activity.id == Appointment.activity_id)
        .where(visible(reading.actor, Encounter, Referral))
    )


def follow_ups(reading: Reading) -> Rows:
    """Follow-up tasks done, due, or overdue on the reader's day (cancelled ones are none)."""
    state = case(
        (FollowUpTask.status == FollowUpStatus.DONE, "done"),
        (FollowUpTask.due_on < reading.today, "overdue"),
        else_="due",
    )
    return (
        select(
            Referral.program_id.label("program"),
            FollowUpTask.id.label("unit"),
            FollowUpTask.due_on.label("at"),
            Referral.specialty_id.label("specialty"),
            FollowUpTask.institution_id.label("institution"),
            state.label("state"),
            FollowUpTask.kind.label("kind"),
        )
        .select_from(FollowUpTask)
        .join(Referral, Referral.id == FollowUpTask.referral_id)
        .where(
            FollowUpTask.status != FollowUpStatus.CANCELLED,
            visible(reading.actor, FollowUpTask, Referral),
        )
    )


def _enrolments(reading: Reading, at: Column) -> Rows:
    return (
        select(
            Course.program_id.label("program"),
            Enrolment.person_id.label("unit"),
            at.label("at"),
            Institution.city_id.label("city"),
            Specialty.id.label("specialty"),
            Course.host_institution_id.label("institution"),
            Course.kind.label("kind"),
        )
        .select_from(Enrolment)
        .join(Course, Course.id == Enrolment.course_id)
        .join(Institution, Institution.id == Course.host_institution_id)
        .outerjoin(Specialty, Specialty.code == Course.specialty)
        .where(visible(reading.actor, Enrolment))
    )


def trainees_enrolled(reading: Reading) -> Rows:
    return _enrolments(reading, Course.starts_on).where(Enrolment.status.in_(ENROLLED))


def trainees_attended(reading: Reading) -> Rows:
    """Trainees present at a session at least once."""
    return (
        _enrolments(reading, CourseSession.starts_at)
        .join(Attendance, Attendance.enrolment_id == Enrolment.id)
        .join(CourseSession, CourseSession.id == Attendance.session_id)
    )


def trainees_completed(reading: Reading) -> Rows:
    return _enrolments(reading, Enrolment.completed_at).where(
        Enrolment.status == EnrolmentStatus.COMPLETED
    )


def cme_hours(reading: Reading) -> Rows:
    """The course hours of every completed enrolment, summed."""
    return trainees_completed(reading).add_columns(Course.hours.label("amount"))


def _credentials(reading: Reading, at: Column) -> Rows:
    return (
        _enrolments(reading, at)
        .with_only_columns(
            Course.program_id.label("program"),
            Credential.id.label("unit"),
            at.label("at"),
            Institution.city_id.label("city"),
            Specialty.id.label("specialty"),
            Credential.issuer_institution_id.label("institution"),
        )
        .join(Credential, Credential.enrolment_id == Enrolment.id)
        .where(visible(reading.actor, Credential))
    )


def certificates_issued(reading: Reading) -> Rows:
    return _credentials(reading, Credential.valid_from)


def certificates_revoked(reading: Reading) -> Rows:
    return _credentials(reading, Credential.revoked_at).where(Credential.revoked_at.is_not(None))


def cascade_reach(reading: Reading) -> Rows:
    """The people a program's courses reached, each once at the first level that reached them.

    Level 1 completed a course, level 2 are their mentees in that course's mentorships, level 3
    the mentees' mentees (as ``training.cascade`` draws the tree); the district is the city of
    the person's institution.
    """
    level1 = select(
        Enrolment.course_id.label("course"),
        Enrolment.person_id.label("person"),
        literal(1).label("level"),
    ).where(Enrolment.status == EnrolmentStatus.COMPLETED, visible(reading.actor, Enrolment))
    level2 = (
        select(Mentorship.course_id, Mentorship.mentee_id, literal(2))
        .join(
            Enrolment,
            and_(
                Enrolment.course_id == Mentorship.course_id,
                Enrolment.person_id == Mentorship.mentor_id,
            ),
        )
        .where(Enrolment.status == EnrolmentStatus.COMPLETED, visible(reading.actor, Mentorship))
    )
    mentee = select(Mentorship.course_id, Mentorship.mentee_id).subquery()
    level3 = (
        select(Mentorship.course_id, Mentorship.mentee_id, literal(3))
        .join(
            mentee,
            and_(
                mentee.c.course_id == Mentorship.course_id,
                mentee.c.mentee_id == Mentorship.mentor_id,
            ),
        )
        .where(visible(reading.actor, Mentorship))
    )
    tree = union_all(level1, level2, level3).subquery()
    first = (
        select(
            tree.c.course,
            tree.c.person,
            func.min(tree.c.level).label("level"),
        )
        .group_by(tree.c.course, tree.c.person)
        .subquery()
    )
    return (
        select(
            Course.program_id.label("program"),
            first.c.person.label("unit"),
            first.c.level.label("level"),
            Institution.city_id.label("district"),
            Person.institution_id.label("institution"),
        )
        .select_from(first)
        .join(Course, Course.id == first.c.course)
        .join(Person, Person.id == first.c.person)
        .outerjoin(Institution, Institution.id == Person.institution_id)
    )


def agreements_signed(reading: Reading) -> Rows:
    signed_on = (
        select(func.max(AgreementParty.signed_on))
        .where(AgreementParty.agreement_id == Agreement.id)
        .scalar_subquery()
    )
    return select(
        Agreement.program_id.label("program"),
        Agreement.id.label("unit"),
        func.coalesce(signed_on, Agreement.valid_from).label("at"),
        Agreement.kind.label("kind"),
        Agreement.status.label("status"),
    ).where(Agreement.status.in_(SIGNED), visible(reading.actor, Agreement))


def roadmap_items(reading: Reading) -> Rows:
    """Roadmap items done, late (open past their due date) or open, on the reader's day."""
    state = case(
        (RoadmapItem.status == ItemStatus.DONE, "done"),
        (RoadmapItem.due_on < reading.today, "late"),
        else_="open",
    )
    return (
        select(
            Agreement.program_id.label("program"),
            RoadmapItem.id.label("unit"),
            RoadmapItem.due_on.label("at"),
            RoadmapItem.owner_institution_id.label("institution"),
            state.label("state"),
        )
        .select_from(RoadmapItem)
        .join(Agreement, Agreement.id == RoadmapItem.agreement_id)
        .where(RoadmapItem.status != ItemStatus.CANCELLED, visible(reading.actor, RoadmapItem))
    )


def _cases(reading: Reading) -> Rows:
    """Teleconsultations asked (submitted; a draft is no question yet), by the centre asked.

    A case's patient data is seen by the two sides of the case only; a count of cases is not
    patient data, so the cases of a program are also counted for whoever reads its figures.
    """
    of_programs = TeleCase.program_id.in_(select(Program.id).where(visible(reading.actor, Program)))
    return select(
        TeleCase.program_id.label("program"),
        TeleCase.id.label("unit"),
        TeleCase.submitted_at.label("at"),
        TeleCase.specialty_id.label("specialty"),
        TeleCase.centre_id.label("institution"),
        TeleCase.urgency.label("urgency"),
    ).where(
        TeleCase.submitted_at.is_not(None),
        or_(visible(reading.actor, TeleCase), of_programs),
    )


def teleconsultations(reading: Reading) -> Rows:
    return _cases(reading).add_columns(TeleCase.status.label("status"))


def _answered(reading: Reading) -> Rows:
    return _cases(reading).where(TeleCase.answered_at.is_not(None))


def _in_time() -> ColumnElement[bool]:
    """Answered by the case's deadline (a case without one is never late)."""
    return or_(TeleCase.due_at.is_(None), TeleCase.answered_at <= TeleCase.due_at)


def teleconsultations_answered(reading: Reading) -> Rows:
    """Answered cases, in time or late."""
    state = case((_in_time(), "in_time"), else_="late")
    return _answered(reading).add_columns(state.label("state"))


def teleconsultations_in_time(reading: Reading) -> Rows:
    """The answered cases, each a ``hit`` when answered in time (the share's part)."""
    return _answered(reading).add_columns(case((_in_time(), 1), else_=0).label("hit"))


def teleconsultation_hours(reading: Reading) -> Rows:
    """The answered cases with the instants the answer time runs between."""
    return _answered(reading).add_columns(
        TeleCase.submitted_at.label("started"), TeleCase.answered_at.label("ended")
    )


def visits_avoided(reading: Reading) -> Rows:
    """Cases closed by the asking doctor saying that the answer spared the patient a visit."""
    return _cases(reading).where(TeleCase.visit_avoided.is_(True))
