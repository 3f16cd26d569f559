"""What courses, sessions, enrolments and mentorships look like coming in and going out.

The same schemas read the HTML forms and the JSON API. Rules that need only the record itself
live here; rules that need the database (the activity's program, seats, who is enrolled) live
in the service.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from hamkor.core.errors import invalid
from hamkor.core.forms import BlankIsNone
from hamkor.core.i18n import LANGUAGES, N_
from hamkor.core.names import Names
from hamkor.core.text import Line, OneLine, OptionalLine, bounded
from hamkor.programs.schemas import (
    Code,
    Day,
    Id,
    Ids,
    Instant,
    OptionalId,
    Required,
)
from hamkor.training.models import LINK_MAX, CourseKind, EnrolmentStatus, SessionMode

MAX_SEATS = 10_000
MAX_HOURS = 10_000
MAX_SCORE = 1_000.0
MAX_VALID_YEARS = 100


#: A language of instruction: one of the platform's, or another ISO 639 code (``de``, ``tr``).
Language = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=10, pattern=r"^([a-z]{2,3}|uz-Cyrl)$"),
]
OptionalScore = Annotated[Annotated[float, Field(ge=0, le=MAX_SCORE)] | None, BlankIsNone]
OptionalYears = Annotated[Annotated[int, Field(ge=1, le=MAX_VALID_YEARS)] | None, BlankIsNone]
OptionalCode = Annotated[Code | None, BlankIsNone]


def _platform_language(value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise invalid(N_("Choose one of the offered values."))
    return value


def _web_address(value: str) -> str:
    """Only an http(s) address with a host: a ``javascript:`` or ``data:`` link put on the
    trainees' page would run in their browser, a ``file:`` one points nowhere useful."""
    try:
        parts = urlsplit(value)
        web = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a broken [IPv6] host
        web = False
    if not web or any(c.isspace() for c in value):
        raise invalid(N_("Give a web address that starts with https://."))
    return value


#: A meeting or recording link of an online session (issue 18).
WebLink = Annotated[str, bounded(LINK_MAX, min_length=1), OneLine, AfterValidator(_web_address)]
OptionalWebLink = Annotated[WebLink | None, BlankIsNone]

#: The signed token of a check-in QR code (``attendance.checkin_token``), some 80 characters.
CheckInToken = Annotated[str, StringConstraints(max_length=200)]

#: The language of a trainee's certificate (besides English): one of the platform's five.
CertificateLanguage = Annotated[
    Annotated[str, StringConstraints(max_length=10)] | None,
    BlankIsNone,
    AfterValidator(_platform_language),
]


class CourseCreate(BaseModel):
    """A new course: a master class or practical training of a program (then linked to its
    activity), or a standalone qualification course held anywhere."""

    code: Code
    title: Names
    kind: Annotated[CourseKind, Required]
    program_id: OptionalId = None
    activity_id: OptionalId = None
    specialty: OptionalCode = None
    issuer_institution_id: Annotated[Id, Required]
    host_institution_id: Annotated[Id, Required]
    starts_on: Annotated[Day, Required]
    ends_on: Annotated[Day, Required]
    hours: int = Field(default=0, ge=0, le=MAX_HOURS)
    cme_credits: float = Field(default=0.0, ge=0, le=MAX_HOURS)
    language: Annotated[Language, Required]
    capacity: int = Field(default=0, ge=0, le=MAX_SEATS)
    min_attendance_percent: int = Field(default=80, ge=0, le=100)
    min_score: OptionalScore = None
    certificate_valid_years: OptionalYears = None


class CourseUpdate(BaseModel):
    """Changes to a course; what is not given stays. The result is checked as a new course."""

    code: Code | None = None
    title: Names | None = None
    kind: CourseKind | None = None
    program_id: OptionalId = None
    activity_id: OptionalId = None
    specialty: OptionalCode = None
    issuer_institution_id: Id | None = None
    host_institution_id: Id | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    hours: int | None = Field(default=None, ge=0, le=MAX_HOURS)
    cme_credits: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    language: Language | None = None
    capacity: int | None = Field(default=None, ge=0, le=MAX_SEATS)
    min_attendance_percent: int | None = Field(default=None, ge=0, le=100)
    min_score: OptionalScore = None
    certificate_valid_years: OptionalYears = None


class CourseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    title: dict[str, str]
    kind: CourseKind
    program_id: int | None
    activity_id: int | None
    specialty: str | None
    issuer_institution_id: int
    host_institution_id: int
    starts_on: date
    ends_on: date
    hours: int
    cme_credits: float
    language: str
    capacity: int
    min_attendance_percent: int
    min_score: float | None
    certificate_valid_years: int | None


