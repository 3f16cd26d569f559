"""Each demo role logs in and lands on its own workspace, not the programs list (issue 20)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from hamkor.core import clock
from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Header, LoginPage

pytestmark = pytest.mark.browser

#: A year after the demo program (13–17 October 2025).
TODAY = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
#: Each demo role and what its landing page shows first.
LANDMARKS = {
    "admin": "#program-state",
    "ministry": "#program-state",
    "coordinator": "#program-state",
    "vakhidov": "#house-waiting",
    "registrar": "#desk-waitlist",
    "specialist": "#my-day",
    "trainee": "#courses",
    "auditor": "#trail",
}


@pytest.fixture(scope="module")
def demo(live_server: LiveServer) -> Iterator[LiveServer]:
    with transaction(live_server.sessions) as db:
        load_demo(db)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: TODAY)
        yield live_server


def test_every_role_lands_on_its_workspace(browser: Browser, demo: LiveServer) -> None:
    for username, landmark in LANDMARKS.items():
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        LoginPage(page, demo.url).open().log_in(username, DEMO_PASSWORD)
        page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        Header(page).switch_language("en")
        page.wait_for_load_state()
        expect(page.locator(landmark)).to_be_visible()
        for other in set(LANDMARKS.values()) - {landmark}:
            expect(page.locator(other)).to_have_count(0)
        if landmark == "#program-state":
            assert re.search(r"/programs/\d+$", page.url), (username, page.url)
        if username == "registrar":
            # What blocks a booking is said before the click.
            expect(page.locator("#desk-waitlist .blocked").first).to_contain_text("consent")
        if username == "specialist":
            expect(page.locator("#my-day .outside")).to_be_visible()
            page.click("a[rel=next]")
            expect(page.locator("#my-day-title")).to_contain_text("October 14, 2025")
        shot(page, f"workspace-{username}")
        context.close()
