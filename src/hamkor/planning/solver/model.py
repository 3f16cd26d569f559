"""The planning instance and the plan: versioned JSON formats other tools can write and read.

An instance (``hamkor.plan-instance/1``) says what a program asks for and what it has: days and
working hours, cities and travel minutes, rooms, visiting specialists, requested activities,
local trainees and waiting patients. A plan (``hamkor.plan/1``) says where and when each
activity happens and who leads it, which patient is consulted in which session, which trainee
attends what, what could not be placed and why, and the objective split by term.

Dates are ISO 8601 (``2025-10-13``); times are ``HH:MM`` local times of the city concerned.
The JSON Schemas in ``docs/formats/`` are generated from these models.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

INSTANCE_FORMAT = "hamkor.plan-instance/1"
PLAN_FORMAT = "hamkor.plan/1"

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Clock = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


def minutes(clock: str) -> int:
    """Minutes since midnight of an ``HH:MM`` time."""
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def clock(minute: int) -> str:
    """The ``HH:MM`` time of a minute of the day."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt field must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Hours(Strict):
    """Opening or working hours on one day, local time."""

    day: date
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        if minutes(self.end) <= minutes(self.start):
            raise ValueError("end must be after start")
        return self


class Moment(Strict):
    """Where and when a specialist arrives or leaves (local time of that city)."""

    city: Id
    day: date
    time: Clock


class Program(Strict):
    code: Id
    days: list[date] = Field(min_length=1)
    day_start: Clock = "08:00"
    day_end: Clock = "19:00"
    #: Activities start on this grid (minutes); coarser grids solve faster.
    slot_minutes: int = Field(default=30, ge=5, le=120)


class City(Strict):
    id: Id
    name: str = ""


class Travel(Strict):
    """Minutes between two cities, either way."""

    a: Id
    b: Id
    minutes: int = Field(ge=0)


class RoomKind(StrEnum):
    OPERATING_ROOM = "operating_room"
    CATH_LAB = "cath_lab"
    ENDOSCOPY_ROOM = "endoscopy_room"
    CONSULTATION_ROOM = "consultation_room"
    LECTURE_HALL = "lecture_hall"
    TRAINING_ROOM = "training_room"
    EXHIBITION_SPACE = "exhibition_space"


class Room(Strict):
    id: Id
    city: Id
    institution: str = Field(default="", max_length=64)
    kind: RoomKind
    capacity: int = Field(ge=1)
    #: Opening hours per day; a day not listed is the program's working hours.
    hours: list[Hours] = []
    #: Days the room is closed altogether.
    closed: list[date] = []


class Specialist(Strict):
    id: Id
    name: str = ""
    specialties: list[Id] = Field(min_length=1)
    languages: list[str] = []
    #: Working hours per day; a day not listed is the program's working hours.
    hours: list[Hours] = []
    #: Days the specialist is not available at all.
    unavailable: list[date] = []
    arrival: Moment | None = None
    departure: Moment | None = None


class Activity(Strict):
    """A requested activity; a consultation session also has ``consultation_minutes``."""

    id: Id
    kind: str
    title: str = ""
    specialty: Id
    duration_minutes: int = Field(gt=0, le=12 * 60)
    room_kind: RoomKind
    #: How many leads, chosen among specialists of the specialty (ignored when leads are named).
    leads: int = Field(default=1, ge=1, le=10)
    named_leads: list[Id] = []
    #: Cities where it may take place (empty: any).
    cities: list[Id] = []
    trainee_seats: int = Field(default=0, ge=0)
    weight: float = Field(default=1.0, ge=0)
    mandatory: bool = False
    fixed_day: date | None = None
    fixed_start: Clock | None = None
    #: For consultation sessions: minutes per patient; capacity = duration // this.
    consultation_minutes: int | None = Field(default=None, gt=0)

    @property
    def patient_capacity(self) -> int:
        if self.consultation_minutes is None:
            return 0
        return self.duration_minutes // self.consultation_minutes


