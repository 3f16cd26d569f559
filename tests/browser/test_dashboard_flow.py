"""A coordinator reads the demo program's dashboard in Kazakh and Uzbek Cyrillic: the figures
of the news files against their targets, charts drawn, and a figure's list one click away."""

from __future__ import annotations

import io
import threading

import openpyxl
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from hamkor.core import jobs
from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from hamkor.programs.models import Program
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Dashboard, Header, LoginPage

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def program_id(live_server: LiveServer) -> int:
    with transaction(live_server.sessions) as db:
        load_demo(db)
        return db.scalars(select(Program.id).where(Program.code == "KZ-UZ-2025")).one()


def test_the_dashboard_draws_its_charts_and_leads_to_its_lists(
    page: Page, live_server: LiveServer, program_id: int
) -> None:
    LoginPage(page, live_server.url).open().log_in("coordinator", DEMO_PASSWORD)
    Header(page).switch_language("kk")
    page.goto(f"{live_server.url}/programs/{program_id}")
    dashboard = Dashboard(page)
    expect(dashboard.card("delegates").locator(".figure")).to_have_text("150")
    expect(dashboard.card("interventions_performed")).to_contain_text("17")
    expect(dashboard.card("interventions_performed")).to_contain_text("Мақсат: 17")
    expect(dashboard.charts.first.locator("svg")).to_be_visible()
    # Where JavaScript runs, vega-embed draws each chart again, with its tooltips.
    expect(dashboard.charts.first).to_have_attribute("data-embedded", "true")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"dashboard-kk-{width}")
    Header(page).switch_language("uz-Cyrl")
    expect(dashboard.card("trainees_completed").locator(".figure")).to_have_text("45")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        shot(page, f"dashboard-uz-Cyrl-{width}")
    dashboard.open_list_of("delegates")
    expect(page).to_have_url(f"{live_server.url}/programs/{program_id}/participants")


def test_a_published_program_is_read_without_logging_in(
    browser: Browser, page: Page, live_server: LiveServer, program_id: int
) -> None:
    LoginPage(page, live_server.url).open().log_in("coordinator", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/programs/{program_id}")
    page.click("#publication button[type=submit]")
    address = page.locator("#publication a").get_attribute("href")
    assert address is not None
    visitor = browser.new_context(viewport={"width": 390, "height": 900}, locale="kk")
    public = visitor.new_page()
    public.goto(f"{live_server.url}{address}")
    expect(public.locator(".narrative")).to_contain_text("150 делегат")
    expect(public.locator("figure.chart svg").first).to_be_visible()
    shot(public, "public-kk-390")
    visitor.close()
    page.click("#publication button[type=submit]")  # unpublish
    assert page.request.get(f"{live_server.url}{address}").status == 404


def test_the_ministry_reads_every_program_on_one_dashboard(
    page: Page, live_server: LiveServer, program_id: int
) -> None:
    LoginPage(page, live_server.url).open().log_in("admin", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/dashboard")
    dashboard = Dashboard(page)
    # The 2025 Days' 150 delegates and the Moscow course's 40 trainees.
    expect(dashboard.card("delegates").locator(".figure")).to_have_text("190")
    expect(page.locator("#row-delegates details summary", has_text="Program")).to_be_visible()
    expect(dashboard.charts.first.locator("svg")).to_be_visible()
    shot(page, "dashboard-across-en-1440")


def test_the_program_report_is_asked_on_the_dashboard_and_downloaded(
    page: Page, live_server: LiveServer, program_id: int
) -> None:
    LoginPage(page, live_server.url).open().log_in("coordinator", DEMO_PASSWORD)
    Header(page).switch_language("en")
    page.goto(f"{live_server.url}/programs/{program_id}")
    dashboard = Dashboard(page)
    dashboard.ask_report("xlsx", "kk")
    progress = page.locator("#report-progress")
    expect(progress).to_contain_text("Waiting for a worker")
    shot(page, "report-job-waiting-en")
    # The app process's worker, run here so that the page above is seen before it starts.
    worker = threading.Thread(target=jobs.run_next, args=(live_server.sessions,))
    worker.start()
    expect(progress).to_contain_text("The report is ready.", timeout=60_000)
    worker.join()
    workbook = openpyxl.load_workbook(io.BytesIO(dashboard.take_report()))
    first = workbook.worksheets[0]
    assert first.title == "Бағдарлама"
    figures = {row[0]: row[1] for row in first.iter_rows(values_only=True) if row[0]}
    assert figures["Делегаттар"] == 150
