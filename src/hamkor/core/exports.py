"""Lists as files: every list a person reads downloads as CSV or XLSX, described once.

A list is a :class:`Listing`: its title and a tuple of :class:`Column` (a header message, a
function reading the value off a row, the value's kind and the column's width). The same
description writes a CSV (UTF-8 with a byte-order mark, so that Excel reads Cyrillic right)
and an XLSX workbook (XlsxWriter: typed cells, a styled and frozen header, an autofilter,
dates as real dates). Headers and enum labels are in the reader's language.

The request's session is committed and closed as soon as the route returns, before the
response is sent (``core.web.db_session``), so the rows cannot be read while the response
streams. The file is written while the route runs instead, row by row into a temporary file
(XlsxWriter's ``constant_memory`` mode keeps one row in memory), and the response streams
that file: a long list is never held in memory a second time as a document.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import IO, Annotated, Any, Generic, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Query
from fastapi.responses import StreamingResponse

from hamkor.core.i18n import N_, Translator

RowT = TypeVar("RowT")

#: Up to this size the file stays in memory; beyond, it is spilled to disk.
SPOOL_BYTES = 1024 * 1024
CHUNK_BYTES = 64 * 1024
#: A cell starting with one of these is a formula to a spreadsheet: a CSV cell gets a quote
#: in front so that a name such as "=HYPERLINK(...)" typed into a form stays text (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limit on a sheet's name, and the characters it refuses in one.
_SHEET_NAME_CHARS = 31
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")

#: The look of a workbook's header row (the lists' and the program report's).
HEADER_STYLE = {
    "bold": True,
    "bg_color": "#E4ECF4",
    "bottom": 1,
    "text_wrap": True,
    "valign": "top",
}

YES = N_("yes")
NO = N_("no")


class ExportFormat(StrEnum):
    """The files a list downloads as (``?format=csv``)."""

    CSV = "csv"
    XLSX = "xlsx"


#: A page's ``?format=csv|xlsx``: absent, the page itself; any other value is refused with a
#: translated 422 naming the field (``format``), as every query parameter is.
FormatQuery = Annotated[ExportFormat | None, Query(alias="format")]


class Kind(StrEnum):
    """What a column holds, which decides the type of its XLSX cells and its CSV text."""

    TEXT = "text"
    INT = "int"
    DATE = "date"
    #: An aware datetime already in the zone the page shows it in (see :func:`local`).
    DATETIME = "datetime"
    DECIMAL = "decimal"
    BOOL = "bool"


Getter = Callable[[RowT, Translator], Any]


@dataclass(frozen=True)
class Column(Generic[RowT]):
    """One column of a list: its header (a message id), its value, kind and width."""

    header: str
    value: Getter[RowT]
    kind: Kind = Kind.TEXT
    #: The XLSX column's width in characters.
    width: int = 16

    @property
    def key(self) -> str:
        """The column's name in JSON, the same in every language: ``Issued on`` → ``issued_on``."""
        return re.sub(r"\W+", "_", self.header.casefold()).strip("_")


@dataclass(frozen=True)
class Listing(Generic[RowT]):
    """A list a person reads, as the files it downloads as.

    ``title`` (a message id) names the sheet and the file in the reader's language; ``slug``
    names the file in plain ASCII for the programs that read no other (``filename=``)."""

    title: str
    slug: str
    columns: tuple[Column[RowT], ...]

    def headers(self, translator: Translator) -> list[str]:
        return [translator.gettext(column.header) for column in self.columns]

    def values(self, row: RowT, translator: Translator) -> list[Any]:
        return [column.value(row, translator) for column in self.columns]


# --- helpers for the modules' column descriptions -------------------------------------------


def local(instant: datetime | None, zone: str | None) -> datetime | None:
    """An instant on the clocks of ``zone`` (a city's), as the pages show it."""
    return None if instant is None else instant.astimezone(ZoneInfo(zone or "UTC"))


