"""Every list a person reads downloads as CSV and XLSX with the page's own filters (issue 19).

The demo is loaded once per database; each list's XLSX, read back with openpyxl, must hold the
rows the page shows for the same filter (compared cell by cell on a column the page shows as
text), with typed cells, a frozen header and an autofilter; its CSV must parse to the same
rows; a reader the page refuses is refused the file too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import openpyxl
import pytest
from fastapi.testclient import TestClient
from lxml import html
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.app import create_app
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.core.models import AuditEntry, User
from hamkor.core.users import create_user
from hamkor.demo.loader import load_demo
from hamkor.directory.models import City
from hamkor.programs.models import Activity, ActivityKind, Program
from hamkor.settings import Settings
from hamkor.training.models import Course
from tests.conftest import BACKENDS
from tests.fixtures.core import PASSWORD, log_in

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Demo:
    """The demo, an app over it, and the ids the lists' addresses need."""

    db: Session
    client: Callable[..., TestClient]
    ids: dict[str, int]


def _ids(db: Session) -> dict[str, int]:
    program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
    other = db.scalars(select(Program).where(Program.code == "UZ-RU-TASHREG-2025")).one()
    tashkent = db.scalars(select(City).where(City.names["en"].as_string() == "Tashkent")).one()
    session = db.scalars(
        select(Activity)
        .where(
            Activity.program_id == program.id,
            Activity.kind == ActivityKind.CONSULTATION_SESSION,
        )
        .order_by(Activity.starts_at, Activity.id)
    ).first()
    assert session is not None
    course = db.scalars(select(Course).where(Course.code == "MOS-OBGYN-2025")).one()
    return {
        "program": program.id,
        "other": other.id,
        "tashkent": tashkent.id,
        "session": session.id,
        "course": course.id,
    }


@pytest.fixture(scope="module", params=BACKENDS)
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """The demo in a transaction rolled back at the end; the app's sessions join it."""
    engine = request.getfixturevalue(f"{request.param}_engine")
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("exports"),
        secret_key="test-secret-key",
        database_url="sqlite://",
        job_workers=0,
        # Each list on one page, so that the page's rows are the file's (which holds them all).
        page_size=500,
    )
    with engine.connect() as connection:
        outer = connection.begin()
        sessions = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        clients: list[TestClient] = []

        def client(username: str, password: str = DEMO_PASSWORD) -> TestClient:
            made = TestClient(create_app(settings, sessions))
            made.__enter__()
            clients.append(made)
            return log_in(made, username, password)

        with sessions() as db:
            load_demo(db)
            db.commit()
            yield Demo(db=db, client=client, ids=_ids(db))
        for made in clients:
            made.__exit__(None, None, None)
        outer.rollback()


@dataclass(frozen=True)
class Case:
    """A list: who reads it, its page with a filter, where the page's rows are, which cell of
    a page row shows which column of the file, and columns whose cells must have a type."""

    name: str
    user: str
    url: str
    rows: str
    page_cell: int
    file_column: int
    typed: dict[int, type]
    #: The page's cell holds more than the file's (a title with its kind below it).
    contains: bool = False


CASES = [
    Case(
        "calendar",
        "coordinator",
        "/programs/{program}/calendar?by=city&city={tashkent}",
        "//table[contains(@class, 'calendar')]/tbody/tr",
        1,
        4,
        {1: datetime, 2: datetime, 11: int},
        contains=True,
    ),
    Case(
        "participants",
        "coordinator",
        "/programs/{program}/participants",
        "//table[contains(@class, 'data')]/tbody/tr",
        0,
        0,
        {5: datetime},
    ),
    Case(
        "itineraries",
        "coordinator",
        "/programs/{program}/itinerary",
        "//section[contains(@class, 'itinerary')]//tbody/tr[count(td) = 3]",
        2,
        6,
        {2: datetime, 4: datetime},
        contains=True,
    ),
    Case(
        "waitlist",
        "registrar",
        "/care/waitlist?status=waiting",
        "//table[contains(@class, 'data')]/tbody/tr",
        1,
        1,
        {0: int},
    ),
    Case(
        "check-in list",
        "admin",
        "/care/sessions/{session}",
        "//table[contains(@class, 'check-in')]/tbody/tr",
        1,
        2,
        {0: datetime, 1: datetime, 3: datetime},
    ),
    Case(
        "follow-ups",
        "registrar",
        "/care/follow-ups",
        "//table[contains(@class, 'data')]/tbody/tr",
        1,
        2,
        {0: datetime, 1: bool},
    ),
    Case(
        "courses",
        "coordinator",
        "/training?kind=master_class",
        "//table[contains(@class, 'data')]/tbody/tr",
        0,
        1,
        {3: datetime, 7: int},
        contains=True,
    ),
    Case(
        "trainees",
        "admin",
        "/training/courses/{course}",
        "//table[@id = 'enrolments']/tbody/tr",
        0,
        0,
        {3: int},
    ),
    Case(
        "certificates",
        "admin",
        "/certificates",
        "//table[contains(@class, 'data')]/tbody/tr",
        0,
        0,
        {4: datetime, 6: bool},
    ),
    Case(
        "cascade reach",
        "coordinator",
        "/training/courses/{course}/reach",
        "//table[@id = 'reach-places']/tbody/tr",
        1,
        1,
        {2: int, 5: int},
    ),
    Case(
        "audit trail",
        "auditor",
        "/audit?action=update&entity=agreements",
        "//table[contains(@class, 'data')]/tbody/tr",
        2,
        2,
        {0: datetime},
    ),
]


