"""A coordinator plans a program: starts the optimizer, watches its progress, reviews the
proposal beside the current timetable, accepts it and finds the activities on the calendar."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hamkor.core import jobs
from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from hamkor.directory.models import City, Country, Person, RoomKind, Specialty
from hamkor.planning.models import PlanningRequest
from hamkor.programs.models import (
    Activity,
    ActivityKind,
    Participation,
    ParticipationRole,
    Program,
    ProgramKind,
    ProgramStatus,
)
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Header, LoginPage, PlanningPage, ReplanForm, RunPage

pytestmark = pytest.mark.browser

TITLES = ("Laparoscopic liver resection", "Spine surgery master class", "Neurology lecture")
SPECIALTIES = ("hepatobiliary_surgery", "spine_surgery", "neurology")


@dataclass(frozen=True)
class Planned:
    program_id: int


@pytest.fixture(scope="module")
def planned(live_server: LiveServer) -> Planned:
    """A new program of the demo's directory: three specialists, three requested activities."""
    with transaction(live_server.sessions) as db:
        load_demo(db)
        countries = {code: id_ for code, id_ in db.execute(select(Country.code, Country.id))}
        tashkent = db.scalars(select(City).where(City.code == "TAS")).one()
        program = Program(
            code="KZ-UZ-PLAN",
            kind=ProgramKind.MEDICAL_DAYS,
            status=ProgramStatus.PLANNED,
            names={"en": "Kazakh surgeons in Tashkent", "ru": "Казахские хирурги в Ташкенте"},
            guest_country_id=countries["KZ"],
            host_country_id=countries["UZ"],
            starts_on=date(2027, 5, 11),
            ends_on=date(2027, 5, 12),
        )
        db.add(program)
        db.flush()
        zone = ZoneInfo(tashkent.timezone)
        for code, title in zip(SPECIALTIES, TITLES, strict=True):
            specialty = db.scalars(select(Specialty).where(Specialty.code == code)).one()
            person = db.scalars(
                select(Person).where(Person.specialties.contains(specialty)).order_by(Person.id)
            ).first()
            assert person is not None, code
            db.add(
                Participation(
                    program_id=program.id,
                    person_id=person.id,
                    role=ParticipationRole.SPECIALIST,
                    arrival_city_id=tashkent.id,
                    arrives_at=datetime.combine(date(2027, 5, 10), time(20, 0), zone),
                )
            )
            lecture = code == "neurology"
            db.add(
                PlanningRequest(
                    program_id=program.id,
                    kind=ActivityKind.LECTURE if lecture else ActivityKind.MASTER_CLASS,
                    titles={"en": title},
                    specialty_id=specialty.id,
                    duration_minutes=90,
                    room_kind=RoomKind.LECTURE_HALL if lecture else RoomKind.OPERATING_ROOM,
                    trainee_seats=4,
                )
            )
        return Planned(program_id=program.id)


def test_plan_a_program_watch_progress_review_and_accept(
    page: Page, live_server: LiveServer, planned: Planned
) -> None:
    base = live_server.url
    LoginPage(page, base).open().log_in("ministry", DEMO_PASSWORD)
    Header(page).switch_language("en")

    page.goto(f"{base}/programs/{planned.program_id}")
    page.click("#plan-this-program")
    expect(page.locator("table.requests tbody tr")).to_have_count(3)
    shot(page, "20-planning-requests")
    PlanningPage(page).plan(time_limit_seconds=10)

    run = RunPage(page)
    expect(run.progress).to_be_visible()
    shot(page, "21-planning-progress")
    # The worker of the app process, run here so the page above is seen before it starts.
    worker = threading.Thread(target=jobs.run_next, args=(live_server.sessions,))
    worker.start()
    expect(page.locator("table.review")).to_be_visible(timeout=30_000)
    worker.join()
    expect(run.rows("added")).to_have_count(3)
    for title in TITLES:
        expect(page.locator("table.review")).to_contain_text(title)
    shot(page, "22-planning-review")

    run.accept()
    expect(page).to_have_url(f"{base}/programs/{planned.program_id}/calendar")
    for title in TITLES:
        expect(page.locator("main")).to_contain_text(title)
    shot(page, "23-planning-accepted-calendar")

    with live_server.sessions() as db:
        placed = db.scalars(select(Activity).where(Activity.program_id == planned.program_id)).all()
    theatre = next(a.room_id for a in placed if a.kind == ActivityKind.MASTER_CLASS)
    assert theatre is not None
    page.goto(f"{base}/programs/{planned.program_id}/replan")
    ReplanForm(page).close_room(theatre, "2027-05-11", time_limit_seconds=10)
    expect(run.progress).to_be_visible()
    worker = threading.Thread(target=jobs.run_next, args=(live_server.sessions,))
    worker.start()
    expect(page.locator("table.review")).to_be_visible(timeout=30_000)
    worker.join()
    expect(run.rows("moved")).not_to_have_count(0)
    expect(run.rows("unchanged")).to_have_count(3 - run.rows("moved").count())
    shot(page, "24-replanning-review")
