"""Languages: gettext catalogs for the five languages, negotiation, and names kept per script.

Catalogs are read from the ``.po`` files directly (compiled in memory once per process), so a
fresh checkout needs no build step and a stale ``.mo`` can never shadow an edited ``.po``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from hamkor.core.translit import cyrl_to_latn, latn_to_cyrl

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"

#: The languages of the platform, as tags used in URLs, cookies and stored names.
LANGUAGES: tuple[str, ...] = ("ru", "uz", "uz-Cyrl", "kk", "en")
DEFAULT_LANGUAGE = "ru"

# Order of fallback when a name is missing in the asked language: the same language in the other
# script first (by transliteration), then the languages most readers of the region share.
_FALLBACK = ("ru", "en", "uz", "kk", "uz-Cyrl")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention extractors look for
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def NN_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - as N_
    """Mark a message with plural forms for extraction; ``ngettext`` translates it where it is
    shown, with the form of its count (issue 19: the narrative's sentences)."""
    return singular, plural


def babel_id(language: str) -> str:
    """The Babel/CLDR identifier of a language tag (``uz-Cyrl`` → ``uz_Cyrl``)."""
    return language.replace("-", "_")


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> Translations:
    """The compiled catalog of ``language``."""
    po_path = LOCALE_DIR / babel_id(language) / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=babel_id(language))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


@lru_cache(maxsize=len(LANGUAGES))
def locale(language: str) -> Locale:
    return Locale.parse(babel_id(language))


def _accept_language(header: str) -> list[str]:
    """Language ranges from an Accept-Language header, best first."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*":
            ranked.append((-quality, position, tag))
    return [tag for _q, _p, tag in sorted(ranked)]


def match_language(tag: str | None) -> str | None:
    """The platform language for a tag such as ``uz-Cyrl-UZ``, ``uz_Latn`` or ``kk-KZ``."""
    if not tag:
        return None
    parts = tag.replace("_", "-").split("-")
    base = parts[0].lower()
    if base == "uz":
        return "uz-Cyrl" if any(p.lower() == "cyrl" for p in parts[1:]) else "uz"
    return base if base in LANGUAGES else None


def negotiate(
    preference: str | None,
    cookie: str | None,
    accept_language: str | None,
    default: str = DEFAULT_LANGUAGE,
) -> str:
    """The language to speak: the user's preference, then the cookie, then the browser's list."""
    for candidate in (preference, cookie):
        matched = match_language(candidate)
        if matched:
            return matched
    for tag in _accept_language(accept_language or ""):
        matched = match_language(tag)
        if matched:
            return matched
    return default


def localized(names: dict[str, str] | None, language: str) -> str:
    """A name in ``language``, else in the other script of it, else in a neighbouring language."""
    if not names:
        return ""
    if names.get(language):
        return names[language]
    if language == "uz-Cyrl" and names.get("uz"):
        return latn_to_cyrl(names["uz"])
    if language == "uz" and names.get("uz-Cyrl"):
        return cyrl_to_latn(names["uz-Cyrl"])
    for other in _FALLBACK:
        if names.get(other):
            return names[other]
    return next(iter(names.values()), "")


# Kazakh letters read as their nearest Russian ones, so "Айгерим" typed on a Russian keyboard
# finds "Айгерім".
_KAZAKH_FOLD = str.maketrans("әғқңөұүһі", "агкноуухи")


def spellings(text: str) -> set[str]:
    """The ways a reader may type ``text``: as written, in Uzbek Latin, Kazakh letters folded."""
    folded = text.casefold()
    return {folded, cyrl_to_latn(folded), folded.translate(_KAZAKH_FOLD)}


def search_text(names: dict[str, str] | None) -> str:
    """All spellings of a name in one lower-case string, so one LIKE finds it in any script."""
    if not names:
        return ""
    found: set[str] = set()
    for value in names.values():
        if value:
            found |= spellings(value)
    return " ".join(sorted(found))


@dataclass(frozen=True)
class Message:
    """A message id with its parameters, translated only when shown to a reader."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, language: str) -> str:
        translated = translations(language).gettext(self.text)
        return translated % self.params if self.params else translated


@dataclass
class Translator:
    """The translation functions handed to templates and error renderers for one request."""

    language: str

    def gettext(self, message: str, **params: Any) -> str:
        translated = translations(self.language).gettext(message)
        return translated % params if params else translated

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        translated = translations(self.language).ngettext(singular, plural, n)
        return translated % {"num": n, **params}

    def name(self, names: dict[str, str] | None) -> str:
        return localized(names, self.language)

    @property
    def locale(self) -> Locale:
        return locale(self.language)
