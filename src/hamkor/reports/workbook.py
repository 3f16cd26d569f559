"""A program's report as one XLSX workbook: a sheet per area, typed cells, native charts.

Each sheet lists its area's figures beside their targets (numbers as numbers, the share of
the target as a percentage), then every breakdown as a small table, and draws the area's main
breakdown as a native Excel bar chart. A suppressed count is the text "<5" in its cell and is
left out of the chart: the chart reads a hidden copy of the breakdown holding only the counts
shown (Excel is told to plot hidden cells).
"""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy.orm import Session

from hamkor.core.exports import HEADER_STYLE, sheet_name
from hamkor.core.i18n import N_, Translator
from hamkor.reports import labels
from hamkor.reports.areas import Area, breakdown_title, by_area
from hamkor.reports.service import ReportFigures, Row, Shown
from hamkor.reports.suppression import Count

REACHED = N_("Share of the target")
#: The widths of the columns of figures: name, value, target, share of the target.
WIDTHS = (52, 12, 12, 14)
#: Where the hidden copy of the charted breakdown goes, and where the chart is drawn.
CHART_DATA_COLUMN = 12
CHART_CELL = "F2"


class _Styles:
    """The workbook's cell formats, made once per workbook."""

    def __init__(self, book: Any) -> None:
        self.header = book.add_format(HEADER_STYLE)
        self.heading = book.add_format({"bold": True, "font_size": 12})
        self.share = book.add_format({"num_format": "0%"})
        self.hidden = book.add_format({"align": "right", "italic": True})
        self.note = book.add_format({"italic": True, "font_color": "#5F6B7A"})


def workbook(_db: Session, report: ReportFigures, translator: Translator, threshold: int) -> bytes:
    """The report as XLSX bytes (a few sheets of aggregates: kept in memory)."""
    import xlsxwriter  # slow to import; only writing the file needs it

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"title": report.program.code, "comments": "Hamkor"})
    styles = _Styles(book)
    for area, figures in by_area(report):
        _sheet(book, styles, area, figures, translator, threshold)
    book.close()
    return buffer.getvalue()


def _sheet(
    book: Any,
    styles: _Styles,
    area: Area,
    figures: list[Shown],
    translator: Translator,
    threshold: int,
) -> None:
    _ = translator.gettext
    sheet = book.add_worksheet(sheet_name(_(area.title)))
    for index, width in enumerate(WIDTHS):
        sheet.set_column(index, index, width)
    sheet.write_row(0, 0, [_("Indicator"), _("Value"), _("Target"), _(REACHED)], styles.header)
    sheet.freeze_panes(1, 0)
    row = 1
    for figure in figures:
        sheet.write_string(row, 0, figure.label)
        _count(sheet, row, 1, figure.value, styles, threshold)
        if figure.target is not None:
            sheet.write_number(row, 2, figure.target)
        if figure.reached is not None:
            sheet.write_number(row, 3, figure.reached, styles.share)
        row += 1
    sheet.write_string(row + 1, 0, _(labels.SUPPRESSION_NOTE, threshold=threshold), styles.note)
    row += 3
    for figure in figures:
        for dim, rows in figure.breakdowns.items():
            if rows:
                row = _breakdown(sheet, styles, row, figure, dim, rows, translator, threshold)
    _chart(book, sheet, area, figures, translator)


def _count(sheet: Any, row: int, col: int, count: Count, styles: _Styles, threshold: int) -> None:
    """A count as a number, or as the text that says why it is hidden ("<5")."""
    if count.value is None:
        sheet.write_string(row, col, count.text(threshold), styles.hidden)
    else:
        sheet.write_number(row, col, count.value)


def _breakdown(
    sheet: Any,
    styles: _Styles,
    row: int,
    figure: Shown,
    dim: str,
    rows: list[Row],
    translator: Translator,
    threshold: int,
) -> int:
    """One breakdown as a titled table from ``row``; the row after it and a blank line."""
    sheet.write_string(row, 0, breakdown_title(figure, dim, translator), styles.heading)
    headers = [translator.gettext(labels.DIMENSION[dim]), translator.gettext("Value")]
    sheet.write_row(row + 1, 0, headers, styles.header)
    row += 2
    for line in rows:
        sheet.write_string(row, 0, line.label)
        _count(sheet, row, 1, line.count, styles, threshold)
        row += 1
    return row + 1


def _chart(book: Any, sheet: Any, area: Area, figures: list[Shown], translator: Translator) -> None:
    """The area's main breakdown as a bar chart, its shown counts only."""
    charted = area.charted(figures)
    if charted is None:
        return
    figure, shown = charted
    col = CHART_DATA_COLUMN
    for index, line in enumerate(shown, start=1):
        sheet.write_string(index, col, line.label)
        sheet.write_number(index, col + 1, line.count.value)
    sheet.set_column(col, col + 1, None, None, {"hidden": True})
    name = sheet.get_name()
    chart = book.add_chart({"type": "bar"})
    chart.add_series(
        {
            "name": figure.label,
            "categories": [name, 1, col, len(shown), col],
            "values": [name, 1, col + 1, len(shown), col + 1],
            "fill": {"color": "#1F5F99"},
            "data_labels": {"value": True},
        }
    )
    chart.set_title(
        {"name": breakdown_title(figure, area.chart[1], translator), "name_font": {"size": 11}}
    )
    chart.set_legend({"none": True})
    chart.set_x_axis({"reverse": True})  # a bar chart's categories run down its x axis
    chart.show_hidden_data()
    chart.set_size({"width": 520, "height": 60 + 28 * len(shown)})
    sheet.insert_chart(CHART_CELL, chart)
