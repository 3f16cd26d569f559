"""Searchable pickers: a person or a room chosen by typing a few letters of its name (issue 20).

A picker is a text box. With JavaScript, htmx fills its ``<datalist>`` from a search endpoint as
the reader types, each suggestion ending in the record's number (``Aziz Karimov (#12)``);
without it, the box is a plain field whose text the server reads on submit. Either way the
posted text comes here before the form's schema sees it: a number (``12``, ``#12``, or a
suggestion's ``(#12)``) is taken as it is, a name must match exactly one record, else the
field is refused naming the candidates. Which records a name may match is the module's
business (a :data:`Finder`); how a typed value becomes an id is the same for every picker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from hamkor.core.errors import FieldError, UserError, problem
from hamkor.core.i18n import N_

#: How many suggestions a picker offers, and how many candidates an ambiguous name lists.
SUGGESTIONS: Final = 12
#: What separates several names typed at once in a multi-value picker's text box.
SEPARATORS: Final = re.compile(r"[;,]")

_NUMBER = re.compile(r"^\s*#?(\d{1,10})\s*$|\(#(\d{1,10})\)\s*$")


@dataclass(frozen=True)
class Candidate:
    """A record a typed name may mean: its id and its label in the reader's language."""

    id: int
    label: str

    @property
    def suggestion(self) -> str:
        """The text a picker offers and reads back unambiguously: the label and the number."""
        return f"{self.label} (#{self.id})"


#: The records whose names contain every word of a query, at most ``limit`` of them.
Finder = Callable[[str, int], list[Candidate]]


def number_in(text: str) -> int | None:
    """The record number a picker's text names, if it names one."""
    found = _NUMBER.search(text)
    if found is None:
        return None
    return int(found.group(1) or found.group(2))


def _one(field: str, text: str, find: Finder) -> int | FieldError:
    number = number_in(text)
    if number is not None:
        return number
    found = find(text, SUGGESTIONS + 1)
    if len(found) == 1:
        return found[0].id
    if not found:
        return problem(
            field,
            N_("Nothing matches “%(value)s”: type more of the name or its number."),
            value=text,
        )
    shown = "; ".join(candidate.suggestion for candidate in found[:SUGGESTIONS])
    if len(found) > SUGGESTIONS:
        shown += "; …"
    return problem(
        field, N_("“%(value)s” matches several: %(candidates)s."), value=text, candidates=shown
    )


def _texts(value: Any, multiple: bool) -> list[str]:
    values = value if isinstance(value, list) else [value]
    texts = [str(v) for v in values if v is not None]
    if multiple:
        texts = [part for text in texts for part in SEPARATORS.split(text)]
    return [text.strip() for text in texts if text.strip()]


def resolve(
    form: Mapping[str, Any], pickers: Mapping[str, Finder], multiple: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The form with each picker's typed text replaced by the id it names.

    Raises :class:`UserError` naming every picker field whose text matches no record or
    several; the other fields are left to the form's schema.
    """
    resolved = dict(form)
    errors: list[FieldError] = []
    for field, find in pickers.items():
        if field not in form:
            continue
        ids: list[int] = []
        for text in _texts(form[field], field in multiple):
            found = _one(field, text, find)
            if isinstance(found, FieldError):
                errors.append(found)
            elif found not in ids:
                ids.append(found)
        if field in multiple:
            resolved[field] = ids
        else:
            resolved[field] = ids[0] if ids else ""
    if errors:
        raise UserError(errors)
    return resolved
