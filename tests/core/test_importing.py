"""Reading import files: streamed, in bounded memory, within size, row, line and cell limits.

The hostile files of issue 15 are built here by hand: a 1.5 KB workbook whose sheet declares
16,384 × 1,048,576 cells, a zip bomb, a sheet that jumps past the last row a worksheet has, XML
entities, a CSV line with no end.
"""

from __future__ import annotations

import io

import pytest
from pydantic import BaseModel

from hamkor.core.errors import UserError
from hamkor.core.i18n import Message
from hamkor.core.importing import (
    MAX_CELL_CHARS,
    MAX_REPORTED,
    ImportResult,
    Limits,
    RowError,
    SheetRow,
    count_rows,
    open_sheet,
    parse_rows,
)
from hamkor.core.names import Names
from tests.fixtures.imports import MIB, peak_memory, workbook


def read_all(content: bytes, limits: Limits | None = None) -> list[SheetRow]:
    with open_sheet(io.BytesIO(content), limits) as sheet:
        return list(sheet.rows)


def refusal(content: bytes, limits: Limits | None = None) -> str:
    with pytest.raises(UserError) as caught:
        read_all(content, limits)
    [error] = caught.value.errors
    assert error.field == "file"
    return error.message.render("en")


def test_a_sheet_declaring_every_cell_of_a_worksheet_is_read_as_the_cells_it_has() -> None:
    rows = {1: ("code", "kind"), 2: ("X", "hospital"), 100_000: ("Y", "clinic")}
    content = workbook(rows, dimension="A1:XFD1048576")
    assert len(content) < 2048  # the 1.5 KB file of issue 15
    with peak_memory() as peak:
        read = read_all(content)
    assert [(row.line, row.cells) for row in read] == [
        (2, {"code": "X", "kind": "hospital"}),
        (100_000, {"code": "Y", "kind": "clinic"}),
    ]
    assert peak() < 4 * MIB  # issue 15: 3.8 GB, every row padded to 16,384 cells


def test_a_zip_bomb_is_refused_before_it_is_opened() -> None:
    spaces = " " * (11 * MIB)  # compresses to about 11 KB
    content = workbook({1: ("code",), 2: (f"X{spaces}",)})
    assert len(content) < 64 * 1024
    with peak_memory() as peak:
        message = refusal(content, Limits(max_bytes=MIB))
    assert message == "The workbook expands to more than 10 MB; it cannot be read."
    assert peak() < 2 * MIB


def test_a_sheet_going_past_the_last_row_of_a_worksheet_is_refused() -> None:
    content = workbook({1: ("code",), 2: ("X",), 2_000_000: ("Y",)})
    message = refusal(content)
    assert message == "The file goes on past line 1048576, the most a spreadsheet has."


def test_a_workbook_declaring_xml_entities_is_refused() -> None:
    entities = '<!DOCTYPE lol [<!ENTITY lol "lololololololololol">]>'
    content = workbook({1: ("code",), 2: ("&lol;",)}, prolog=entities)
    assert refusal(content) == "The file could not be read as an XLSX workbook."


def test_a_csv_line_without_an_end_is_not_read_whole() -> None:
    content = b"code,names.en\n" + b"x" * (8 * MIB)
    with peak_memory() as peak:
        message = refusal(content, Limits(max_bytes=16 * MIB))
    assert message == "Line 2 is longer than 262144 characters; the file cannot be read."
    assert peak() < 4 * MIB


def test_a_quoted_csv_cell_past_the_longest_a_spreadsheet_holds_is_refused() -> None:
    lines = "\n".join(["x" * 1000] * 40)
    content = f'code,names.en\nX,"{lines}"\n'.encode()
    assert refusal(content) == "The file could not be read as CSV."


def test_a_file_larger_than_the_limit_is_refused_unread() -> None:
    content = b"code\n" + b"X\n" * 600
    assert refusal(content, Limits(max_bytes=1024)) == (
        "The file is larger than 0.001 MB, the most an upload may be."
    )


def test_a_file_of_more_rows_than_the_limit_is_refused() -> None:
    content = b"code\nA\nB\n\n\nC\nD\n"
    assert len(read_all(content, Limits(max_rows=4))) == 4
    assert refusal(content, Limits(max_rows=3)) == (
        "The file has more than 3 rows; split it into several files."
    )


def test_counting_rows_rewinds_the_file() -> None:
    file = io.BytesIO(b"code\nA\n\nB\n")
    assert count_rows(file) == 2
    assert file.tell() == 0


def test_an_excel_97_workbook_is_told_apart_by_its_content() -> None:
    content = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert refusal(content) == "Workbooks of Excel 97-2003 (.xls) are not read; save it as XLSX."


class _Named(BaseModel):
    code: str
    names: Names


def _parsed(content: bytes) -> tuple[int, list[RowError], int]:
    with open_sheet(io.BytesIO(content)) as sheet:
        parsed = parse_rows(sheet, _Named)
    return len(parsed.rows), parsed.errors, parsed.unkept


def test_a_cell_longer_than_any_field_takes_is_refused_on_its_row() -> None:
    name = "N" * (MAX_CELL_CHARS + 1)
    good, errors, _unkept = _parsed(f"code,names.en\nA,{name}\nB,Bekov\n".encode())
    assert good == 1
    assert [(e.line, e.column, e.render("en")) for e in errors] == [
        (2, "names.en", f"Must be at most {MAX_CELL_CHARS} characters.")
    ]


def test_the_report_keeps_the_first_problems_and_counts_the_others() -> None:
    rows = "".join(f"C{n},\n" for n in range(MAX_REPORTED + 500))
    _good, errors, unkept = _parsed(f"code,names.en\n{rows}".encode())
    result = ImportResult.refused(errors, unkept)
    assert len(result.errors) == MAX_REPORTED
    assert result.error_count == MAX_REPORTED + 500
    assert result.errors[0].line == 2


def test_a_report_survives_the_jobs_json() -> None:
    message = Message("Nothing with the code %(value)s exists.", {"value": "X"})
    result = ImportResult.refused([RowError(3, "code", message)], 2)
    assert ImportResult.from_json(result.to_json()) == result
