"""Each demo role lands on its own worklist, and its menu leads to no refusal (issue 20).

The demo is loaded once per database; today is fixed at 7 December 2026, a year after the
demo program (13–17 October 2025), so the day-bound workspaces show the program's days.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from lxml import html
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.app import create_app
from hamkor.core import clock
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.demo.loader import load_demo
from hamkor.programs.models import Program
from hamkor.settings import Settings
from tests.conftest import BACKENDS
from tests.fixtures.core import csrf_of, log_in

TODAY = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
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
#: The sections of the workspace page, by their element ids.
SECTIONS = ("my-day", "desk", "program", "courses", "trail", "house-waiting")


@dataclass
class Demo:
    db: Session
    client: Callable[[str], TestClient]


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """The demo in a transaction rolled back at the end; the app's sessions join it."""
    engine = request.getfixturevalue(f"{request.param}_engine")
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("workspaces"),
        secret_key="test-secret-key",
        database_url="sqlite://",
        job_workers=0,
    )
    with engine.connect() as connection, pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: TODAY)
        outer = connection.begin()
        sessions = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        clients: list[TestClient] = []

        def client(username: str) -> TestClient:
            made = TestClient(create_app(settings, sessions), headers={"accept-language": "en"})
            made.__enter__()
            clients.append(made)
            return log_in(made, username, DEMO_PASSWORD)

        with sessions() as db:
            load_demo(db)
            db.commit()
            yield Demo(db=db, client=client)
        for made in clients:
            made.__exit__(None, None, None)
        outer.rollback()


def _tree(page: str) -> html.HtmlElement:
    tree = html.fromstring(page)
    assert isinstance(tree, html.HtmlElement)
    return tree


def _elements(tree: html.HtmlElement, xpath: str) -> list[html.HtmlElement]:
    found = tree.xpath(xpath)
    assert isinstance(found, list)
    return [element for element in found if isinstance(element, html.HtmlElement)]


def _strings(tree: html.HtmlElement, xpath: str) -> list[str]:
    found = tree.xpath(xpath)
    assert isinstance(found, list)
    return [str(value) for value in found]


def _by_id(tree: html.HtmlElement, element_id: str) -> html.HtmlElement:
    found = _elements(tree, f"//*[@id='{element_id}']")
    assert len(found) == 1, element_id
    return found[0]


def _sections(page: str) -> set[str]:
    tree = _tree(page)
    return {section for section in SECTIONS if _elements(tree, f"//*[@id='{section}']")}


def _program_id(db: Session, code: str) -> int:
    return db.scalars(select(Program.id).where(Program.code == code)).one()


def test_the_specialist_lands_on_their_day(demo: Demo) -> None:
    client = demo.client("specialist")
    page = client.get("/")
    assert page.status_code == 200
    assert _sections(page.text) == {"my-day"}
    tree = _tree(page.text)
    # Today is outside the program: its first day of their work is shown, and said.
    assert "Monday, October 13, 2025" in _by_id(tree, "my-day-title").text_content()
    assert tree.find_class("outside")
    assert "/?day=2025-10-14" in _strings(tree, "//a[@rel='next']/@href")
    bukhara = _tree(client.get("/?day=2025-10-16").text)
    titles = [h.text_content() for h in _elements(bukhara, "//article[contains(@class, 'led')]/h2")]
    assert "Consultations of children with solid tumours" in titles
    patients = _elements(
        bukhara, "//article[contains(@class, 'led')]//a[starts-with(@href, '/care/patients/')]"
    )
    assert len(patients) >= 1
    assert _strings(bukhara, "//a[@rel='prev']/@href") == ["/?day=2025-10-15"]


