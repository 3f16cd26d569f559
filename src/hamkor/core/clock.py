"""The clock: what time it is, and what day it is in a city (DESIGN: "Clock").

Services and job handlers that depend on the date take it as an argument instead of reading
the clock themselves, so a test fixes the date by passing one; scheduled jobs are given their
period's start in their payload (``jobs.JobContext.as_of``). The job machinery reads the clock
here; the older code reads ``db.utcnow``, which is this same function.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now() -> datetime:
    """Now, as an aware UTC instant: every stored instant is UTC."""
    return datetime.now(UTC)


def today(tz: str) -> date:
    """Today's date in the IANA time zone ``tz`` (a city's, such as ``Asia/Tashkent``)."""
    return now().astimezone(ZoneInfo(tz)).date()
