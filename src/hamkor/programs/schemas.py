"""What a program, a brigade, a participation and an activity look like coming in and going out.

The same schemas read the HTML forms (flat strings, blanks, one or many values) and the JSON
API. Rules that need only the record itself live here; rules that need the database (the room
of the institution, the leads' specialties, the program's dates) live in the service.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AliasPath,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticKnownError

from hamkor.core.dates import EventDate, EventInstant, EventMoment
from hamkor.core.errors import invalid
from hamkor.core.forms import BlankIsNone, FormId, FormList
from hamkor.core.i18n import N_
from hamkor.core.names import Descriptions, Names
from hamkor.programs.conflict_rules import ConflictKind
from hamkor.programs.models import (
    ActivityKind,
    ActivityStatus,
    ParticipationRole,
    ProgramKind,
    ProgramStatus,
)


def _blank_is_missing(value: Any) -> Any:
    """A required select left on its blank option is missing, not 'not a whole number'."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticKnownError("missing")
    return value


def _empty_is_none(value: Any) -> Any:
    """Optional texts in five languages arrive as ``{}`` when every box was left blank."""
    return value or None


def _ids(value: Any) -> Any:
    """Related rows read from the ORM become their ids."""
    return [item.id for item in value] if isinstance(value, list | tuple) else value


def _local_time(value: time) -> time:
    """Hours of a day are local to the activity's city: an offset would be ambiguous."""
    if value.tzinfo is not None:
        raise invalid(N_("Enter a time without a time zone: it is local to the city."))
    return value


MAX_TRAINEES = 10_000

#: A field a person must fill in; a blank form value counts as not given.
Required = BeforeValidator(_blank_is_missing)
#: A short code such as ``KZ-UZ-2025``; no control characters (PostgreSQL text holds no NUL).
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]+$"
    ),
]
Id = FormId
#: Ids chosen in a multiple select or given as a JSON list (``core.forms.IdList``, bounded).
Ids = Annotated[list[Id], FormList]
#: Days and instants of events, in the range of ``core.dates``.
Day = EventDate
Instant = EventInstant
#: A date and time with an offset, or without one: then it is local to the city it belongs to.
Moment = EventMoment
OptionalId = Annotated[Id | None, BlankIsNone]
OptionalDescriptions = Annotated[Descriptions | None, BeforeValidator(_empty_is_none)]
OptionalDay = Annotated[Day | None, BlankIsNone]
OptionalTime = Annotated[Annotated[time, AfterValidator(_local_time)] | None, BlankIsNone]
OptionalInstant = Annotated[Instant | None, BlankIsNone]
OptionalMoment = Annotated[Moment | None, BlankIsNone]


def _refuse(*details: InitErrorDetails) -> ValidationError:
    """A whole-record rule's refusal, each problem placed on the field a person has to change."""
    return ValidationError.from_exception_data("hamkor", list(details))


def _problem(field: str, text: str, **params: Any) -> InitErrorDetails:
    return InitErrorDetails(type=invalid(text, **params), loc=(field,), input=None)


def _missing(field: str) -> InitErrorDetails:
    return InitErrorDetails(type="missing", loc=(field,), input=None)


class ProgramCreate(BaseModel):
    """A new program: what kind, who visits whom, and when."""

    code: Code
    kind: Annotated[ProgramKind, Required]
    names: Names
    descriptions: OptionalDescriptions = None
    guest_country_id: Annotated[Id, Required]
    host_country_id: Annotated[Id, Required]
    starts_on: Annotated[Day, Required]
    ends_on: Annotated[Day, Required]

    @model_validator(mode="after")
    def _ends_after_start(self) -> ProgramCreate:
        if self.ends_on < self.starts_on:
            raise _refuse(_problem("ends_on", N_("The program cannot end before it starts.")))
        return self


class ProgramUpdate(BaseModel):
    """Changes to a program; what is not given stays. The result is checked as a new program."""

    code: Code | None = None
    kind: ProgramKind | None = None
    names: Names | None = None
    descriptions: OptionalDescriptions = None
    guest_country_id: Id | None = None
    host_country_id: Id | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None


class ProgramStatusChange(BaseModel):
    """A step in the program's life: draft → planned → running → completed, or cancelled."""

    status: Annotated[ProgramStatus, Required]


class ProgramRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    kind: ProgramKind
    status: ProgramStatus
    names: dict[str, str]
    descriptions: dict[str, str]
    guest_country_id: int
    host_country_id: int
    starts_on: date
    ends_on: date


class ProgramPage(BaseModel):
    items: list[ProgramRead]
    total: int
    page: int
    pages: int


class DelegationCreate(BaseModel):
    """A brigade: the people one institution sends, travelling together."""

    code: Code
    names: Names
    institution_id: OptionalId = None


class DelegationUpdate(BaseModel):
    code: Code | None = None
    names: Names | None = None
    institution_id: OptionalId = None


class DelegationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    program_id: int
    code: str
    names: dict[str, str]
    institution_id: int | None


