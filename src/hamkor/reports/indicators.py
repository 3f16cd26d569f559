"""The indicators: each a stable key, a source of rows and the breakdowns it is given by.

A figure is computed in the database: one ``COUNT(DISTINCT unit)`` (or ``SUM(amount)``) for
its value and one ``GROUP BY`` per breakdown, over its source's rows, which already carry the
reader's access conditions. The number of statements depends on the indicators asked for,
never on the number of rows. ``docs/reports.md`` lists the same indicators and breakdowns in
a table that a test compares with this catalogue.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Subquery

from hamkor.core.db import UTCDateTime
from hamkor.core.i18n import N_
from hamkor.reports import sources
from hamkor.reports.sources import Reading, Rows, Source

#: The breakdowns every place-bound figure may have, and the filters that narrow them.
DAY, CITY, SPECIALTY, INSTITUTION, PROGRAM = "day", "city", "specialty", "institution", "program"
_PLACES = (DAY, CITY, SPECIALTY, INSTITUTION)
#: A teleconsultation's breakdowns: its institution is the centre asked.
_CASES = (DAY, SPECIALTY, INSTITUTION, "urgency")


class Measure(StrEnum):
    """What a figure is: a count of distinct ``unit``s, a sum of ``amount``s, the percentage
    of rows that are a ``hit``, or the median of the hours from ``started`` to ``ended``
    (whole numbers, all of them)."""

    COUNT = "count"
    SUM = "sum"
    PERCENT = "percent"
    MEDIAN_HOURS = "median_hours"


@dataclass(frozen=True)
class Indicator:
    """A figure a program reports, such as the patients consulted or the doctors trained.

    ``patients`` marks counts of patients, which a public page or an export suppresses when
    small; ``measure`` says what the figure is when it is not a count of distinct rows;
    ``ceiling`` marks figures whose target is the most they should be (hours to answer,
    certificates revoked), so that a figure under its target has met it.
    """

    key: str
    label: str
    source: Source
    breakdowns: tuple[str, ...]
    patients: bool = False
    measure: Measure = Measure.COUNT
    ceiling: bool = False


CATALOGUE: dict[str, Indicator] = {
    indicator.key: indicator
    for indicator in (
        Indicator(
            "delegates",
            N_("Delegates"),
            sources.delegates,
            (DAY, CITY, INSTITUTION, "role"),
        ),
        Indicator("brigades", N_("Brigades"), sources.brigades, (INSTITUTION,)),
        Indicator("cities", N_("Cities"), sources.cities, (*_PLACES, "kind")),
        Indicator("activities", N_("Activities"), sources.activities, (*_PLACES, "kind", "status")),
        Indicator(
            "interventions_performed",
            N_("High-tech interventions performed"),
            sources.interventions_performed,
            _PLACES,
        ),
        Indicator(
            "operations_performed",
            N_("Operations performed"),
            sources.operations_performed,
            (*_PLACES, "outcome", "complications"),
        ),
        Indicator(
            "patients_referred",
            N_("Patients referred"),
            sources.patients_referred,
            (DAY, SPECIALTY, INSTITUTION, "priority", "status"),
            patients=True,
        ),
        Indicator(
            "patients_booked",
            N_("Patients booked"),
            sources.patients_booked,
            (*_PLACES, "priority"),
            patients=True,
        ),
        Indicator(
            "patients_consulted",
            N_("Patients consulted"),
            sources.patients_consulted,
            (*_PLACES, "priority"),
            patients=True,
        ),
        Indicator(
            "follow_ups",
            N_("Follow-ups"),
            sources.follow_ups,
            (DAY, SPECIALTY, INSTITUTION, "state", "kind"),
        ),
        Indicator(
            "trainees_enrolled",
            N_("Trainees enrolled"),
            sources.trainees_enrolled,
            (*_PLACES, "kind"),
        ),
        Indicator(
            "trainees_attended",
            N_("Trainees who attended"),
            sources.trainees_attended,
            (*_PLACES, "kind"),
        ),
        Indicator(
            "trainees_completed",
            N_("Doctors trained"),
            sources.trainees_completed,
            (*_PLACES, "kind"),
        ),
        Indicator(
            "certificates_issued",
            N_("Certificates issued"),
            sources.certificates_issued,
            _PLACES,
        ),
        Indicator(
            "certificates_revoked",
            N_("Certificates revoked"),
            sources.certificates_revoked,
            _PLACES,
            ceiling=True,
        ),
        Indicator(
            "cme_hours",
            N_("CME hours"),
            sources.cme_hours,
            (*_PLACES, "kind"),
            measure=Measure.SUM,
        ),
        Indicator(
            "cascade_reach",
            N_("Cascade reach"),
            sources.cascade_reach,
            (INSTITUTION, "level", "district"),
        ),
        Indicator(
            "agreements_signed",
            N_("Agreements signed"),
            sources.agreements_signed,
            (DAY, "kind", "status"),
        ),
        Indicator(
            "roadmap_items",
            N_("Roadmap items"),
            sources.roadmap_items,
            (DAY, INSTITUTION, "state"),
        ),
        Indicator(
            "teleconsultations",
            N_("Teleconsultations asked"),
            sources.teleconsultations,
            (*_CASES, "status"),
            patients=True,
        ),
        Indicator(
            "teleconsultations_answered",
            N_("Teleconsultations answered"),
            sources.teleconsultations_answered,
            (*_CASES, "state"),
            patients=True,
        ),
        Indicator(
            "teleconsultation_hours",
            N_("Median answer time, hours"),
            sources.teleconsultation_hours,
            _CASES,
            measure=Measure.MEDIAN_HOURS,
            ceiling=True,
        ),
        Indicator(
            "teleconsultations_in_time",
            N_("Answered in time, %"),
            sources.teleconsultations_in_time,
            _CASES,
            measure=Measure.PERCENT,
        ),
        Indicator(
            "visits_avoided",
            N_("Visits avoided by a teleconsultation"),
            sources.visits_avoided,
            _CASES,
            patients=True,
        ),
    )
}


@dataclass(frozen=True)
class Filters:
    """What a reader narrows the figures to: a date range, a city, a specialty, institutions.

    A filter applies to the indicators that have its breakdown; the others are shown whole.
    """

    since: date | None = None
    until: date | None = None
    city_id: int | None = None
    specialty_id: int | None = None
    institution_ids: frozenset[int] | None = None


@dataclass
class Figure:
    """An indicator's value and its breakdowns, each a list of (value of the breakdown, count)."""

    indicator: Indicator
    value: int
    breakdowns: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.indicator.key


