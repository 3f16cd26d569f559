"""The mentoring cascade: who may mentor, and the reach of a course by level and place."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from hamkor.core.access import AccessDenied, Actor
from hamkor.core.errors import UserError
from hamkor.core.forms import error_map
from hamkor.directory.models import Person
from hamkor.training import cascade
from hamkor.training.models import EnrolmentStatus
from hamkor.training.schemas import CascadeSessionCreate, MentorshipCreate
from tests.fixtures.core import ClientFactory
from tests.fixtures.programs import DirectoryRows, KzUzDays, submit
from tests.fixtures.training import (
    CourseFactory,
    EnrolmentFactory,
    MasterClass,
    TraineeFactory,
)

DAY = date(2025, 11, 20)


def mentor(db: Session, actor: Actor, course_id: int | None, a: Person, b: Person) -> None:
    assert b.institution_id is not None
    cascade.add_mentorship(
        db=db,
        actor=actor,
        data=MentorshipCreate(
            mentor_id=a.id,
            mentee_id=b.id,
            institution_id=b.institution_id,
            course_id=course_id,
            started_on=DAY,
        ),
    )


def test_the_reach_counts_three_levels_each_person_once_by_place(
    db: Session,
    kz_uz_days: KzUzDays,
    programs_directory: DirectoryRows,
    master_class: MasterClass,
    create_course: CourseFactory,
    create_enrolment: EnrolmentFactory,
) -> None:
    course = master_class.course
    samarkand = kz_uz_days.samarkand_hospital
    tashkent = kz_uz_days.vakhidov
    a, b = (programs_directory.person(institution=samarkand, en=n) for n in ("A", "B"))
    d, e, f, g, h = (
        programs_directory.person(institution=tashkent, en=n) for n in ("D", "E", "F", "G", "H")
    )
    for person in (a, b):
        create_enrolment(course, person, status=EnrolmentStatus.COMPLETED)
    create_enrolment(course, d, status=EnrolmentStatus.FAILED)
    actor = Actor.of(kz_uz_days.coordinator)
    for pair in ((a, d), (a, e), (b, d), (d, f), (f, g)):
        mentor(db, actor, course.id, *pair)
    other = create_course()
    create_enrolment(other, a, status=EnrolmentStatus.COMPLETED)
    mentor(db, actor, other.id, a, h)  # another course's cascade
    found = cascade.reach(db=db, course=course)
    assert found.levels == {1: 2, 2: 2, 3: 1}
    tree = {n.person.names["en"]: [c.person.names["en"] for c in n.children] for n in found.roots}
    assert tree == {"A": ["D", "E"], "B": []}
    assert found.roots[0].children[0].children[0].person.id == f.id
    assert [(p.city.code if p.city else None, p.counts) for p in found.places] == [
        ("TAS", {1: 0, 2: 2, 3: 1}),
        ("SKD", {1: 2, 2: 0, 3: 0}),
    ]


def test_only_the_trained_or_their_mentees_mentor_and_not_twice(
    db: Session,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    create_trainee: TraineeFactory,
    create_enrolment: EnrolmentFactory,
) -> None:
    course = master_class.course
    trained, untrained, mentee = (create_trainee().person for _ in range(3))
    create_enrolment(course, trained, status=EnrolmentStatus.COMPLETED)
    actor = Actor.of(kz_uz_days.coordinator)
    with pytest.raises(UserError) as error:
        mentor(db, actor, course.id, untrained, mentee)
    assert error_map(error.value, "en") == {
        "mentor_id": "The mentor has neither completed the course nor been mentored in it."
    }
    mentor(db, actor, course.id, trained, mentee)
    with pytest.raises(UserError) as error:
        mentor(db, actor, course.id, trained, mentee)
    assert error_map(error.value, "en") == {"mentee_id": "This mentor already mentors this doctor."}
    with pytest.raises(UserError) as error:
        mentor(db, actor, course.id, trained, trained)
    assert error_map(error.value, "en") == {"mentee_id": "A doctor cannot mentor themself."}


def test_a_mentor_records_a_cascade_session_of_their_own_only(
    db: Session,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    create_trainee: TraineeFactory,
) -> None:
    first, second = create_trainee(), create_trainee()
    colleague = create_trainee().person
    data = CascadeSessionCreate(
        mentor_id=first.person.id,
        course_id=master_class.course.id,
        institution_id=kz_uz_days.samarkand_hospital.id,
        held_on=DAY,
        topic="Partograph at the district maternity",
        attendee_ids=[colleague.id, second.person.id, colleague.id],
    )
    session = cascade.record_session(db=db, actor=Actor.of(first.user), data=data)
    assert sorted(a.person_id for a in session.attendees) == sorted(
        [colleague.id, second.person.id]
    )
    with pytest.raises(AccessDenied):
        cascade.record_session(db=db, actor=Actor.of(second.user), data=data)
    found = cascade.reach(db=db, course=master_class.course)
    assert ([s.topic for s in found.sessions], found.attendees) == (
        ["Partograph at the district maternity"],
        2,
    )


def test_the_reach_page_and_api_show_the_levels(
    db: Session,
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    create_trainee: TraineeFactory,
    create_enrolment: EnrolmentFactory,
) -> None:
    course = master_class.course
    trained, mentee = create_trainee("Dr Trained"), create_trainee("Dr Mentee")
    create_enrolment(course, trained.person, status=EnrolmentStatus.COMPLETED)
    client = client_for(kz_uz_days.coordinator)
    url = f"/training/courses/{course.id}/reach"
    form = {
        "mentor_id": str(trained.person.id),
        "mentee_id": str(mentee.person.id),
        "institution_id": str(kz_uz_days.samarkand_hospital.id),
        "started_on": "2025-11-20",
    }
    refused = submit(
        client,
        url,
        f"/training/courses/{course.id}/mentorships",
        {**form, "mentee_id": form["mentor_id"]},
    )
    assert refused.status_code == 422
    assert "A doctor cannot mentor themself." in refused.text
    saved = submit(client, url, f"/training/courses/{course.id}/mentorships", form)
    assert saved.status_code == 303
    page = client.get(url, headers={"accept-language": "en"}).text
    assert "Dr Mentee" in page
    api = client.get(f"/api/v1/training/courses/{course.id}/reach").json()
    assert api["levels"] == {"1": 1, "2": 1, "3": 0}
    assert api["tree"] == [
        {
            "person_id": trained.person.id,
            "level": 1,
            "children": [{"person_id": mentee.person.id, "level": 2, "children": []}],
        }
    ]
    assert api["places"][0]["level_1"] == 1
