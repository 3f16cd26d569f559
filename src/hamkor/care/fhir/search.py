"""FHIR search parameters: tokens (``system|value``), dates with prefixes, references.

A resource served under /fhir declares its parameters once (``served.py``); the same
declaration narrows the query here and is listed in the CapabilityStatement, so the statement
cannot promise a parameter the server does not apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, false, not_, or_, true

from hamkor.core.dates import SEARCHES
from hamkor.core.errors import UserError
from hamkor.core.forms import MAX_ID
from hamkor.core.i18n import N_

ParamType = Literal["token", "date", "reference", "number"]

#: Query parameters every search takes besides the resource's own.
PAGE_SIZE = "_count"
PAGE_OFFSET = "_offset"
FORMAT = "_format"
DEFAULT_COUNT = 50
MAX_COUNT = 200

_DATE = re.compile(
    r"^(?P<prefix>eq|ne|gt|lt|ge|le)?"
    r"(?P<value>\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?)$"
)


def refuse(parameter: str, text: str, **params: Any) -> UserError:
    """A 400 naming the search parameter at fault."""
    error = UserError.one(parameter, text, **params)
    error.status_code = 400
    return error


@dataclass(frozen=True)
class Token:
    """A token search value: ``system|value``, ``|value``, ``system|`` or ``value``."""

    system: str | None
    value: str | None
    any_system: bool

    @classmethod
    def parse(cls, parameter: str, text: str) -> Token:
        if "|" not in text:
            if not text:
                raise refuse(
                    parameter, N_("Give a value, or a system and a value as system|value.")
                )
            return cls(system=None, value=text, any_system=True)
        system, _, value = text.partition("|")
        if not system and not value:
            raise refuse(parameter, N_("Give a value, or a system and a value as system|value."))
        return cls(system=system or None, value=value or None, any_system=False)


@dataclass(frozen=True)
class DateRange:
    """A date search value: a prefix and the half-open range of instants its precision spans."""

    prefix: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, parameter: str, text: str) -> DateRange:
        found = _DATE.match(text)
        if found is None:
            raise refuse(
                parameter,
                N_(
                    "Give a date as YYYY, YYYY-MM, YYYY-MM-DD or an instant, optionally after "
                    "one of the prefixes eq, ne, gt, lt, ge, le (ge2025-10-13)."
                ),
            )
        prefix, value = found.group("prefix") or "eq", found.group("value")
        # Far from our years the end of the range, or the instant in UTC, overflows (issue 15).
        if not SEARCHES.holds_year(int(value[:4])):
            raise refuse(parameter, SEARCHES.message, **SEARCHES.params())
        try:
            start, end = _span(value)
        except ValueError as error:
            raise refuse(parameter, N_("This date does not exist.")) from error
        return cls(prefix=prefix, start=start, end=end)

    def on_instants(self, column: Any) -> ColumnElement[bool]:
        """The condition on a column of UTC instants (a point in time each)."""
        return self._compare(column, self.start, self.end)

    def on_dates(self, column: Any) -> ColumnElement[bool]:
        """The condition on a column of calendar dates (a whole day each)."""
        start = self.start.date()
        # An instant inside a day still falls in that day.
        end = (self.end - timedelta(microseconds=1)).date() + timedelta(days=1)
        return self._compare(column, start, end)

    def around_windows(self, starts: Any, ends: Any) -> ColumnElement[bool]:
        """A condition on windows ``[starts, ends)`` that holds whenever an instant inside a
        window can match (the exact test is :meth:`holds` on the instant)."""
        conditions: dict[str, ColumnElement[bool]] = {
            "eq": and_(starts < self.end, ends > self.start),
            "ne": true(),
            "gt": ends > self.end,
            "lt": starts < self.start,
            "ge": ends > self.start,
            "le": starts < self.end,
        }
        return conditions[self.prefix]

    def holds(self, instant: datetime) -> bool:
        """Whether one instant matches."""
        inside = self.start <= instant < self.end
        return {
            "eq": inside,
            "ne": not inside,
            "gt": instant >= self.end,
            "lt": instant < self.start,
            "ge": instant >= self.start,
            "le": instant < self.end,
        }[self.prefix]

    def _compare(self, column: Any, start: Any, end: Any) -> ColumnElement[bool]:
        inside = and_(column >= start, column < end)
        conditions: dict[str, ColumnElement[bool]] = {
            "eq": inside,
            "ne": not_(inside),
            "gt": column >= end,
            "lt": column < start,
            "ge": column >= start,
            "le": column < end,
        }
        return conditions[self.prefix]


def _span(value: str) -> tuple[datetime, datetime]:
    """The half-open range of UTC instants a date value of any precision spans.

    Values without a zone are read in UTC, the server's zone (docs/fhir.md).
    """
    if "T" in value:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        precision = timedelta(seconds=1) if value.count(":") >= 2 else timedelta(minutes=1)
        return instant.astimezone(UTC), instant.astimezone(UTC) + precision
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 1:
        start = date(parts[0], 1, 1)
        end = date(parts[0] + 1, 1, 1)
    elif len(parts) == 2:
        start = date(parts[0], parts[1], 1)
        end = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
    else:
        start = date(parts[0], parts[1], parts[2])
        end = start + timedelta(days=1)
    return _midnight(start), _midnight(end)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def own_id(text: str) -> int | None:
    """Our id written in ``text``, if it can be one (a PINFL's 14 digits cannot)."""
    if not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def reference_id(parameter: str, text: str, resource_type: str) -> int | None:
    """The id of ``Patient/12`` or ``12`` (references to our own resources only); ``None``
    for a number no record of ours can have."""
    found = re.fullmatch(rf"(?:{resource_type}/)?(\d+)", text)
    if found is None:
        raise refuse(
            parameter,
            N_("Give a reference as %(type)s/<id> or the id alone."),
            type=resource_type,
        )
    return own_id(found.group(1))


#: The exact test of one value on a loaded record, for what SQL can only narrow.
Exact = Callable[[str, str], Callable[[Any], bool]]


@dataclass(frozen=True)
class SearchParam:
    """One search parameter of a resource: its name and type as the CapabilityStatement lists
    them, and the condition one of its values puts on the query (values separated by commas
    are alternatives; a repeated parameter must hold each time).

    ``exact``, when given, decides on the loaded records what ``condition`` only narrows (an
    appointment's start is computed from its session and slot, not stored).
    """

    name: str
    type: ParamType
    documentation: str
    condition: Callable[[str, str], ColumnElement[bool]]
    exact: Exact | None = None

    def narrow(self, stmt: Select[Any], values: Sequence[str]) -> Select[Any]:
        for value in values:
            alternatives = [self.condition(self.name, part) for part in value.split(",")]
            stmt = stmt.where(or_(*alternatives) if alternatives else false())
        return stmt

    def tests(self, values: Sequence[str]) -> list[Callable[[Any], bool]]:
        """The exact tests of ``values`` (none when SQL decides alone)."""
        if self.exact is None:
            return []
        exact = self.exact
        return [_any_of([exact(self.name, part) for part in value.split(",")]) for value in values]


def _any_of(tests: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    return lambda record: any(test(record) for test in tests)


def page_bounds(query: dict[str, list[str]]) -> tuple[int, int]:
    """``_count`` and ``_offset`` of a search, checked."""
    return (
        _whole(query, PAGE_SIZE, DEFAULT_COUNT, 1, MAX_COUNT),
        _whole(query, PAGE_OFFSET, 0, 0, 10**9),
    )


def _whole(query: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    values = query.get(name) or []
    if not values:
        return default
    try:
        number = int(values[-1])
    except ValueError as error:
        raise refuse(name, N_("Enter a whole number.")) from error
    if not low <= number <= high:
        raise refuse(name, N_("Give a whole number from %(low)s to %(high)s."), low=low, high=high)
    return number


def check_format(query: dict[str, list[str]]) -> None:
    """We answer in JSON only; ``_format`` may ask for nothing else."""
    for value in query.get(FORMAT) or []:
        if value not in ("json", "application/json", "application/fhir+json"):
            raise refuse(FORMAT, N_("Only JSON is served: use json or application/fhir+json."))


def check_known(query: dict[str, list[str]], params: Sequence[SearchParam]) -> None:
    """Refuse a parameter we do not serve rather than ignore it and return too much."""
    known = {param.name for param in params} | {PAGE_SIZE, PAGE_OFFSET, FORMAT}
    for name in query:
        if name not in known:
            raise refuse(
                name,
                N_("This search parameter is not supported; the supported ones are: %(names)s."),
                names=", ".join(sorted(known)),
            )
