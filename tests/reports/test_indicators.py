"""Each indicator against the hand-counted ``report_world``, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.i18n import Translator
from hamkor.core.models import Role, User
from hamkor.reports import service
from hamkor.reports.indicators import CATALOGUE, Figure, Filters, compute
from hamkor.reports.schemas import FigureFilter
from hamkor.reports.sources import Reading
from tests.fixtures.core import UserFactory
from tests.fixtures.reports import EXPECTED, TODAY, ReportWorld


def _figures(
    db: Session, user: User, world: ReportWorld, filters: Filters | None = None
) -> dict[str, Figure]:
    reading = Reading(Actor.of(user), TODAY)
    program_ids = [world.care.days.program.id]
    return {f.key: f for f in compute(db, reading, program_ids=program_ids, filters=filters)}


def test_every_indicator_equals_its_hand_count(
    db: Session, report_world: ReportWorld, admin: User
) -> None:
    figures = _figures(db, admin, report_world)
    assert {key: figure.value for key, figure in figures.items()} == EXPECTED


def test_every_indicator_of_the_catalogue_is_counted_by_hand() -> None:
    assert set(CATALOGUE) == set(EXPECTED)


def test_breakdowns_by_kind_status_outcome_and_state(
    db: Session, report_world: ReportWorld, admin: User
) -> None:
    figures = _figures(db, admin, report_world)
    assert figures["activities"].breakdowns["status"] == [
        ("cancelled", 1),
        ("done", 2),
        ("planned", 2),
    ]
    assert figures["operations_performed"].breakdowns["outcome"] == [
        ("partially_successful", 1),
        ("successful", 1),
    ]
    assert figures["operations_performed"].breakdowns["complications"] == [
        ("with", 1),
        ("without", 1),
    ]
    assert figures["follow_ups"].breakdowns["state"] == [("done", 1), ("due", 1), ("overdue", 1)]
    assert figures["roadmap_items"].breakdowns["state"] == [("done", 1), ("late", 1), ("open", 1)]
    assert figures["cascade_reach"].breakdowns["level"] == [(1, 2), (2, 1), (3, 1)]
    assert figures["patients_referred"].breakdowns["priority"] == [(3, 2), (5, 1)]


def test_breakdowns_by_day_city_specialty_and_institution(
    db: Session, report_world: ReportWorld, admin: User
) -> None:
    days = report_world.care.days
    consulted = _figures(db, admin, report_world)["patients_consulted"].breakdowns
    assert consulted["day"] == [("2025-10-13", 2)]
    # Karimov was seen without a booking: no session, so no city nor institution.
    assert consulted["city"] == [(days.tashkent.id, 1)]
    assert consulted["institution"] == [(days.vakhidov.id, 1)]
    assert consulted["specialty"] == sorted(
        [(days.cardiac_surgery.id, 1), (days.neurosurgery.id, 1)]
    )
    interventions = _figures(db, admin, report_world)["interventions_performed"].breakdowns
    assert interventions["city"] == sorted([(days.tashkent.id, 1), (days.samarkand.id, 1)])
    assert interventions["day"] == [("2025-10-13", 1), ("2025-10-15", 1)]


def test_across_programs_by_program(db: Session, report_world: ReportWorld, admin: User) -> None:
    reading = Reading(Actor.of(admin), TODAY)
    figure = compute(db, reading, keys=["interventions_performed"])[0]
    program = report_world.care.days.program
    assert figure.value == 3
    assert figure.breakdowns["program"] == [(program.id, 2), (report_world.other_program.id, 1)]


def test_filters_narrow_the_figures_that_have_their_breakdown(
    db: Session, report_world: ReportWorld, admin: User
) -> None:
    days = report_world.care.days
    since = Filters(since=date(2025, 10, 14), until=date(2025, 10, 16))
    figures = _figures(db, admin, report_world, since)
    assert figures["activities"].value == 2  # the demonstration and the cancelled one
    assert figures["interventions_performed"].value == 1
    assert figures["brigades"].value == 2  # brigades have no day: shown whole
    in_samarkand = _figures(db, admin, report_world, Filters(city_id=days.samarkand.id))
    assert in_samarkand["activities"].value == 1
    assert in_samarkand["patients_consulted"].value == 0


def test_a_reader_counts_only_the_rows_they_may_see(
    db: Session, report_world: ReportWorld, create_user: UserFactory
) -> None:
    days = report_world.care.days
    outsider = create_user(Role.REGISTRAR, institution_id=days.samarkand_hospital.id)
    figures = _figures(db, outsider, report_world)
    assert figures["patients_consulted"].value == 0
    assert figures["patients_referred"].value == 0
    registrar = report_world.care.registrar
    assert _figures(db, registrar, report_world)["patients_referred"].value == 3


def test_teleconsultations_by_centre_urgency_and_deadline(
    db: Session, report_world: ReportWorld, admin: User
) -> None:
    days = report_world.care.days
    figures = _figures(db, admin, report_world)
    asked = figures["teleconsultations"].breakdowns
    assert asked["institution"] == sorted([(days.syzganov.id, 3), (days.samarkand_hospital.id, 1)])
    assert asked["urgency"] == [("routine", 3), ("urgent", 1)]
    assert asked["day"] == [
        ("2025-10-20", 1),
        ("2025-10-21", 1),
        ("2025-10-22", 1),
        ("2025-10-24", 1),
    ]
    assert figures["teleconsultations_answered"].breakdowns["state"] == [
        ("in_time", 2),
        ("late", 1),
    ]
    hours = figures["teleconsultation_hours"].breakdowns
    assert hours["urgency"] == [("routine", 15), ("urgent", 36)]  # median of 6 and 24; 36
    assert hours["specialty"] == sorted([(days.cardiac_surgery.id, 21), (days.neurosurgery.id, 24)])
    assert figures["teleconsultations_in_time"].breakdowns["urgency"] == [
        ("routine", 100),
        ("urgent", 0),
    ]
    assert figures["visits_avoided"].breakdowns["specialty"] == sorted(
        [(days.cardiac_surgery.id, 1), (days.neurosurgery.id, 1)]
    )


def test_teleconsultations_count_for_the_centre_a_registrar_belongs_to(
    db: Session, report_world: ReportWorld, create_user: UserFactory
) -> None:
    days = report_world.care.days
    registrar = create_user(Role.REGISTRAR, institution_id=days.samarkand_hospital.id)
    shown = service.figures(
        db=db,
        actor=Actor.of(registrar),
        today=TODAY,
        program_ids=[days.program.id],
        filters=FigureFilter(),
        translator=Translator("en"),
        keys=["teleconsultations", "teleconsultation_hours", "teleconsultations_in_time"],
    )
    # The Samarkand hospital is the centre of one case, answered in 36 hours, late.
    assert [figure.value.value for figure in shown] == [1, 36, 0]
