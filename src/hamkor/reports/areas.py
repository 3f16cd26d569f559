"""The areas a program's report is told in: one sheet of the workbook, one chapter of the PDF.

Each area lists its indicators (every indicator of the catalogue is in exactly one, which a
test checks) and names the breakdown its chart draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from hamkor.core.i18n import N_
from hamkor.reports.service import ReportFigures, Shown


@dataclass(frozen=True)
class Area:
    """A part of a program's work, its figures and its main breakdown (indicator, breakdown)."""

    key: str
    title: str
    keys: tuple[str, ...]
    chart: tuple[str, str]


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
