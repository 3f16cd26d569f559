"""Who sees and changes training rows: per role, through the one choke point."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.core.access import Action, Actor, can, restrict
from hamkor.core.models import Role
from hamkor.training.models import CourseSession, Enrolment
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.directory import bearer
from tests.fixtures.programs import KzUzDays
from tests.fixtures.training import EnrolmentFactory, MasterClass, TraineeFactory


@pytest.mark.parametrize(
    ("who", "sees", "changes"),
    [
        ("the trainee", True, False),
        ("another trainee", False, False),
        ("the program's coordinator", True, True),
        ("the issuer's coordinator", True, True),
        ("another institution's coordinator", False, False),
        ("an auditor", True, False),
    ],
)
def test_an_enrolment_by_role(
    db: Session,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    create_enrolment: EnrolmentFactory,
    create_trainee: TraineeFactory,
    create_user: UserFactory,
    who: str,
    sees: bool,
    changes: bool,
) -> None:
    enrolment = create_enrolment(master_class.course, master_class.trainee.person)
    user = {
        "the trainee": lambda: master_class.trainee.user,
        "another trainee": lambda: create_trainee().user,
        "the program's coordinator": lambda: kz_uz_days.coordinator,
        "the issuer's coordinator": lambda: create_user(
            Role.INSTITUTION_COORDINATOR, institution_id=kz_uz_days.vakhidov.id
        ),
        "another institution's coordinator": lambda: create_user(
            Role.INSTITUTION_COORDINATOR, institution_id=kz_uz_days.samarkand_hospital.id
        ),
        "an auditor": lambda: create_user(Role.AUDITOR),
    }[who]()
    actor = Actor.of(user)
    listed = db.scalars(restrict(select(Enrolment.id), actor)).all()
    assert (enrolment.id in listed, can(db, actor, Action.VIEW, enrolment)) == (sees, sees)
    assert can(db, actor, Action.CHANGE, enrolment) == changes


def test_anonymous_callers_are_sent_to_log_in_or_refused(
    app_client: TestClient, master_class: MasterClass
) -> None:
    course_url = f"/training/courses/{master_class.course.id}"
    page = app_client.get(course_url, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=")
    assert app_client.get(f"/api/v1{course_url}/enrolments").status_code == 401


def test_a_trainee_lists_only_their_own_enrolment_by_api(
    client_for: ClientFactory,
    master_class: MasterClass,
    create_enrolment: EnrolmentFactory,
    create_trainee: TraineeFactory,
) -> None:
    mine = create_enrolment(master_class.course, master_class.trainee.person)
    create_enrolment(master_class.course, create_trainee().person)
    client = client_for(master_class.trainee.user)
    listed = client.get(f"/api/v1/training/courses/{master_class.course.id}/enrolments").json()
    assert [e["id"] for e in listed] == [mine.id]
    assert client.get("/api/v1/training/me/enrolments").json()[0]["id"] == mine.id


def test_only_a_manager_deletes_a_session_by_api(
    db: Session, app_client: TestClient, kz_uz_days: KzUzDays, master_class: MasterClass
) -> None:
    session_id = master_class.sessions[0].id
    url = f"/api/v1/training/sessions/{session_id}"
    assert app_client.delete(url, headers=bearer(db, master_class.trainee.user)).status_code == 403
    assert app_client.delete(url, headers=bearer(db, kz_uz_days.coordinator)).status_code == 204
    db.expire_all()
    assert db.get(CourseSession, session_id) is None
