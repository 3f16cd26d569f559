"""A coordinator reads their notifications: the count in the header, the list in two
languages on a desktop and a phone, marking one read."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from hamkor.core import notifications
from hamkor.core.db import transaction
from hamkor.core.i18n import Message
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Header, LoginPage, NotificationsPage

pytestmark = pytest.mark.browser
PASSWORD = "browser-pass-1"
USERNAME = "gulnara"
MINISTRY = {
    "ru": "Министерство здравоохранения Республики Казахстан",
    "kk": "Қазақстан Республикасы Денсаулық сақтау министрлігі",
    "en": "Ministry of Health of the Republic of Kazakhstan",
}


@pytest.fixture(scope="module")
def reader(live_server: LiveServer) -> str:
    """A coordinator with three notifications, none read, and no e-mail address."""
    with transaction(live_server.sessions) as db:
        user = create_user(
            db,
            username=USERNAME,
            password=PASSWORD,
            display_name="Гульнара Ахметова",
            language="ru",
        )
        db.add(Membership(user=user, role=Role.PROGRAM_COORDINATOR))
        db.flush()
        for link in ("/programs", "/training", None):
            notifications.notify(
                db=db,
                user=user,
                message=Message(notifications.TEST_MESSAGE, {"sender": MINISTRY}),
                link=link,
            )
    return USERNAME


@pytest.mark.parametrize("language", ["ru", "kk"])
@pytest.mark.parametrize(("device", "width"), [("desktop", 1440), ("phone", 390)])
def test_the_notifications_and_their_count_in_each_language_and_width(
    page: Page, live_server: LiveServer, reader: str, language: str, device: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    LoginPage(page, live_server.url).open().log_in(reader, PASSWORD)
    centre = NotificationsPage(page, live_server.url).open()
    if Header(page).language != language:
        Header(page).switch_language(language)
    expect(page.locator("html")).to_have_attribute("lang", language)

    expect(centre.unread_badge).to_have_text("3")
    expect(centre.items).to_have_count(3)
    expect(centre.items.first).to_contain_text(MINISTRY[language])
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"notifications-{device}-{language}")


def test_marking_one_read_lowers_the_count(
    page: Page, live_server: LiveServer, reader: str
) -> None:
    LoginPage(page, live_server.url).open().log_in(reader, PASSWORD)
    centre = NotificationsPage(page, live_server.url).open()
    expect(centre.unread_badge).to_have_text("3")

    centre.mark_read(0)

    expect(centre.unread_badge).to_have_text("2")
    expect(centre.items.first).not_to_have_class("notification unread")
    centre.mark_all_read()
    expect(centre.unread_badge).to_have_count(0)
