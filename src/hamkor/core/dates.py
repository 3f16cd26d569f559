"""Dates in a plausible range: the date types every schema, form and search takes (issue 15).

A date far from ours was accepted and then broke arithmetic: a program from 1900 to 2999 was
stored, and a search for 9999-12-31 became a 500 when the day after it, or its instant in
another zone, overflowed. Every date a person or a client sends is one of these types:

* events (programs, activities, referrals' days, appointments, courses, sessions, outcomes)
  fall within 2000-01-01 .. 2100-12-31;
* birth dates within 1900-01-01 .. today;
* dates of a search (a filter, the audit trail, FHIR search values) within 1900-01-01 ..
  2100-12-31: wide enough for birth dates and events alike, narrow enough for arithmetic.

Each type documents its range in the OpenAPI schema (``formatMinimum``/``formatMaximum``, and
``x-not-after: today`` for a birth date), so clients see the rule and a test can check that no
date is left without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import AwareDatetime, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from hamkor.core.db import utcnow
from hamkor.core.errors import invalid
from hamkor.core.forms import BlankIsNone
from hamkor.core.i18n import N_

#: The zone furthest ahead of UTC (Kiribati, UTC+14): a birth date is "today" somewhere
#: until it is today there.
_AHEAD_OF_UTC = timedelta(hours=14)


def today_somewhere() -> date:
    """The latest date it is anywhere on Earth now: a child born today in Tashkent (UTC+5)
    is born 'tomorrow' by the UTC clock for five hours a day."""
    return (utcnow() + _AHEAD_OF_UTC).date()


@dataclass(frozen=True)
class DateBounds:
    """The first and last day a date may fall on (``last`` None: today), with the message
    that says so; an annotation for a ``date`` or ``datetime`` type."""

    first: date
    last: date | None
    message: str

    def params(self) -> dict[str, Any]:
        """The values of the message's placeholders."""
        return {"first": self.first.year, "last": self.last.year if self.last else None}

    def holds(self, day: date) -> bool:
        last = self.last or today_somewhere()
        return self.first <= day <= last

    def holds_year(self, year: int) -> bool:
        """Whether any day of ``year`` can fall within: for searches by a year or a month."""
        last = self.last or today_somewhere()
        return self.first.year <= year <= last.year

    def _check(self, value: date) -> date:
        # A datetime is a date too; its own day is the one that counts.
        day = value.date() if isinstance(value, datetime) else value
        if not self.holds(day):
            raise invalid(self.message, **self.params())
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["formatMinimum"] = self.first.isoformat()
        if self.last is None:
            json_schema["x-not-after"] = "today"
        else:
            json_schema["formatMaximum"] = self.last.isoformat()
        return json_schema


_BETWEEN_YEARS = N_("Enter a date between the years %(first)s and %(last)s.")

EVENTS = DateBounds(date(2000, 1, 1), date(2100, 12, 31), _BETWEEN_YEARS)
BIRTHS = DateBounds(date(1900, 1, 1), None, N_("Enter a birth date between 1900 and today."))
SEARCHES = DateBounds(date(1900, 1, 1), date(2100, 12, 31), _BETWEEN_YEARS)

#: The day of an event: a program's first day, an activity's, a course's, an operation's.
EventDate = Annotated[date, EVENTS]
#: The instant of an event, with its offset.
EventInstant = Annotated[AwareDatetime, EVENTS]
#: The instant of an event, with an offset or without one (then local to its city).
EventMoment = Annotated[datetime, EVENTS]
BirthDate = Annotated[date, BIRTHS]
#: A day to search or filter by; blank in a query string means no filter.
SearchDate = Annotated[date, SEARCHES]
OptionalSearchDate = Annotated[SearchDate | None, BlankIsNone]
