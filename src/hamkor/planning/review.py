"""The review of a proposed plan: each requested activity before and after, what changed.

``before`` is the accepted plan frozen in the run's instance, ``after`` the proposal; a request
is added, moved (its day, time, room, city or leads changed), removed or unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from hamkor.planning.solver.model import Instance, PlacedActivity, Plan


class Change(StrEnum):
    ADDED = "added"
    MOVED = "moved"
    REMOVED = "removed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Line:
    activity: str
    change: Change
    before: PlacedActivity | None
    after: PlacedActivity | None
    #: For a move: which of day, time, room, city, leads differ.
    changed: tuple[str, ...] = ()


def _differences(before: PlacedActivity, after: PlacedActivity) -> tuple[str, ...]:
    checks = (
        ("day", before.day != after.day),
        ("time", (before.start, before.end) != (after.start, after.end)),
        ("room", before.room != after.room),
        ("city", before.city != after.city),
        ("leads", sorted(before.leads) != sorted(after.leads)),
    )
    return tuple(name for name, differs in checks if differs)


def compare(instance: Instance, plan: Plan) -> list[Line]:
    """One line per requested activity placed before or after, in the instance's order."""
    before = {placed.activity: placed for placed in instance.accepted}
    after = {placed.activity: placed for placed in plan.activities}
    lines: list[Line] = []
    for activity in instance.activities:
        old, new = before.get(activity.id), after.get(activity.id)
        if old is None and new is None:
            continue
        if old is None:
            lines.append(Line(activity.id, Change.ADDED, None, new))
        elif new is None:
            lines.append(Line(activity.id, Change.REMOVED, old, None))
        else:
            changed = _differences(old, new)
            change = Change.MOVED if changed else Change.UNCHANGED
            lines.append(Line(activity.id, change, old, new, changed))
    return lines


def counts(lines: Sequence[Line]) -> dict[Change, int]:
    return {change: sum(1 for line in lines if line.change == change) for change in Change}
