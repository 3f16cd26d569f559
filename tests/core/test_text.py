"""The bounded text types of ``core.text`` and ``core.names``: each refusal names its field and
reads in the reader's language (issue 15: a 5,400-character name was stored)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from hamkor.core.errors import UserError
from hamkor.core.forms import validate
from hamkor.core.names import Descriptions, Names
from hamkor.core.text import (
    LINE_MAX,
    SEARCH_MAX,
    TEXT_MAX,
    Line,
    Notes,
    OptionalLine,
    SearchQuery,
    Text,
)


class Texts(BaseModel):
    line: Line = "a line"
    text: Text = "a text"
    notes: Notes = ""
    optional: OptionalLine = None
    q: SearchQuery = None
    names: Names = {"en": "a name"}
    descriptions: Descriptions = {"en": "a description"}


def _errors(language: str = "en", **values: Any) -> dict[str, str]:
    with pytest.raises(UserError) as refused:
        validate(Texts, values)
    return {e.field: e.message.render(language) for e in refused.value.errors}


@pytest.mark.parametrize(
    ("field", "limit"),
    [("line", LINE_MAX), ("text", TEXT_MAX), ("notes", TEXT_MAX), ("optional", LINE_MAX)],
)
def test_a_text_one_past_its_limit_is_refused_naming_the_field(field: str, limit: int) -> None:
    assert _errors(**{field: "x" * (limit + 1)}) == {field: f"Must be at most {limit} characters."}


def test_a_text_at_its_limit_is_taken() -> None:
    taken = validate(Texts, {"line": "x" * LINE_MAX, "text": "y" * TEXT_MAX})
    assert (len(taken.line), len(taken.text)) == (LINE_MAX, TEXT_MAX)


def test_blanks_around_a_text_do_not_count_towards_its_limit() -> None:
    assert validate(Texts, {"line": f"  {'x' * LINE_MAX}  "}).line == "x" * LINE_MAX


def test_a_five_megabyte_text_is_refused_in_the_readers_language() -> None:
    assert _errors("ru", text="x" * 5 * 2**20) == {"text": "Должно быть не более 4000 символов."}


def test_a_search_is_bounded_and_blank_means_none() -> None:
    assert validate(Texts, {"q": "   "}).q is None
    assert _errors(q="x" * (SEARCH_MAX + 1)) == {"q": f"Must be at most {SEARCH_MAX} characters."}


def test_a_name_per_language_is_bounded_per_language() -> None:
    assert _errors(names={"ru": "x" * 5400, "en": "Tashkent"}) == {
        "names.ru": f"Must be at most {LINE_MAX} characters."
    }


def test_a_description_per_language_may_be_longer_than_a_name() -> None:
    taken = validate(Texts, {"descriptions": {"en": "y" * TEXT_MAX}})
    assert len(taken.descriptions["en"]) == TEXT_MAX
    assert _errors(descriptions={"en": "y" * (TEXT_MAX + 1)}) == {
        "descriptions.en": f"Must be at most {TEXT_MAX} characters."
    }


def test_a_language_key_too_long_to_be_a_tag_is_refused() -> None:
    assert list(_errors(names={"x" * 100: "Tashkent"})) == [f"names.{'x' * 100}.[key]"]


@pytest.mark.parametrize("field", ["line", "text", "notes"])
def test_a_nul_character_is_refused(field: str) -> None:
    assert _errors(**{field: "a\x00b"}) == {
        field: "This value contains a character that is not allowed."
    }


def test_a_line_holds_no_line_break_but_a_text_does() -> None:
    assert _errors(line="two\nlines") == {
        "line": "This value contains a character that is not allowed."
    }
    assert validate(Texts, {"text": "two\nlines"}).text == "two\nlines"


def test_a_required_line_or_text_left_blank_is_empty() -> None:
    assert _errors(line="  ", text="") == {
        "line": "This field cannot be empty.",
        "text": "This field cannot be empty.",
    }
