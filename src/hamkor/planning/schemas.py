"""What a requested activity, a plan run and a disruption look like coming in and going out.

The same schemas read the HTML forms and the JSON API. Rules needing the database (the
program's days, the named leads' specialty) are the service's.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hamkor.core.errors import invalid
from hamkor.core.forms import BlankIsNone, IdList
from hamkor.core.i18n import N_
from hamkor.core.names import Names
from hamkor.directory.models import RoomKind
from hamkor.planning.models import RunStatus
from hamkor.programs.models import ActivityKind
from hamkor.programs.schemas import (
    Day,
    Id,
    OptionalDay,
    OptionalId,
    OptionalTime,
    Required,
    _problem,
    _refuse,
)

MAX_MINUTES = 12 * 60
TIME_LIMITS = (10, 30, 60, 120, 300)
Minutes = Annotated[int, Field(gt=0, le=MAX_MINUTES)]
OptionalMinutes = Annotated[Minutes | None, BlankIsNone]


def _ids(value: Any) -> Any:
    """Related rows read from the ORM become their ids."""
    return [item.id for item in value] if isinstance(value, list | tuple) else value


class RequestCreate(BaseModel):
    """An activity the program asks for: the planner finds its day, time, room and leads."""

    kind: Annotated[ActivityKind, Required]
    titles: Names
    specialty_id: Annotated[Id, Required]
    duration_minutes: Annotated[int, Required, Field(gt=0, le=MAX_MINUTES)]
    room_kind: Annotated[RoomKind, Required]
    leads_count: int = Field(default=1, ge=1, le=10)
    named_lead_ids: IdList = Field(default_factory=list)
    city_ids: IdList = Field(default_factory=list)
    trainee_seats: int = Field(default=0, ge=0, le=10_000)
    weight: float = Field(default=1.0, ge=0, le=1000)
    mandatory: bool = False
    pinned: bool = False
    fixed_day: OptionalDay = None
    fixed_start: OptionalTime = None
    consultation_minutes: OptionalMinutes = None

    @field_validator("fixed_start")
    @classmethod
    def _on_grid(cls, value: time | None) -> time | None:
        if value is not None and (value.minute % 30 or value.second):
            raise invalid(N_("Start on the hour or the half hour."))
        return value

    @model_validator(mode="after")
    def _consultation(self) -> RequestCreate:
        if self.kind == ActivityKind.CONSULTATION_SESSION and self.consultation_minutes is None:
            raise _refuse(
                _problem(
                    "consultation_minutes",
                    N_("A consultation session needs the minutes per patient."),
                )
            )
        return self


class RequestUpdate(BaseModel):
    """Changes to a request; the result is checked as a new request."""

    kind: ActivityKind | None = None
    titles: Names | None = None
    specialty_id: Id | None = None
    duration_minutes: int | None = Field(default=None, gt=0, le=MAX_MINUTES)
    room_kind: RoomKind | None = None
    leads_count: int | None = Field(default=None, ge=1, le=10)
    named_lead_ids: IdList | None = None
    city_ids: IdList | None = None
    trainee_seats: int | None = Field(default=None, ge=0, le=10_000)
    weight: float | None = Field(default=None, ge=0, le=1000)
    mandatory: bool | None = None
    pinned: bool | None = None
    fixed_day: OptionalDay = None
    fixed_start: OptionalTime = None
    consultation_minutes: OptionalMinutes = None


class RequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    program_id: int
    kind: ActivityKind
    titles: dict[str, str]
    specialty_id: int
    duration_minutes: int
    room_kind: RoomKind
    leads_count: int
    named_lead_ids: Annotated[list[int], Field(validation_alias="named_leads")]
    city_ids: Annotated[list[int], Field(validation_alias="cities")]
    trainee_seats: int
    weight: float
    mandatory: bool
    pinned: bool
    fixed_day: date | None
    fixed_start: str | None
    consultation_minutes: int | None
    activity_id: int | None

    @field_validator("named_lead_ids", "city_ids", mode="before")
    @classmethod
    def _as_ids(cls, value: Any) -> Any:
        return _ids(value)


class PlanStart(BaseModel):
    """How long the optimizer may search."""

    time_limit_seconds: int = Field(default=60, ge=1, le=600)


class DisruptionCreate(BaseModel):
    """A re-planning: a specialist unavailable from a local day and time, or a room closed."""

    time_limit_seconds: int = Field(default=60, ge=1, le=600)
    specialist_id: OptionalId = None
    unavailable_day: OptionalDay = None
    unavailable_time: OptionalTime = None
    room_id: OptionalId = None
    closed_days: Annotated[list[Day], Field(default_factory=list, max_length=60)]

    @field_validator("closed_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        if value in (None, ""):
            return []
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _something(self) -> DisruptionCreate:
        if self.specialist_id is None and self.room_id is None:
            raise _refuse(
                _problem(
                    "specialist_id", N_("Choose the specialist who is unavailable, or the room.")
                )
            )
        if self.specialist_id is not None and self.unavailable_day is None:
            raise _refuse(_problem("unavailable_day", N_("This field is required.")))
        if self.room_id is not None and not self.closed_days:
            raise _refuse(_problem("closed_days", N_("This field is required.")))
        return self


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    program_id: int
    job_id: int | None
    status: RunStatus
    time_limit_seconds: int
    as_of: datetime
    disruption: dict[str, Any]
    objective: float | None
    bound: float | None
    created_at: datetime
    accepted_at: datetime | None
    progress: int = 0


class RunDetail(RunRead):
    instance: dict[str, Any]
    plan: dict[str, Any] | None
