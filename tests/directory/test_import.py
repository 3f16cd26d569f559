"""Bulk imports: CSV and XLSX, every refused cell reported by line and column, all or nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hamkor.core import migrate
from hamkor.core.access import AccessDenied, Actor, Grant
from hamkor.core.db import Base, make_engine, make_sessionmaker, transaction
from hamkor.core.errors import UserError
from hamkor.core.importing import ImportResult, open_sheet
from hamkor.core.models import AuditEntry, Role
from hamkor.directory.importing import import_file
from hamkor.directory.models import City, Institution, Person, Room
from hamkor.directory.schemas import ImportKind
from hamkor.directory.service import ensure_country
from hamkor.settings import ROOT, get_settings
from tests.fixtures.core import ClientFactory, UserFactory, csrf_of
from tests.fixtures.directory import TASHKENT, SpecialtyFactory

SAMPLES = ROOT / "docs" / "formats" / "samples"
ADMIN = Actor(user_id=1, username="admin", grants=(Grant(Role.PLATFORM_ADMIN),))


def run(db: Session, kind: ImportKind, content: bytes, actor: Actor = ADMIN) -> ImportResult:
    return import_file(db=db, actor=actor, kind=kind, file=io.BytesIO(content))


def problems(result: ImportResult) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.render("en")) for e in result.errors]


def count(db: Session, model: type[Base]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def program_places(
    tashkent: City, samarkand: City, almaty: City, create_specialty: SpecialtyFactory
) -> None:
    """What the documented samples refer to: the cities and specialties of the 2025 programme."""
    create_specialty("traumatology", {"ru": "Травматология и ортопедия", "en": "Traumatology"})
    create_specialty("neurosurgery", {"ru": "Нейрохирургия", "en": "Neurosurgery"})


@pytest.mark.usefixtures("program_places")
def test_the_documented_samples_import_in_order(db: Session) -> None:
    created = {kind: run(db, kind, (SAMPLES / f"{kind}.csv").read_bytes()) for kind in ImportKind}
    assert {kind: (r.created, r.errors) for kind, r in created.items()} == {
        ImportKind.INSTITUTIONS: (3, []),
        ImportKind.ROOMS: (4, []),
        ImportKind.PEOPLE: (3, []),
    }
    riato = db.scalar(select(Institution).where(Institution.code == "UZ-RIATO"))
    assert riato is not None
    assert riato.country.code == "UZ"  # left blank: the city's country
    assert riato.names["uz-Cyrl"].startswith("Республика ихтисослаштирилган")
    assert [room.code for room in riato.rooms] == ["HALL", "OR-1"]
    person = db.scalar(select(Person).where(Person.code == "KZ-TR-002"))
    assert person is not None
    assert [s.code for s in person.specialties] == ["neurosurgery", "traumatology"]
    assert (person.languages, person.email, person.position["en"]) == (
        ["kk", "ru", "en"],
        None,
        "Orthopaedic surgeon",
    )
    imports = db.scalars(
        select(AuditEntry.entity).where(AuditEntry.action == "import").order_by(AuditEntry.id)
    )
    assert list(imports) == ["institutions", "rooms", "people"]


def test_an_xlsx_workbook_imports_like_a_csv(db: Session, tashkent: City) -> None:
    content = xlsx(
        [
            ["code", "kind", "city", "names.ru", "names.uz"],
            ["UZ-RSCC", "hospital", "TAS", "Кардиологический центр", "Kardiologiya markazi"],
            [None, None, None, None, None],
            ["UZ-RSNPMCP", "research_centre", "TAS", "Центр педиатрии", None],
        ]
    )
    result = run(db, ImportKind.INSTITUTIONS, content)
    assert (result.created, result.errors) == (2, [])
    codes = db.scalars(select(Institution.code).order_by(Institution.code))
    assert list(codes) == ["UZ-RSCC", "UZ-RSNPMCP"]


def test_xlsx_numbers_read_as_typed(db: Session, create_institution: Any, tashkent: City) -> None:
    create_institution("UZ-RSCC", {"ru": "Центр"}, city=tashkent)
    content = xlsx(
        [
            ["institution", "code", "kind", "capacity", "names.en"],
            ["UZ-RSCC", 101, "consultation_room", 4.0, "Room 101"],
        ]
    )
    assert run(db, ImportKind.ROOMS, content).created == 1
    room = db.scalar(select(Room))
    assert room is not None
    assert (room.code, room.capacity) == ("101", 4)


def test_a_csv_with_a_byte_order_mark_and_semicolons(db: Session, tashkent: City) -> None:
    text = "code;kind;city;names.ru\r\nUZ-A;clinic;TAS;Клиника; «Шифо»\r\n"
    refused = run(db, ImportKind.INSTITUTIONS, "\ufeff".encode() + text.encode())
    assert problems(refused) == [(2, "", "This row has more cells than the header has columns.")]
    quoted = text.replace("Клиника; «Шифо»", '"Клиника; «Шифо»"')
    result = run(db, ImportKind.INSTITUTIONS, "\ufeff".encode() + quoted.encode())
    assert result.created == 1
    institution = db.scalar(select(Institution))
    assert institution is not None
    assert institution.names == {"ru": "Клиника; «Шифо»"}


def test_every_bad_row_is_reported_and_nothing_is_written(
    db: Session, vakhidov: Institution
) -> None:
    content = "\n".join(
        [
            "institution,code,kind,capacity,names.ru,names.en",
            "UZ-VAKHIDOV,OR-2,operating_room,8,Операционная 2,Operating room 2",
            "UZ-NOWHERE,OR-3,operating_room,8,Операционная 3,",
            "UZ-VAKHIDOV,OR-4,operating_room,-1,Операционная 4,",
            "UZ-VAKHIDOV,OR-2,cath_lab,4,Ангиограф,",
            "UZ-VAKHIDOV,OR-5,lecture_hall,100,,",
            "",
            "UZ-VAKHIDOV,OR-1,garage,twelve,Гараж,",
        ]
    ).encode()
    result = run(db, ImportKind.ROOMS, content)
    assert result.created == 0
    assert problems(result) == [
        (3, "institution", "Nothing with the code UZ-NOWHERE exists."),
        (4, "capacity", "Must be greater than 0."),
        (5, "code", "Line 2 has the same code; codes must be unique."),
        (6, "names", "This field is required."),
        (8, "capacity", "Enter a whole number."),
        (8, "kind", "Choose one of the offered values."),
    ]
    assert count(db, Room) == 0
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "import")) is None


def test_codes_already_in_the_directory_are_refused(
    db: Session, vakhidov_theatre: Room, syzganov_surgeon: Person, tashkent: City
) -> None:
    institutions = b"code,kind,city,names.en\nUZ-VAKHIDOV,hospital,TAS,Again\n"
    assert problems(run(db, ImportKind.INSTITUTIONS, institutions)) == [
        (2, "code", "The code UZ-VAKHIDOV is already in the directory.")
    ]
    rooms = b"institution,code,kind,capacity,names.en\nUZ-VAKHIDOV,OR-1,cath_lab,3,Lab\n"
    assert problems(run(db, ImportKind.ROOMS, rooms))[0][1:] == (
        "code",
        "The code OR-1 is already in the directory.",
    )
    people = b"code,names.en,specialties\nKZ-AKHMETOV,Again,cardiac_surgery;oncology\n"
    assert problems(run(db, ImportKind.PEOPLE, people)) == [
        (2, "code", "The code KZ-AKHMETOV is already in the directory."),
        (2, "specialties", "Nothing with the code oncology exists."),
    ]


def test_a_wrong_header_refuses_the_file_before_its_rows(db: Session) -> None:
    misspelt = run(db, ImportKind.INSTITUTIONS, b"code,kind,city,name.ru\nX,clinic,TAS,X\n")
    assert problems(misspelt) == [
        (
            1,
            "name.ru",
            "Unknown column; the columns are: code, kind, names.ru, names.uz, names.uz-Cyrl, "
            "names.kk, names.en, org_identifier, city, country.",
        ),
        (1, "names", "This column is missing."),
    ]
    repeated = run(db, ImportKind.INSTITUTIONS, b"code,kind,names.ru,code\nX,clinic,X,Y\n")
    assert problems(repeated) == [
        (1, "city", "This column is missing."),
        (1, "code", "This column appears twice."),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty; its first line must name the columns."),
        ("code,names.ru\n".encode("cp1251") + "Больница\n".encode("cp1251"), "The file is neither"),
        (b"PK\x03\x04 not really a workbook", "The file could not be read as an XLSX workbook."),
    ],
)
def test_an_unreadable_file_is_refused_as_a_whole(content: bytes, message: str) -> None:
    with pytest.raises(UserError) as caught, open_sheet(io.BytesIO(content)) as sheet:
        list(sheet.rows)
    [error] = caught.value.errors
    assert error.field == "file"
    assert error.message.render("en").startswith(message)


def test_importers_change_only_their_own_institutions(
    db: Session, vakhidov: Institution, syzganov: Institution
) -> None:
    coordinator = Actor(
        user_id=7, username="coord", grants=(Grant(Role.INSTITUTION_COORDINATOR, vakhidov.id),)
    )
    content = (
        b"code,names.en,institution\n"
        b"UZ-P1,Dilnoza Karimova,UZ-VAKHIDOV\n"
        b"KZ-P2,Aigerim Seitkali,KZ-SYZGANOV\n"
        b"UZ-P3,Jasur Rakhimov,\n"
    )
    assert problems(run(db, ImportKind.PEOPLE, content, coordinator)) == [
        (3, "institution", "You may not change the institution KZ-SYZGANOV."),
        (
            4,
            "institution",
            "Only platform admins and program coordinators may add people of no institution.",
        ),
    ]
    assert count(db, Person) == 0
    with pytest.raises(AccessDenied):
        run(db, ImportKind.INSTITUTIONS, b"code,kind,city,names.en\n", coordinator)


def post_upload(client: TestClient, kind: str, filename: str, content: bytes) -> Any:
    token = csrf_of(client.get("/directory/import").text)
    return client.post(
        "/directory/import",
        data={"kind": kind, "csrf_token": token},
        files={"file": (filename, content)},
        headers={"accept-language": "en"},
    )


@pytest.mark.usefixtures("program_places")
def test_the_import_page_imports_a_good_file(admin_client: TestClient, db: Session) -> None:
    page = admin_client.get("/directory/import", headers={"accept-language": "en"})
    assert 'enctype="multipart/form-data"' in page.text
    assert "code, kind, capacity, names.ru" in page.text
    content = (SAMPLES / "institutions.csv").read_bytes()
    response = post_upload(admin_client, "institutions", "institutions.csv", content)
    assert response.status_code == 200
    assert "3 records were imported." in response.text
    assert count(db, Institution) == 3


def test_the_import_page_shows_the_refused_rows(
    admin_client: TestClient, db: Session, tashkent: City
) -> None:
    content = xlsx(
        [
            ["code", "kind", "city", "names.en"],
            ["UZ-A", "clinic", "SAM", "A"],
            ["UZ-B", "clinic", "TAS", None],
            ["UZ-A", "clinic", "TAS", "A again"],
        ]
    )
    response = post_upload(admin_client, "institutions", "clinics.xlsx", content)
    assert response.status_code == 422
    assert "because of 3 problems; nothing was imported" in response.text
    assert (
        '<tr><td class="num">2</td><td>city</td><td>Nothing with the code SAM exists.</td></tr>'
        in response.text
    )
    assert (
        '<tr><td class="num">3</td><td>names</td><td>This field is required.</td></tr>'
        in response.text
    )
    assert '<td class="num">4</td><td>code</td>' in response.text
    assert count(db, Institution) == 0


def test_the_import_page_wants_a_kind_and_a_file(admin_client: TestClient) -> None:
    token = csrf_of(admin_client.get("/directory/import").text)
    response = admin_client.post(
        "/directory/import",
        data={"kind": "", "csrf_token": token},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    assert '<p class="error" id="e-kind">This field is required.</p>' in response.text
    response = admin_client.post(
        "/directory/import",
        data={"kind": "rooms", "csrf_token": token},
        headers={"accept-language": "ru"},
    )
    assert response.status_code == 422
    assert 'id="e-file"' in response.text


def test_a_coordinator_may_not_import_institutions_from_the_page(
    client_for: ClientFactory, create_user: UserFactory, db: Session, vakhidov: Institution
) -> None:
    client = client_for(create_user(Role.INSTITUTION_COORDINATOR, institution_id=vakhidov.id))
    response = post_upload(client, "institutions", "x.csv", b"code,kind,city,names.en\n")
    assert response.status_code == 403
    denial = db.scalar(select(AuditEntry).where(AuditEntry.action == "denied"))
    assert denial is not None
    assert denial.entity == "institutions"


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite file that the command's settings point at, with Tashkent in it."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    with transaction(make_sessionmaker(engine)) as db:
        db.add(City(code="TAS", country=ensure_country(db, "UZ"), names=TASHKENT,
                    latitude=41.2995, longitude=69.2401, timezone="Asia/Tashkent"))  # fmt: skip
    monkeypatch.setenv("HAMKOR_DATABASE_URL", url)
    monkeypatch.setenv("HAMKOR_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    engine.dispose()


def test_the_command_imports_a_file(cli_database: str, tmp_path: Path) -> None:
    from hamkor.cli import app

    good = tmp_path / "institutions.csv"
    good.write_text("code,kind,city,names.ru\nUZ-RSCC,hospital,TAS,Кардиоцентр\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "institutions", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 institutions imported" in result.output
    engine = make_engine(cli_database)
    with make_sessionmaker(engine)() as db:
        assert list(db.scalars(select(Institution.code))) == ["UZ-RSCC"]
    engine.dispose()


def test_the_command_prints_the_refused_rows_and_fails(cli_database: str, tmp_path: Path) -> None:
    from hamkor.cli import app

    bad = tmp_path / "rooms.csv"
    bad.write_text(
        "institution,code,kind,capacity,names.en\n"
        "UZ-X,OR,operating_room,10,OR\n"
        "UZ-X,LAB,cath_lab,0,Lab\n"
    )
    result = CliRunner().invoke(app, ["import", "rooms", str(bad)])
    assert result.exit_code == 1
    # In the default language (Russian), as the other commands speak.
    assert "Problems to correct: 2" in result.output
    assert "│    2 │ institution │" in result.output
    assert "UZ-X" in result.output
    assert "│    3 │ capacity    │" in result.output
    unknown_user = CliRunner().invoke(app, ["import", "rooms", str(bad), "--user", "nobody"])
    assert unknown_user.exit_code == 1
    assert "nobody" in unknown_user.output
