"""Bounded text: the string types every schema, form and query parameter takes (issue 15).

A string without a bound let a 5 MB patient name be stored, and a lone surrogate (``"\\ud800"``,
which JSON may carry but no database can store) reached the database and became a 500. Every
text a person or a client sends is one of these types instead of a bare ``str``:

* the length is checked by pydantic-core before any of our code runs, so a long value costs
  little, and the refusal names the field ("Must be at most 300 characters.");
* a constrained string is read as UTF-8 by pydantic-core, which refuses a lone surrogate
  (``string_unicode``, translated in ``core.errors``); a bare ``str`` would let it through;
* a NUL character, which PostgreSQL text cannot hold, is refused here.

The length constraint must come first in an ``Annotated``: after a before-validator pydantic
checks the length in Python, where neither the surrogate nor the message of the error is ours.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from hamkor.core.errors import NOT_ALLOWED, invalid
from hamkor.core.forms import BlankIsNone

#: One line a person types: a name, a title, a topic, a reason given in a few words.
LINE_MAX = 300
#: A text of several lines: findings, a description, notes.
TEXT_MAX = 4000
#: Words typed into a search box.
SEARCH_MAX = 200
#: A local address to come back to after a form (``next=/programs/3``).
ADDRESS_MAX = 2000

_CONTROL = re.compile("[\x00-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds half of a UTF-16 pair, which UTF-8 (and so no database, and no
    response) can encode. The types below refuse one themselves (pydantic-core reads them as
    UTF-8); this is for text read otherwise, such as a form's field names."""
    return _SURROGATE.search(text) is not None


def scrub(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, to name a field in a message."""
    return _SURROGATE.sub("\ufffd", text)


def _storable(value: str) -> str:
    if "\x00" in value:
        raise invalid(NOT_ALLOWED)
    return value


def _one_line(value: str) -> str:
    """No control characters: a line break or a tab in a title breaks the lists it is shown in."""
    if _CONTROL.search(value):
        raise invalid(NOT_ALLOWED)
    return value


def bounded(max_length: int, *, min_length: int | None = None) -> StringConstraints:
    """The constraint of a text of at most ``max_length`` characters, stripped of outer blanks.

    For types of their own (codes, e-mail addresses) that add a pattern or a validator; the
    text types below cover everything else.
    """
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


#: Refuses the characters no database stores; after ``bounded`` in a type of its own.
Storable = AfterValidator(_storable)
#: Refuses control characters, which no line holds; after ``bounded`` in a type of its own.
OneLine = AfterValidator(_one_line)

#: One line, given (not blank), at most 300 characters, without control characters.
Line = Annotated[str, bounded(LINE_MAX, min_length=1), OneLine]
#: A text of several lines, given (not blank), at most 4000 characters.
Text = Annotated[str, bounded(TEXT_MAX, min_length=1), Storable]
#: Notes that may be left empty, at most 4000 characters.
Notes = Annotated[str, bounded(TEXT_MAX), Storable]
#: An optional line or text: a blank form box is not given.
OptionalLine = Annotated[Line | None, BlankIsNone]
OptionalText = Annotated[Text | None, BlankIsNone]
#: A language tag as a client sends it (``uz-Cyrl``, ``kk-KZ``), before it is matched with ours:
#: 35 characters is the length RFC 5646 asks every implementation to take.
LanguageTag = Annotated[str, bounded(35)]
#: Words to search for, or a value a list is filtered by; blank means no filter.
SearchQuery = Annotated[Annotated[str, bounded(SEARCH_MAX), Storable] | None, BlankIsNone]