def test_the_registrar_lands_on_the_desk_and_the_first_referral_can_be_booked(
    demo: Demo,
) -> None:
    client = demo.client("registrar")
    page = client.get("/")
    assert page.status_code == 200
    assert _sections(page.text) == {"desk"}
    tree = _tree(page.text)
    assert _elements(tree, "//table[@id='desk-sessions']//a[starts-with(@href, '/care/sessions/')]")
    rows = _elements(tree, "//table[@id='desk-waitlist']/tbody/tr")
    blocked = [row for row in rows if row.find_class("blocked")]
    # Missing consent is said on the row, before anyone clicks.
    assert blocked
    assert all("consent to treatment" in row.text_content() for row in blocked)
    assert not _elements(blocked[0], ".//a[contains(@href, '/book')]")
    book = _strings(rows[0], ".//a[contains(@href, '/book')]/@href")
    assert book, "the first waiting referral can be booked"
    form = _elements(_tree(client.get(book[0]).text), "//form[@class='slots']")[0]
    booked = client.post(
        book[0],
        data={
            "csrf_token": csrf_of(client.get(book[0]).text),
            "activity_id": _strings(form, ".//input[@name='activity_id']/@value")[0],
            "slot": _strings(form, ".//button[@name='slot']/@value")[0],
        },
        follow_redirects=False,
    )
    assert booked.status_code == 303
    demo.db.rollback()


def test_a_coordinator_lands_on_the_dashboard_with_the_programs_state(demo: Demo) -> None:
    client = demo.client("coordinator")
    landing = client.get("/", follow_redirects=False)
    program = _program_id(demo.db, "KZ-UZ-2025")
    assert landing.status_code == 303
    assert landing.headers["location"] == f"/programs/{program}"
    tree = _tree(client.get(landing.headers["location"]).text)
    state = _by_id(tree, "program-state")
    text = state.text_content()
    assert "The program ended on" in text
    assert "requested activities not yet placed" in text
    assert "follow-ups past due" in text or "follow-up past due" in text
    assert not _elements(tree, "//*[@id='desk-waitlist' or @id='my-day']")


def test_the_institution_coordinator_lands_on_their_house(demo: Demo) -> None:
    page = demo.client("vakhidov").get("/")
    assert page.status_code == 200
    assert _sections(page.text) == {"house-waiting"}
    tree = _tree(page.text)
    assert int(_strings(tree, "//*[@id='house-waiting']/strong/text()")[0]) >= 1
    assert _elements(
        tree, "//ul[@id='house-people']/li/a[starts-with(@href, '/directory/people/')]"
    )
    assert _elements(tree, "//ul[@id='house-agreements']/li/a[starts-with(@href, '/agreements/')]")
    # A count of their waiting patients, and no patient named.
    assert not _elements(tree, "//a[starts-with(@href, '/care/patients/')]")


def test_the_trainee_lands_on_their_courses_and_certificates(demo: Demo) -> None:
    page = demo.client("trainee").get("/")
    assert _sections(page.text) == {"courses"}
    tree = _tree(page.text)
    numbers = _elements(tree, "//section[@id='courses']//a[starts-with(@href, '/certificates/')]")
    assert numbers
    assert numbers[0].text_content().startswith("HMK-2025-")
    assert "None: the course is over." in _by_id(tree, "courses").text_content()


def test_the_auditor_lands_on_the_trail(demo: Demo) -> None:
    page = demo.client("auditor").get("/")
    assert _sections(page.text) == {"trail"}
    tree = _tree(page.text)
    assert _elements(tree, "//section[@id='trail']//tbody/tr")
    assert not _elements(tree, "//a[starts-with(@href, '/care/patients/')]")


@pytest.mark.parametrize("username", ROLES)
def test_the_menu_leads_to_no_refusal(demo: Demo, username: str) -> None:
    client = demo.client(username)
    tree = _tree(client.get("/").text)
    links = _strings(tree, "//header//nav/a/@href")
    assert links
    for link in links:
        assert client.get(link).status_code == 200, (username, link)
    assert ("/audit" in links) == (username in ("admin", "auditor"))
    assert ("/care/patients" in links) == (
        username in ("admin", "ministry", "coordinator", "registrar", "specialist")
    )
    assert client.get("/audit").status_code in ((200,) if "/audit" in links else (403,))
