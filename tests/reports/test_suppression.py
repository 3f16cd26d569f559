"""Small counts of patients hidden, and the counts that would give them away."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.models import User
from hamkor.reports.indicators import CATALOGUE, Figure, compute
from hamkor.reports.sources import Reading
from hamkor.reports.suppression import Count, Hidden, protect, suppress
from tests.fixtures.reports import TODAY, ReportWorld

SMALL = Count(None, Hidden.SMALL)
COMPLEMENT = Count(None, Hidden.COMPLEMENT)


def test_a_cell_of_3_shows_below_5_and_the_total_that_would_reveal_it_is_hidden() -> None:
    # 3 patients in one district, 6 more without one: 9 − nothing shown would give 3 back.
    cells, total = protect([3], 9, 5)
    assert [cell.text(5) for cell in cells] == ["<5"]
    assert total == COMPLEMENT


def test_a_second_cell_is_hidden_when_one_can_be() -> None:
    cells, total = protect([3, 7, 12, 0], 22, 5)
    assert cells == [SMALL, COMPLEMENT, Count(12), Count(0)]
    assert total == Count(22)


def test_two_small_cells_protect_each_other() -> None:
    cells, total = protect([3, 2, 10], 15, 5)
    assert cells == [SMALL, SMALL, Count(10)]
    assert total == Count(15)


def test_zero_and_large_counts_are_shown() -> None:
    assert protect([0, 12], 12, 5) == ([Count(0), Count(12)], Count(12))


def test_the_threshold_is_a_setting() -> None:
    cells, _total = protect([7, 30, 40], 77, 10)
    assert [cell.text(10) for cell in cells] == ["<10", "…", "40"]


def test_a_figure_whose_breakdown_would_reveal_a_small_cell_hides_its_value() -> None:
    figure = Figure(CATALOGUE["patients_consulted"], 9, {"city": [(1, 3)], "day": [("d", 9)]})
    safe = suppress(figure, 5)
    assert safe.value == COMPLEMENT
    assert safe.breakdowns["city"] == [(1, SMALL)]
    assert safe.breakdowns["day"] == [("d", Count(9))]


def test_figures_of_no_patients_are_shown_whole() -> None:
    figure = Figure(CATALOGUE["activities"], 3, {"kind": [("lecture", 1), ("exhibition", 2)]})
    assert suppress(figure, 5).breakdowns["kind"] == [
        ("lecture", Count(1)),
        ("exhibition", Count(2)),
    ]


def test_the_programs_patient_figures_are_suppressed(
    db: Session, report_world: ReportWorld, admin: User
) -> None:
    program_id = report_world.care.days.program.id
    figures = compute(db, Reading(Actor.of(admin), TODAY), program_ids=[program_id])
    safe = {figure.key: suppress(figure, 5) for figure in figures}
    assert safe["patients_referred"].value.text(5) == "<5"
    assert safe["patients_consulted"].breakdowns["day"] == [("2025-10-13", SMALL)]
    assert safe["activities"].value == Count(5)
