"""The pages: the catalogue, a course's forms, the QR screen, the trainee's check-in."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, event, select
from sqlalchemy.orm import Session

from hamkor.core.db import utcnow
from hamkor.training.models import Attendance, CourseSession, Enrolment, EnrolmentStatus
from tests.fixtures.core import ClientFactory
from tests.fixtures.programs import KzUzDays, submit
from tests.fixtures.training import CourseFactory, EnrolmentFactory, MasterClass, TraineeFactory

EN = {"accept-language": "en"}


def test_the_catalogue_filters_by_kind_and_words(
    client_for: ClientFactory, master_class: MasterClass, create_course: CourseFactory
) -> None:
    create_course(kind="qualification_course", title="Neonatal resuscitation")
    client = client_for(master_class.trainee.user)
    everything = client.get("/training", headers=EN).text
    assert "Off-pump coronary bypass" in everything
    assert "Neonatal resuscitation" in everything
    masters = client.get("/training?kind=master_class", headers=EN).text
    assert "Off-pump coronary bypass" in masters
    assert "Neonatal resuscitation" not in masters
    found = client.get("/training?q=neonatal", headers=EN).text
    assert "Neonatal resuscitation" in found
    assert "Off-pump" not in found


def test_a_coordinator_makes_a_course_and_a_refusal_comes_back_beside_its_field(
    db: Session, client_for: ClientFactory, kz_uz_days: KzUzDays
) -> None:
    client = client_for(kz_uz_days.coordinator)
    form = {
        "code": "KZ-UZ-MC-1",
        "title.ru": "Мастер-класс по артроскопии",
        "kind": "master_class",
        "program_id": str(kz_uz_days.program.id),
        "issuer_institution_id": str(kz_uz_days.vakhidov.id),
        "host_institution_id": str(kz_uz_days.vakhidov.id),
        "starts_on": "2025-10-15",
        "ends_on": "2025-10-14",
        "language": "ru",
        "capacity": "45",
        "min_attendance_percent": "80",
    }
    refused = submit(client, "/training/new", "/training", form)
    assert refused.status_code == 422
    assert "The course cannot end before it starts." in refused.text
    saved = submit(client, "/training/new", "/training", {**form, "ends_on": "2025-10-15"})
    assert saved.status_code == 303
    page = client.get(saved.headers["location"], headers=EN).text
    assert "Мастер-класс по артроскопии" in html.unescape(page)


def test_the_coordinator_enrols_and_the_trainee_asks_for_a_place(
    db: Session, client_for: ClientFactory, kz_uz_days: KzUzDays, master_class: MasterClass
) -> None:
    coordinator = client_for(kz_uz_days.coordinator)
    course_url = f"/training/courses/{master_class.course.id}"
    enrolled = submit(
        coordinator,
        course_url,
        f"{course_url}/enrolments",
        {"person_id": str(kz_uz_days.surgeon.id), "language": "kk"},
    )
    assert enrolled.status_code == 303
    trainee = client_for(master_class.trainee.user)
    asked = submit(trainee, course_url, f"{course_url}/request", {"language": "uz"})
    assert asked.status_code == 303
    statuses = {e.person_id: (e.status, e.language) for e in db.scalars(select(Enrolment)).all()}
    assert statuses == {
        kz_uz_days.surgeon.id: (EnrolmentStatus.ENROLLED, "kk"),
        master_class.trainee.person.id: (EnrolmentStatus.REQUESTED, "uz"),
    }
    # The trainee sees their own place only; the coordinator's list shows both.
    own = trainee.get(course_url, headers=EN).text
    assert "Requested" in own
    assert "Dr Aidos Bekov" not in own
    mine = trainee.get("/training/mine", headers=EN).text
    assert "Off-pump coronary bypass" in mine


def session_now(db: Session, master_class: MasterClass) -> CourseSession:
    """A session under way now, so that a real scan can check in."""
    now = utcnow()
    master_class.course.starts_on = (now - timedelta(days=1)).date()
    master_class.course.ends_on = (now + timedelta(days=1)).date()
    session = CourseSession(
        course_id=master_class.course.id,
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=1),
        topic="Live",
    )
    db.add(session)
    db.commit()
    return session


def test_the_qr_screen_checks_the_trainee_in(
    db: Session,
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    create_enrolment: EnrolmentFactory,
) -> None:
    enrolment = create_enrolment(master_class.course, master_class.trainee.person)
    session = session_now(db, master_class)
    coordinator = client_for(kz_uz_days.coordinator)
    screen = coordinator.get(f"/training/sessions/{session.id}", headers=EN)
    assert 'hx-trigger="load, every 30s"' in screen.text
    fragment = coordinator.get(f"/training/sessions/{session.id}/qr", headers=EN).text
    assert "<svg" in fragment
    found = re.search(r'href="([^"]+)" id="check-in-link"', fragment)
    assert found, fragment
    link = html.unescape(found.group(1))
    trainee = client_for(master_class.trainee.user)
    first = trainee.get(link, headers=EN)
    assert first.status_code == 200
    assert "You are checked in" in first.text
    again = trainee.get(link, headers=EN)
    assert "You are already checked in to this session." in again.text
    assert db.scalar(select(Attendance.enrolment_id)) == enrolment.id
    other_session = master_class.sessions[0].id
    wrong = trainee.get(
        link.replace(f"/check-in/{session.id}", f"/check-in/{other_session}"), headers=EN
    )
    assert wrong.status_code == 422
    assert "This check-in code is for another session." in wrong.text
    # The trainee may not open the coordinator's screen.
    assert trainee.get(f"/training/sessions/{session.id}/qr").status_code == 403


def test_the_list_marks_and_completion_follows_the_rule(
    db: Session,
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    create_enrolment: EnrolmentFactory,
) -> None:
    enrolment = create_enrolment(master_class.course, master_class.trainee.person)
    coordinator = client_for(kz_uz_days.coordinator)
    for session in master_class.sessions:
        url = f"/training/sessions/{session.id}"
        marked = submit(coordinator, url, f"{url}/attendance", {"present": str(enrolment.id)})
        assert marked.status_code == 303
    course_url = f"/training/courses/{master_class.course.id}"
    done = submit(coordinator, course_url, f"/training/enrolments/{enrolment.id}/complete", {})
    assert done.status_code == 303
    db.refresh(enrolment)
    assert enrolment.status == EnrolmentStatus.COMPLETED
    page = coordinator.get(course_url, headers=EN).text
    assert "100 %" in page
    assert "Completed" in page


def test_the_course_page_costs_the_same_queries_for_three_or_fifteen_trainees(
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    master_class: MasterClass,
    create_enrolment: EnrolmentFactory,
    create_trainee: TraineeFactory,
    connection: Connection,
) -> None:
    client = client_for(kz_uz_days.coordinator)
    url = f"/training/courses/{master_class.course.id}"

    def add(number: int) -> None:
        for _ in range(number):
            create_enrolment(master_class.course, create_trainee().person)

    def queries() -> int:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        event.listen(connection, "before_cursor_execute", record)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(connection, "before_cursor_execute", record)
        return len(statements)

    add(3)
    few = queries()
    add(12)
    assert queries() == few, few
