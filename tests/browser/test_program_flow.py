"""A coordinator plans a program in Uzbek Cyrillic, sees a conflict and takes the calendar."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from hamkor.directory.models import City, Country, Institution, Room
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import ActivityForm, Header, LoginPage, ProgramForm

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Places:
    kazakhstan: int
    uzbekistan: int
    tashkent: int
    vakhidov: int
    operating_room: int


@pytest.fixture(scope="module")
def places(live_server: LiveServer) -> Places:
    """The demo's directory, and its users, in the live server's database."""
    with transaction(live_server.sessions) as db:
        load_demo(db)
        vakhidov = db.scalars(select(Institution).where(Institution.code == "VAKHIDOV")).one()
        room = db.scalars(
            select(Room).where(Room.institution_id == vakhidov.id, Room.code == "OR-1")
        ).one()
        countries = {code: id_ for code, id_ in db.execute(select(Country.code, Country.id))}
        return Places(
            kazakhstan=countries["KZ"],
            uzbekistan=countries["UZ"],
            tashkent=db.scalars(select(City.id).where(City.code == "TAS")).one(),
            vakhidov=vakhidov.id,
            operating_room=room.id,
        )


def _add_operation(page: Page, places: Places, title: str, start: str) -> None:
    """From a program page, add a two-hour demonstration operation in Vakhidov's OR-1."""
    page.click("a[href$='/activities/new']")
    form = ActivityForm(page)
    form.fill(
        title={"uz-Cyrl": title},
        kind="demonstration_operation",
        city_id=places.tashkent,
        institution_id=places.vakhidov,
        room_id=places.operating_room,
        day="2026-04-14",
        start=start,
        end=f"{int(start[:2]) + 2:02d}:00",
    )
    form.save()


def test_plan_a_program_see_a_conflict_and_take_the_calendar(
    page: Page, live_server: LiveServer, places: Places
) -> None:
    base = live_server.url
    LoginPage(page, base).open().log_in("ministry", DEMO_PASSWORD)
    Header(page).switch_language("uz-Cyrl")
    expect(page.locator("html")).to_have_attribute("lang", "uz-Cyrl")
    shot(page, "10-home-uz-Cyrl")

    page.goto(f"{base}/programs/new")
    program = ProgramForm(page)
    program.fill(
        code="KZ-UZ-2026",
        kind="medical_days",
        name={"uz-Cyrl": "Ўзбекистонда Қозоғистон тиббиёти кунлари 2026"},
        guest_country_id=places.kazakhstan,
        host_country_id=places.uzbekistan,
        starts_on="2026-04-17",
        ends_on="2026-04-13",
    )
    program.save()
    expect(page.locator("#e-ends_on")).to_be_visible()
    shot(page, "11-program-ends-before-it-starts")

    page.fill("#f-starts_on", "2026-04-13")
    page.fill("#f-ends_on", "2026-04-17")
    program.save()
    expect(page.locator("h1")).to_contain_text("Қозоғистон тиббиёти кунлари 2026")
    shot(page, "12-program-created")

    _add_operation(page, places, "Лапароскопик холецистэктомия", "09:00")
    expect(page.locator("tr.has-conflict")).to_have_count(0)
    _add_operation(page, places, "Жигар резекцияси", "10:00")
    conflict = page.locator("tr.has-conflict .badge.conflict").first
    expect(conflict).to_be_visible()
    shot(page, "13-conflict-flagged")

    program_url = page.url.split("/calendar")[0]
    with page.expect_download() as download_info:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; "
            "a.download = 'program.ics'; document.body.appendChild(a); a.click(); }",
            f"{program_url}/calendar.ics",
        )
    path = download_info.value.path()
    calendar = Calendar.from_ical(path.read_bytes())
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    assert {str(e["SUMMARY"]) for e in events} == {
        "Лапароскопик холецистэктомия",
        "Жигар резекцияси",
    }

    # Cancelling asks first; once cancelled, the program takes no new activity.
    page.goto(program_url)
    cancel = page.locator("details.confirm")
    expect(cancel.locator("form p")).to_be_hidden()
    cancel.locator("summary").click()
    expect(cancel.locator("form p")).to_be_visible()
    shot(page, "14-cancel-asks-first")
    cancel.locator("form button").click()
    expect(page.locator(".flash")).to_contain_text("Бекор қилинган")
    expect(page.locator("a[href$='/activities/new']")).to_have_count(0)
