"""Reports: the figures a reader is shown, the targets of programs and their publication.

Every function takes keyword arguments, the session and the acting user, and only flushes. The
figures come from ``indicators.compute`` under the reader's access; ``present`` labels them,
puts the targets beside them and, for a public page or an export, hides small counts of
patients (``suppression``). ``report_figures`` gathers what a program's report needs, so the
dashboard, the public page, the API and the files to come read the same figures.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.agreements.models import Agreement, IndicatorLink, RoadmapItem
from hamkor.core import clock
from hamkor.core.access import Actor, Grant
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_, Translator
from hamkor.core.models import Role
from hamkor.core.templating import Formatter
from hamkor.programs.models import Program
from hamkor.reports import labels
from hamkor.reports.access import own_institutions, reads_patients
from hamkor.reports.indicators import CATALOGUE, Figure, Indicator, Measure, compute
from hamkor.reports.models import Publication, Target
from hamkor.reports.schemas import FigureFilter, TargetSet
from hamkor.reports.sources import Reading, visible
from hamkor.reports.suppression import Count, Hidden, suppress


@dataclass(frozen=True)
class Row:
    """One line of a breakdown as a reader sees it."""

    value: Any
    label: str
    count: Count


@dataclass
class Shown:
    """A figure ready to show: labelled, beside its target, suppressed where it must be."""

    key: str
    label: str
    value: Count
    target: int | None
    breakdowns: dict[str, list[Row]] = field(default_factory=dict)

    @property
    def reached(self) -> float | None:
        """The share of the target reached (1.0 when met), when both are known. A ceiling is
        met at or under it, and reached the less the further the figure passes it."""
        value = self.value.value
        if self.target is None or value is None:
            return None
        if CATALOGUE[self.key].ceiling:
            return 1.0 if value <= self.target else self.target / value
        return 1.0 if self.target == 0 else value / self.target


# --- targets ---------------------------------------------------------------------------------


def set_target(*, db: Session, actor: Actor, program: Program, data: TargetSet) -> Target:
    """The program's target for one indicator, replacing the one it had. The caller loaded the
    program for change (another coordinator's program is refused, audited, before this)."""
    if data.indicator_key not in CATALOGUE:
        raise UserError.one(
            "indicator_key", N_("There is no indicator %(value)s."), value=data.indicator_key
        )
    target = db.scalar(
        select(Target).where(
            Target.program_id == program.id, Target.indicator_key == data.indicator_key
        )
    )
    if target is None:
        target = Target(program_id=program.id, indicator_key=data.indicator_key, value=data.value)
        db.add(target)
    else:
        target.value = data.value
    db.flush()
    return target


def targets_of(db: Session, program: Program) -> list[Target]:
    return list(
        db.scalars(
            select(Target).where(Target.program_id == program.id).order_by(Target.indicator_key)
        )
    )


def _targets(db: Session, program_ids: Collection[int] | None) -> dict[str, int]:
    """Targets by indicator over the programs read (all when ``None``): counts add up, but a
    share or a median does not, so across programs it takes the strictest program's target."""
    stmt = select(
        Target.indicator_key, func.sum(Target.value), func.min(Target.value), func.max(Target.value)
    ).group_by(Target.indicator_key)
    if program_ids is not None:
        stmt = stmt.where(Target.program_id.in_(program_ids))
    return {
        key: int(_across(CATALOGUE[key], total, lowest, highest))
        for key, total, lowest, highest in db.execute(stmt)
        if key in CATALOGUE
    }


def _across(indicator: Indicator, total: int, lowest: int, highest: int) -> int:
    if indicator.measure in (Measure.COUNT, Measure.SUM):
        return total
    return lowest if indicator.ceiling else highest


# --- figures ---------------------------------------------------------------------------------


def figures(
    *,
    db: Session,
    actor: Actor,
    today: date,
    program_ids: Collection[int] | None,
    filters: FigureFilter,
    translator: Translator,
    threshold: int | None = None,
    keys: Sequence[str] | None = None,
) -> list[Shown]:
    """The figures of the programs (all the reader sees when ``None``) as ``actor`` reads them."""
    narrowed = filters.narrowed(own_institutions(actor, program_ids))
    found = compute(db, Reading(actor, today), program_ids=program_ids, filters=narrowed, keys=keys)
    shown = present(db, found, _targets(db, program_ids), translator, threshold)
    if reads_patients(actor):
        return shown
    patients = {figure.key for figure in found if figure.indicator.patients}
    return [_withheld(figure) if figure.key in patients else figure for figure in shown]


def _withheld(figure: Shown) -> Shown:
    return Shown(figure.key, figure.label, Count(None, Hidden.WITHHELD), figure.target, {})


def present(
    db: Session,
    found: Sequence[Figure],
    targets: dict[str, int],
    translator: Translator,
    threshold: int | None,
) -> list[Shown]:
    """Figures labelled in the reader's language, with one statement per kind of named row."""
    names = _names(db, found, translator)
    shown = []
    for figure in found:
        safe = suppress(figure, threshold)
        breakdowns = {
            dim: [
                Row(value, _label(figure.key, dim, value, names, translator), count)
                for value, count in cells
            ]
            for dim, cells in safe.breakdowns.items()
        }
        shown.append(
            Shown(
                key=figure.key,
                label=translator.gettext(figure.indicator.label),
                value=safe.value,
                target=targets.get(figure.key),
                breakdowns=breakdowns,
            )
        )
    return shown


def _names(
    db: Session, found: Sequence[Figure], translator: Translator
) -> dict[type[Any], dict[int, str]]:
    wanted: dict[type[Any], set[int]] = defaultdict(set)
    for figure in found:
        for dim, cells in figure.breakdowns.items():
            if dim in labels.NAMED:
                wanted[labels.NAMED[dim]].update(value for value, _count in cells)
    return {model: labels.names_of(db, model, ids, translator) for model, ids in wanted.items()}


def _label(
    key: str, dim: str, value: Any, names: dict[type[Any], dict[int, str]], translator: Translator
) -> str:
    if dim in labels.NAMED:
        return names.get(labels.NAMED[dim], {}).get(value, str(value))
    if dim == "day":
        return Formatter(translator).date(date.fromisoformat(value))
    known = labels.value_labels(key, dim)
    if known is not None and value in known:
        return translator.gettext(known[value])
    return str(value)


# --- the roadmap's indicators ----------------------------------------------------------------


@dataclass(frozen=True)
class Linked:
    """An indicator a roadmap item of the program's agreements moves: the item, the period,
    its target and recorded value, and the program's own figure when the key is one of ours."""

    item: str
    key: str
    label: str
    period: str
    target: float
    actual: float | None
    figure: Count | None


def roadmap_indicators(
    db: Session, actor: Actor, program: Program, shown: Sequence[Shown], translator: Translator
) -> list[Linked]:
    """The indicators the program's roadmap items link to by key, that ``actor`` may see."""
    by_key = {figure.key: figure for figure in shown}
    stmt = (
        select(IndicatorLink, RoadmapItem.titles)
        .join(RoadmapItem, RoadmapItem.id == IndicatorLink.item_id)
        .join(Agreement, Agreement.id == RoadmapItem.agreement_id)
        .where(Agreement.program_id == program.id, visible(actor, IndicatorLink, RoadmapItem))
        .order_by(RoadmapItem.due_on, IndicatorLink.indicator_key, IndicatorLink.period)
    )
    found = []
    for link, titles in db.execute(stmt):
        figure = by_key.get(link.indicator_key)
        found.append(
            Linked(
                item=translator.name(titles),
                key=link.indicator_key,
                label=figure.label if figure else link.indicator_key,
                period=link.period,
                target=link.target,
                actual=link.actual,
                figure=figure.value if figure else None,
            )
        )
    return found


# --- publication -----------------------------------------------------------------------------


def publication_of(db: Session, program: Program) -> Publication | None:
    return db.get(Publication, program.id)


def publish(*, db: Session, actor: Actor, program: Program) -> Publication:
    """Put the program's figures (suppressed) at a public address; again: the same address."""
    found = publication_of(db, program)
    if found is not None:
        return found
    publication = Publication(
        program_id=program.id,
        slug=secrets.token_urlsafe(12),
        published_at=clock.now(),
        published_by_id=actor.user_id,
    )
    db.add(publication)
    db.flush()
    return publication


def unpublish(*, db: Session, actor: Actor, program: Program) -> None:
    """Take the public page down: its address answers 404 from now on."""
    found = publication_of(db, program)
    if found is not None:
        db.delete(found)
        db.flush()


def published(db: Session, slug: str) -> Publication | None:
    return db.scalar(select(Publication).where(Publication.slug == slug))


def program_reader(program: Program) -> Actor:
    """Whom a public page or a report reads the figures as: a coordinator of that program only,
    who sees its rows and no other program's."""
    return Actor(
        user_id=0,
        username="report",
        grants=(Grant(Role.PROGRAM_COORDINATOR, program_id=program.id),),
    )


@dataclass
class ReportFigures:
    """Everything a program's report is built from: the figures, against their targets."""

    program: Program
    language: str
    today: date
    threshold: int | None
    reader: Actor
    figures: list[Shown]

    def by_key(self) -> dict[str, Shown]:
        return {figure.key: figure for figure in self.figures}


def report_figures(
    db: Session,
    program: Program,
    translator: Translator,
    *,
    today: date,
    threshold: int | None,
    reader: Actor | None = None,
) -> ReportFigures:
    """The program's figures as its report (PDF, workbook, narrative, public page) gives them:
    read as the program's coordinator (or as ``reader``, with their own access), suppressed by
    ``threshold`` for whoever reads them."""
    reader = reader or program_reader(program)
    shown = figures(
        db=db,
        actor=reader,
        today=today,
        program_ids=[program.id],
        filters=FigureFilter(),
        translator=translator,
        threshold=threshold,
    )
    return ReportFigures(program, translator.language, today, threshold, reader, shown)
