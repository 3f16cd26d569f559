"""A coordinator reading the participants in Kazakh takes the list home as XLSX (issue 19)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from hamkor.programs.models import Program
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Downloads, Header, LoginPage

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def program_id(live_server: LiveServer) -> int:
    with transaction(live_server.sessions) as db:
        load_demo(db)
        program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
        return program.id


def test_the_participants_download_as_the_page_lists_them(
    page: Page, live_server: LiveServer, program_id: int
) -> None:
    LoginPage(page, live_server.url).open().log_in("coordinator", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/programs/{program_id}/participants")
    Header(page).switch_language("kk")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    shot(page, "export-participants-kk")
    shown = page.locator("table.data tbody tr td:first-child").all_inner_texts()

    downloads = Downloads(page)
    assert downloads.suggested_name("xlsx") == "Қатысушылар KZ-UZ-2025.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(downloads.take("xlsx"))).active

    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Қатысушы", "Мекеме", "Рөлі")
    # The page shows its first page; the file holds every participant, in the page's order.
    assert [row[0] for row in rows[1 : len(shown) + 1]] == [text.strip() for text in shown]
    assert 0 < len(shown) < 150
    assert len(rows) - 1 == 150
