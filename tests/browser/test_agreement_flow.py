"""An institution's coordinator enters a memorandum with two parties, uploads its signed scan
(a file that only claims to be a PDF is refused), adds a roadmap item, and sees it late on the
institution's page."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from hamkor.core.db import transaction, utcnow
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from hamkor.directory.models import City, Institution, InstitutionKind
from hamkor.directory.service import ensure_country
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import AgreementForm, AgreementPage, LoginPage
from tests.fixtures.files import PDF, PNG

pytestmark = pytest.mark.browser
PASSWORD = "agreement-flow-1"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Parties:
    vakhidov_id: int
    syzganov_id: int
    coordinator: str


@pytest.fixture
def parties(live_server: LiveServer) -> Parties:
    """The two surgery centres and the Vakhidov centre's coordinator."""
    n = next(_serial)
    with transaction(live_server.sessions) as db:
        uzbekistan, kazakhstan = ensure_country(db, "UZ"), ensure_country(db, "KZ")
        tashkent = City(code=f"AF{n}T", country_id=uzbekistan.id, names={"en": "Tashkent"},
                        latitude=41.31, longitude=69.28, timezone="Asia/Tashkent")  # fmt: skip
        almaty = City(code=f"AF{n}A", country_id=kazakhstan.id, names={"en": "Almaty"},
                      latitude=43.24, longitude=76.89, timezone="Asia/Almaty")  # fmt: skip
        db.add_all([tashkent, almaty])
        db.flush()
        vakhidov = Institution(code=f"AF-VAKHIDOV-{n}", kind=InstitutionKind.RESEARCH_CENTRE,
                               country_id=uzbekistan.id, city_id=tashkent.id,
                               names={"en": "Vakhidov Centre of Surgery"})  # fmt: skip
        syzganov = Institution(code=f"AF-SYZGANOV-{n}", kind=InstitutionKind.RESEARCH_CENTRE,
                               country_id=kazakhstan.id, city_id=almaty.id,
                               names={"en": "Syzganov Centre of Surgery"})  # fmt: skip
        db.add_all([vakhidov, syzganov])
        db.flush()
        coordinator = create_user(
            db, username=f"af-coordinator-{n}", password=PASSWORD, display_name="Coordinator"
        )
        db.add(
            Membership(
                user=coordinator, role=Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id
            )
        )
        return Parties(vakhidov.id, syzganov.id, coordinator.username)


def test_a_memorandum_from_the_form_to_a_late_item(
    live_server: LiveServer, page: Page, parties: Parties
) -> None:
    today = utcnow().date()
    signed = (today - timedelta(days=120)).isoformat()
    LoginPage(page, live_server.url).open().log_in(parties.coordinator, PASSWORD)

    form = AgreementForm(page, live_server.url).open()
    form.fill(
        code=f"MOU-{parties.vakhidov_id}",
        title="Memorandum of cooperation in surgery",
        valid_from=signed,
        valid_until=(today + timedelta(days=3 * 365)).isoformat(),
    )
    form.party(0, parties.vakhidov_id, "F. Nazyrov", signed)
    form.party(1, parties.syzganov_id, "B. Baimakhanov", signed)
    shot(page, "agreement-form")
    form.save()
    expect(page.locator("h1")).to_have_text("Memorandum of cooperation in surgery")
    expect(page.locator("#parties li")).to_have_count(2)

    agreement = AgreementPage(page)
    agreement.upload("scan.pdf", PNG, "application/pdf")
    expect(page.locator("#e-document")).to_be_visible()
    agreement.upload("memorandum-signed.pdf", PDF, "application/pdf")
    expect(agreement.documents.filter(has_text="memorandum-signed.pdf")).to_have_count(1)

    agreement.add_item(
        title="First joint research protocol",
        owner_institution_id=parties.vakhidov_id,
        due_on=(today - timedelta(days=10)).isoformat(),
    )
    shot(page, "agreement-page")

    page.goto(f"{live_server.url}/agreements/institutions/{parties.vakhidov_id}")
    expect(page.locator("#late tbody")).to_contain_text("First joint research protocol")
    expect(page.locator("#due-soon tbody")).not_to_contain_text("First joint research protocol")
    shot(page, "agreement-institution")