def compute(
    db: Session,
    reading: Reading,
    *,
    program_ids: Collection[int] | None = None,
    filters: Filters | None = None,
    keys: Iterable[str] | None = None,
    breakdowns: bool = True,
) -> list[Figure]:
    """The figures of ``program_ids`` (all the reader sees when ``None``), in catalogue order.

    Across programs, each figure is also broken down by program.
    """
    wanted = list(CATALOGUE) if keys is None else [key for key in CATALOGUE if key in set(keys)]
    figures = []
    for key in wanted:
        indicator = CATALOGUE[key]
        rows = _rows(indicator, reading, program_ids, filters or Filters())
        figure = Figure(indicator, _value(db, indicator, rows))
        if breakdowns:
            dims = indicator.breakdowns + ((PROGRAM,) if program_ids is None else ())
            figure.breakdowns = {dim: _breakdown(db, indicator, rows, dim) for dim in dims}
        figures.append(figure)
    return figures


def _rows(
    indicator: Indicator,
    reading: Reading,
    program_ids: Collection[int] | None,
    filters: Filters,
) -> Subquery:
    source = indicator.source(reading)
    if program_ids is not None:
        source = source.where(_column(source, PROGRAM).in_(program_ids))
    rows = source.subquery(indicator.key)
    return select(rows).where(*_conditions(indicator, rows, filters)).subquery()


def _column(source: Rows, name: str) -> ColumnElement[Any]:
    return next(column for column in source.selected_columns if column.key == name)


