"""Keeping the gettext catalogs whole: extract the messages the code uses, update every catalog.

The test suite calls :func:`missing_translations` so that a string added to the code without a
translation in every language fails the build.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from hamkor.core.i18n import LANGUAGES, LOCALE_DIR, babel_id

SOURCE_DIR = LOCALE_DIR.parent
METHODS = [("**.py", "python"), ("**.html", "jinja2.ext:babel_extract")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true"}}
KEYWORDS = {"_": None, "N_": None, "NN_": (1, 2), "gettext": None, "ngettext": (1, 2)}


def extract() -> Catalog:
    """Every message the Python code and the templates use."""
    catalog = Catalog(project="Hamkor", fuzzy=False)
    for filename, lineno, message, comments, _context in extract_from_dir(
        str(SOURCE_DIR), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        catalog.add(message, locations=[(filename, lineno)], auto_comments=comments)
    return catalog


def po_path(language: str) -> Path:
    return LOCALE_DIR / babel_id(language) / "LC_MESSAGES" / "messages.po"


def read(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=babel_id(language))


def update() -> dict[str, int]:
    """Merge new messages into every catalog; returns how many each still lacks."""
    template = extract()
    for language in LANGUAGES:
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read(language) if path.exists() else Catalog(locale=babel_id(language))
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        with path.open("wb") as handle:
            write_po(handle, catalog, omit_header=False, sort_output=True, include_lineno=False)
    return {language: len(missing_translations(language, template)) for language in LANGUAGES}


def missing_translations(language: str, template: Catalog | None = None) -> list[str]:
    """Messages the code uses that ``language`` does not translate (or only fuzzily)."""
    template = template or extract()
    catalog = read(language)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = found.string if found else None
        parts = strings if isinstance(strings, tuple | list) else (strings,)
        if found is None or found.fuzzy or not all(parts):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing
