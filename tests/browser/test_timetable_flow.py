"""A coordinator reads the demo program's day as a timetable in Kazakh, on a desktop, on a
phone and on paper (issue 20)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from hamkor.programs.models import Program
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Header, LoginPage

pytestmark = pytest.mark.browser

#: A4 landscape at 96 px an inch, less the page's 8 mm margins.
A4_LANDSCAPE_WIDTH = 1062


@pytest.fixture(scope="module")
def program_id(live_server: LiveServer) -> int:
    with transaction(live_server.sessions) as db:
        load_demo(db)
        return db.scalars(select(Program.id).where(Program.code == "KZ-UZ-2025")).one()


def _open_timetable(page: Page, base: str, program_id: int) -> None:
    """Log in, switch to Kazakh, and go from the list calendar to the timetable beside it."""
    LoginPage(page, base).open().log_in("coordinator", DEMO_PASSWORD)
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
    Header(page).switch_language("kk")
    page.goto(f"{base}/programs/{program_id}/calendar?day=2025-10-14")
    page.click(f"a[href='/programs/{program_id}/timetable?day=2025-10-14']")
    expect(page).to_have_url(re.compile(r"/timetable\?day=2025-10-14$"))


def test_the_timetable_shows_blocks_and_marks_conflicts(
    page: Page, live_server: LiveServer, program_id: int
) -> None:
    _open_timetable(page, live_server.url, program_id)
    expect(page.locator("#shown-day")).to_have_text("2025 ж. 14 қазан, сейсенбі")
    blocks = page.locator("article.t-block")
    assert blocks.count() >= 10
    # A conflict is told in words on its block, not by colour alone.
    flagged = page.locator("article.t-block.has-conflict")
    expect(flagged.first).to_be_visible()
    expect(flagged.first.locator(".t-conflict")).to_contain_text("қайшылық")
    # A block is as long as its activity: the longer, the wider, in proportion.
    sizes = blocks.evaluate_all(
        "found => found.map(b => [Number(b.className.match(/t-span-(\\d+)/)[1]),"
        " b.getBoundingClientRect().width])"
    )
    per_quarter = {round(width / span) for span, width in sizes}
    assert len({span for span, _width in sizes}) > 2
    assert max(per_quarter) - min(per_quarter) <= 1
    shot(page, "30-timetable-kk")
    page.click("a[rel=next]")
    expect(page).to_have_url(re.compile(r"day=2025-10-15"))
    page.click("nav[aria-label='Кесте жолдары'] a >> nth=1")
    expect(page).to_have_url(re.compile(r"by=specialist"))
    expect(page.locator("section.t-lane").first).to_be_visible()


def test_the_timetable_fits_a_phone_and_a4_landscape(
    page: Page, live_server: LiveServer, program_id: int
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    _open_timetable(page, live_server.url, program_id)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    # The grid scrolls inside its own frame instead.
    grid = page.locator(".timetable")
    assert grid.evaluate("e => e.scrollWidth > e.clientWidth")
    shot(page, "31-timetable-kk-phone")

    page.set_viewport_size({"width": A4_LANDSCAPE_WIDTH, "height": 740})
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    assert grid.evaluate("e => e.scrollWidth <= e.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= A4_LANDSCAPE_WIDTH
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf.startswith(b"%PDF")
