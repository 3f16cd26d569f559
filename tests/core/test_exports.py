"""The export service: a list described once, written as CSV and as XLSX (issue 19)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest

from hamkor.core import exports
from hamkor.core.exports import Column, Kind, Listing, local, plain
from hamkor.core.i18n import Translator


@dataclass(frozen=True)
class Visit:
    person: str
    day: date
    at: datetime
    patients: int
    hours: Decimal
    done: bool


#: Headers that the catalogs translate (they are the pages' own).
VISITS: Listing[Visit] = Listing(
    title="Participants",
    slug="participants",
    columns=(
        Column("Person", plain(lambda v: v.person), width=30),
        Column("Day", plain(lambda v: v.day), Kind.DATE, 12),
        Column("Starts", plain(lambda v: local(v.at, "Asia/Tashkent")), Kind.DATETIME, 17),
        Column("Patient", plain(lambda v: v.patients), Kind.INT),
        Column("Hours", plain(lambda v: v.hours), Kind.DECIMAL),
        Column("Revoked", plain(lambda v: v.done), Kind.BOOL),
    ),
)

ROWS = [
    Visit(
        "Қожахметова Жансая",
        date(2025, 10, 13),
        datetime(2025, 10, 13, 4, 0, tzinfo=UTC),
        12,
        Decimal("1.5"),
        True,
    ),
    Visit(
        '=HYPERLINK("http://x")',
        date(2025, 10, 14),
        datetime(2025, 10, 14, 23, 30, tzinfo=UTC),
        0,
        Decimal("0"),
        False,
    ),
]


def _xlsx(language: str, rows: list[Visit] = ROWS) -> openpyxl.Workbook:
    out = io.BytesIO()
    written = exports.write_xlsx(VISITS, rows, Translator(language), out)
    assert written == len(rows)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def test_xlsx_has_typed_cells_a_styled_frozen_header_and_a_filter() -> None:
    sheet = _xlsx("kk").active
    assert sheet is not None

    header = [cell.value for cell in sheet[1]]
    assert header[0] == "Қатысушы"
    assert sheet.title == "Қатысушылар"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F3"
    assert sheet.cell(1, 1).font.b
    assert sheet.column_dimensions["A"].width == pytest.approx(30, abs=1)
    first = [cell.value for cell in sheet[2]]
    assert first == [
        "Қожахметова Жансая",
        datetime(2025, 10, 13),
        datetime(2025, 10, 13, 9, 0),  # 04:00 UTC on Tashkent's clocks
        12,
        1.5,
        True,
    ]
    assert sheet.cell(2, 2).number_format == "dd.mm.yyyy"
    assert sheet.cell(2, 3).number_format == "dd.mm.yyyy hh:mm"
    # A text that looks like a formula stays text in a typed workbook.
    assert sheet.cell(3, 1).value == '=HYPERLINK("http://x")'
    assert sheet.cell(3, 1).data_type == "s"
    # 23:30 UTC is already the next day in Tashkent.
    assert sheet.cell(3, 3).value == datetime(2025, 10, 15, 4, 30)


def test_xlsx_in_english_writes_dates_in_iso_order() -> None:
    sheet = _xlsx("en").active
    assert sheet is not None
    assert sheet.cell(1, 1).value == "Person"
    assert sheet.cell(2, 2).number_format == "yyyy-mm-dd"


def test_an_empty_list_is_a_header_with_its_filter() -> None:
    sheet = _xlsx("ru", []).active
    assert sheet is not None
    assert sheet.max_row == 1
    assert sheet.auto_filter.ref == "A1:F1"


def test_csv_is_utf8_with_a_byte_order_mark_and_parses_back() -> None:
    out = io.BytesIO()
    exports.write_csv(VISITS, ROWS, Translator("uz"), out)
    content = out.getvalue()

    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][0] == "Ishtirokchi"
    assert rows[1] == ["Қожахметова Жансая", "2025-10-13", "2025-10-13 09:00", "12", "1.5", "ha"]
    # A cell a spreadsheet would run as a formula is quoted as text.
    assert rows[2][0] == '\'=HYPERLINK("http://x")'
    assert rows[2][2] == "2025-10-15 04:30"
    assert rows[2][5] == "yoʻq"


def test_the_file_is_named_in_the_readers_language_and_by_its_slug() -> None:
    title = Translator("uz-Cyrl").gettext(VISITS.title)
    disposition = exports.disposition(title, VISITS.slug, "KZ-UZ-2025", "xlsx")

    plain_name = re.search(r'filename="([^"]+)"', disposition)
    local_name = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert disposition.startswith("attachment; ")
    assert plain_name
    assert plain_name.group(1) == "participants-KZ-UZ-2025.xlsx"
    assert local_name
    assert unquote(local_name.group(1)) == "Иштирокчилар KZ-UZ-2025.xlsx"


def test_sheet_names_keep_to_excels_rules() -> None:
    assert exports.sheet_name("Итоги: апрель/май [черновик]?") == "Итоги  апрель май  черновик"
    assert len(exports.sheet_name("x" * 40)) == 31