class CoursePage(BaseModel):
    items: list[CourseRead]
    total: int
    page: int
    pages: int


class SessionCreate(BaseModel):
    """A sitting of a course; times with an offset (the form sends the city's offset)."""

    starts_at: Annotated[Instant, Required]
    ends_at: Annotated[Instant, Required]
    topic: OptionalLine = None
    city_id: OptionalId = None
    room_id: OptionalId = None
    mode: SessionMode = SessionMode.IN_PERSON
    meeting_url: OptionalWebLink = None
    recording_url: OptionalWebLink = None


class SessionLinks(BaseModel):
    """How a session is held and its links: the meeting, and after it the recording."""

    mode: Annotated[SessionMode, Required]
    meeting_url: OptionalWebLink = None
    recording_url: OptionalWebLink = None


class SessionRead(BaseModel):
    """A session; its links are given to the course's managers only (trainees get their own
    join link, ``GET /sessions/{id}/online``)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    starts_at: datetime
    ends_at: datetime
    topic: str
    city_id: int | None
    room_id: int | None
    mode: SessionMode
    meeting_url: str | None
    recording_url: str | None


class OnlineRead(BaseModel):
    """An online session as one trainee sees it: their personal join link while it is open,
    the recording once it is over."""

    session_id: int
    mode: SessionMode
    opens_at: datetime
    ends_at: datetime
    join_url: str | None
    recording_url: str | None


class EnrolmentCreate(BaseModel):
    """A coordinator enrolling a person; the certificate language defaults to the course's."""

    person_id: Annotated[Id, Required]
    language: CertificateLanguage = None


class SelfEnrolment(BaseModel):
    """A trainee asking for a place; a coordinator approves it."""

    language: CertificateLanguage = None


class ScoreChange(BaseModel):
    """The trainee's assessment score."""

    score: Annotated[float, Required, Field(ge=0, le=MAX_SCORE)]


class EnrolmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    course_id: int
    person_id: int
    status: EnrolmentStatus
    requested_at: datetime
    score: float | None
    completed_at: datetime | None
    language: str


class AttendanceList(BaseModel):
    """The enrolments a coordinator marks present at a session (the others are absent), and
    of them those who followed it online."""

    present: Ids = Field(default_factory=list)
    online: Ids = Field(default_factory=list)


class MentorshipCreate(BaseModel):
    """A certified doctor taking a colleague at home under their wing."""

    mentor_id: Annotated[Id, Required]
    mentee_id: Annotated[Id, Required]
    institution_id: Annotated[Id, Required]
    course_id: OptionalId = None
    started_on: Annotated[Day, Required]


class MentorshipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mentor_id: int
    mentee_id: int
    institution_id: int
    course_id: int | None
    started_on: date


class CascadeSessionCreate(BaseModel):
    """A session a mentor held at home, and who came."""

    mentor_id: Annotated[Id, Required]
    course_id: OptionalId = None
    institution_id: Annotated[Id, Required]
    held_on: Annotated[Day, Required]
    topic: Annotated[Line, Required]
    attendee_ids: Ids = Field(default_factory=list)


class CascadeSessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    mentor_id: int
    course_id: int | None
    institution_id: int
    held_on: date
    topic: str


class SessionForm(BaseModel):
    """A session as the form gives it: a day and hours on the clocks of the host's city."""

    day: Annotated[Day, Required]
    start_time: Annotated[time, Required]
    end_time: Annotated[time, Required]
    topic: OptionalLine = None
    mode: SessionMode = SessionMode.IN_PERSON
    meeting_url: OptionalWebLink = None

    def instants(self, zone: ZoneInfo) -> SessionCreate:
        """The session with its hours read in ``zone``."""
        return SessionCreate(
            starts_at=datetime.combine(self.day, self.start_time, zone),
            ends_at=datetime.combine(self.day, self.end_time, zone),
            topic=self.topic,
            mode=self.mode,
            meeting_url=self.meeting_url,
        )


class EnrolmentRow(BaseModel):
    """A line of an enrolment import: the person by their directory code, and optionally the
    language of their certificate."""

    person: Code
    language: CertificateLanguage = None


class ReachPlace(BaseModel):
    """People reached in one place (country and city or district), per level."""

    country_id: int | None
    city_id: int | None
    level_1: int
    level_2: int
    level_3: int


class ReachNode(BaseModel):
    person_id: int
    level: int
    children: list[ReachNode]


class ReachRead(BaseModel):
    """The reach of a course: figures per level and place, and the tree."""

    course_id: int
    levels: dict[int, int]
    places: list[ReachPlace]
    tree: list[ReachNode]
    cascade_sessions: int
    cascade_attendees: int
