"""What agreements, their parties, roadmap items, stands and awards look like coming in and
going out.

The same schemas read the HTML forms and the JSON API. Rules that need only the record itself
live here; rules that need the database (the parent's status, the validity of the chain, the
ceremony's program) live in the service.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hamkor.agreements.models import (
    AgreementKind,
    AgreementStatus,
    Confidentiality,
    DueAlert,
    ItemStatus,
)
from hamkor.core.forms import BlankIsNone, FormList
from hamkor.core.names import Names
from hamkor.core.text import Line, Notes, OneLine, OptionalLine, bounded
from hamkor.programs.schemas import (
    Code,
    Day,
    Id,
    OptionalDay,
    OptionalDescriptions,
    OptionalId,
    Required,
)

#: The most parties, topics, milestones or indicator rows one request may carry.
MAX_ROWS = 50
MAX_NOTICE_DAYS = 3650

#: A topic of an agreement, as a short tag: ``joint research``, ``exchange of specialists``.
Topic = Annotated[str, bounded(100, min_length=1), OneLine]
#: The key of a report indicator (``doctors_trained``) and a period (``2025``, ``2026-Q1``).
IndicatorKey = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[a-z0-9_.-]+$"
    ),
]
Period = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=4, max_length=20, pattern=r"^[0-9A-Za-z-]+$"
    ),
]
Percent = Annotated[int, Field(ge=0, le=100)]
Amount = Annotated[float, Field(ge=-1e12, le=1e12)]


class PartyCreate(BaseModel):
    """An institution bound by the agreement and who signed for it, when."""

    institution_id: Annotated[Id, Required]
    signer_person_id: OptionalId = None
    signer_name: OptionalLine = None
    signed_on: OptionalDay = None


class AgreementTerms(BaseModel):
    """What an agreement says and who it binds: the part of it that can be edited."""

    titles: Names
    summaries: OptionalDescriptions = None
    topics: Annotated[list[Topic], FormList, Field(max_length=MAX_ROWS)] = []
    parties: Annotated[list[PartyCreate], Field(max_length=MAX_ROWS)] = []
    valid_from: OptionalDay = None
    valid_until: OptionalDay = None
    renewal_terms: Notes = ""
    notice_days: Annotated[Annotated[int, Field(ge=0, le=MAX_NOTICE_DAYS)] | None, BlankIsNone] = (
        None
    )
    confidentiality: Confidentiality = Confidentiality.PROGRAM
    program_id: OptionalId = None
    ceremony_activity_id: OptionalId = None


class AgreementCreate(AgreementTerms):
    """A new agreement, or (with ``parent_id``) an extension or amendment of one."""

    code: Code
    kind: Annotated[AgreementKind, Required]
    parent_id: OptionalId = None


class StatusChange(BaseModel):
    """A step of the agreement's life set by a person (in force and expired follow the dates)."""

    status: Annotated[AgreementStatus, Required]
    note: OptionalLine = None


class PartyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    institution_id: int
    signer_person_id: int | None
    signer_name: str
    signed_on: date | None


class AgreementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    kind: AgreementKind
    status: AgreementStatus
    titles: dict[str, str]
    summaries: dict[str, str]
    topics: list[str]
    parties: list[PartyRead]
    valid_from: date | None
    valid_until: date | None
    renewal_terms: str
    notice_days: int | None
    confidentiality: Confidentiality
    program_id: int | None
    ceremony_activity_id: int | None
    parent_id: int | None
    roadmap_approved_on: date | None


class MilestoneCreate(BaseModel):
    titles: Names
    due_on: Annotated[Day, Required]
    done_on: OptionalDay = None


class MilestoneDone(BaseModel):
    """The day a milestone was reached."""

    done_on: Annotated[Day, Required]


class IndicatorCreate(BaseModel):
    """A report indicator the item moves, with its target (and actual) for one period."""

    indicator_key: IndicatorKey
    period: Period
    target: Amount
    actual: Annotated[Amount | None, BlankIsNone] = None


class ItemCreate(BaseModel):
    """A roadmap item: a joint project in science, education or clinical practice."""

    titles: Names
    owner_institution_id: Annotated[Id, Required]
    owner_person_id: OptionalId = None
    due_on: Annotated[Day, Required]
    status: ItemStatus = ItemStatus.PLANNED
    percent: Percent = 0
    activity_ids: Annotated[list[Id], FormList, Field(max_length=MAX_ROWS)] = []
    milestones: Annotated[list[MilestoneCreate], Field(max_length=MAX_ROWS)] = []
    indicators: Annotated[list[IndicatorCreate], Field(max_length=MAX_ROWS)] = []


class ItemProgress(BaseModel):
    """How far an item got; a new due date moves it, its baseline stays."""

    status: Annotated[ItemStatus, Required]
    percent: Percent
    due_on: OptionalDay = None


class MilestoneRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    titles: dict[str, str]
    due_on: date
    done_on: date | None


class IndicatorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    indicator_key: str
    period: str
    target: float
    actual: float | None


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agreement_id: int
    titles: dict[str, str]
    owner_institution_id: int
    owner_person_id: int | None
    due_on: date
    baseline_due_on: date | None
    status: ItemStatus
    percent: int
    alert: DueAlert | None
    outside_validity: bool
    milestones: list[MilestoneRead]
    indicators: list[IndicatorRead]


class StandCreate(BaseModel):
    """A stand of the program's exhibition and what is shown on it."""

    institution_id: Annotated[Id, Required]
    stand: Annotated[str, bounded(40, min_length=1), OneLine]
    exhibits: Names
    activity_id: OptionalId = None


class StandRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    program_id: int
    institution_id: int
    stand: str
    exhibits: dict[str, str]
    activity_id: int | None


class AwardCreate(BaseModel):
    """An award conferred during the program, on a person of the directory or one named."""

    titles: Names
    recipient_person_id: OptionalId = None
    recipient_name: Line
    conferred_by_institution_id: Annotated[Id, Required]
    conferred_on: Annotated[Day, Required]
    ceremony_activity_id: OptionalId = None


class AwardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    program_id: int
    titles: dict[str, str]
    recipient_person_id: int | None
    recipient_name: str
    conferred_by_institution_id: int
    conferred_on: date
    ceremony_activity_id: int | None
