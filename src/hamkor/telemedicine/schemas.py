"""What teleconsultation cases, their messages and their steps look like coming in and going out.

The same schemas read the HTML forms and the JSON API. ICD-10 codes are care's type, checked
against the WHO list the same way; rules that need the database (the centre is abroad, the
patient's consents, who may take a step) live in the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from hamkor.care.schemas import Icd10
from hamkor.core.forms import FormList
from hamkor.core.text import Text
from hamkor.programs.schemas import Id, OptionalId, Required
from hamkor.telemedicine.models import CaseRecommendation, CaseStatus, FileKind, Urgency

#: The most ICD-10 codes one case carries (care's encounters take as many).
MAX_CODES = 10


class CaseCreate(BaseModel):
    """A question to a specialist centre abroad: a draft until the asker submits it."""

    program_id: OptionalId = None
    asking_institution_id: Annotated[Id, Required]
    centre_id: Annotated[Id, Required]
    specialty_id: Annotated[Id, Required]
    urgency: Annotated[Urgency, Required] = Urgency.ROUTINE
    question: Text
    clinical_summary: Text
    icd10: Annotated[list[Icd10], FormList] = Field(default_factory=list, max_length=MAX_CODES)
    #: None: an anonymous case.
    patient_id: OptionalId = None


class Assignment(BaseModel):
    """The centre's coordinator gives the case to one of the centre's specialists."""

    assignee_id: Annotated[Id, Required]


class Confirmation(BaseModel):
    """A step that carries no data (submit, reopen): its form posts only its CSRF token."""


class Decline(BaseModel):
    reason: Text


class Answer(BaseModel):
    """The specialist's answer and what they advise."""

    answer: Text
    recommendation: Annotated[CaseRecommendation, Required]


class Closing(BaseModel):
    """The asker closes the case, telling whether the answer spared the patient a visit."""

    visit_avoided: Annotated[bool, Required]


class MessageCreate(BaseModel):
    body: Text
    reply_to_id: OptionalId = None


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    reply_to_id: int | None
    author_id: int | None
    body: str
    at: datetime


class TransitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    by_id: int | None
    from_status: CaseStatus | None
    to_status: CaseStatus


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    program_id: int | None
    asking_institution_id: int
    asked_by_id: int | None
    centre_id: int
    specialty_id: int
    urgency: Urgency
    question: str
    clinical_summary: str
    icd10: list[str]
    patient_id: int | None
    status: CaseStatus
    assignee_id: int | None
    decline_reason: str | None
    answer: str | None
    recommendation: CaseRecommendation | None
    visit_avoided: bool | None
    submitted_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None


class CaseDetail(CaseRead):
    messages: list[MessageRead]
    history: list[TransitionRead]


class CaseFileRead(BaseModel):
    """A file of a case. Its bytes are at ``/files/{file_id}`` (and its thumbnail, once made,
    at ``/files/{thumbnail_id}``), behind the case's permission check: the centre abroad sees
    the shared copies only."""

    id: int
    kind: FileKind
    name: str
    shared: bool
    original_id: int | None
    study_uid: str | None
    series_uid: str | None
    frames: int | None
    file_id: int | None
    thumbnail_id: int | None
