"""Lists that scale (issue 20): participants, patients and certificates searched by a name in
the other script, filtered, paged in a constant number of queries, and downloaded with the same
filters. Three pages a row each, so the pages are short."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from hamkor.care.models import FollowUpKind, FollowUpStatus, FollowUpTask
from hamkor.programs.models import ParticipationRole
from hamkor.settings import Settings
from hamkor.training.models import EnrolmentStatus
from tests.fixtures.care import CareWorld, PatientFactory, ReferralFactory
from tests.fixtures.core import ClientFactory
from tests.fixtures.credentials import CompleteFactory, IssueFactory
from tests.fixtures.programs import KzUzDays, ParticipationFactory
from tests.fixtures.training import CourseFactory, EnrolmentFactory

EN = {"accept-language": "en"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        var_dir=tmp_path,
        secret_key="test-secret-key",
        database_url="sqlite://",
        job_workers=0,
        page_size=3,
    )


def counting(connection: Connection, client: TestClient) -> Callable[[str], int]:
    """How many statements a page takes to answer."""

    def queries(url: str) -> int:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        event.listen(connection, "before_cursor_execute", record)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(connection, "before_cursor_execute", record)
        return len(statements)

    return queries


def rows(html: str) -> int:
    return len(re.findall(r"<tr[^>]*>\s*<td", html))


def test_participants_are_searched_filtered_and_paged(
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    programs_directory: Any,
    create_participation: ParticipationFactory,
    connection: Connection,
) -> None:
    days = kz_uz_days
    client = client_for(days.coordinator)
    base = f"/programs/{days.program.id}/participants"
    interpreter = ParticipationRole.INTERPRETER

    def add(number: int) -> None:
        for n in range(number):
            person = programs_directory.person(**{"uz-Cyrl": f"Таржимон {n} Азизов"})
            create_participation(days.program, person, role=interpreter)

    add(4)
    found = client.get(f"{base}?q=azizov", headers=EN).text
    assert "Таржимон 0 Азизов" in found
    assert "Page 1 of 2" in found
    assert rows(found) == 3
    assert "Dr Aidos Bekov" not in found
    second = client.get(f"{base}?q=azizov&page=2", headers=EN).text
    assert rows(second) == 1
    specialists = client.get(f"{base}?role=specialist", headers=EN).text
    assert "Азизов" not in specialists
    csv = client.get(f"{base}?q=azizov&format=csv").text
    assert csv.count("Азизов") == 4
    assert "Aidos" not in csv

    queries = counting(connection, client)
    few = queries(f"{base}?role=interpreter")
    add(10)
    assert queries(f"{base}?role=interpreter") == few
    assert queries(f"{base}?role=interpreter&page=4") == few

    refused = client.get(f"{base}?role=pilot", headers=EN)
    assert refused.status_code == 422
    assert "role" in refused.text


def test_patients_are_found_by_a_name_in_the_other_script_a_page_at_a_time(
    client_for: ClientFactory,
    care_world: CareWorld,
    create_patient: PatientFactory,
    connection: Connection,
) -> None:
    client = client_for(care_world.registrar)
    for n in range(4):
        create_patient(f"Karimov Aziz {n}")
    create_patient("Aliyev Bobur")

    found = client.get("/care/patients?q=Каримов", headers=EN).text
    assert "Karimov Aziz 0" in found
    assert "Aliyev" not in found
    assert "Page 1 of 2" in found
    assert rows(found) == 3
    assert rows(client.get("/care/patients?q=Каримов&page=2", headers=EN).text) == 1

    queries = counting(connection, client)
    few = queries("/care/patients")
    for n in range(6):
        create_patient(f"Yusupov {n}")
    assert queries("/care/patients") == few
    assert queries("/care/patients?page=3") == few


def test_certificates_are_found_by_holder_or_status_a_page_at_a_time(
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    complete: CompleteFactory,
    issue: IssueFactory,
    connection: Connection,
    db: Session,
) -> None:
    client = client_for(kz_uz_days.coordinator)
    credentials = [issue(complete("uz")) for _ in range(4)]
    holder = credentials[0].enrolment.person
    holder.names = {"uz-Cyrl": "Гулнора Раҳимова"}
    db.commit()

    found = client.get("/certificates?q=rahimova", headers=EN).text
    assert rows(found) == 1
    assert credentials[0].number in found
    by_number = client.get(f"/certificates?q={credentials[1].number}", headers=EN).text
    assert rows(by_number) == 1
    everyone = client.get("/certificates", headers=EN).text
    assert "Page 1 of 2" in everyone
    assert "No certificates yet." in client.get("/certificates?status=revoked", headers=EN).text
    csv = client.get("/certificates?status=valid&format=csv").text
    assert all(c.number in csv for c in credentials)

    queries = counting(connection, client)
    few = queries("/certificates")
    for _ in range(4):
        issue(complete("uz"))
    assert queries("/certificates") == few
    assert queries("/certificates?page=3") == few
    assert client.get("/certificates?status=lost").status_code == 422


def test_the_waitlist_is_searched_filtered_paged_and_downloaded(
    client_for: ClientFactory,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    connection: Connection,
) -> None:
    client = client_for(care_world.registrar)
    neurosurgery = care_world.days.neurosurgery.id

    def refer(number: int, name: str = "Karimov Aziz", **kwargs: Any) -> None:
        for n in range(number):
            create_referral(create_patient(f"{name} {n}"), **kwargs)

    refer(4)
    refer(1, "Aliyev Bobur", specialty_id=neurosurgery)
    found = client.get("/care/waitlist?q=Каримов", headers=EN).text
    assert "Karimov Aziz 0" in found
    assert "Aliyev" not in found
    assert "Page 1 of 2" in found
    assert rows(found) == 3
    assert rows(client.get("/care/waitlist?q=Каримов&page=2", headers=EN).text) == 1
    by_specialty = client.get(f"/care/waitlist?specialty={neurosurgery}", headers=EN).text
    assert rows(by_specialty) == 1
    assert "Aliyev Bobur 0" in by_specialty
    assert "Nobody on this list." in client.get("/care/waitlist?status=booked", headers=EN).text
    csv = client.get("/care/waitlist?q=karimov&format=csv").text
    assert csv.count("Karimov Aziz") == 4
    assert "Aliyev" not in csv

    queries = counting(connection, client)
    few = queries("/care/waitlist")
    refer(6, "Yusupov")
    assert queries("/care/waitlist") == few
    assert queries("/care/waitlist?page=3") == few

    refused = client.get("/care/waitlist?status=lost", headers=EN)
    assert refused.status_code == 422
    assert "status" in refused.text


def test_follow_ups_are_searched_filtered_paged_and_downloaded(
    client_for: ClientFactory,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    connection: Connection,
    db: Session,
) -> None:
    client = client_for(care_world.registrar)

    def hand_over(number: int, name: str, status: FollowUpStatus = FollowUpStatus.OPEN) -> None:
        for n in range(number):
            referral = create_referral(create_patient(f"{name} {n}"))
            db.add(
                FollowUpTask(
                    referral_id=referral.id,
                    institution_id=care_world.days.vakhidov.id,
                    kind=FollowUpKind.IN_PERSON,
                    due_on=date(2025, 10, 20),
                    status=status,
                )
            )
        db.commit()

    hand_over(4, "Karimov Aziz")
    hand_over(1, "Aliyev Bobur", FollowUpStatus.DONE)
    found = client.get("/care/follow-ups?q=Каримов", headers=EN).text
    assert "Karimov Aziz 0" in found
    assert "Aliyev" not in found
    assert "Page 1 of 2" in found
    assert rows(found) == 3
    second = client.get("/care/follow-ups?q=Каримов&overdue=true&page=2", headers=EN).text
    assert rows(second) == 1
    done = client.get("/care/follow-ups?status=done", headers=EN).text
    assert rows(done) == 1
    assert "Aliyev Bobur 0" in done
    assert "Aliyev" not in client.get("/care/follow-ups?overdue=true", headers=EN).text
    csv = client.get("/care/follow-ups?q=karimov&format=csv").text
    assert csv.count("Karimov Aziz") == 4
    assert "Aliyev" not in csv

    queries = counting(connection, client)
    few = queries("/care/follow-ups")
    hand_over(6, "Yusupov")
    assert queries("/care/follow-ups") == few
    assert queries("/care/follow-ups?page=3") == few

    refused = client.get("/care/follow-ups?status=lost", headers=EN)
    assert refused.status_code == 422
    assert "status" in refused.text


def trainees(html: str) -> int:
    """The rows of a course page's table of trainees (its sessions have a table too)."""
    return rows(html.split('id="enrolments"', 1)[1])


