"""A coordinator enrols a trainee; the trainee's phone scans the session's QR code from the
screen and is checked in; the coordinator sees it on the list and marks completion; the trainee
then finds the certificate among theirs."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from hamkor.core.db import transaction, utcnow
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from hamkor.directory.models import City, Institution, InstitutionKind, Person
from hamkor.directory.service import ensure_country
from hamkor.training.models import Course, CourseKind, CourseSession
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import CoursePage, Header, LoginPage, SessionScreen

pytestmark = pytest.mark.browser
PASSWORD = "training-flow-1"
TRAINEE = "Дилфуза Раҳимова"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Classroom:
    course_id: int
    session_id: int
    person_id: int
    coordinator: str
    trainee: str


@pytest.fixture
def classroom(live_server: LiveServer, public_address: None) -> Classroom:
    """A one-session master class under way now, its coordinator, and a doctor to enrol."""
    n = next(_serial)
    now = utcnow()
    with transaction(live_server.sessions) as db:
        uzbekistan = ensure_country(db, "UZ")
        city = City(code=f"TF{n}", country_id=uzbekistan.id, names={"en": "Tashkent"},
                    latitude=41.31, longitude=69.28, timezone="Asia/Tashkent")  # fmt: skip
        db.add(city)
        db.flush()
        centre = Institution(code=f"TF-CENTRE-{n}", kind=InstitutionKind.RESEARCH_CENTRE,
                             country_id=uzbekistan.id, city_id=city.id,
                             names={"en": "Research Institute of Traumatology"})  # fmt: skip
        db.add(centre)
        db.flush()
        coordinator = create_user(
            db, username=f"tf-coordinator-{n}", password=PASSWORD, display_name="Coordinator"
        )
        db.add(
            Membership(
                user=coordinator, role=Role.INSTITUTION_COORDINATOR, institution_id=centre.id
            )
        )
        trainee = create_user(
            db, username=f"tf-trainee-{n}", password=PASSWORD, display_name=TRAINEE
        )
        person = Person(names={"uz-Cyrl": TRAINEE, "en": "Dilfuza Rakhimova"}, user_id=trainee.id,
                        institution_id=centre.id, languages=["uz"])  # fmt: skip
        course = Course(
            code=f"TF-{n}",
            title={"en": "Arthroscopic knee surgery", "ru": "Артроскопия коленного сустава"},
            kind=CourseKind.MASTER_CLASS,
            issuer_institution_id=centre.id,
            host_institution_id=centre.id,
            starts_on=(now - timedelta(days=1)).date(),
            ends_on=(now + timedelta(days=1)).date(),
            hours=4,
            language="ru",
            capacity=20,
            min_attendance_percent=100,
        )
        db.add_all([person, course])
        db.flush()
        session = CourseSession(course_id=course.id, starts_at=now - timedelta(minutes=10),
                                ends_at=now + timedelta(hours=2), topic="Live surgery")  # fmt: skip
        db.add(session)
        db.flush()
        return Classroom(course.id, session.id, person.id, coordinator.username, trainee.username)


def _logged_in(browser: Browser, live_server: LiveServer, username: str, **context: object) -> Page:
    page = browser.new_context(locale="en-US", **context).new_page()  # type: ignore[arg-type]
    LoginPage(page, live_server.url).open().log_in(username, PASSWORD)
    expect(Header(page).account).to_be_visible()
    return page


def _scan(png: bytes) -> str:
    """Read the QR code on the screen as a phone's camera would."""
    found = [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert len(found) == 1, found
    return str(found[0])


def test_enrol_check_in_by_qr_and_complete(
    browser: Browser, page: Page, live_server: LiveServer, classroom: Classroom
) -> None:
    coordinator = _logged_in(browser, live_server, classroom.coordinator)
    course = CoursePage(coordinator, live_server.url, classroom.course_id).open()
    course.enrol(classroom.person_id, "uz-Cyrl")
    expect(course.row(classroom.person_id)).to_contain_text("Enrolled")
    expect(course.row(classroom.person_id)).to_contain_text("0 %")
    shot(coordinator, "training-course-enrolled")

    screen = SessionScreen(coordinator, live_server.url, classroom.session_id).open()
    shot(coordinator, "training-session-qr")
    link = _scan(screen.qr_image())
    assert link.startswith(f"{live_server.url}/training/check-in/{classroom.session_id}?t=")

    phone = _logged_in(
        browser, live_server, classroom.trainee, viewport={"width": 390, "height": 844}
    )
    phone.goto(link)
    expect(phone.locator(".notice")).to_have_text("You are checked in. Welcome!")
    shot(phone, "training-checked-in-phone")
    phone.goto(link)
    expect(phone.locator(".notice")).to_have_text("You are already checked in to this session.")

    screen.open()
    listed = screen.attendance_of("Dilfuza Rakhimova")
    expect(listed).to_contain_text("QR code")
    expect(listed.locator("input[type=checkbox]")).to_be_checked()

    course.open()
    course.mark_completion(classroom.person_id)
    expect(course.row(classroom.person_id)).to_contain_text("Completed")
    expect(course.row(classroom.person_id)).to_contain_text("100 %")
    shot(coordinator, "training-course-completed")

    phone.goto(f"{live_server.url}/training/mine")
    expect(phone.locator("#my-courses")).to_contain_text("Completed")
    phone.goto(f"{live_server.url}/certificates")
    expect(phone.locator("table.data")).to_contain_text("Arthroscopic knee surgery")
    shot(phone, "training-my-certificates-phone")