class ParticipationCreate(BaseModel):
    """A person's part in a program. Arrival and departure times without an offset (as the
    form's date-and-time boxes give them) are local to the arrival and departure cities."""

    person_id: Annotated[Id, Required]
    role: Annotated[ParticipationRole, Required]
    delegation_id: OptionalId = None
    arrival_city_id: OptionalId = None
    arrives_at: OptionalMoment = None
    departure_city_id: OptionalId = None
    departs_at: OptionalMoment = None


class ParticipationUpdate(BaseModel):
    role: ParticipationRole | None = None
    delegation_id: OptionalId = None
    arrival_city_id: OptionalId = None
    arrives_at: OptionalMoment = None
    departure_city_id: OptionalId = None
    departs_at: OptionalMoment = None


class ParticipationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    program_id: int
    person_id: int
    role: ParticipationRole
    delegation_id: int | None
    arrival_city_id: int | None
    arrives_at: datetime | None
    departure_city_id: int | None
    departs_at: datetime | None


class ActivityCreate(BaseModel):
    """A new activity. Its time is given either as a day with a start and an end time in the
    city's own zone (the form), or as two instants with offsets (the API)."""

    kind: Annotated[ActivityKind, Required]
    status: Annotated[ActivityStatus, Required] = ActivityStatus.PLANNED
    titles: Names
    specialty_id: OptionalId = None
    delegation_id: OptionalId = None
    city_id: Annotated[Id, Required]
    institution_id: OptionalId = None
    room_id: OptionalId = None
    day: OptionalDay = None
    start_time: OptionalTime = None
    end_time: OptionalTime = None
    starts_at: OptionalInstant = None
    ends_at: OptionalInstant = None
    lead_ids: Ids = Field(default_factory=list)
    trainee_capacity: int = Field(default=0, ge=0, le=MAX_TRAINEES)

    @property
    def is_local(self) -> bool:
        """Whether the time was given as local day and hours rather than as instants."""
        return self.starts_at is None and self.ends_at is None

    @property
    def time_fields(self) -> tuple[str, str]:
        """The fields that hold the start and the end, to name in a refusal."""
        return ("day", "day") if self.is_local else ("starts_at", "ends_at")

    @model_validator(mode="after")
    def _ends_after_start(self) -> ActivityCreate:
        if self.is_local:
            day, start, end = self.day, self.start_time, self.end_time
            if day is None or start is None or end is None:
                given = {"day": day, "start_time": start, "end_time": end}
                raise _refuse(*(_missing(field) for field, value in given.items() if value is None))
            if end <= start:
                raise _refuse(_problem("end_time", N_("The activity must end after it starts.")))
            return self
        if self.starts_at is None or self.ends_at is None:
            raise _refuse(_missing("starts_at" if self.starts_at is None else "ends_at"))
        if self.ends_at <= self.starts_at:
            raise _refuse(_problem("ends_at", N_("The activity must end after it starts.")))
        return self

    def span(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Start and end as UTC instants; local hours are read in ``zone``, the city's."""
        if self.starts_at is not None and self.ends_at is not None:
            return self.starts_at.astimezone(UTC), self.ends_at.astimezone(UTC)
        day, start, end = self.day, self.start_time, self.end_time
        if day is None or start is None or end is None:
            raise ValueError("the span of an activity whose time was not validated")
        return (
            datetime.combine(day, start, zone).astimezone(UTC),
            datetime.combine(day, end, zone).astimezone(UTC),
        )


class ActivityUpdate(BaseModel):
    """Changes to an activity; what is not given stays. New local hours are read in the zone
    of the (new) city; new instants replace the old ones. The result is checked as a new one."""

    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    titles: Names | None = None
    specialty_id: OptionalId = None
    delegation_id: OptionalId = None
    city_id: Id | None = None
    institution_id: OptionalId = None
    room_id: OptionalId = None
    day: OptionalDay = None
    start_time: OptionalTime = None
    end_time: OptionalTime = None
    starts_at: OptionalInstant = None
    ends_at: OptionalInstant = None
    lead_ids: Annotated[list[Id] | None, FormList] = None
    trainee_capacity: int | None = Field(default=None, ge=0, le=MAX_TRAINEES)


class ActivityRead(BaseModel):
    """An activity as the API gives it: instants in UTC, and the zone they are shown in."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    program_id: int
    kind: ActivityKind
    status: ActivityStatus
    titles: dict[str, str]
    specialty_id: int | None
    delegation_id: int | None
    city_id: int
    timezone: str = Field(validation_alias=AliasPath("city", "timezone"))
    institution_id: int | None
    room_id: int | None
    starts_at: datetime
    ends_at: datetime
    lead_ids: Annotated[list[int], BeforeValidator(_ids)] = Field(validation_alias="leads")
    trainee_capacity: int


class ConflictRead(BaseModel):
    """A conflict of the plan, with its explanation in the reader's language."""

    kind: ConflictKind
    activity_ids: list[int]
    person_id: int | None
    room_id: int | None
    delegation_id: int | None
    from_city_id: int | None
    to_city_id: int | None
    needed_minutes: int | None
    available_minutes: int | None
    message: str
