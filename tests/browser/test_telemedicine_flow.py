"""A doctor in Tashkent asks the Syzganov centre in Almaty from their phone; the centre's
coordinator assigns the case on a desktop, its surgeon answers, and the doctor closes it from
the phone with "visit avoided" (issue 18). Screenshots at 1440 and 390 px, in two languages."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlalchemy.orm import Session

from hamkor.core.db import transaction
from hamkor.core.models import Membership, Role, User
from hamkor.core.users import create_user
from hamkor.directory.models import City, Institution, InstitutionKind, Specialty
from hamkor.directory.service import ensure_country
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import AskForm, CasePage, LoginPage

pytestmark = pytest.mark.browser
PASSWORD = "tele-flow-1"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
_serial = itertools.count(1)


@dataclass(frozen=True)
class Sides:
    syzganov_id: int
    specialty_id: int
    asker: str
    coordinator: str
    surgeon: str
    surgeon_id: int


def _user(db: Session, name: str, display: str, grants: list[tuple[Role, int]]) -> User:
    user = create_user(db, username=name, password=PASSWORD, display_name=display)
    for role, institution_id in grants:
        db.add(Membership(user=user, role=role, institution_id=institution_id))
    return user


@pytest.fixture
def sides(live_server: LiveServer) -> Sides:
    """The asking Vakhidov centre and the Syzganov centre abroad, with their people."""
    n = next(_serial)
    with transaction(live_server.sessions) as db:
        uzbekistan, kazakhstan = ensure_country(db, "UZ"), ensure_country(db, "KZ")
        tashkent = City(code=f"TF{n}T", country_id=uzbekistan.id, names={"en": "Tashkent"},
                        latitude=41.31, longitude=69.28, timezone="Asia/Tashkent")  # fmt: skip
        almaty = City(code=f"TF{n}A", country_id=kazakhstan.id, names={"en": "Almaty"},
                      latitude=43.24, longitude=76.89, timezone="Asia/Almaty")  # fmt: skip
        specialty = Specialty(code=f"tf-cardiac-{n}",
                              names={"en": "Cardiac surgery", "ru": "Кардиохирургия",
                                     "kk": "Кардиохирургия"})  # fmt: skip
        db.add_all([tashkent, almaty, specialty])
        db.flush()
        vakhidov = Institution(code=f"TF-VAKHIDOV-{n}", kind=InstitutionKind.RESEARCH_CENTRE,
                               country_id=uzbekistan.id, city_id=tashkent.id,
                               names={"en": "Vakhidov Centre of Surgery",
                                      "ru": "Центр хирургии им. Вахидова"})  # fmt: skip
        syzganov = Institution(code=f"TF-SYZGANOV-{n}", kind=InstitutionKind.RESEARCH_CENTRE,
                               country_id=kazakhstan.id, city_id=almaty.id,
                               names={"en": "Syzganov Centre of Surgery",
                                      "ru": "Центр хирургии им. Сызганова"})  # fmt: skip
        db.add_all([vakhidov, syzganov])
        db.flush()
        asker = _user(db, f"tf-asker-{n}", "Dr Nodira Karimova",
                      [(Role.SPECIALIST, vakhidov.id), (Role.REGISTRAR, vakhidov.id)])  # fmt: skip
        coordinator = _user(db, f"tf-coord-{n}", "Aigerim Seitova",
                            [(Role.INSTITUTION_COORDINATOR, syzganov.id)])  # fmt: skip
        surgeon = _user(db, f"tf-surgeon-{n}", "Prof. Bolatbek Baimakhanov",
                        [(Role.SPECIALIST, syzganov.id)])  # fmt: skip
        db.flush()
        return Sides(
            syzganov.id,
            specialty.id,
            asker.username,
            coordinator.username,
            surgeon.username,
            surgeon.id,
        )


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _tab(
    contexts: list[BrowserContext],
    browser: Browser,
    url: str,
    username: str,
    viewport: ViewportSize,
    locale: str = "en-GB",
) -> Page:
    """A fresh browser of one size and language, logged in as ``username``."""
    context = browser.new_context(viewport=viewport, locale=locale)
    contexts.append(context)
    tab = context.new_page()
    LoginPage(tab, url).open().log_in(username, PASSWORD)
    return tab


def test_ask_on_a_phone_answer_on_a_desktop_close_with_visit_avoided(
    live_server: LiveServer,
    browser: Browser,
    contexts: list[BrowserContext],
    sides: Sides,
) -> None:
    url = live_server.url
    phone = _tab(contexts, browser, url, sides.asker, PHONE)
    form = AskForm(phone, url).open()
    form.fill(
        centre_id=sides.syzganov_id,
        specialty_id=sides.specialty_id,
        question="Reoperation now, or can it wait until your next visit?",
        summary="Girl, 9. Mitral valve repair in October 2025; dyspnoea on exertion again.",
        icd10="I05.0",
    )
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # nothing wider than the phone's screen
    shot(phone, "telemedicine-ask-390-en")
    form.submit()
    expect(phone.locator("h1")).to_contain_text("TC-")
    case_url = phone.url

    desk = _tab(contexts, browser, url, sides.coordinator, DESKTOP)
    desk.goto(f"{url}/telemedicine?centre={sides.syzganov_id}")
    expect(desk.locator("#cases tbody tr")).to_have_count(1)
    shot(desk, "telemedicine-list-1440-en")
    desk.locator("#cases a").first.click()
    CasePage(desk).accept(sides.surgeon_id)
    expect(desk.locator("h1 + p .badge")).to_have_text("Accepted")

    surgeon = _tab(contexts, browser, url, sides.surgeon, DESKTOP, locale="ru-RU")
    surgeon.goto(case_url)
    shot(surgeon, "telemedicine-case-1440-ru")
    CasePage(surgeon).answer("Продолжить лечение; осмотр при следующем визите.", "treat_locally")
    expect(surgeon.locator("#answer")).to_contain_text("Лечить на месте")

    phone.goto(case_url)
    CasePage(phone).close(visit_avoided=True)
    expect(phone.locator("#answer")).to_contain_text("In-person visit avoided")
    expect(phone.locator("h1 + p .badge")).to_have_text("Closed")
    shot(phone, "telemedicine-closed-390-en")

    ru_phone = _tab(contexts, browser, url, sides.asker, PHONE, locale="ru-RU")
    AskForm(ru_phone, url).open()
    shot(ru_phone, "telemedicine-ask-390-ru")
    ru_desk = _tab(contexts, browser, url, sides.coordinator, DESKTOP, locale="ru-RU")
    ru_desk.goto(f"{url}/telemedicine?centre={sides.syzganov_id}")
    shot(ru_desk, "telemedicine-list-1440-ru")
