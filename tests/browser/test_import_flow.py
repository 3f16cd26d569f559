"""A referral list too long for one request: imported by a job whose page shows its progress."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from hamkor.core import jobs
from hamkor.core.db import transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from tests.browser.conftest import LiveServer, shot
from tests.browser.pages import Header, ImportPage, LoginPage
from tests.care.test_import import sample

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(live_server: LiveServer) -> None:
    with transaction(live_server.sessions) as db:
        load_demo(db)


@pytest.mark.usefixtures("demo")
def test_a_long_list_is_imported_by_a_job_whose_page_ends_with_the_report(
    page: Page, live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_server.settings, "import_job_rows", 2)  # the sample has 4 rows
    file = tmp_path / "referrals.csv"
    file.write_bytes(sample())
    LoginPage(page, live_server.url).open().log_in("registrar", DEMO_PASSWORD)
    Header(page).switch_language("en")

    importing = ImportPage(page, f"{live_server.url}/care/import").open()
    importing.upload(str(file))
    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    expect(importing.progress).to_contain_text("Waiting for a worker")
    shot(page, "30-import-job-waiting")
    # The app process's worker, run here so that the page above is seen before it starts.
    worker = threading.Thread(target=jobs.run_next, args=(live_server.sessions,))
    worker.start()
    expect(importing.progress).to_contain_text("4 records were imported.", timeout=60_000)
    worker.join()
    shot(page, "31-import-job-done")
