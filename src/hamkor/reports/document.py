"""A program's report as a PDF: the narrative, then a chapter per area with its figures
against their targets, its main chart and its breakdowns, printed by ``core.pdf``.

The charts are the dashboard's: Vega-Lite specifications drawn to SVG by ``vl-convert`` and
inlined in the page, so WeasyPrint draws them as vectors in DejaVu Sans like the text. The
counts are the report's, small counts of patients already suppressed ("<5").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy.orm import Session

from hamkor.core import pdf
from hamkor.core.i18n import N_, Translator
from hamkor.core.templating import Formatter
from hamkor.reports import charts, labels
from hamkor.reports.areas import Area, breakdown_title, by_area
from hamkor.reports.narrative import dates, narrative, paragraphs
from hamkor.reports.service import ReportFigures, Row, Shown
from hamkor.reports.suppression import Count

TEMPLATE = "reports/report.pdf.html"
SUBTITLE = N_("Report of a program")
NARRATIVE = N_("The program in brief")
AS_OF = N_("Figures as of %(date)s")


@dataclass(frozen=True)
class Chapter:
    """An area as the PDF tells it: its figures, its chart (SVG) and its breakdowns."""

    anchor: str
    title: str
    figures: pdf.Table
    chart: Markup | None = None
    breakdowns: list[tuple[str, pdf.Table]] = field(default_factory=list)


def document(db: Session, report: ReportFigures, translator: Translator, threshold: int) -> bytes:
    """The report as PDF bytes (A4, cover, contents, page numbers)."""
    _ = translator.gettext
    program = report.program
    fmt = Formatter(translator)
    cover_lines = [
        dates(program.starts_on, program.ends_on, translator),
        _(AS_OF, date=fmt.date(report.today, "long")),
    ]
    chapters = [_chapter(area, found, translator, threshold) for area, found in by_area(report)]
    return pdf.render_pdf(
        TEMPLATE,
        translator=translator,
        title=translator.name(program.names),
        subtitle=_(SUBTITLE),
        lines=cover_lines,
        narrative_title=_(NARRATIVE),
        narrative=paragraphs(narrative(db, report, translator)),
        chapters=chapters,
        note=_(labels.SUPPRESSION_NOTE, threshold=threshold),
    )


def _shown(count: Count, threshold: int, fmt: Formatter) -> str:
    return count.text(threshold) if count.value is None else fmt.number(count.value)


def _chapter(area: Area, figures: list[Shown], translator: Translator, threshold: int) -> Chapter:
    _ = translator.gettext
    fmt = Formatter(translator)
    table = pdf.Table(
        [_("Indicator"), _("Value"), _("Target")],
        [
            [
                f.label,
                _shown(f.value, threshold, fmt),
                "" if f.target is None else fmt.number(f.target),
            ]
            for f in figures
        ],
        numeric=frozenset({1, 2}),
    )
    breakdowns = [
        (breakdown_title(figure, dim, translator), _rows(rows, dim, translator, threshold))
        for figure in figures
        for dim, rows in figure.breakdowns.items()
        if rows
    ]
    return Chapter(area.key, _(area.title), table, _chart(area, figures, translator), breakdowns)


def _rows(rows: list[Row], dim: str, translator: Translator, threshold: int) -> pdf.Table:
    fmt = Formatter(translator)
    return pdf.Table(
        [translator.gettext(labels.DIMENSION[dim]), translator.gettext("Value")],
        [[row.label, _shown(row.count, threshold, fmt)] for row in rows],
        numeric=frozenset({1}),
    )


def _chart(area: Area, figures: list[Shown], translator: Translator) -> Markup | None:
    """The area's main breakdown drawn as on the dashboard (hidden counts left out)."""
    charted = area.charted(figures)
    if charted is None:
        return None
    figure, rows = charted
    title = breakdown_title(figure, area.chart[1], translator)
    drawn = charts.draw(title, rows, figure.label, translator.language)
    # vl-convert writes the SVG and escapes the labels in it: it is markup, not text.
    return Markup(drawn.svg)
