"""How the values of a breakdown read: a city's name, an activity's kind, a follow-up's state.

Place-like breakdowns (city, district, specialty, institution, program) are ids, named from the
directory in one statement per breakdown; the others are the values of the counted rows'
columns, labelled by the module that owns them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.agreements import labels as agreements
from hamkor.care import labels as care
from hamkor.core.i18n import N_, Translator
from hamkor.directory.models import City, Institution, Specialty
from hamkor.programs import labels as programs
from hamkor.programs.models import Program
from hamkor.telemedicine import labels as telemedicine
from hamkor.training import labels as training

#: Breakdowns whose values are ids of named rows.
NAMED: dict[str, type[City] | type[Specialty] | type[Institution] | type[Program]] = {
    "city": City,
    "district": City,
    "specialty": Specialty,
    "institution": Institution,
    "program": Program,
}

DIMENSION: dict[str, str] = {
    "day": N_("Day"),
    "city": N_("City"),
    "district": N_("District"),
    "specialty": N_("Specialty"),
    "institution": N_("Institution"),
    "program": N_("Program"),
    "kind": N_("Kind"),
    "status": N_("Status"),
    "outcome": N_("Outcome"),
    "complications": N_("Complications"),
    "priority": N_("Priority"),
    "role": N_("Role"),
    "state": N_("State"),
    "level": N_("Level of the cascade"),
    "urgency": N_("Urgency"),
}

STATE: dict[str, str] = {
    "done": N_("Done"),
    "due": N_("Due"),
    "overdue": N_("Overdue"),
    "late": N_("Late"),
    "open": N_("Open"),
    "in_time": N_("In time"),
}
COMPLICATIONS: dict[str, str] = {
    "with": N_("With complications"),
    "without": N_("Without complications"),
}
LEVEL: dict[int, str] = {
    1: N_("Trained on the course"),
    2: N_("Their mentees"),
    3: N_("The mentees' mentees"),
}

#: The note under every public or exported figure: why some counts are not shown.
SUPPRESSION_NOTE = N_(
    "Counts of fewer than %(threshold)s patients are shown as “<%(threshold)s”, and a figure "
    "that would reveal one is hidden (…)."
)

_ACTIVITY_FIGURES = ("cities", "activities")
_COURSE_FIGURES = (
    "trainees_enrolled",
    "trainees_attended",
    "trainees_completed",
    "cme_hours",
)


def value_labels(key: str, dim: str) -> Mapping[Any, str] | None:
    """The labels of the values of breakdown ``dim`` of indicator ``key`` (None: shown as is)."""
    if dim == "kind":
        if key in _ACTIVITY_FIGURES:
            return programs.ACTIVITY_KIND
        if key in _COURSE_FIGURES:
            return training.COURSE_KIND
        if key == "agreements_signed":
            return agreements.AGREEMENT_KIND
        return care.FOLLOW_UP_KIND
    if dim == "status":
        if key == "patients_referred":
            return care.REFERRAL_STATUS
        if key == "agreements_signed":
            return agreements.AGREEMENT_STATUS
        if key == "teleconsultations":
            return telemedicine.CASE_STATUS
        return programs.ACTIVITY_STATUS
    others: dict[str, Mapping[Any, str]] = {
        "outcome": care.PROCEDURE_OUTCOME,
        "role": programs.PARTICIPATION_ROLE,
        "state": STATE,
        "complications": COMPLICATIONS,
        "level": LEVEL,
        "urgency": telemedicine.URGENCY,
    }
    return others.get(dim)


def names_of(
    db: Session,
    model: type[City] | type[Specialty] | type[Institution] | type[Program],
    ids: Iterable[int],
    translator: Translator,
) -> dict[int, str]:
    """The names of the rows a named breakdown counts, in the reader's language."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = db.execute(select(model.id, model.names).where(model.id.in_(wanted)))
    return {row_id: translator.name(names) for row_id, names in rows}
