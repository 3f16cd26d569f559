"""Every page fits a phone and every header one line on a desktop, in all five languages.

The pages are found as a person finds them: each role of the demo logs in and follows the
links of the pages it may open, from its start page, one page of each address pattern
(``/programs/1`` stands for ``/programs/2``). A page wider than a 390 px phone, or a header
taller than one line at 1440 px, fails with the address and the language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page

from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Header, LoginPage

pytestmark = pytest.mark.browser

LANGUAGES = ("ru", "uz", "uz-Cyrl", "kk", "en")
#: The demo's users, one per role.
ROLES = (
    "admin",
    "ministry",
    "coordinator",
    "vakhidov",
    "registrar",
    "specialist",
    "trainee",
    "auditor",
)
#: Links that lead to files, feeds or actions rather than pages.
NOT_PAGES = re.compile(
    r"(\.(ics|xml|json|pdf|csv|xlsx|jwt|png|svg)$)|^/(api|fhir|static|vendor|files|logout)\b"
    r"|/download(/|$)"
)
#: The tallest a one-line header is (its line and padding), in CSS pixels.
ONE_LINE = 60
#: The menu's links end within its own box (or it scrolls them there), not under the bell.
MENU_STAYS_IN_ITS_BOX = """() => {
    const menu = document.querySelector('header.top nav');
    const end = menu.lastElementChild.getBoundingClientRect().right;
    return getComputedStyle(menu).overflowX !== 'visible'
        || end <= menu.getBoundingClientRect().right + 0.5;
}"""
#: Pages visited per role: the demo's address patterns number fewer.
MOST_PAGES = 120


@pytest.fixture(scope="module")
def demo(live_server: LiveServer) -> LiveServer:
    with transaction(live_server.sessions) as db:
        load_demo(db)
    return live_server


def _logged_in(browser: Browser, base: str, username: str, width: int, language: str) -> Page:
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    LoginPage(page, base).open().log_in(username, DEMO_PASSWORD)
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
    Header(page).switch_language(language)
    page.wait_for_load_state()
    return page


def _pattern(path: str) -> str:
    return re.sub(r"\d+", "#", path)


def _pages(page: Page, base: str) -> Iterator[str]:
    """The addresses the logged-in reader can reach from their start page, one per pattern,
    each yielded with the page open."""
    seen: set[str] = set()
    queue = ["/"]
    while queue and len(seen) < MOST_PAGES:
        path = queue.pop(0)
        if _pattern(path) in seen:
            continue
        seen.add(_pattern(path))
        response = page.goto(base + path)
        if (
            response is None
            or response.status != 200
            or "text/html" not in (response.headers.get("content-type", ""))
        ):
            continue
        yield path
        for href in page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(a => a.href)"
        ):
            address = urlsplit(href)
            if address.netloc != urlsplit(base).netloc or NOT_PAGES.search(address.path):
                continue
            if _pattern(address.path) not in seen:
                queue.append(address.path)


@pytest.mark.parametrize("username", ROLES)
def test_no_page_is_wider_than_a_phone(browser: Browser, demo: LiveServer, username: str) -> None:
    language = LANGUAGES[ROLES.index(username) % len(LANGUAGES)]
    page = _logged_in(browser, demo.url, username, 390, language)
    too_wide = []
    visited = 0
    for path in _pages(page, demo.url):
        visited += 1
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            too_wide.append(f"{path} ({language}): {width} px")
            shot(page, f"overflow-{username}-{_pattern(path).strip('/').replace('/', '-')}")
    assert visited > 5
    assert not too_wide, "\n".join(too_wide)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_header_is_one_line_on_a_desktop(
    browser: Browser, demo: LiveServer, language: str
) -> None:
    for username in ROLES:
        page = _logged_in(browser, demo.url, username, 1440, language)
        height = page.evaluate("() => document.querySelector('header.top').offsetHeight")
        assert height <= ONE_LINE, f"{username} in {language}: {height} px"
        assert page.evaluate(MENU_STAYS_IN_ITS_BOX), f"{username} in {language}: menu overflows"
        page.context.close()
