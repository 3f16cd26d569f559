"""Filters of programs and activities: one definition for the pages and the JSON API."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, or_, select

from hamkor.core.dates import OptionalSearchDate
from hamkor.core.forms import BlankIsNone
from hamkor.core.text import SearchQuery
from hamkor.core.translit import cyrl_to_latn
from hamkor.directory.filters import matching
from hamkor.directory.models import Person
from hamkor.programs.calendar import local_day
from hamkor.programs.models import (
    Activity,
    Participation,
    ParticipationRole,
    Program,
    ProgramKind,
    ProgramStatus,
)
from hamkor.programs.schemas import OptionalId


class ProgramFilter(BaseModel):
    """What the programs list narrows by: words of the name or code, status, kind, country."""

    q: SearchQuery = None
    status: Annotated[ProgramStatus | None, BlankIsNone] = None
    kind: Annotated[ProgramKind | None, BlankIsNone] = None
    country: OptionalId = None
    page: int = Field(default=1, ge=1)

    def statement(self) -> Select[Any]:
        """Programs matching the filter, latest first."""
        stmt = select(Program).order_by(Program.starts_on.desc(), Program.id.desc())
        if self.q:
            # Names are folded with their Latin transliteration, so either script finds them.
            words = self.q.strip().casefold()
            stmt = stmt.where(
                or_(
                    Program.search.contains(words, autoescape=True),
                    Program.search.contains(cyrl_to_latn(words), autoescape=True),
                )
            )
        if self.status:
            stmt = stmt.where(Program.status == self.status)
        if self.kind:
            stmt = stmt.where(Program.kind == self.kind)
        if self.country:
            stmt = stmt.where(
                or_(
                    Program.guest_country_id == self.country,
                    Program.host_country_id == self.country,
                )
            )
        return stmt


class ParticipantFilter(BaseModel):
    """What a program's participants narrow by (issue 20): words of the person's name in either
    script, the role and the brigade. ``?q=aziz&role=specialist&delegation=3&page=2``."""

    q: SearchQuery = None
    role: Annotated[ParticipationRole | None, BlankIsNone] = None
    delegation: OptionalId = None
    page: int = Field(default=1, ge=1)

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        condition = matching(Person.search, self.q) if self.q else None
        if condition is not None:
            stmt = stmt.where(Participation.person.has(condition))
        if self.role is not None:
            stmt = stmt.where(Participation.role == self.role)
        if self.delegation is not None:
            stmt = stmt.where(Participation.delegation_id == self.delegation)
        return stmt


class ActivityFilter(BaseModel):
    """What a program's activities narrow by: days (in each activity's own city), city and
    specialty. ``?from=2025-10-14&to=2025-10-15&city=3&specialty=7``."""

    model_config = ConfigDict(populate_by_name=True)

    from_: OptionalSearchDate = Field(default=None, alias="from")
    to: OptionalSearchDate = None
    city: OptionalId = None
    specialty: OptionalId = None

    @property
    def is_set(self) -> bool:
        return any(value is not None for value in self.model_dump().values())

    def statement(self, program_id: int) -> Select[Any]:
        """The program's activities matching the filter, by start; the days are narrowed with
        a margin here (no zone is more than a day from UTC) and decided by :meth:`keeps`."""
        stmt = (
            select(Activity)
            .where(Activity.program_id == program_id)
            .order_by(Activity.starts_at, Activity.id)
        )
        if self.city:
            stmt = stmt.where(Activity.city_id == self.city)
        if self.specialty:
            stmt = stmt.where(Activity.specialty_id == self.specialty)
        if self.from_:
            stmt = stmt.where(Activity.starts_at >= _utc_midnight(self.from_ - timedelta(days=1)))
        if self.to:
            stmt = stmt.where(Activity.starts_at < _utc_midnight(self.to + timedelta(days=2)))
        return stmt

    def keeps(self, activity: Activity) -> bool:
        """Whether the activity starts within the days, on the clocks of its city."""
        day = local_day(activity)
        return (self.from_ is None or day >= self.from_) and (self.to is None or day <= self.to)


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)
