"""Browser tests: Debian's Chromium driven by Playwright against a real server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session, sessionmaker

from hamkor.app import create_app
from hamkor.core import migrate
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.settings import ROOT, Settings, get_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "var" / "screenshots"


@dataclass(frozen=True)
class LiveServer:
    """A running Hamkor on loopback with its own migrated SQLite file."""

    url: str
    sessions: sessionmaker[Session]
    settings: Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of the test module's own, on a database of its own: what one module adds (a
    participant, a booking) is never in another's counts, whichever worker runs it after."""
    var_dir: Path = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{var_dir / 'live.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    sessions = make_sessionmaker(engine)
    # Jobs are run by the tests themselves (``jobs.run_next``), so that a page shows a job
    # queued or running for as long as the test looks at it.
    settings = Settings(
        var_dir=var_dir, database_url=url, secret_key="browser-tests", job_workers=0
    )
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, sessions), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", sessions=sessions, settings=settings)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture
def public_address(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Code run beside the server (issuing, sealing keys) reads the live server's settings."""
    monkeypatch.setenv("HAMKOR_PUBLIC_BASE_URL", live_server.url)
    monkeypatch.setenv("HAMKOR_SECRET_KEY", "browser-tests")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context; on failure a screenshot is kept under var/screenshots/."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report on the test, so the page fixture knows a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def shot(page: Page, name: str) -> Path:
    """Keep a screenshot of a step, to look at as a user would."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
