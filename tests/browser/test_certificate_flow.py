"""A trainee downloads their PDF certificate; its QR code opens the public verification page,
which says valid; the coordinator revokes it, and the same link then says revoked, with why."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pypdfium2  # type: ignore[import-untyped]
import pytest
import zxingcpp
from playwright.sync_api import Browser, Page, expect

from hamkor.core.access import Actor
from hamkor.core.db import transaction, utcnow
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from hamkor.directory.models import City, Institution, InstitutionKind, Person
from hamkor.directory.service import ensure_country
from hamkor.training.credentials import keys, service
from hamkor.training.models import Course, CourseKind, Enrolment, EnrolmentStatus
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Header, LoginPage

pytestmark = pytest.mark.browser
PASSWORD = "certificate-flow-1"
HOLDER = "Гулнора Каримова Ўткировна"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Certificate:
    number: str
    check_code: str
    trainee: str
    coordinator: str


@pytest.fixture
def certificate(live_server: LiveServer, public_address: None) -> Certificate:
    """A completed trainee of a master class at a surgery centre, and their certificate."""
    n = next(_serial)
    with transaction(live_server.sessions) as db:
        uzbekistan = ensure_country(db, "UZ")
        city = City(
            code=f"CF{n}",
            country_id=uzbekistan.id,
            names={"en": "Tashkent", "uz-Cyrl": "Тошкент"},
            latitude=41.31,
            longitude=69.28,
            timezone="Asia/Tashkent",
        )
        db.add(city)
        db.flush()
        centre = Institution(
            code=f"CF-CENTRE-{n}",
            kind=InstitutionKind.RESEARCH_CENTRE,
            country_id=uzbekistan.id,
            city_id=city.id,
            names={"en": "Republican Centre of Surgery", "uz-Cyrl": "Республика хирургия маркази"},
        )
        db.add(centre)
        db.flush()
        coordinator = create_user(
            db, username=f"cf-coordinator-{n}", password=PASSWORD, display_name="Coordinator"
        )
        db.add(
            Membership(
                user=coordinator, role=Role.INSTITUTION_COORDINATOR, institution_id=centre.id
            )
        )
        trainee = create_user(
            db, username=f"cf-trainee-{n}", password=PASSWORD, display_name=HOLDER
        )
        db.add(Membership(user=trainee, role=Role.TRAINEE, institution_id=centre.id))
        person = Person(names={"uz-Cyrl": HOLDER, "en": "Gulnora Karimova"}, user_id=trainee.id)
        course = Course(
            code=f"CF-{n}",
            title={"en": "Knee arthroscopy", "uz-Cyrl": "Тизза артроскопияси"},
            kind=CourseKind.MASTER_CLASS,
            issuer_institution_id=centre.id,
            host_institution_id=centre.id,
            starts_on=date(2025, 10, 14),
            ends_on=date(2025, 10, 14),
            hours=8,
            cme_credits=8.0,
            language="uz-Cyrl",
        )
        db.add_all([person, course])
        db.flush()
        enrolment = Enrolment(
            course_id=course.id,
            person_id=person.id,
            status=EnrolmentStatus.COMPLETED,
            completed_at=utcnow(),
            language="uz-Cyrl",
        )
        db.add(enrolment)
        db.flush()
        actor = Actor.of(coordinator)
        issued = service.issue_certificate(db=db, actor=actor, enrolment=enrolment)
        assert issued.check_code is not None
        return Certificate(issued.number, issued.check_code, trainee.username, coordinator.username)


def _log_in(page: Page, live_server: LiveServer, username: str) -> None:
    LoginPage(page, live_server.url).open().log_in(username, PASSWORD)
    expect(Header(page).account).to_be_visible()


def _qr_link_of(pdf: Path) -> str:
    """Read the QR code on the PDF as a phone would: render the page, decode the code."""
    image = pypdfium2.PdfDocument(str(pdf))[0].render(scale=2).to_pil()
    image.save(pdf.with_suffix(".png"))
    found = [code.text for code in zxingcpp.read_barcodes(image)]
    assert len(found) == 1, found
    return str(found[0])


def _verdict(page: Page) -> str:
    return str(page.locator("[data-verdict]").get_attribute("data-verdict"))


def test_pdf_qr_link_verifies_then_shows_the_revocation(
    browser: Browser, page: Page, live_server: LiveServer, certificate: Certificate, tmp_path: Path
) -> None:
    _log_in(page, live_server, certificate.trainee)
    page.goto(f"{live_server.url}/certificates")
    expect(page.locator("table.data")).to_contain_text(certificate.number)
    shot(page, "certificates-list")
    with page.expect_download() as download:
        page.click(f"a[href='/certificates/{certificate.number}/download/pdf']")
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    assert pdf.name == f"{certificate.number}.pdf"
    link = _qr_link_of(pdf)
    assert link == f"{live_server.url}/verify/{certificate.number}/{certificate.check_code}"

    public = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US").new_page()
    public.goto(link)
    assert _verdict(public) == "valid"
    expect(public.locator(".verdict")).to_contain_text(HOLDER)
    expect(public.locator("li.check.passed")).to_have_count(6)
    shot(public, "verify-valid-phone")

    coordinator = browser.new_context(locale="en-US").new_page()
    _log_in(coordinator, live_server, certificate.coordinator)
    coordinator.goto(f"{live_server.url}/certificates/{certificate.number}")
    coordinator.fill("#f-reason", "The attendance sheet was signed by someone else")
    coordinator.click("form.record button.danger")
    expect(coordinator.locator(".alert")).to_contain_text("The attendance sheet was signed")
    shot(coordinator, "certificate-revoked")

    public.goto(link)
    assert _verdict(public) == "invalid"
    revoked = public.locator("li.check[data-failure='revoked']")
    expect(revoked).to_contain_text("The attendance sheet was signed by someone else")
    shot(public, "verify-revoked-phone")


def test_a_pasted_forgery_is_named_in_uzbek(
    browser: Browser, live_server: LiveServer, certificate: Certificate
) -> None:
    with transaction(live_server.sessions) as db:
        token = service.public_token(
            db=db, number=certificate.number, check_code=certificate.check_code
        )
    header, payload, signature = token.split(".")
    claims = keys.b64url_decode(payload).decode().replace('"durationHours":8', '"durationHours":80')
    forged = f"{header}.{keys.b64url(claims.encode())}.{signature}"
    page = browser.new_context(locale="uz-UZ").new_page()
    page.goto(f"{live_server.url}/verify")
    page.fill("#f-token", forged)
    page.click("form.verify-form button.primary")
    assert _verdict(page) == "invalid"
    tampered = page.locator("li.check[data-failure='tampered']")
    expect(tampered).to_contain_text("Soxtalashtirilgan")
    expect(page.locator("li.check.skipped")).to_have_count(3)
    shot(page, "verify-tampered-uz")
