"""Validation against IATI's activity schema 2.03, offline, with lxml."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).with_name("schema")
ACTIVITIES_XSD = SCHEMA_DIR / "iati-activities-schema.xsd"


@cache
def _schema() -> etree.XMLSchema:
    # The schema imports xml.xsd beside it; lxml's parser reads no network by default.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(ACTIVITIES_XSD), parser))


def problems(document: bytes) -> list[str]:
    """What the schema finds wrong with an ``iati-activities`` document (none: it is valid)."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    tree = etree.fromstring(document, parser)
    schema = _schema()
    if schema.validate(tree):
        return []
    # One line per error: "<string>:LINE:COLUMN:ERROR:SCHEMASV:...: message".
    return str(schema.error_log).splitlines()
