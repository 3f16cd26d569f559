"""IATI's codelists, the few codes Hamkor writes: a code missing from its list is a bug here,
not a file IATI would refuse, so asking for one fails loudly."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

CODELISTS = Path(__file__).with_name("codelists")


@cache
def codelist(name: str) -> dict[str, str]:
    """The codes of one IATI codelist (``OrganisationRole``) and their English names."""
    with (CODELISTS / f"{name}.csv").open(encoding="utf-8", newline="") as source:
        return {row["code"]: row["name"] for row in csv.DictReader(source)}


def code(name: str, value: str) -> str:
    """``value``, checked to be a code of the codelist ``name``."""
    if value not in codelist(name):
        raise LookupError(f"{value} is not a code of IATI's {name} codelist as kept here")
    return value