def _conditions(
    indicator: Indicator, rows: Subquery, filters: Filters
) -> list[ColumnElement[bool]]:
    has = set(indicator.breakdowns)
    found: list[ColumnElement[bool]] = []
    if DAY in has:
        found += _within(rows.c.at, filters.since, filters.until)
    if CITY in has and filters.city_id is not None:
        found.append(rows.c.city == filters.city_id)
    if SPECIALTY in has and filters.specialty_id is not None:
        found.append(rows.c.specialty == filters.specialty_id)
    if INSTITUTION in has and filters.institution_ids is not None:
        found.append(rows.c.institution.in_(filters.institution_ids))
    return found


def _within(
    at: ColumnElement[Any], since: date | None, until: date | None
) -> list[ColumnElement[bool]]:
    """``since`` to ``until`` inclusive, on a date column or on a UTC instant column."""
    instants = isinstance(at.type, UTCDateTime)

    def bound(day: date) -> date | datetime:
        return datetime.combine(day, time(), UTC) if instants else day

    found = []
    if since is not None:
        found.append(at >= bound(since))
    if until is not None:
        found.append(at < bound(until + timedelta(days=1)))
    return found


def _measures(indicator: Indicator, rows: Subquery) -> tuple[ColumnElement[Any], ...]:
    if indicator.measure is Measure.SUM:
        return (func.coalesce(func.sum(rows.c.amount), 0),)
    if indicator.measure is Measure.PERCENT:
        return (func.count(rows.c.unit), func.coalesce(func.sum(rows.c.hit), 0))
    return (func.count(rows.c.unit.distinct()),)


def _combined(indicator: Indicator, measured: Sequence[Any]) -> int:
    if indicator.measure is Measure.PERCENT:
        rows, hits = (int(value or 0) for value in measured)
        return round(100 * hits / rows) if rows else 0
    return int(measured[0] or 0)


def _value(db: Session, indicator: Indicator, rows: Subquery) -> int:
    if indicator.measure is Measure.MEDIAN_HOURS:
        return _medians(db, rows, None).get(None, 0)
    measured = db.execute(select(*_measures(indicator, rows))).one()
    return _combined(indicator, measured)


def _dimension(rows: Subquery, dim: str) -> ColumnElement[Any]:
    return func.date(rows.c.at) if dim == DAY else rows.c[dim]


def _breakdown(
    db: Session, indicator: Indicator, rows: Subquery, dim: str
) -> list[tuple[Any, int]]:
    """Counts per value of ``dim`` (rows without one left out), in the order of the values."""
    if indicator.measure is Measure.MEDIAN_HOURS:
        return [(_plain(value), hours) for value, hours in _medians(db, rows, dim).items()]
    column = _dimension(rows, dim)
    stmt = (
        select(column.label("value"), *_measures(indicator, rows))
        .where(column.is_not(None))
        .group_by(column)
        .order_by(column)
    )
    return [
        (_plain(value), _combined(indicator, measured)) for value, *measured in db.execute(stmt)
    ]


def _medians(db: Session, rows: Subquery, dim: str | None) -> dict[Any, int]:
    """The median hours from ``started`` to ``ended`` per value of ``dim`` (``None``: all).

    SQLite has no percentile function, so the database returns the durations' instants (one
    pair per answered case: a program has tens of them, not thousands) and the median is taken
    here, on both backends alike; the grouping values come back in the database's order.
    """
    if dim is None:
        stmt = select(literal(None), rows.c.started, rows.c.ended)
    else:
        column = _dimension(rows, dim)
        stmt = select(column, rows.c.started, rows.c.ended).where(column.is_not(None))
        stmt = stmt.order_by(column)
    hours: dict[Any, list[float]] = {}
    for value, started, ended in db.execute(stmt):
        hours.setdefault(value, []).append((ended - started).total_seconds() / 3600)
    return {value: round(median(found)) for value, found in hours.items()}


def _plain(value: Any) -> Any:
    """A day as its ISO text on both backends (SQLite's ``date()`` gives text already)."""
    return value.isoformat() if isinstance(value, date) else value
