"""Distance learning (issue 18): the coordinator puts a session online on a desktop; the
trainee, on a 390 px phone, opens "my courses", follows their join link and lands in the
meeting; their online attendance shows on their page and on the coordinator's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from hamkor.core.db import transaction, utcnow
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from hamkor.directory.models import City, Institution, InstitutionKind, Person
from hamkor.directory.service import ensure_country
from hamkor.training.models import Course, CourseKind, CourseSession, Enrolment, EnrolmentStatus
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Header, LoginPage, MyCourses, SessionScreen

pytestmark = pytest.mark.browser
PASSWORD = "distance-flow-1"
MEETING = "https://meet.example.org/kulakov/preterm-care"
TITLE = "Care of preterm newborns"


@dataclass(frozen=True)
class Lecture:
    session_id: int
    coordinator: str
    trainee: str


@pytest.fixture
def lecture(live_server: LiveServer) -> Lecture:
    """A course in Moscow with a session under way now, its coordinator, an enrolled doctor."""
    now = utcnow()
    with transaction(live_server.sessions) as db:
        russia = ensure_country(db, "RU")
        city = City(code="DL-MOW", country_id=russia.id, names={"en": "Moscow"},
                    latitude=55.75, longitude=37.62, timezone="Europe/Moscow")  # fmt: skip
        db.add(city)
        db.flush()
        centre = Institution(code="DL-KULAKOV", kind=InstitutionKind.RESEARCH_CENTRE,
                             country_id=russia.id, city_id=city.id,
                             names={"en": "Kulakov Centre"})  # fmt: skip
        db.add(centre)
        db.flush()
        coordinator = create_user(
            db, username="dl-coordinator", password=PASSWORD, display_name="Coordinator"
        )
        db.add(
            Membership(
                user=coordinator, role=Role.INSTITUTION_COORDINATOR, institution_id=centre.id
            )
        )
        trainee = create_user(db, username="dl-trainee", password=PASSWORD, display_name="Doctor")
        person = Person(names={"en": "Nodira Yusupova", "ru": "Нодира Юсупова"},
                        user_id=trainee.id, institution_id=centre.id, languages=["ru"])  # fmt: skip
        course = Course(
            code="DL-1",
            title={"en": TITLE, "ru": "Выхаживание недоношенных детей"},
            kind=CourseKind.QUALIFICATION_COURSE,
            issuer_institution_id=centre.id,
            host_institution_id=centre.id,
            starts_on=(now - timedelta(days=1)).date(),
            ends_on=(now + timedelta(days=1)).date(),
            hours=6,
            language="ru",
            capacity=20,
        )
        db.add_all([person, course])
        db.flush()
        session = CourseSession(course_id=course.id, starts_at=now - timedelta(minutes=10),
                                ends_at=now + timedelta(minutes=50), topic="Lecture")  # fmt: skip
        db.add(session)
        db.add(Enrolment(course_id=course.id, person_id=person.id,
                         status=EnrolmentStatus.ENROLLED, language="ru"))  # fmt: skip
        db.flush()
        return Lecture(session.id, coordinator.username, trainee.username)


def _logged_in(browser: Browser, live_server: LiveServer, username: str, **context: object) -> Page:
    page = browser.new_context(locale="en-US", **context).new_page()  # type: ignore[arg-type]
    LoginPage(page, live_server.url).open().log_in(username, PASSWORD)
    expect(Header(page).account).to_be_visible()
    return page


def _meeting(route: Route) -> None:
    """The video call, which the test machine cannot reach: a page of its own instead."""
    route.fulfill(status=200, content_type="text/html", body="<h1>Meeting room</h1>")


def test_a_trainee_joins_an_online_session_from_their_phone(
    browser: Browser, page: Page, live_server: LiveServer, lecture: Lecture
) -> None:
    coordinator = _logged_in(browser, live_server, lecture.coordinator)
    screen = SessionScreen(coordinator, live_server.url, lecture.session_id).open()
    screen.set_links("hybrid", "javascript:alert(1)")
    expect(coordinator.locator("#links .error")).to_have_text(
        "Give a web address that starts with https://."
    )
    screen.set_links("hybrid", MEETING)
    expect(coordinator.locator("#links #f-meeting_url")).to_have_value(MEETING)

    phone = _logged_in(
        browser, live_server, lecture.trainee, viewport={"width": 390, "height": 844}
    )
    phone.route("https://meet.example.org/**", _meeting)
    mine = MyCourses(phone, live_server.url).open()
    expect(mine.join_button()).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(phone, "distance-my-courses-phone")
    mine.join_button().click()
    expect(phone.locator("h1")).to_have_text("Meeting room")
    assert phone.url == MEETING

    mine.open()
    expect(mine.course_row(TITLE)).to_contain_text("100 %")
    expect(mine.course_row(TITLE)).to_contain_text("online 1 hr")
    shot(phone, "distance-my-courses-joined-phone")

    screen.open()
    listed = screen.attendance_of("Nodira Yusupova")
    expect(listed).to_contain_text("Online")
    expect(listed.locator("input[name=present]")).to_be_checked()
    expect(listed.locator("input[name=online]")).to_be_checked()
