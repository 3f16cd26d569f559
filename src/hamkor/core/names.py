"""The schema types of a name, or a description, kept per language or script."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from hamkor.core.errors import NOT_ALLOWED, invalid
from hamkor.core.i18n import LANGUAGES, N_
from hamkor.core.text import LINE_MAX, TEXT_MAX, LanguageTag, bounded


def _some_name(names: dict[str, str]) -> dict[str, str]:
    unknown = set(names) - set(LANGUAGES)
    if unknown:
        raise invalid(N_("Unknown language: %(value)s."), value=", ".join(sorted(unknown)))
    if any("\x00" in text for text in names.values()):
        raise invalid(NOT_ALLOWED)
    cleaned = {language: text.strip() for language, text in names.items() if text.strip()}
    if not cleaned:
        raise invalid(N_("Give the name in at least one language."))
    return cleaned


#: A name in one or more of the five languages; at least one is required; each at most 300
#: characters (issue 15: a 5,400-character name was stored).
Names = Annotated[dict[LanguageTag, Annotated[str, bounded(LINE_MAX)]], AfterValidator(_some_name)]
#: A description in one or more of the five languages, each at most 4000 characters.
Descriptions = Annotated[
    dict[LanguageTag, Annotated[str, bounded(TEXT_MAX)]], AfterValidator(_some_name)
]
