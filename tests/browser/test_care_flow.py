"""A patient's way through a visit: intake, booking, check-in, the consultation, follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hamkor.care.models import Sex
from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from hamkor.demo.loader import load_demo
from hamkor.directory.models import Institution, Specialty
from hamkor.programs.models import Activity, ActivityKind, Program
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import (
    BookingPage,
    CheckInList,
    EncounterForm,
    FollowUpForm,
    Header,
    IntakeForm,
    LoginPage,
    PatientRecord,
)
from tests.fixtures.care import make_pinfl

pytestmark = pytest.mark.browser
DOCTOR = "spine-doctor"


@dataclass(frozen=True)
class Visit:
    program: int
    spine: int
    session: int
    follow_up_at: int


@pytest.fixture(scope="module")
def visit(live_server: LiveServer) -> Visit:
    """The demo, and a log-in for the lead of its spine consultations."""
    with transaction(live_server.sessions) as db:
        load_demo(db)
        spine = db.scalars(select(Specialty).where(Specialty.code == "spine_surgery")).one()
        session = db.scalars(
            select(Activity).where(
                Activity.kind == ActivityKind.CONSULTATION_SESSION,
                Activity.specialty_id == spine.id,
            )
        ).one()
        doctor = session.leads[0]
        if doctor.user_id is None:
            user = create_user(
                db, username=DOCTOR, password=DEMO_PASSWORD, display_name="Spine doctor"
            )
            db.add(Membership(user=user, role=Role.SPECIALIST))
            db.flush()
            doctor.user_id = user.id
        program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
        home = db.scalars(select(Institution).where(Institution.code == "NCMC")).one()
        return Visit(program.id, spine.id, session.id, home.id)


def test_intake_booking_check_in_encounter_follow_up(
    page: Page, live_server: LiveServer, visit: Visit
) -> None:
    base = live_server.url
    LoginPage(page, base).open().log_in("registrar", DEMO_PASSWORD)
    Header(page).switch_language("uz")
    page.goto(f"{base}/care/patients/new")
    intake = IntakeForm(page)
    intake.fill(
        names={"uz": "Toʻxtayev Sardor", "uz-Cyrl": "Тўхтаев Сардор", "ru": "Тухтаев Сардор"},
        birth_date="1972-06-18",
        sex="male",
        pinfl=make_pinfl(date(1972, 6, 18), Sex.MALE, 777, 26),
        phone="+998 93 456 78 90",
    )
    shot(page, "30-care-intake")
    intake.register()
    expect(page.locator("h1")).to_contain_text("Toʻxtayev Sardor")

    record = PatientRecord(page)
    record.give_consent("treatment")
    record.refer(
        program_id=visit.program,
        specialty_id=visit.spine,
        icd10="M51.1",
        reason="Lumbar disc herniation, pain for a year",
    )
    expect(page.locator("form.slots button").first).to_be_visible()
    shot(page, "31-care-booking")
    BookingPage(page).book_first_free_slot()
    expect(page.locator("#appointments + table")).to_contain_text("Yozilgan")
    shot(page, "32-care-record-booked")

    page.goto(f"{base}/care/sessions/{visit.session}")
    expect(page.locator("table.check-in")).to_contain_text("Toʻxtayev Sardor")
    CheckInList(page).check_in("Toʻxtayev Sardor")
    row = page.locator("table.check-in tr", has_text="Toʻxtayev Sardor")
    expect(row).to_contain_text("Keldi")
    shot(page, "33-care-check-in")

    page.context.clear_cookies()
    LoginPage(page, base).open().log_in(DOCTOR, DEMO_PASSWORD)
    Header(page).switch_language("uz-Cyrl")
    page.goto(f"{base}/care/today?day=2025-10-14")
    expect(page.locator("main table")).to_contain_text("Тўхтаев Сардор")
    shot(page, "34-care-today")
    page.locator("main tr", has_text="Тўхтаев Сардор").locator("a.button").click()
    EncounterForm(page).record(
        findings="L4-L5 herniation on MRI, positive Lasègue sign on the left.",
        diagnoses="M51.1",
        recommendation="follow_up_home",
    )
    expect(page.locator("#outcomes ~ .card").first).to_contain_text("M51.1")
    shot(page, "35-care-encounter-saved")

    page.locator("#referrals + table a.button").click()
    FollowUpForm(page).hand_over(institution_id=visit.follow_up_at, due_on="2025-11-15")
    page.goto(f"{base}/care/follow-ups?overdue=true")
    expect(page.locator("main table")).to_contain_text("Тўхтаев Сардор")
    shot(page, "36-care-overdue-follow-ups")
