"""The areas a program's report is told in: one sheet of the workbook, one chapter of the PDF.

Each area lists its indicators (every indicator of the catalogue is in exactly one, which a
test checks) and names the breakdown its chart draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from hamkor.core.i18n import N_, Translator
from hamkor.reports import labels
from hamkor.reports.service import ReportFigures, Row, Shown


@dataclass(frozen=True)
class Area:
    """A part of a program's work, its figures and its main breakdown (indicator, breakdown)."""

    key: str
    title: str
    keys: tuple[str, ...]
    chart: tuple[str, str]

    def charted(self, figures: list[Shown]) -> tuple[Shown, list[Row]] | None:
        """The figure and the rows its chart draws: the counts shown (None: nothing to draw)."""
        key, dim = self.chart
        figure = next((f for f in figures if f.key == key), None)
        if figure is None:
            return None
        rows = [row for row in figure.breakdowns.get(dim, []) if row.count.value is not None]
        return (figure, rows) if rows else None


AREAS = (
    Area(
        "program",
        N_("Program"),
        ("delegates", "brigades", "cities", "activities", "interventions_performed"),
        ("interventions_performed", "city"),
    ),
    Area(
        "care",
        N_("Care"),
        (
            "operations_performed",
            "patients_referred",
            "patients_booked",
            "patients_consulted",
            "follow_ups",
        ),
        ("patients_consulted", "day"),
    ),
    Area(
        "training",
        N_("Training"),
        (
            "trainees_enrolled",
            "trainees_attended",
            "trainees_completed",
            "certificates_issued",
            "certificates_revoked",
            "cme_hours",
            "cascade_reach",
        ),
        ("cascade_reach", "district"),
    ),
    Area(
        "agreements",
        N_("Agreements"),
        ("agreements_signed", "roadmap_items"),
        ("agreements_signed", "kind"),
    ),
    Area(
        "telemedicine",
        N_("Telemedicine"),
        (
            "teleconsultations",
            "teleconsultations_answered",
            "teleconsultation_hours",
            "teleconsultations_in_time",
            "visits_avoided",
        ),
        ("teleconsultations", "institution"),
    ),
)


def by_area(report: ReportFigures) -> list[tuple[Area, list[Shown]]]:
    """The report's figures, area by area, in each area's order."""
    found = report.by_key()
    return [(area, [found[key] for key in area.keys if key in found]) for area in AREAS]


def breakdown_title(figure: Shown, dim: str, translator: Translator) -> str:
    """ "Doctors trained: Specialty": a breakdown's heading, a chart's title."""
    return translator.gettext(
        N_("%(figure)s: %(breakdown)s"),
        figure=figure.label,
        breakdown=translator.gettext(labels.DIMENSION[dim]),
    )
