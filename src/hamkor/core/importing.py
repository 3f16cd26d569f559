"""Bulk imports from spreadsheets: read CSV or XLSX, check every row, write all or nothing.

A capability module describes one kind of import by a Pydantic row schema (the same field types
as its forms) and an :class:`Importer` that checks the rows against the database and writes one.
The rest is the same for every kind (directory, patients, referrals) and lives here: decoding,
the header, line numbers as the spreadsheet shows them, every error reported at once, progress
for the command line, and the rule that nothing is written unless every row is good.

Columns are the schema's fields; a field holding a name per language (``names``) is read from one
column per language (``names.ru``, ``names.uz``, ``names.uz-Cyrl``, ``names.kk``, ``names.en``),
as the forms post it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Generic, Protocol, TypeVar, get_args, get_origin

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hamkor.core import audit
from hamkor.core.errors import UserError, from_validation
from hamkor.core.forms import nest
from hamkor.core.i18n import LANGUAGES, N_, Message

RowT = TypeVar("RowT", bound=BaseModel)
#: Told ``(rows written, rows to write)`` as the import goes, for a progress bar.
Progress = Callable[[int, int], None]

_ZIP_MAGIC = b"PK\x03\x04"  # an XLSX workbook is a zip archive
_CHUNK = 500  # codes per IN (...) query, well under every backend's limit of parameters


@dataclass(frozen=True)
class SheetRow:
    """A row of the file: its line as a spreadsheet shows it (the header is line 1), its
    non-blank cells by column, and whether it had cells beyond the header's columns."""

    line: int
    cells: dict[str, str]
    overflow: bool = False


@dataclass(frozen=True)
class Sheet:
    """The header and the non-blank rows of the first sheet of a workbook or of a CSV file."""

    columns: tuple[str, ...]
    rows: list[SheetRow]


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
    """What an import did: how many records it created, or every reason it refused the file."""

    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


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


def _cell_text(value: Any) -> str:
    """A workbook cell as the text a CSV would hold (a whole number without its ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _unreadable(text: str) -> UserError:
    return UserError.one("file", text)


def _xlsx_rows(content: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise _unreadable(N_("The file could not be read as an XLSX workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _csv_rows(content: bytes) -> list[list[str]]:
    """CSV in UTF-8 (a spreadsheet's byte-order mark is fine), separated by ``,`` or ``;``.

    The separator is the one the header line uses more: spreadsheets in locales with a decimal
    comma save CSV with ``;``.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _unreadable(
            N_("The file is neither an XLSX workbook nor CSV in UTF-8; save it as one of these.")
        ) from error
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise _unreadable(N_("The file could not be read as CSV.")) from error


def read_sheet(content: bytes) -> Sheet:
    """The header and rows of an uploaded file, XLSX or CSV (told apart by their first bytes)."""
    raw = _xlsx_rows(content) if content.startswith(_ZIP_MAGIC) else _csv_rows(content)
    if not raw or not any(cell.strip() for cell in raw[0]):
        raise _unreadable(N_("The file is empty; its first line must name the columns."))
    columns = [cell.strip() for cell in raw[0]]
    while columns and not columns[-1]:
        columns.pop()
    rows = []
    for line, values in enumerate(raw[1:], start=2):
        cells = {
            column: value.strip()
            for column, value in zip(columns, values, strict=False)
            if column and value.strip()
        }
        overflow = any(value.strip() for value in values[len(columns) :])
        if cells or overflow:
            rows.append(SheetRow(line=line, cells=cells, overflow=overflow))
    return Sheet(columns=tuple(columns), rows=rows)


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


def parse_rows(sheet: Sheet, schema: type[RowT]) -> tuple[list[ParsedRow[RowT]], list[RowError]]:
    """Every row through ``schema``: the good ones, and an error for each refused cell."""
    errors: list[RowError] = []
    parsed: list[ParsedRow[RowT]] = []
    for row in sheet.rows:
        if row.overflow:
            message = Message(N_("This row has more cells than the header has columns."))
            errors.append(RowError(row.line, "", message))
        try:
            parsed.append(ParsedRow(row.line, schema.model_validate(nest(row.cells))))
        except ValidationError as error:
            errors += [
                RowError(row.line, _column(item.field, sheet.columns), item.message)
                for item in from_validation(error).errors
            ]
    return parsed, errors


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


def ids_by_code(
    db: Session,
    stmt: Select[Any, Any],
    code_column: InstrumentedAttribute[Any],
    codes: Iterable[str],
) -> dict[str, int]:
    """The ids of the codes ``stmt`` (selecting code and id) finds, asked in chunks."""
    wanted = sorted(set(codes))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
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


def run_import(
    db: Session, sheet: Sheet, importer: Importer[RowT], progress: Progress | None = None
) -> ImportResult:
    """Check every row; write them all if none was refused, else nothing (all or nothing).

    The writes join the caller's transaction (the request's, or the command's), which commits
    them together; an import that is refused writes nothing at all, not even its audit entry.
    """
    # A wrong header stops the checks: with the columns wrong, every row's errors are noise.
    errors = header_errors(sheet.columns, importer.schema)
    rows: list[ParsedRow[RowT]] = []
    if not errors:
        rows, errors = parse_rows(sheet, importer.schema)
        errors += importer.check(rows)
    if errors:
        return ImportResult(errors=sorted(errors, key=lambda error: (error.line, error.column)))
    for done, row in enumerate(rows, start=1):
        importer.write(row.data)
        if progress is not None:
            progress(done, len(rows))
    audit.record(
        db, action="import", entity=importer.entity, entity_id=None, note=f"{len(rows)} created"
    )
    return ImportResult(created=len(rows))