class Busy(Strict):
    """Time a room and its leads are taken by an activity the plan may not move (entered by
    hand, done, pinned, past), on one program day: the plan books neither its room nor its
    leads then, and its leads are in its city that day (they travel from it and to it).

    Busy times may break the planner's own rules among themselves (a lead in two cities on one
    day, a room booked twice): they are the program as it stands, and the plan adds to it
    without adding a conflict (``docs/planning.md``). An activity past midnight is one entry a
    day, the first ending at 23:59.
    """

    id: Id
    day: date
    start: Clock
    end: Clock
    city: Id
    room: Id | None = None
    leads: list[Id] = []

    @model_validator(mode="after")
    def _ordered(self) -> Busy:
        if minutes(self.end) <= minutes(self.start):
            raise ValueError("end must be after start")
        return self


class Trainee(Strict):
    id: Id
    specialties: list[Id] = Field(min_length=1)
    city: Id
    days: list[date] = []


class Patient(Strict):
    id: Id
    specialty: Id
    priority: int = Field(ge=1, le=5)
    cities: list[Id] = Field(min_length=1)
    days: list[date] = []


class Weights(Strict):
    """The objective's terms, documented in ``docs/planning.md``: every one configurable."""

    #: Per unit of an activity's own weight placed.
    activity: float = Field(default=100.0, ge=0)
    #: Per priority point of a patient consulted (priority 5 is worth five times priority 1).
    patient: float = Field(default=4.0, ge=0)
    #: Per trainee place filled.
    trainee: float = Field(default=2.0, ge=0)
    #: Subtracted per minute of travel between cities of a specialist's consecutive days.
    travel_minute: float = Field(default=0.05, ge=0)
    #: Subtracted per change to an item of the accepted plan (re-planning).
    change: float = Field(default=50.0, ge=0)


class PlacedActivity(Strict):
    activity: Id
    day: date
    start: Clock
    end: Clock
    city: Id
    room: Id
    leads: list[Id]


class Consultation(Strict):
    patient: Id
    activity: Id


class Attendance(Strict):
    trainee: Id
    activity: Id


class Instance(Strict):
    """Everything the optimizer needs, and nothing from a database."""

    format: Literal["hamkor.plan-instance/1"]
    program: Program
    cities: list[City] = Field(min_length=1)
    travel: list[Travel] = []
    rooms: list[Room] = []
    specialists: list[Specialist] = []
    activities: list[Activity] = []
    trainees: list[Trainee] = []
    patients: list[Patient] = []
    weights: Weights = Weights()
    #: The accepted plan being re-planned: changing any of it costs ``weights.change``.
    accepted: list[PlacedActivity] = []
    #: Activities of the accepted plan that must not move (done, or pinned by a coordinator).
    pinned: list[Id] = []
    #: Rooms and leads already taken by what the plan may not move.
    busy: list[Busy] = []


class UnplacedKind(StrEnum):
    ACTIVITY = "activity"
    PATIENT = "patient"
    TRAINEE = "trainee"


class Unplaced(Strict):
    kind: UnplacedKind
    item: Id
    #: A stable reason code (``no_room_of_kind``, ``no_specialist_of_specialty``, ...).
    reason: str
    detail: str = ""


class Objective(Strict):
    total: float
    activities: float
    patients: float
    trainees: float
    travel: float
    changes: float


class SolverInfo(Strict):
    name: str
    status: str
    wall_seconds: float
    time_limit_seconds: float | None = None
    seed: int | None = None
    workers: int | None = None
    #: Each bound the solver proved on the total, by kind (``cp-sat``, ``lp``, ``packing``,
    #: ``time-indexed``: ``docs/planning.md``); the plan's ``bound`` is the lowest.
    bounds: dict[str, float] = {}


class Plan(Strict):
    format: Literal["hamkor.plan/1"] = "hamkor.plan/1"
    program: Id
    activities: list[PlacedActivity] = []
    consultations: list[Consultation] = []
    attendances: list[Attendance] = []
    unplaced: list[Unplaced] = []
    objective: Objective
    #: The best bound the solver proved on the total (None for solvers that prove none).
    bound: float | None = None
    solver: SolverInfo
