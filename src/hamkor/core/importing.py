"""Bulk imports from spreadsheets: read CSV or XLSX, check every row, write all or nothing.

A capability module describes one kind of import by a Pydantic row schema (the same field types
as its forms) and an :class:`Importer` that checks the rows against the database and writes one.
The rest is the same for every kind (directory, patients, referrals) and lives here: decoding,
the header, line numbers as the spreadsheet shows them, every error reported at once, progress
for the command line and the job page, and the rule that nothing is written unless every row is
good.

A file is read as a stream, never whole (issue 15: a 50 MB CSV peaked at 1.15 GB, and a 1.5 KB
XLSX declaring a sheet of 16,384 × 1,048,576 cells took 3.8 GB). Its limits are checked as it
is read: its size (``HAMKOR_IMPORT_MAX_BYTES``), what its archive expands to, its rows
(``HAMKOR_IMPORT_MAX_ROWS``), its lines and the length of a line and of a cell. Only the rows
that passed their schema are kept, for the checks against the database and the writing.

Columns are the schema's fields; a field holding a name per language (``names``) is read from one
column per language (``names.ru``, ``names.uz``, ``names.uz-Cyrl``, ``names.kk``, ``names.en``),
as the forms post it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from itertools import chain
from typing import IO, Annotated, Any, BinaryIO, Generic, Protocol, TypeVar, get_args, get_origin

from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hamkor.core import audit
from hamkor.core.body_limit import UPLOAD_TOO_LARGE
from hamkor.core.errors import FieldError, UserError, from_validation
from hamkor.core.forms import nest
from hamkor.core.i18n import LANGUAGES, N_, Message
from hamkor.settings import Settings, get_settings

RowT = TypeVar("RowT", bound=BaseModel)

_ZIP_MAGIC = b"PK\x03\x04"  # an XLSX workbook is a zip archive
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a workbook of Excel 97-2003 (.xls)
_CHUNK = 500  # codes per IN (...) query, well under every backend's limit of parameters

#: Columns read of a sheet; the widest import has 23. A cell further right is not read at all,
#: so that a row reaching column XFD costs no more than one reaching column CV.
MAX_COLUMNS = 100
#: Lines a file may have, blank ones included: a worksheet's own maximum. A sheet that jumps
#: from row 1 to row 1,048,576 is walked through its blank rows, one at a time, up to here.
MAX_LINES = 1_048_576
#: The longest cell a row may hold: the longest text any field takes (a referral's reason).
#: A longer cell is refused on its row, before its schema sees it.
MAX_CELL_CHARS = 4_000
#: The longest cell of a CSV file read at all (Excel's own maximum); past it the file is refused.
CSV_FIELD_CHARS = 32_767
#: The longest line of a CSV file read at all, so that a file without line breaks is never
#: read into memory whole.
MAX_LINE_CHARS = 256 * 1024
#: What an XLSX archive may expand to, as a multiple of the size limit (a zip bomb is refused
#: before it is opened). A 20,000-row workbook of referrals is 1.7 MB holding 22 MB.
MAX_EXPANSION = 10
#: Problems kept for the report; the others are counted (a person corrects the first ones).
MAX_REPORTED = 1_000


@dataclass(frozen=True)
class Limits:
    """How large an import may be: bytes of the file and rows after its header."""

    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 20_000

    @classmethod
    def of(cls, settings: Settings | None = None) -> Limits:
        """The limits of the settings (the process's when none are given)."""
        settings = settings or get_settings()
        return cls(max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows)

    @property
    def max_expanded_bytes(self) -> int:
        return self.max_bytes * MAX_EXPANSION


def megabytes(size: int) -> str:
    """A size for messages, in MB (``10``, ``1.5``, ``0.063``)."""
    return f"{size / (1024 * 1024):.3f}".rstrip("0").rstrip(".")


class Stage(StrEnum):
    """The steps of an import, told to a progress bar with the rows done and the rows in all."""

    READING = "reading"
    CHECKING = "checking"
    WRITING = "writing"


#: Told ``(stage, rows done, rows in all or None when not known yet)`` as the import goes.
Progress = Callable[[Stage, int, int | None], None]


@dataclass(frozen=True)
class SheetRow:
    """A row of the file: its line as a spreadsheet shows it (the header is line 1), its
    non-blank cells by column, and whether it had cells beyond the header's columns."""

    line: int
    cells: dict[str, str]
    overflow: bool = False


@dataclass(frozen=True)
class Sheet:
    """The header and the non-blank rows of the first sheet of a workbook or of a CSV file.

    ``rows`` is read as it is iterated, once; it raises :class:`UserError` (on the ``file``
    field) when the file breaks one of its limits or turns out unreadable half-way.
    """

    columns: tuple[str, ...]
    rows: Iterator[SheetRow]


@dataclass(frozen=True)
class RowError:
    """A refused cell: its line, its column (empty for the whole row) and why, translatable."""

    line: int
    column: str
    message: Message

    def render(self, language: str) -> str:
        return self.message.render(language)


@dataclass
class ImportResult:
    """What an import did: how many records it created, or why it refused the file.

    ``errors`` holds the first :data:`MAX_REPORTED` problems by line; ``error_count`` counts
    them all.
    """

    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @classmethod
    def refused(cls, errors: list[RowError], unkept: int = 0) -> ImportResult:
        """The report of ``errors`` (and of ``unkept`` more, found after them and not kept):
        the first ones by line and column, and how many in all."""
        ordered = sorted(errors, key=lambda error: (error.line, error.column))
        return cls(errors=ordered[:MAX_REPORTED], error_count=len(errors) + unkept)

    def to_json(self) -> dict[str, Any]:
        """The result as a job keeps it; the messages stay ids, translated for each reader."""
        return {
            "created": self.created,
            "error_count": self.error_count,
            "errors": [
                [error.line, error.column, error.message.text, _plain(error.message.params)]
                for error in self.errors
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImportResult:
        errors = [
            RowError(line, column, Message(text, dict(params)))
            for line, column, text, params in data.get("errors", [])
        ]
        return cls(
            created=int(data.get("created", 0)),
            errors=errors,
            error_count=int(data.get("error_count", len(errors))),
        )


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    """A message's parameters as JSON holds them (a date or a number type as its text)."""
    return {
        key: value if isinstance(value, str | int | float | bool) else str(value)
        for key, value in params.items()
    }


@dataclass(frozen=True)
class ParsedRow(Generic[RowT]):
    """A row that passed its schema, with its line for the errors the database checks find."""

    line: int
    data: RowT


class Importer(Protocol[RowT]):
    """One kind of import: its rows, the checks only the database can make, and the writing.

    :func:`run_import` calls ``check`` with every row that passed the schema, then ``write``
    once per row only when no row of the file was refused.
    """

    entity: str
    schema: type[RowT]

    def check(self, rows: Sequence[ParsedRow[RowT]]) -> list[RowError]: ...

    def write(self, row: RowT) -> None: ...


# --- reading --------------------------------------------------------------------------------


def _refuse(text: str, **params: Any) -> UserError:
    return UserError.one("file", text, **params)


_NOT_A_SHEET = N_("The file is neither an XLSX workbook nor CSV in UTF-8; save it as one of these.")
_NOT_XLSX = N_("The file could not be read as an XLSX workbook.")


def _cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV would hold (a whole number without its ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


_BLANK: list[str] = []


def _texts(values: Sequence[Any]) -> list[str]:
    """A workbook row as text, without the blank cells after its last value."""
    end = len(values)
    if values.count(None) == end:  # a blank row, told in C: a sheet may have a million
        return _BLANK
    while values[end - 1] is None:
        end -= 1
    return [_cell_text(value) for value in values[:end]]


def _size(file: IO[bytes]) -> int:
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _check_archive(file: BinaryIO, limits: Limits) -> None:
    """Refuse an archive that declares more than the expansion limit, before reading any of it.

    Python's ``zipfile`` never gives more of a member than its declared size, so the sum of
    the declared sizes bounds what the workbook can expand to (a zip bomb is refused here).
    """
    try:
        with zipfile.ZipFile(file) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _refuse(_NOT_XLSX) from error
    finally:
        file.seek(0)
    if expanded > limits.max_expanded_bytes:
        raise _refuse(
            N_("The workbook expands to more than %(megabytes)s MB; it cannot be read."),
            megabytes=megabytes(limits.max_expanded_bytes),
        )


@contextmanager
def _xlsx_values(file: BinaryIO, limits: Limits) -> Iterator[Iterator[list[str]]]:
    """The rows of the workbook's first sheet as text, read as they are needed."""
    _check_archive(file, limits)
    try:
        # openpyxl parses the XML with defusedxml (a dependency): no entity expansion.
        workbook = load_workbook(file, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as error:  # openpyxl reads untrusted XML: any failure means unreadable
        raise _refuse(_NOT_XLSX) from error
    # The sheet's <dimension> is the writer's claim, not the data: read-only openpyxl pads
    # every row to it (issue 15: A1:XFD1048576 in a 1.5 KB file). Read the rows that are there.
    sheet.reset_dimensions()
    try:
        yield _guarded(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS))
    finally:
        workbook.close()


def _guarded(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[str]]:
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as error:  # a broken part of the archive shows only when it is read
            raise _refuse(_NOT_XLSX) from error
        yield _texts(values)


def _lines(text: IO[str]) -> Iterator[str]:
    """The lines of a text, each read only up to :data:`MAX_LINE_CHARS` characters."""
    number = 0
    while line := text.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise _refuse(
                N_("Line %(line)s is longer than %(max)s characters; the file cannot be read."),
                line=number,
                max=MAX_LINE_CHARS,
            )
        yield line


@contextmanager
def _csv_values(file: BinaryIO) -> Iterator[Iterator[list[str]]]:
    """CSV in UTF-8 (a spreadsheet's byte-order mark is fine), separated by ``,`` or ``;``,
    decoded and split as it is read.

    The separator is the one the header line uses more: spreadsheets in locales with a decimal
    comma save CSV with ``;``.
    """
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    try:
        yield _csv_rows(_lines(text))
    finally:
        text.detach()  # the upload is closed by its owner, not by this reader


def _csv_rows(lines: Iterator[str]) -> Iterator[list[str]]:
    # Process-wide, and the same value every time: a quoted cell is never read past it.
    csv.field_size_limit(CSV_FIELD_CHARS)
    try:
        header = next(lines, "")
        delimiter = ";" if header.count(";") > header.count(",") else ","
        yield from csv.reader(chain([header], lines), delimiter=delimiter)
    except UnicodeDecodeError as error:
        raise _refuse(_NOT_A_SHEET) from error
    except csv.Error as error:
        raise _refuse(N_("The file could not be read as CSV.")) from error


def _sheet_rows(
    values: Iterator[list[str]], columns: Sequence[str], limits: Limits
) -> Iterator[SheetRow]:
    rows = 0
    for line, cells_of_line in enumerate(values, start=2):
        if line > MAX_LINES:
            raise _refuse(
                N_("The file goes on past line %(max)s, the most a spreadsheet has."),
                max=MAX_LINES,
            )
        if not cells_of_line:
            continue
        cells = {
            column: value.strip()
            for column, value in zip(columns, cells_of_line, strict=False)
            if column and value.strip()
        }
        overflow = any(value.strip() for value in cells_of_line[len(columns) :])
        if cells or overflow:
            rows += 1
            if rows > limits.max_rows:
                raise _refuse(
                    N_("The file has more than %(max)s rows; split it into several files."),
                    max=limits.max_rows,
                )
            yield SheetRow(line=line, cells=cells, overflow=overflow)


@contextmanager
def open_sheet(file: BinaryIO, limits: Limits | None = None) -> Iterator[Sheet]:
    """The header of an uploaded file, XLSX or CSV (told apart by their first bytes), and its
    rows to read one by one within the ``with`` block.

    Refused (:class:`UserError` on ``file``) when larger than the size limit, of another type,
    or empty; its rows raise the same when the file breaks a limit further on.
    """
    limits = limits or Limits.of()
    if _size(file) > limits.max_bytes:
        # Content Too Large, as the body limit answers a larger upload while it arrives.
        too_large = Message(UPLOAD_TOO_LARGE, {"megabytes": megabytes(limits.max_bytes)})
        raise UserError([FieldError("file", too_large)], status_code=413)
    magic = file.read(len(_OLE_MAGIC))
    file.seek(0)
    if magic.startswith(_OLE_MAGIC):
        raise _refuse(N_("Workbooks of Excel 97-2003 (.xls) are not read; save it as XLSX."))
    reader = _xlsx_values(file, limits) if magic.startswith(_ZIP_MAGIC) else _csv_values(file)
    with reader as values:
        header = next(values, [])
        if not any(cell.strip() for cell in header):
            raise _refuse(N_("The file is empty; its first line must name the columns."))
        columns = [cell.strip() for cell in header]
        while columns and not columns[-1]:
            columns.pop()
        if len(columns) >= MAX_COLUMNS:
            raise _refuse(N_("The file has more than %(max)s columns."), max=MAX_COLUMNS - 1)
        yield Sheet(columns=tuple(columns), rows=_sheet_rows(values, columns, limits))


def count_rows(file: BinaryIO, limits: Limits | None = None) -> int:
    """The non-blank rows of a file after its header, read through once (and the file rewound):
    whether an import runs at once or as a job. Refused like :func:`open_sheet`."""
    try:
        with open_sheet(file, limits) as sheet:
            return sum(1 for _row in sheet.rows)
    finally:
        file.seek(0)


# --- checking -------------------------------------------------------------------------------


def _per_language(annotation: Any) -> bool:
    """Whether a schema field holds a name per language (``Names``, optional or not)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _per_language(get_args(annotation)[0])
    return origin is dict or any(_per_language(arg) for arg in get_args(annotation))


def columns_of(schema: type[BaseModel]) -> tuple[str, ...]:
    """The columns a file for ``schema`` may have, in the schema's order."""
    columns: list[str] = []
    for name, info in schema.model_fields.items():
        if _per_language(info.annotation):
            columns += [f"{name}.{language}" for language in LANGUAGES]
        else:
            columns.append(name)
    return tuple(columns)


def header_errors(columns: Sequence[str], schema: type[BaseModel]) -> list[RowError]:
    """What is wrong with a file's header: unknown, repeated and missing columns."""
    known = columns_of(schema)
    errors = []
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            errors.append(RowError(1, column, Message(N_("This column appears twice."))))
        elif column not in known:
            message = Message(
                N_("Unknown column; the columns are: %(columns)s."), {"columns": ", ".join(known)}
            )
            errors.append(RowError(1, column, message))
        seen.add(column)
    for name, info in schema.model_fields.items():
        given = any(column == name or column.startswith(f"{name}.") for column in columns)
        if info.is_required() and not given:
            errors.append(RowError(1, name, Message(N_("This column is missing."))))
    return errors


def _column(field_name: str, columns: Sequence[str]) -> str:
    """The column of a refused field: itself, else the field it is part of (``languages.1``)."""
    return field_name if field_name in columns else field_name.split(".")[0]


_TOO_LONG = N_("Must be at most %(max_length)s characters.")


def _refused_cells(row: SheetRow) -> list[RowError]:
    """What is refused of a row before its schema sees it: cells beyond the header's columns,
    and cells too long to be anything a field takes (those are not validated further)."""
    errors = []
    if row.overflow:
        message = Message(N_("This row has more cells than the header has columns."))
        errors.append(RowError(row.line, "", message))
    too_long = Message(_TOO_LONG, {"max_length": MAX_CELL_CHARS})
    errors += [
        RowError(row.line, column, too_long)
        for column, value in row.cells.items()
        if len(value) > MAX_CELL_CHARS
    ]
    return errors


#: Rows read or written between two reports of progress.
_PROGRESS_EVERY = 200


@dataclass
class ParsedSheet(Generic[RowT]):
    """The rows of a file that passed their schema, the refused cells (the first
    :data:`MAX_REPORTED`, the others only counted: a file of 20,000 bad rows would otherwise
    keep hundreds of thousands of them) and how many refusals were not kept."""

    rows: list[ParsedRow[RowT]]
    errors: list[RowError]
    unkept: int = 0


def parse_rows(
    sheet: Sheet,
    schema: type[RowT],
    progress: Progress | None = None,
    total: int | None = None,
) -> ParsedSheet[RowT]:
    """Every row through ``schema`` as it is read: the good ones, and an error for each
    refused cell."""
    parsed = ParsedSheet[RowT](rows=[], errors=[])
    read = 0
    for read, row in enumerate(sheet.rows, start=1):
        found = _refused_cells(row)
        if not any(error.column for error in found):
            try:
                parsed.rows.append(ParsedRow(row.line, schema.model_validate(nest(row.cells))))
            except ValidationError as error:
                found += [
                    RowError(row.line, _column(item.field, sheet.columns), item.message)
                    for item in from_validation(error).errors
                ]
        if len(parsed.errors) < MAX_REPORTED:
            parsed.errors += found
        else:
            parsed.unkept += len(found)
        if progress is not None and read % _PROGRESS_EVERY == 0:
            progress(Stage.READING, read, total)
    if progress is not None:
        progress(Stage.READING, read, total)
    return parsed


def duplicates(
    rows: Sequence[ParsedRow[RowT]], key: Callable[[RowT], Hashable | None], column: str
) -> list[RowError]:
    """An error for each row whose key an earlier row of the file already has."""
    first: dict[Hashable, int] = {}
    errors = []
    for row in rows:
        value = key(row.data)
        if value is None:
            continue
        if value in first:
            message = Message(
                N_("Line %(line)s has the same code; codes must be unique."),
                {"line": first[value]},
            )
            errors.append(RowError(row.line, column, message))
        else:
            first[value] = row.line
    return errors


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """``values`` without repeats, sorted, in lists short enough for one ``IN (...)``."""
    wanted = sorted(set(values))
    for start in range(0, len(wanted), _CHUNK):
        yield wanted[start : start + _CHUNK]


def ids_by_code(
    db: Session,
    stmt: Select[Any, Any],
    code_column: InstrumentedAttribute[Any],
    codes: Iterable[str],
) -> dict[str, int]:
    """The ids of the codes ``stmt`` (selecting code and id) finds, asked in chunks."""
    found: dict[str, int] = {}
    for chunk in chunks(codes):
        found.update(
            {code: record_id for code, record_id in db.execute(stmt.where(code_column.in_(chunk)))}
        )
    return found


def unknown_codes(
    rows: Sequence[ParsedRow[RowT]],
    values: Callable[[RowT], Iterable[str]],
    known: Mapping[str, Any],
    column: str,
) -> list[RowError]:
    """An error for each code of a row that refers to nothing ``known``."""
    return [
        RowError(
            row.line,
            column,
            Message(N_("Nothing with the code %(value)s exists."), {"value": code}),
        )
        for row in rows
        for code in values(row.data)
        if code not in known
    ]


# --- writing --------------------------------------------------------------------------------


def run_import(
    db: Session,
    sheet: Sheet,
    importer: Importer[RowT],
    progress: Progress | None = None,
    total: int | None = None,
) -> ImportResult:
    """Check every row; write them all if none was refused, else nothing (all or nothing).

    The writes join the caller's transaction (the request's, the command's or the job's), which
    commits them together, within a savepoint: a row the service refuses half-way (another
    user's write in between) undoes the rows before it. An import that is refused writes
    nothing at all, not even its audit entry. ``total`` is the rows expected, for the progress.
    """
    # A wrong header stops the checks: with the columns wrong, every row's errors are noise.
    errors = header_errors(sheet.columns, importer.schema)
    if errors:
        return ImportResult.refused(errors)
    parsed = parse_rows(sheet, importer.schema, progress, total)
    rows = parsed.rows
    if progress is not None:
        progress(Stage.CHECKING, 0, len(rows))
    errors = parsed.errors + importer.check(rows)
    if errors or parsed.unkept:
        return ImportResult.refused(errors, parsed.unkept)
    with db.begin_nested():
        for done, row in enumerate(rows, start=1):
            importer.write(row.data)
            if progress is not None and (done % _PROGRESS_EVERY == 0 or done == len(rows)):
                progress(Stage.WRITING, done, len(rows))
        audit.record(
            db, action="import", entity=importer.entity, entity_id=None, note=f"{len(rows)} created"
        )
    return ImportResult(created=len(rows))