def label_of(labels: Mapping[Any, str], read: Callable[[RowT], Any]) -> Getter[RowT]:
    """A getter of an enum's label in the reader's language (blank when there is no value)."""

    def value(row: RowT, translator: Translator) -> str:
        key = read(row)
        return "" if key is None else translator.gettext(labels[key])

    return value


def name_of(read: Callable[[RowT], dict[str, str] | None]) -> Getter[RowT]:
    """A getter of a name in the reader's language (a row's names, or blank)."""

    def value(row: RowT, translator: Translator) -> str:
        names = read(row)
        return translator.name(names) if names else ""

    return value


def plain(read: Callable[[RowT], Any]) -> Getter[RowT]:
    """A getter of a value that needs no translation."""
    return lambda row, _translator: read(row)


# --- writers --------------------------------------------------------------------------------


def _text(value: Any, kind: Kind, translator: Translator) -> str:
    """A value as text: dates in ISO order, instants to the minute, yes and no translated."""
    if value is None:
        return ""
    if kind is Kind.BOOL:
        return translator.gettext(YES if value else NO)
    if kind is Kind.DATETIME:
        return str(value.strftime("%Y-%m-%d %H:%M"))
    if kind is Kind.DATE:
        return str(value.isoformat())
    return str(value)


def _csv_text(value: Any, kind: Kind, translator: Translator) -> str:
    text = _text(value, kind, translator)
    if kind is Kind.TEXT and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(
    listing: Listing[RowT],
    rows: Iterable[RowT],
    translator: Translator,
    out: IO[bytes],
    *,
    byte_order_mark: bool = True,
) -> int:
    """The list as CSV into ``out``; the number of rows written (the header not counted).

    The byte-order mark tells Excel the file is UTF-8; a command printing to a pipe leaves
    it out (``byte_order_mark=False``)."""
    encoding = "utf-8-sig" if byte_order_mark else "utf-8"
    text = io.TextIOWrapper(out, encoding=encoding, newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(listing.headers(translator))
    kinds = [column.kind for column in listing.columns]
    count = 0
    for row in rows:
        values = listing.values(row, translator)
        writer.writerow(_csv_text(v, k, translator) for v, k in zip(values, kinds, strict=True))
        count += 1
    text.detach()
    return count


def _json_value(value: Any, kind: Kind) -> Any:
    if value is None:
        return None
    if kind in (Kind.DATE, Kind.DATETIME):
        return value.isoformat()
    if kind is Kind.DECIMAL:
        return float(value)
    return value


def write_json(
    listing: Listing[RowT], rows: Iterable[RowT], translator: Translator, out: IO[str]
) -> int:
    """The list as a JSON array of objects keyed by :attr:`Column.key`, one row a line."""
    count = 0
    out.write("[")
    for count, row in enumerate(rows, start=1):
        values = listing.values(row, translator)
        item = {c.key: _json_value(v, c.kind) for c, v in zip(listing.columns, values, strict=True)}
        out.write(("," if count > 1 else "") + "\n" + json.dumps(item, ensure_ascii=False))
    out.write("\n]\n")
    return count


def text_rows(
    listing: Listing[RowT], rows: Iterable[RowT], translator: Translator
) -> Iterator[list[str]]:
    """The list's rows as the text a terminal shows (dates in ISO order, yes and no)."""
    kinds = [column.kind for column in listing.columns]
    for row in rows:
        values = listing.values(row, translator)
        yield [_text(v, k, translator) for v, k in zip(values, kinds, strict=True)]


def _date_format(translator: Translator) -> tuple[str, str]:
    """Excel's number formats of a date and of a date with time for the reader: day first
    in the languages of the region, as the CIS writes dates; ISO order in English."""
    if translator.language == "en":
        return "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
    return "dd.mm.yyyy", "dd.mm.yyyy hh:mm"


def sheet_name(title: str) -> str:
    """A title as Excel accepts a sheet's name: at most 31 characters, none of []:*?/\\."""
    return _SHEET_NAME_BAD.sub(" ", title)[:_SHEET_NAME_CHARS].strip() or "Sheet1"


def write_xlsx(
    listing: Listing[RowT], rows: Iterable[RowT], translator: Translator, out: IO[bytes]
) -> int:
    """The list as an XLSX workbook into ``out``; the number of rows written.

    ``constant_memory`` makes XlsxWriter write each row to a temporary file as soon as the
    next row starts, so a list of any length takes one row of memory."""
    import xlsxwriter  # slow to import; only a download needs it

    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = workbook.add_worksheet(sheet_name(translator.gettext(listing.title)))
    header = workbook.add_format(HEADER_STYLE)
    day, instant = _date_format(translator)
    formats = {
        Kind.DATE: workbook.add_format({"num_format": day}),
        Kind.DATETIME: workbook.add_format({"num_format": instant}),
        Kind.DECIMAL: workbook.add_format({"num_format": "0.00"}),
    }
    for index, column in enumerate(listing.columns):
        sheet.set_column(index, index, column.width)
    sheet.write_row(0, 0, listing.headers(translator), header)
    sheet.freeze_panes(1, 0)
    count = 0
    for count, row in enumerate(rows, start=1):
        for index, (column, value) in enumerate(
            zip(listing.columns, listing.values(row, translator), strict=True)
        ):
            _write_cell(sheet, count, index, column.kind, value, formats.get(column.kind))
    sheet.autofilter(0, 0, count, len(listing.columns) - 1)
    workbook.close()
    return count


def _write_cell(sheet: Any, row: int, col: int, kind: Kind, value: Any, style: Any) -> None:
    """One typed cell: numbers as numbers, dates as dates (wall time of the city), text as
    text even when it looks like a number or a formula."""
    if value is None or value == "":
        sheet.write_blank(row, col, None, style)
    elif kind is Kind.BOOL:
        sheet.write_boolean(row, col, bool(value))
    elif kind in (Kind.INT, Kind.DECIMAL):
        sheet.write_number(row, col, float(value) if isinstance(value, Decimal) else value, style)
    elif kind is Kind.DATETIME:
        sheet.write_datetime(row, col, value.replace(tzinfo=None), style)
    elif kind is Kind.DATE:
        sheet.write_datetime(row, col, datetime.combine(value, datetime.min.time()), style)
    else:
        sheet.write_string(row, col, str(value))


_WRITERS = {ExportFormat.CSV: write_csv, ExportFormat.XLSX: write_xlsx}
_MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _ascii_name(text: str) -> str:
    """A file name's part in the letters every program reads: ``program-KZ-UZ-2025``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "list"


def disposition(title: str, slug: str, suffix: str, extension: str) -> str:
    """``Content-Disposition`` of a download: the reader's own words as ``filename*``
    (RFC 6266), the stable slug as ``filename`` for clients that read only ASCII."""
    stem = f"{slug}-{suffix}" if suffix else slug
    local_name = f"{title} {suffix}".strip() if suffix else title
    local_name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", local_name).strip() or stem
    return (
        f'attachment; filename="{_ascii_name(stem)}.{extension}"; '
        f"filename*=UTF-8''{quote(f'{local_name}.{extension}', safe='')}"
    )


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    """The written file from its start, a chunk at a time, closed at the end."""
    try:
        spool.seek(0)
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()


def download(
    listing: Listing[RowT],
    rows: Iterable[RowT],
    *,
    export_format: ExportFormat,
    translator: Translator,
    suffix: str = "",
) -> StreamingResponse:
    """The list as a download in ``export_format``, streamed from a temporary file.

    ``suffix`` tells lists of the same kind apart in a downloads folder (a program's code, a
    day): it goes into both file names."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed by _chunks
    try:
        _WRITERS[export_format](listing, rows, translator, spool)
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    title = translator.gettext(listing.title)
    return StreamingResponse(
        _chunks(spool),
        media_type=_MEDIA_TYPES[export_format],
        headers={
            "content-disposition": disposition(title, listing.slug, suffix, export_format.value),
            "content-length": str(size),
        },
    )
