"""Privacy of aggregates: small counts of patients hidden, and what would give them away.

A public page or an export shows a count of patients from 1 to ``threshold - 1`` as "<5" (0 is
shown: nobody is named by nobody). Hiding one cell is not enough when the total is shown: the
total minus the other cells gives it back. So in a breakdown with exactly one hidden cell a
second one is hidden as well (the smallest other count above 0: the complementary cell), and
when there is no other cell to hide, the total is hidden too, here and wherever the same figure
is shown. Figures that count no patients (activities, hours) are shown whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hamkor.reports.indicators import Figure


class Hidden(StrEnum):
    """Why a count is not shown: it is small, it would let a small one be worked out, or it
    counts patients and the reader's role reaches no patient records (an auditor)."""

    SMALL = "small"
    COMPLEMENT = "complement"
    WITHHELD = "withheld"


@dataclass(frozen=True)
class Count:
    """A count as a public reader sees it: its value, or why it is hidden."""

    value: int | None
    hidden: Hidden | None = None

    def text(self, threshold: int) -> str:
        """The count as plain text: ``"<5"`` for a small one, ``"…"`` for a complement."""
        if self.hidden is Hidden.SMALL:
            return f"<{threshold}"
        if self.hidden is Hidden.COMPLEMENT:
            return "…"
        if self.hidden is Hidden.WITHHELD:
            return "—"
        return str(self.value)


@dataclass
class SafeFigure:
    """A figure with its small counts of patients hidden; the same shape as :class:`Figure`."""

    figure: Figure
    value: Count
    breakdowns: dict[str, list[tuple[Any, Count]]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.figure.key


def is_small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def protect(cells: list[int], total: int, threshold: int) -> tuple[list[Count], Count]:
    """The cells of a breakdown and its total, with the small ones and their giveaways hidden."""
    shown = [
        Count(None, Hidden.SMALL) if is_small(count, threshold) else Count(count) for count in cells
    ]
    hidden_total = is_small(total, threshold)
    if sum(count.hidden is not None for count in shown) == 1 and not hidden_total:
        others = [
            (count.value, index)
            for index, count in enumerate(shown)
            if count.value  # a shown count above 0
        ]
        if others:
            _value, index = min(others)
            shown[index] = Count(None, Hidden.COMPLEMENT)
        else:
            hidden_total = True
    if hidden_total:
        small = is_small(total, threshold)
        return shown, Count(None, Hidden.SMALL if small else Hidden.COMPLEMENT)
    return shown, Count(total)


def suppress(figure: Figure, threshold: int | None) -> SafeFigure:
    """``figure`` as a public page or an export shows it (whole when ``threshold`` is None, for
    a reader who may see the rows behind it)."""
    if threshold is None or not figure.indicator.patients:
        return SafeFigure(
            figure,
            Count(figure.value),
            {
                dim: [(key, Count(n)) for key, n in cells]
                for dim, cells in figure.breakdowns.items()
            },
        )
    breakdowns = {}
    total = Count(figure.value)
    for dim, cells in figure.breakdowns.items():
        shown, dim_total = protect([count for _key, count in cells], figure.value, threshold)
        breakdowns[dim] = [(key, count) for (key, _n), count in zip(cells, shown, strict=True)]
        if dim_total.value is None and total.value is not None:
            total = dim_total
    if total.value is not None and is_small(figure.value, threshold):
        total = Count(None, Hidden.SMALL)
    return SafeFigure(figure, total, breakdowns)
