"""The date types of ``core.dates``: events, births and searches each in a plausible range,
refused by field in the reader's language, and the range written into the schema (issue 15)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from hamkor.core import dates
from hamkor.core.dates import BirthDate, EventDate, EventInstant, EventMoment, SearchDate
from hamkor.core.errors import UserError
from hamkor.core.forms import validate
from hamkor.core.i18n import Translator
from hamkor.core.templating import Formatter


class Dated(BaseModel):
    day: EventDate = date(2025, 10, 13)
    instant: EventInstant = datetime(2025, 10, 13, 9, tzinfo=UTC)
    moment: EventMoment = datetime(2025, 10, 13, 9)
    born: BirthDate = date(1979, 4, 2)
    searched: SearchDate = date(2025, 10, 13)


def _errors(language: str = "en", **values: Any) -> dict[str, str]:
    with pytest.raises(UserError) as refused:
        validate(Dated, values)
    return {e.field: e.message.render(language) for e in refused.value.errors}


@pytest.fixture
def noon_in_tashkent(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The clock at 2025-10-13 07:00 UTC: already the 13th in Kiribati (UTC+14) at 21:00."""
    now = datetime(2025, 10, 13, 7, tzinfo=UTC)
    monkeypatch.setattr(dates, "utcnow", lambda: now)
    return now


@pytest.mark.parametrize("day", ["2000-01-01", "2100-12-31"])
def test_an_event_on_the_first_or_last_day_of_the_range_is_taken(day: str) -> None:
    assert validate(Dated, {"day": day}).day == date.fromisoformat(day)


@pytest.mark.parametrize("day", ["1999-12-31", "2101-01-01", "1900-01-01", "2999-12-31"])
def test_an_event_outside_the_range_is_refused_naming_the_field(day: str) -> None:
    assert _errors(day=day) == {"day": "Enter a date between the years 2000 and 2100."}


@pytest.mark.parametrize(
    ("field", "value"),
    [("instant", "9999-12-31T23:00:00+05:00"), ("moment", "1900-01-01T10:00")],
)
def test_instants_of_events_are_in_the_same_range(field: str, value: str) -> None:
    assert _errors(**{field: value}) == {field: "Enter a date between the years 2000 and 2100."}


def test_the_refusal_is_in_the_readers_language() -> None:
    assert _errors("ru", day="2999-12-31") == {"day": "Введите дату в пределах 2000–2100 годов."}


@pytest.mark.usefixtures("noon_in_tashkent")
def test_a_birth_date_from_1900_to_today_somewhere_on_earth_is_taken() -> None:
    assert validate(Dated, {"born": "1900-01-01"}).born == date(1900, 1, 1)
    assert validate(Dated, {"born": "2025-10-13"}).born == date(2025, 10, 13)


@pytest.mark.usefixtures("noon_in_tashkent")
@pytest.mark.parametrize("born", ["1899-12-31", "2025-10-14", "9999-12-31"])
def test_a_birth_date_before_1900_or_after_today_is_refused(born: str) -> None:
    assert _errors(born=born) == {"born": "Enter a birth date between 1900 and today."}


def test_a_child_born_today_in_tashkent_is_born_today_before_utc_turns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 21:00 UTC on the 12th is 02:00 on the 13th in Tashkent.
    monkeypatch.setattr(dates, "utcnow", lambda: datetime(2025, 10, 12, 21, tzinfo=UTC))
    assert validate(Dated, {"born": "2025-10-13"}).born == date(2025, 10, 13)


@pytest.mark.parametrize("day", ["1900-01-01", "2100-12-31"])
def test_a_search_spans_births_and_events(day: str) -> None:
    assert validate(Dated, {"searched": day}).searched == date.fromisoformat(day)


@pytest.mark.parametrize("day", ["1899-12-31", "9999-12-31"])
def test_a_search_far_from_our_years_is_refused(day: str) -> None:
    assert _errors(searched=day) == {"searched": "Enter a date between the years 1900 and 2100."}


def test_each_range_is_written_into_the_schema() -> None:
    properties = Dated.model_json_schema()["properties"]
    assert {
        name: {key: value for key, value in schema.items() if key.startswith(("format", "x-"))}
        for name, schema in properties.items()
    } == {
        "day": {"format": "date", "formatMinimum": "2000-01-01", "formatMaximum": "2100-12-31"},
        "instant": {
            "format": "date-time",
            "formatMinimum": "2000-01-01",
            "formatMaximum": "2100-12-31",
        },
        "moment": {
            "format": "date-time",
            "formatMinimum": "2000-01-01",
            "formatMaximum": "2100-12-31",
        },
        "born": {"format": "date", "formatMinimum": "1900-01-01", "x-not-after": "today"},
        "searched": {
            "format": "date",
            "formatMinimum": "1900-01-01",
            "formatMaximum": "2100-12-31",
        },
    }


@pytest.mark.parametrize(
    ("language", "minutes", "shown"),
    [
        ("ru", 997, "16 ч 37 мин"),
        ("kk", 997, "16 сағ 37 мин"),
        ("uz", 90, "1 soat 30 daq."),
        ("uz-Cyrl", 60, "1 соат"),
        ("en", 45, "45 min"),
        ("en", -5, "0 min"),
    ],
)
def test_a_duration_reads_in_hours_and_minutes_of_the_language(
    language: str, minutes: int, shown: str
) -> None:
    assert Formatter(Translator(language)).duration(minutes) == shown
