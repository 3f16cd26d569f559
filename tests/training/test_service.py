"""The service: who makes courses, the rules they keep, seats, the waiting list, completion."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import AccessDenied, Action, Actor, can
from hamkor.core.errors import UserError
from hamkor.core.forms import error_map
from hamkor.core.models import AuditEntry, Role
from hamkor.programs.models import ActivityKind
from hamkor.training import service
from hamkor.training.credentials.models import Credential
from hamkor.training.models import Attendance, AttendanceMethod, EnrolmentStatus
from hamkor.training.schemas import CourseCreate, CourseUpdate, SessionCreate
from tests.fixtures.core import UserFactory
from tests.fixtures.directory import bearer
from tests.fixtures.programs import ActivityFactory, KzUzDays, ProgramFactory, local
from tests.fixtures.training import (
    CourseFactory,
    EnrolmentFactory,
    MasterClass,
    SessionFactory,
    TraineeFactory,
)


def refused(error: pytest.ExceptionInfo[UserError]) -> dict[str, str]:
    return error_map(error.value, "en")


def course_data(days: KzUzDays, **changes: Any) -> CourseCreate:
    return CourseCreate.model_validate(
        {
            "code": "MOS-OBGYN-2025",
            "title": {"ru": "Акушерство и гинекология: стандарты ВОЗ", "en": "Obstetrics"},
            "kind": "qualification_course",
            "issuer_institution_id": days.vakhidov.id,
            "host_institution_id": days.syzganov.id,
            "specialty": "cardiac_surgery",
            "starts_on": "2025-10-20",
            "ends_on": "2025-11-08",
            "hours": 144,
            "cme_credits": 36,
            "language": "ru",
            "capacity": 2,
            "min_attendance_percent": 80,
            **changes,
        }
    )


def coordinator(days: KzUzDays) -> Actor:
    return Actor.of(days.coordinator)


def test_an_institution_coordinator_makes_courses_of_its_own_institution(
    db: Session, kz_uz_days: KzUzDays, create_user: UserFactory
) -> None:
    user = create_user(Role.INSTITUTION_COORDINATOR, institution_id=kz_uz_days.vakhidov.id)
    course = service.create_course(db=db, actor=Actor.of(user), data=course_data(kz_uz_days))
    assert course.search.startswith("mos-obgyn-2025")
    other = create_user(Role.INSTITUTION_COORDINATOR, institution_id=kz_uz_days.syzganov.id)
    with pytest.raises(AccessDenied):
        service.create_course(
            db=db, actor=Actor.of(other), data=course_data(kz_uz_days, code="OTHER")
        )


def test_a_trainee_cannot_make_a_course(
    db: Session, kz_uz_days: KzUzDays, create_trainee: TraineeFactory
) -> None:
    trainee = create_trainee()
    with pytest.raises(AccessDenied):
        service.create_course(db=db, actor=Actor.of(trainee.user), data=course_data(kz_uz_days))


def test_course_rules_name_their_fields(db: Session, kz_uz_days: KzUzDays) -> None:
    program = kz_uz_days.program.id
    actor = coordinator(kz_uz_days)
    service.create_course(db=db, actor=actor, data=course_data(kz_uz_days, program_id=program))
    with pytest.raises(UserError) as error:
        service.create_course(
            db=db,
            actor=actor,
            data=course_data(
                kz_uz_days,
                program_id=program,
                ends_on="2025-10-01",
                specialty="astrology",
                host_institution_id=10**9,  # beyond any id the suite makes on PostgreSQL
            ),
        )
    assert refused(error) == {
        "code": "The code MOS-OBGYN-2025 is taken.",
        "ends_on": "The course cannot end before it starts.",
        "host_institution_id": "Choose one of the offered values.",
        "specialty": "Choose one of the offered values.",
    }


def test_a_program_coordinator_links_a_master_class_to_its_activity(
    db: Session, kz_uz_days: KzUzDays, create_activity: ActivityFactory
) -> None:
    master = create_activity(kz_uz_days.program, city=kz_uz_days.tashkent)
    operation = create_activity(
        kz_uz_days.program, city=kz_uz_days.tashkent, kind=ActivityKind.DEMONSTRATION_OPERATION
    )
    data = course_data(kz_uz_days, kind="master_class", activity_id=master.id)
    course = service.create_course(db=db, actor=coordinator(kz_uz_days), data=data)
    assert course.program_id == kz_uz_days.program.id
    with pytest.raises(UserError) as error:
        service.create_course(
            db=db,
            actor=coordinator(kz_uz_days),
            data=course_data(kz_uz_days, code="X", kind="master_class", activity_id=operation.id),
        )
    assert refused(error) == {
        "activity_id": "Link a master class or training to an activity of its kind."
    }


def test_a_program_coordinator_cannot_make_a_course_outside_the_program(
    db: Session, kz_uz_days: KzUzDays
) -> None:
    with pytest.raises(AccessDenied):
        service.create_course(db=db, actor=coordinator(kz_uz_days), data=course_data(kz_uz_days))


def test_an_update_is_checked_as_a_new_course(
    db: Session, kz_uz_days: KzUzDays, master_class: MasterClass
) -> None:
    actor = coordinator(kz_uz_days)
    with pytest.raises(UserError) as error:
        service.update_course(
            db=db,
            actor=actor,
            course=master_class.course,
            data=CourseUpdate(starts_on=date(2025, 10, 20)),
        )
    assert refused(error) == {"ends_on": "The course cannot end before it starts."}
    updated = service.update_course(
        db=db, actor=actor, course=master_class.course, data=CourseUpdate(capacity=12)
    )
    assert updated.capacity == 12


def test_a_coordinator_cannot_give_a_course_away_to_another_program(
    db: Session, kz_uz_days: KzUzDays, create_course: CourseFactory, create_program: ProgramFactory
) -> None:
    """The caller loaded the course for change; the course as changed must still be one the
    actor manages, or the change is undone and refused."""
    course = create_course()
    elsewhere = create_program()
    with pytest.raises(AccessDenied):
        service.update_course(
            db=db,
            actor=coordinator(kz_uz_days),
            course=course,
            data=CourseUpdate(program_id=elsewhere.id),
        )
    db.refresh(course)
    assert course.program_id == kz_uz_days.program.id


def test_sessions_fall_within_the_course_days(
    db: Session, kz_uz_days: KzUzDays, master_class: MasterClass
) -> None:
    actor = coordinator(kz_uz_days)
    with pytest.raises(UserError) as error:
        service.add_session(
            db=db,
            actor=actor,
            course=master_class.course,
            data=SessionCreate(
                starts_at=local(date(2025, 10, 14), "09:00", "Asia/Tashkent"),
                ends_at=local(date(2025, 10, 14), "10:00", "Asia/Tashkent"),
            ),
        )
    assert refused(error) == {"starts_at": "The session must fall within the course's days."}
    # 00:30 in Tashkent is still the previous day in UTC: the host's clock decides.
    session = service.add_session(
        db=db,
        actor=actor,
        course=master_class.course,
        data=SessionCreate(
            starts_at=local(master_class.course.starts_on, "00:30", "Asia/Tashkent"),
            ends_at=local(master_class.course.starts_on, "01:30", "Asia/Tashkent"),
            topic="Night round",
        ),
    )
    assert session.starts_at.date() < master_class.course.starts_on


def test_seats_then_the_waiting_list_which_moves_up_on_withdrawal(
    db: Session, kz_uz_days: KzUzDays, create_course: CourseFactory, create_trainee: TraineeFactory
) -> None:
    course = create_course(capacity=2)
    actor = coordinator(kz_uz_days)
    people = [create_trainee().person for _ in range(4)]
    enrolments = [service.enrol(db=db, actor=actor, course=course, person_id=p.id) for p in people]
    assert [e.status for e in enrolments] == [
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.WAITLISTED,
    ]
    service.withdraw(db=db, actor=actor, enrolment=enrolments[0])
    assert [e.status for e in enrolments] == [
        EnrolmentStatus.WITHDRAWN,
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.WAITLISTED,
    ]
    with pytest.raises(UserError) as error:
        service.enrol(db=db, actor=actor, course=course, person_id=people[1].id)
    assert refused(error) == {"person_id": "This person is already in the course."}
    again = service.enrol(db=db, actor=actor, course=course, person_id=people[0].id)
    assert (again.id, again.status) == (enrolments[0].id, EnrolmentStatus.WAITLISTED)
    service.update_course(db=db, actor=actor, course=course, data=CourseUpdate(capacity=3))
    assert [e.status for e in enrolments[2:]] == [
        EnrolmentStatus.ENROLLED,
        EnrolmentStatus.ENROLLED,
    ]
    assert again.status == EnrolmentStatus.WAITLISTED
    audited = db.scalars(
        select(AuditEntry.action)
        .where(
            AuditEntry.entity == "training_enrolments",
            AuditEntry.entity_id == str(enrolments[2].id),
        )
        .order_by(AuditEntry.id)
    ).all()
    assert audited == ["create", "update"]


def test_self_enrolment_waits_for_approval(
    db: Session, app_client: TestClient, kz_uz_days: KzUzDays, master_class: MasterClass
) -> None:
    trainee = master_class.trainee
    asked = service.request_enrolment(
        db=db, actor=Actor.of(trainee.user), course=master_class.course, language="kk"
    )
    assert (asked.status, asked.language) == (EnrolmentStatus.REQUESTED, "kk")
    assert service.my_enrolments(db=db, actor=Actor.of(trainee.user)) == [asked]
    # Approving starts by loading the enrolment for change, which its trainee may not.
    path = f"/api/v1/training/enrolments/{asked.id}/approve"
    assert app_client.post(path, headers=bearer(db, trainee.user)).status_code == 403
    approved = service.approve(db=db, actor=coordinator(kz_uz_days), enrolment=asked)
    assert approved.status == EnrolmentStatus.ENROLLED
    withdrawn = service.withdraw(db=db, actor=Actor.of(trainee.user), enrolment=asked)
    assert withdrawn.status == EnrolmentStatus.WITHDRAWN


def test_who_sees_an_enrolment_withdraws_it_only_as_its_trainee_or_a_manager(
    db: Session, master_class: MasterClass, create_user: UserFactory
) -> None:
    enrolment = service.request_enrolment(
        db=db, actor=Actor.of(master_class.trainee.user), course=master_class.course
    )
    auditor = Actor.of(create_user(Role.AUDITOR))
    assert can(db, auditor, Action.VIEW, enrolment)
    with pytest.raises(AccessDenied):
        service.withdraw(db=db, actor=auditor, enrolment=enrolment)
    assert enrolment.status == EnrolmentStatus.REQUESTED


def test_a_user_without_a_person_cannot_ask_for_a_place(
    db: Session, master_class: MasterClass, create_user: UserFactory
) -> None:
    user = create_user(Role.TRAINEE)
    with pytest.raises(UserError) as error:
        service.request_enrolment(db=db, actor=Actor.of(user), course=master_class.course)
    assert refused(error) == {"": "Your account is not linked to a person of the directory."}


def attend(db: Session, enrolment_id: int, sessions: list[Any]) -> None:
    for session in sessions:
        db.add(
            Attendance(
                session_id=session.id, enrolment_id=enrolment_id, method=AttendanceMethod.LIST
            )
        )
    db.flush()


@pytest.mark.parametrize(
    ("attended", "score", "status"),
    [
        (3, 90.0, EnrolmentStatus.COMPLETED),
        (2, 90.0, EnrolmentStatus.FAILED),  # 66 % of the sessions: under 80 %
        (3, 59.5, EnrolmentStatus.FAILED),  # under the score of 60
    ],
)
def test_completion_rule(
    db: Session,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    create_enrolment: EnrolmentFactory,
    attended: int,
    score: float,
    status: EnrolmentStatus,
) -> None:
    master_class.course.min_score = 60
    enrolment = create_enrolment(master_class.course, master_class.trainee.person)
    attend(db, enrolment.id, master_class.sessions[:attended])
    actor = coordinator(kz_uz_days)
    with pytest.raises(UserError) as error:
        service.evaluate_completion(db=db, actor=actor, enrolment=enrolment)
    assert refused(error) == {"score": "Record the trainee's score first."}
    service.set_score(db=db, actor=actor, enrolment=enrolment, score=score)
    done = service.evaluate_completion(db=db, actor=actor, enrolment=enrolment)
    assert done.status == status
    completed = status == EnrolmentStatus.COMPLETED
    assert (done.completed_at is not None) == completed
    # Completion issues the certificate (the credentials part signs it).
    issued = db.scalars(select(Credential.enrolment_id)).all()
    assert issued == ([enrolment.id] if completed else [])


def test_completion_needs_sessions_and_an_enrolled_trainee(
    db: Session,
    kz_uz_days: KzUzDays,
    create_course: CourseFactory,
    create_session: SessionFactory,
    create_trainee: TraineeFactory,
    create_enrolment: EnrolmentFactory,
) -> None:
    course = create_course()
    enrolment = create_enrolment(course, create_trainee().person)
    actor = coordinator(kz_uz_days)
    with pytest.raises(UserError) as error:
        service.evaluate_completion(db=db, actor=actor, enrolment=enrolment)
    assert refused(error) == {"": "The course has no sessions yet."}
    create_session(course)
    waiting = create_enrolment(course, create_trainee().person, status=EnrolmentStatus.WAITLISTED)
    with pytest.raises(UserError) as error:
        service.evaluate_completion(db=db, actor=actor, enrolment=waiting)
    assert refused(error) == {"status": "Only an enrolled trainee can complete the course."}


def test_place_planned_makes_the_course_of_an_activity_and_fills_its_seats(
    db: Session,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    create_trainee: TraineeFactory,
) -> None:
    activity = create_activity(
        kz_uz_days.program,
        city=kz_uz_days.tashkent,
        kind=ActivityKind.PRACTICAL_TRAINING,
        institution=kz_uz_days.vakhidov,
        specialty=kz_uz_days.neurosurgery,
        trainee_capacity=2,
        title="Endoscopic spine surgery",
    )
    people = [create_trainee().person for _ in range(3)]
    actor = coordinator(kz_uz_days)
    pairs = [(people[0].id, activity.id), (people[1].id, activity.id)]
    assert service.place_planned(db=db, actor=actor, placements=pairs) == 2
    assert service.place_planned(db=db, actor=actor, placements=pairs) == 0
    course = service.course_for_activity(db=db, actor=actor, activity=activity)
    assert (course.kind, course.specialty, course.capacity) == (
        "practical_training",
        "neurosurgery",
        2,
    )
    assert course.issuer_institution_id == kz_uz_days.vakhidov.id
    assert course.title == {"en": "Endoscopic spine surgery"}
    assert [(s.starts_at, s.ends_at) for s in course.sessions] == [
        (activity.starts_at, activity.ends_at)
    ]
    with pytest.raises(UserError) as error:
        service.place_planned(db=db, actor=actor, placements=[(people[2].id, activity.id)])
    assert refused(error) == {
        "placements.0": f"No seat is left for person {people[2].id} in activity {activity.id}."
    }


def test_place_planned_names_the_pair_it_cannot_place(
    db: Session,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    create_trainee: TraineeFactory,
) -> None:
    exhibition = create_activity(
        kz_uz_days.program, city=kz_uz_days.tashkent, kind=ActivityKind.EXHIBITION
    )
    person = create_trainee().person
    actor = coordinator(kz_uz_days)
    with pytest.raises(UserError) as error:
        service.place_planned(
            db=db, actor=actor, placements=[(person.id, exhibition.id), (99999, exhibition.id)]
        )
    assert refused(error) == {"placements.0": "Trainees do not attend this kind of activity."}
    with pytest.raises(UserError) as error:
        service.place_planned(db=db, actor=actor, placements=[(99999, exhibition.id)])
    assert refused(error) == {"placements.0": "Person 99999 does not exist."}
