"""A program's report as a file: the same figures as its public page (small counts of patients
suppressed), written as Markdown, a ZIP of CSV files, an XLSX workbook (``workbook``) or a PDF
(``document``).

Each format is a writer from :class:`~hamkor.reports.service.ReportFigures` to bytes, named in
``FORMATS``. Numbers in Markdown follow the language's locale (it is read); in CSV they are
plain digits (it is read by programs).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hamkor.core.i18n import Translator
from hamkor.core.templating import Formatter
from hamkor.reports import labels
from hamkor.reports.document import document
from hamkor.reports.narrative import program_narrative
from hamkor.reports.service import ReportFigures, Shown
from hamkor.reports.suppression import Count
from hamkor.reports.workbook import workbook


@dataclass(frozen=True)
class Format:
    """A kind of report file: its media type, its name's ending and its writer."""

    media_type: str
    extension: str
    write: Callable[[Session, ReportFigures, Translator, int], bytes]


def _shown(count: Count, threshold: int, fmt: Formatter | None) -> str:
    if count.value is None:
        return count.text(threshold)
    return fmt.number(count.value) if fmt else str(count.value)


def _cell(text: str) -> str:
    """Text in a Markdown table cell: a pipe would end the cell."""
    return text.replace("|", "\\|")


def markdown(db: Session, report: ReportFigures, translator: Translator, threshold: int) -> bytes:
    """The figures as a Markdown document: the narrative, a table of every indicator, then
    each one's breakdowns."""
    _ = translator.gettext
    fmt = Formatter(translator)
    lines = [
        program_narrative(db, report, translator),
        f"| {_('Indicator')} | {_('Value')} | {_('Target')} |",
        "|---|---:|---:|",
    ]
    for figure in report.figures:
        target = fmt.number(figure.target) if figure.target is not None else ""
        value = _shown(figure.value, threshold, fmt)
        lines.append(f"| {_cell(figure.label)} | {value} | {target} |")
    for figure in report.figures:
        lines += _breakdowns(figure, translator, threshold, fmt)
    lines += ["", _(labels.SUPPRESSION_NOTE, threshold=threshold), ""]
    return "\n".join(lines).encode("utf-8")


def _breakdowns(figure: Shown, translator: Translator, threshold: int, fmt: Formatter) -> list[str]:
    lines: list[str] = []
    for dim, rows in figure.breakdowns.items():
        if not rows:
            continue
        heading = translator.gettext(labels.DIMENSION[dim])
        lines += ["", f"## {_cell(figure.label)}: {heading}", "", f"| {heading} | |", "|---|---:|"]
        lines += [f"| {_cell(r.label)} | {_shown(r.count, threshold, fmt)} |" for r in rows]
    return lines


def csv_zip(_db: Session, report: ReportFigures, translator: Translator, threshold: int) -> bytes:
    """A ZIP of ``figures.csv`` (indicator, value, target) and ``breakdowns.csv`` (indicator,
    breakdown, value, label, count), keys in English and labels in the report's language."""
    figures = io.StringIO()
    writer = csv.writer(figures)
    writer.writerow(["indicator", "label", "value", "target"])
    for figure in report.figures:
        target = "" if figure.target is None else figure.target
        writer.writerow([figure.key, figure.label, _shown(figure.value, threshold, None), target])
    breakdowns = io.StringIO()
    writer = csv.writer(breakdowns)
    writer.writerow(["indicator", "breakdown", "value", "label", "count"])
    for figure in report.figures:
        for dim, rows in figure.breakdowns.items():
            for row in rows:
                count = _shown(row.count, threshold, None)
                writer.writerow([figure.key, dim, row.value, row.label, count])
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("figures.csv", figures.getvalue().encode("utf-8-sig"))
        archive.writestr("breakdowns.csv", breakdowns.getvalue().encode("utf-8-sig"))
    return packed.getvalue()


FORMATS: dict[str, Format] = {
    "md": Format("text/markdown; charset=utf-8", ".md", markdown),
    "csv": Format("application/zip", ".zip", csv_zip),
    "xlsx": Format(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", workbook
    ),
    "pdf": Format("application/pdf", ".pdf", document),
}
