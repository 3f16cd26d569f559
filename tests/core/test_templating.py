"""Dates and times on pages: in the reader's language and the city's own zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hamkor.core.i18n import Translator
from hamkor.core.templating import Formatter, environment

START = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)  # 09:00 in Tashkent
END = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)  # 13:00 in Tashkent


@pytest.mark.parametrize(
    ("language", "start", "end"),
    [
        ("en", "9:00\u202fAM", "1:00\u202fPM"),
        ("ru", "09:00", "13:00"),
        ("kk", "09:00", "13:00"),
        ("uz", "09:00", "13:00"),
    ],
)
def test_both_ends_of_a_time_range_read_alike(language: str, start: str, end: str) -> None:
    """A session shown as "start–end" once read "9:00 AM–13:00" in English."""
    fmt = Formatter(Translator(language))
    assert fmt.datetime(START, "Asia/Tashkent").endswith(start)
    assert fmt.time(START, "Asia/Tashkent") == start
    assert fmt.time(END, "Asia/Tashkent") == end


def test_a_name_spelt_alike_in_two_languages_is_shown_once() -> None:
    template = environment().from_string(
        "{% for code, text in names | spellings %}{{ code }}={{ text }};{% endfor %}"
    )
    names = {"ru": "Каримова Феруза", "uz": "Karimova Feruza", "uz-Cyrl": "Каримова Феруза"}
    assert template.render(names=names) == "ru=Каримова Феруза;uz=Karimova Feruza;"


def test_a_fields_attributes_reach_the_browser_as_attributes() -> None:
    """``attrs`` once arrived escaped (``min=&#34;0&#34;``), so the browser ignored it."""
    template = environment().from_string(
        '{% from "macros.html" import field %}'
        "{{ field({}, 'hours', 'Hours', {}, type='number', attrs='min=\"0\" step=\"0.5\"') }}"
    )
    html = template.render(_=str)
    assert 'min="0" step="0.5">' in html
