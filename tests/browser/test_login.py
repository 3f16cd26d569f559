"""A person logs in and switches the language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from hamkor.core.db import transaction
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Header, LoginPage

pytestmark = pytest.mark.browser
PASSWORD = "browser-pass-1"


@pytest.fixture(scope="module")
def coordinator(live_server: LiveServer) -> str:
    with transaction(live_server.sessions) as db:
        user = create_user(db, username="malika", password=PASSWORD, display_name="Malika Yusupova")
        db.add(Membership(user=user, role=Role.PROGRAM_COORDINATOR))
    return "malika"


def test_log_in_and_switch_to_uzbek_cyrillic(
    page: Page, live_server: LiveServer, coordinator: str
) -> None:
    login = LoginPage(page, live_server.url).open()
    shot(page, "01-login")
    login.log_in(coordinator, PASSWORD)
    expect(page.locator("header .who")).to_have_text("Malika Yusupova")
    header = Header(page)
    header.switch_language("uz-Cyrl")
    expect(page.locator("html")).to_have_attribute("lang", "uz-Cyrl")
    shot(page, "02-home-uz-Cyrl")
    page.reload()
    assert header.language == "uz-Cyrl"


def test_wrong_password_is_explained(page: Page, live_server: LiveServer, coordinator: str) -> None:
    LoginPage(page, live_server.url).open().log_in(coordinator, "not-the-password")
    expect(page.locator(".alert")).to_be_visible()
    assert page.url.endswith("/login")