def _with_format(url: str, export: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}format={export}"


@dataclass(frozen=True)
class Shown:
    """What a list page shows: the text of each cell of its rows, and its download links."""

    rows: list[list[str]]
    links: dict[str, str]


def _shown(client: TestClient, url: str, xpath: str) -> Shown:
    page = client.get(url)
    assert page.status_code == 200, page.text
    tree = html.fromstring(page.text)
    rows = tree.xpath(xpath)
    links = tree.xpath("//p[contains(@class, 'downloads')]/a")
    assert isinstance(rows, list)
    assert isinstance(links, list)
    return Shown(
        rows=[
            [" ".join(td.text_content().split()) for td in row.iterchildren("td")]
            for row in rows
            if isinstance(row, html.HtmlElement)
        ],
        links={
            link.text_content(): urljoin(url, str(link.get("href")))
            for link in links
            if isinstance(link, html.HtmlElement)
        },
    )


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_files_hold_the_rows_of_the_page(demo: Demo, case: Case) -> None:
    client = demo.client(case.user)
    url = case.url.format(**demo.ids)
    page = _shown(client, url, case.rows)
    shown = page.rows
    assert shown, f"the demo's {case.name} page shows no rows"
    # The page's own links carry its filters.
    assert page.links == {"CSV": _with_format(url, "csv"), "XLSX": _with_format(url, "xlsx")}

    response = client.get(page.links["XLSX"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    header, rows = table[0], table[1:]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    assert sheet.cell(1, 1).font.b

    assert len(rows) == len(shown)
    for page_row, file_row in zip(shown, rows, strict=True):
        text = " ".join(str(file_row[case.file_column]).split())
        cell = page_row[case.page_cell]
        assert text in cell if case.contains else text == cell
    for column, kind in case.typed.items():
        values = [row[column] for row in rows if row[column] is not None]
        assert values, f"column {header[column]} is empty"
        assert all(isinstance(value, kind) for value in values), header[column]

    as_csv = client.get(page.links["CSV"])
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert parsed[0] == header
    assert [row[case.file_column] for row in parsed[1:]] == [
        "" if row[case.file_column] is None else str(row[case.file_column]) for row in rows
    ]


def test_a_patient_list_taken_home_is_in_the_audit_trail(demo: Demo) -> None:
    client = demo.client("registrar")
    before = demo.db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0

    response = client.get("/care/waitlist?status=waiting&format=xlsx")

    assert response.status_code == 200
    entries = demo.db.scalars(
        select(AuditEntry).where(AuditEntry.id > before, AuditEntry.actor_name == "registrar")
    ).all()
    downloads = [e for e in entries if e.action == "download"]
    assert [(e.entity, e.note) for e in downloads] == [("patients", "waitlist.xlsx")]
    views = [e for e in entries if e.action == "view" and e.note == "waitlist"]
    rows = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert rows is not None
    assert len(views) == rows.max_row - 1


REFUSED = [
    "/programs/{program}/calendar",
    "/programs/{program}/participants",
    "/programs/{program}/itinerary",
    "/care/sessions/{session}",
    "/audit",
]


@pytest.mark.parametrize("url", REFUSED)
def test_a_reader_the_page_refuses_gets_no_file(demo: Demo, url: str) -> None:
    client = _outsider(demo)
    before = demo.db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0

    response = client.get(_with_format(url.format(**demo.ids), "xlsx"))

    assert response.status_code == 403
    assert "attachment" not in response.headers.get("content-disposition", "")
    denied = demo.db.scalars(
        select(AuditEntry.action).where(AuditEntry.id > before, AuditEntry.action == "denied")
    ).all()
    assert denied == ["denied"]


def _outsider(demo: Demo) -> TestClient:
    """A client of a user who holds no role anywhere (made once per database)."""
    if demo.db.scalar(select(User).where(User.username == "outsider")) is None:
        create_user(demo.db, username="outsider", password=PASSWORD, display_name="Outsider")
        demo.db.commit()
    return demo.client("outsider", PASSWORD)


def test_a_format_that_is_not_csv_or_xlsx_is_refused_naming_the_field(demo: Demo) -> None:
    client = demo.client("coordinator")
    url = "/programs/{program}/participants?format=pdf".format(**demo.ids)

    response = client.get(url)

    assert response.status_code == 422
    assert "<code>format</code>" in response.text
    assert "Выберите одно из предложенных значений." in response.text
