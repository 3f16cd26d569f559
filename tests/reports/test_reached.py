"""How far a figure has come to its target: most figures should reach it, a few should stay
under it (the hours a centre takes to answer), and the meter on the card must read that way."""

from __future__ import annotations

import pytest

from hamkor.reports.service import Shown
from hamkor.reports.suppression import Count


@pytest.mark.parametrize(
    ("key", "value", "target", "reached"),
    [
        ("patients_consulted", 108, 100, 1.08),
        ("patients_consulted", 50, 100, 0.5),
        ("patients_consulted", 0, 0, 1.0),
        ("teleconsultation_hours", 12, 24, 1.0),
        ("teleconsultation_hours", 24, 24, 1.0),
        ("teleconsultation_hours", 48, 24, 0.5),
        ("certificates_revoked", 0, 0, 1.0),
        ("certificates_revoked", 2, 1, 0.5),
    ],
)
def test_a_figure_reaches_its_target_from_the_side_it_should(
    key: str, value: int, target: int, reached: float
) -> None:
    assert Shown(key, key, Count(value), target).reached == reached


def test_a_withheld_figure_reaches_nothing() -> None:
    assert Shown("teleconsultation_hours", "", Count(None), 24).reached is None
