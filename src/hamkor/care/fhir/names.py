"""Names kept per language and script, written the way FHIR carries translations.

A string element (``Organization.name``) holds the name in the platform's default language and
carries the others in HL7's ``translation`` extension; a person's names are one HumanName per
language, marked by HL7's ``language`` extension (a BCP 47 tag: ``uz-Cyrl``).
"""

from __future__ import annotations

from typing import Any

from hamkor.care.fhir.terms import LANGUAGE_EXTENSION, TRANSLATION_EXTENSION
from hamkor.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, localized


def _ordered(names: dict[str, str]) -> list[tuple[str, str]]:
    return [(language, names[language]) for language in LANGUAGES if names.get(language)]


def translated(element: str, names: dict[str, str]) -> dict[str, Any]:
    """``{element: name, _element: translations}`` for a resource holding ``names``."""
    primary = localized(names, DEFAULT_LANGUAGE)
    translations = [
        {
            "url": TRANSLATION_EXTENSION,
            "extension": [
                {"url": "lang", "valueCode": language},
                {"url": "content", "valueString": text},
            ],
        }
        for language, text in _ordered(names)
        if language != DEFAULT_LANGUAGE
    ]
    found: dict[str, Any] = {element: primary}
    if translations:
        found[f"_{element}"] = {"extension": translations}
    return found


def human_names(names: dict[str, str]) -> list[dict[str, Any]]:
    """One official HumanName per language of ``names``, the default language first."""
    ordered = sorted(_ordered(names), key=lambda item: item[0] != DEFAULT_LANGUAGE)
    return [
        {
            "extension": [{"url": LANGUAGE_EXTENSION, "valueCode": language}],
            "use": "official",
            "text": text,
        }
        for language, text in ordered
    ]


def _language_of(name: dict[str, Any]) -> str | None:
    for extension in name.get("extension") or []:
        if extension.get("url") == LANGUAGE_EXTENSION:
            code = extension.get("valueCode")
            return code if isinstance(code, str) else None
    return None


def _text_of(name: dict[str, Any]) -> str:
    text = name.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    parts = [name.get("family") or "", *(name.get("given") or [])]
    return " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def _script_default(text: str) -> str:
    """The language of a name that does not say: Cyrillic is read as Russian, else Uzbek."""
    return "ru" if any("\u0400" <= char <= "\u04ff" for char in text) else "uz"


def names_of(human_names_: list[dict[str, Any]]) -> dict[str, str]:
    """Names per language from HumanNames (the inverse of :func:`human_names`).

    A name without the language extension is taken by its script (docs/fhir.md); the first
    name of a language wins.
    """
    found: dict[str, str] = {}
    for name in human_names_:
        text = _text_of(name)
        if text:
            found.setdefault(_language_of(name) or _script_default(text), text)
    return found
