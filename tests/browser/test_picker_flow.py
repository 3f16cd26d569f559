"""A participant picked by typing a few letters of the name in the other script (issue 20):
with htmx, suggestions fill the picker's list; without JavaScript, the typed name is read on
submit, and a name that matches several people is refused, listing them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from hamkor.directory.models import Person
from hamkor.programs.models import Participation, Program
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import LoginPage

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Picking:
    program: int
    cyrillic: int
    latin: int


@pytest.fixture(scope="module")
def picking(live_server: LiveServer) -> Picking:
    """The demo, with one guest written only in Cyrillic and one only in Latin."""
    with transaction(live_server.sessions) as db:
        load_demo(db)
        program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
        cyrillic = Person(code="PICK-CYRL", names={"uz-Cyrl": "Шаҳноза Тўхтабоева"})
        latin = Person(code="PICK-LATN", names={"uz": "Shahnoza Toʻxtasinova"})
        db.add_all([cyrillic, latin])
        db.flush()
        return Picking(program=program.id, cyrillic=cyrillic.id, latin=latin.id)


def _participant_ids(live_server: LiveServer, program: int) -> set[int]:
    with transaction(live_server.sessions) as db:
        stmt = select(Participation.person_id).where(Participation.program_id == program)
        return set(db.scalars(stmt))


def _add_participant(page: Page, base: str, picking: Picking) -> None:
    page.goto(f"{base}/programs/{picking.program}/participants/new")
    page.select_option("#f-role", "interpreter")


def test_typing_latin_letters_suggests_the_person_written_in_cyrillic(
    page: Page, live_server: LiveServer, picking: Picking
) -> None:
    base = live_server.url
    LoginPage(page, base).open().log_in("coordinator", DEMO_PASSWORD)
    _add_participant(page, base, picking)
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#f-person_id").press_sequentially("taboyeva", delay=30)
    suggestion = page.locator("#dl-person_id option")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_have_attribute("value", f"Шаҳноза Тўхтабоева (#{picking.cyrillic})")
    shot(page, "picker-htmx-390")
    page.fill("#f-person_id", f"Шаҳноза Тўхтабоева (#{picking.cyrillic})")
    page.click("form.record button[type=submit].primary")
    expect(page).to_have_url(f"{base}/programs/{picking.program}/participants")
    assert picking.cyrillic in _participant_ids(live_server, picking.program)


def test_without_javascript_a_typed_name_is_read_on_submit(
    browser: Browser, live_server: LiveServer, picking: Picking
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1440, "height": 900}
    )
    page = context.new_page()
    try:
        base = live_server.url
        LoginPage(page, base).open().log_in("coordinator", DEMO_PASSWORD)
        _add_participant(page, base, picking)
        page.fill("#f-person_id", "Шаҳноза")  # both Shahnozas: refused, naming them
        page.click("form.record button[type=submit].primary")
        error = page.locator("#e-person_id")
        expect(error).to_contain_text(f"Shahnoza Toʻxtasinova (#{picking.latin})")
        expect(error).to_contain_text(f"(#{picking.cyrillic})")
        expect(page.locator("#f-person_id")).to_have_attribute("aria-invalid", "true")
        shot(page, "picker-nojs-refused-1440")
        page.fill("#f-person_id", "Тўхтасинова")  # Cyrillic letters, a Latin-only name
        page.click("form.record button[type=submit].primary")
        expect(page).to_have_url(f"{base}/programs/{picking.program}/participants")
        assert picking.latin in _participant_ids(live_server, picking.program)
    finally:
        context.close()
