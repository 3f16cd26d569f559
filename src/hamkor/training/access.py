"""Who may see and change training records.

Courses and their sessions are a public catalogue for logged-in users (trainees choose what to
ask for). A course is managed by the coordinators of its program, by coordinators of its issuing
institution and by the coordinators of all programs. Enrolments and attendance are seen by those
managers, by auditors and by the trainee they belong to. Mentorships and cascade sessions are
kept by the mentor, by the coordinators of the home institution and by the course's managers.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.models import Role
from hamkor.directory.models import Person
from hamkor.training.models import (
    Attendance,
    CascadeAttendee,
    CascadeSession,
    Course,
    CourseSession,
    Enrolment,
    Mentorship,
)


def manages_all(actor: Actor) -> bool:
    """Coordinators of all programs manage every course (and admins, by the choke point)."""
    return actor.is_admin or actor.has_global(Role.PROGRAM_COORDINATOR)


def may_create_course(actor: Actor) -> bool:
    """Courses are created by program coordinators and by coordinators of an institution."""
    return manages_all(actor) or actor.has_role(
        Role.PROGRAM_COORDINATOR, Role.INSTITUTION_COORDINATOR
    )


def course_managed(actor: Actor) -> ColumnElement[bool]:
    """Courses of the actor's programs or issued by the institutions the actor coordinates."""
    if manages_all(actor):
        return true()
    programs = actor.programs(Role.PROGRAM_COORDINATOR)
    institutions = actor.institutions(Role.INSTITUTION_COORDINATOR)
    clauses: list[ColumnElement[bool]] = []
    if programs:
        clauses.append(Course.program_id.in_(programs))
    if institutions:
        clauses.append(Course.issuer_institution_id.in_(institutions))
    return or_(*clauses) if clauses else false()


def _managed_courses(actor: Actor) -> Select[int]:
    return select(Course.id).where(course_managed(actor))


def _own_people(actor: Actor) -> Select[int]:
    return select(Person.id).where(Person.user_id == actor.user_id)


def _sees_all(actor: Actor) -> bool:
    return manages_all(actor) or actor.has_global(Role.AUDITOR)


def enrolment_visible(actor: Actor) -> ColumnElement[bool]:
    if _sees_all(actor):
        return true()
    return or_(
        Enrolment.course_id.in_(_managed_courses(actor)),
        Enrolment.person_id.in_(_own_people(actor)),
    )


def enrolment_managed(actor: Actor) -> ColumnElement[bool]:
    return Enrolment.course_id.in_(_managed_courses(actor))


def session_managed(actor: Actor) -> ColumnElement[bool]:
    return CourseSession.course_id.in_(_managed_courses(actor))


def attendance_visible(actor: Actor) -> ColumnElement[bool]:
    return Attendance.enrolment_id.in_(select(Enrolment.id).where(enrolment_visible(actor)))


def attendance_managed(actor: Actor) -> ColumnElement[bool]:
    return Attendance.enrolment_id.in_(select(Enrolment.id).where(enrolment_managed(actor)))


def _kept_by_mentor(model: type[Mentorship] | type[CascadeSession]) -> access.Condition:
    """Cascade rows are kept by their mentor, the home institution's coordinators and the
    course's managers."""

    def condition(actor: Actor) -> ColumnElement[bool]:
        if manages_all(actor):
            return true()
        return or_(
            model.mentor_id.in_(_own_people(actor)),
            model.institution_id.in_(actor.institutions(Role.INSTITUTION_COORDINATOR)),
            model.course_id.in_(_managed_courses(actor)),
        )

    return condition


mentorship_managed = _kept_by_mentor(Mentorship)
cascade_managed = _kept_by_mentor(CascadeSession)


def attendee_managed(actor: Actor) -> ColumnElement[bool]:
    return CascadeAttendee.cascade_session_id.in_(
        select(CascadeSession.id).where(cascade_managed(actor))
    )


def register() -> None:
    access.register(Course, view=access.everyone, change=course_managed)
    access.register(CourseSession, view=access.everyone, change=session_managed)
    access.register(Enrolment, view=enrolment_visible, change=enrolment_managed)
    access.register(Attendance, view=attendance_visible, change=attendance_managed)
    # The cascade's reach is reported openly; who mentors whom is no health data.
    access.register(Mentorship, view=access.everyone, change=mentorship_managed)
    access.register(CascadeSession, view=access.everyone, change=cascade_managed)
    access.register(CascadeAttendee, view=access.everyone, change=attendee_managed)
