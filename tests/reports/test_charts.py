"""A chart's count axis reads in whole numbers, once each, in the reader's number format."""

from __future__ import annotations

import re

import pytest

from hamkor.reports.charts import draw
from hamkor.reports.service import Row
from hamkor.reports.suppression import Count


def _axis_labels(counts: list[int], language: str = "en") -> list[str]:
    rows = [Row(value=i, label=f"row {i}", count=Count(n)) for i, n in enumerate(counts)]
    svg = draw("Chart", rows, "Patients", language).svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return [text for text in texts if re.fullmatch(r"[\d\s\u00a0,.]+", text)]


@pytest.mark.parametrize(
    ("counts", "ticks"),
    [([1, 1], ["0", "1"]), ([2, 1], ["0", "1", "2"]), ([3], ["0", "1", "2", "3"])],
)
def test_small_counts_have_one_tick_per_unit(counts: list[int], ticks: list[str]) -> None:
    assert _axis_labels(counts) == ticks


def test_large_counts_have_a_few_ticks_grouped_as_the_language_groups() -> None:
    assert _axis_labels([1500, 400], "ru") == ["0", "500", "1\u00a0000", "1\u00a0500"]
