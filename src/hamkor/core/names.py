"""The schema type of a name kept per language or script."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from hamkor.core.errors import invalid
from hamkor.core.i18n import LANGUAGES, N_


def _some_name(names: dict[str, str]) -> dict[str, str]:
    unknown = set(names) - set(LANGUAGES)
    if unknown:
        raise invalid(N_("Unknown language: %(value)s."), value=", ".join(sorted(unknown)))
    if any("\x00" in text for text in names.values()):
        raise invalid(N_("This value contains a character that is not allowed."))
    cleaned = {language: text.strip() for language, text in names.items() if text.strip()}
    if not cleaned:
        raise invalid(N_("Give the name in at least one language."))
    return cleaned


#: A name in one or more of the five languages; at least one is required.
Names = Annotated[dict[str, str], AfterValidator(_some_name)]
