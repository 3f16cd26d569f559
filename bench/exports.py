"""Benchmark of the export service: time and memory of a list written as XLSX and CSV.

    .venv/bin/python bench/exports.py                  # 10,000 and 100,000 rows
    .venv/bin/python bench/exports.py --rows 1000 50000

Each list has the columns of a participants list (text, a date, an instant, numbers, a yes/no)
and is written row by row from a generator into a spooled temporary file, as a download is.
Peak memory is Python's (tracemalloc) while writing: with XlsxWriter's ``constant_memory`` it
must not grow with the rows; the file's size and the time do.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hamkor.core import exports
from hamkor.core.exports import Column, ExportFormat, Kind, Listing, local, plain
from hamkor.core.i18n import Translator


@dataclass(frozen=True)
class Row:
    name: str
    institution: str
    day: date
    at: datetime
    count: int
    hours: Decimal
    done: bool


LISTING: Listing[Row] = Listing(
    title="Participants",
    slug="participants",
    columns=(
        Column("Person", plain(lambda r: r.name), width=30),
        Column("Institution", plain(lambda r: r.institution), width=40),
        Column("Day", plain(lambda r: r.day), Kind.DATE, 12),
        Column("Arrival", plain(lambda r: local(r.at, "Asia/Tashkent")), Kind.DATETIME, 17),
        Column("Trainees", plain(lambda r: r.count), Kind.INT),
        Column("Hours", plain(lambda r: r.hours), Kind.DECIMAL),
        Column("Revoked", plain(lambda r: r.done), Kind.BOOL),
    ),
)


def rows(count: int) -> Iterator[Row]:
    start = datetime(2025, 10, 13, 4, tzinfo=UTC)
    for index in range(count):
        yield Row(
            f"Қожахметова Жансая {index}",
            "Oʻzbekiston Respublikasi Sogʻliqni saqlash vazirligi",
            date(2025, 10, 13) + timedelta(days=index % 5),
            start + timedelta(minutes=index),
            index % 40,
            Decimal(index % 17) / 2,
            index % 3 == 0,
        )


def measure(count: int, export: ExportFormat) -> tuple[float, float, int]:
    """Seconds, peak MiB and bytes of one list of ``count`` rows written in ``export``."""
    writer = exports.write_xlsx if export is ExportFormat.XLSX else exports.write_csv
    with tempfile.SpooledTemporaryFile(max_size=exports.SPOOL_BYTES) as spool:
        tracemalloc.start()
        began = time.perf_counter()
        writer(LISTING, rows(count), Translator("kk"), spool)
        seconds = time.perf_counter() - began
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return seconds, peak / 2**20, spool.tell()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for export in ExportFormat:  # imports and catalogs loaded before anything is measured
        measure(10, export)
    print(f"{'rows':>8} {'format':>6} {'seconds':>8} {'peak MiB':>9} {'MiB file':>9}")
    for count in args.rows:
        for export in ExportFormat:
            seconds, peak, size = measure(count, export)
            print(f"{count:>8} {export.value:>6} {seconds:>8.2f} {peak:>9.1f} {size / 2**20:>9.1f}")


if __name__ == "__main__":
    main()