def test_a_courses_trainees_are_searched_filtered_paged_and_downloaded(
    client_for: ClientFactory,
    kz_uz_days: KzUzDays,
    programs_directory: Any,
    create_course: CourseFactory,
    create_enrolment: EnrolmentFactory,
    connection: Connection,
) -> None:
    client = client_for(kz_uz_days.coordinator)
    course = create_course(capacity=100)
    base = f"/training/courses/{course.id}"

    def enrol(number: int, name: str, status: EnrolmentStatus = EnrolmentStatus.ENROLLED) -> None:
        for n in range(number):
            person = programs_directory.person(**{"uz-Cyrl": f"{name} {n}"})
            create_enrolment(course, person, status=status)

    enrol(4, "Гулнора Раҳимова")
    enrol(1, "Бобур Алиев", EnrolmentStatus.WAITLISTED)
    found = client.get(f"{base}?q=rahimova", headers=EN).text
    assert "Гулнора Раҳимова 0" in found
    assert "Алиев" not in found
    assert "Page 1 of 2" in found
    assert trainees(found) == 3
    assert trainees(client.get(f"{base}?q=rahimova&page=2", headers=EN).text) == 1
    waiting = client.get(f"{base}?status=waitlisted", headers=EN).text
    assert trainees(waiting) == 1
    assert "Бобур Алиев 0" in waiting
    csv = client.get(f"{base}?q=rahimova&format=csv").text
    assert csv.count("Раҳимова") == 4
    assert "Алиев" not in csv

    queries = counting(connection, client)
    few = queries(base)
    enrol(6, "Юсупов")
    assert queries(base) == few
    assert queries(f"{base}?page=3") == few

    refused = client.get(f"{base}?status=lost", headers=EN)
    assert refused.status_code == 422
    assert "status" in refused.text
