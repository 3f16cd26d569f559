"""docs/reports.md's table of indicators × breakdowns is the catalogue's, row for row."""

from __future__ import annotations

import re
from pathlib import Path

from hamkor.reports.indicators import CATALOGUE

DOC = Path(__file__).parents[2] / "docs" / "reports.md"
PLACES = ("day", "city", "specialty", "institution")


def _table() -> dict[str, tuple[str, ...]]:
    found = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        key = re.fullmatch(r"`([a-z_]+)`", cells[0])
        if key is None or len(cells) != 7:
            continue
        places = tuple(place for place, cell in zip(PLACES, cells[2:6], strict=True) if cell)
        others = tuple(re.findall(r"`([a-z_]+)`", cells[6]))
        found[key.group(1)] = places + others
    return found


def test_the_documented_table_is_the_catalogue() -> None:
    documented = _table()
    assert list(documented) == list(CATALOGUE)
    for key, indicator in CATALOGUE.items():
        assert set(documented[key]) == set(indicator.breakdowns), key
