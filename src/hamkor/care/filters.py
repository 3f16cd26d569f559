"""Filters of the waitlist and of the follow-ups (issue 20): one definition for the page, its
download and the pager's links, so that the file holds the rows the page finds."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, Field
from sqlalchemy import Select

from hamkor.care.models import FollowUpStatus, FollowUpTask, Patient, Referral, ReferralStatus
from hamkor.core.forms import BlankIsNone
from hamkor.core.text import SearchQuery
from hamkor.directory.filters import OptionalId, matching


def _patient_named(query: str | None) -> Any:
    """Words of the patient's name in either script, or nothing to narrow by."""
    return matching(Patient.search, query) if query else None


class WaitlistFilter(BaseModel):
    """What the waitlist narrows by: the patient's name, the referral's status (waiting unless
    another or none is chosen), its program and specialty.
    ``?q=karimov&status=waiting&program=2&specialty=5&page=2``."""

    q: SearchQuery = None
    status: Annotated[ReferralStatus | None, BlankIsNone] = ReferralStatus.WAITING
    program: OptionalId = None
    specialty: OptionalId = None
    page: int = Field(default=1, ge=1)

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        condition = _patient_named(self.q)
        if condition is not None:
            stmt = stmt.where(Referral.patient.has(condition))
        for column, value in (
            (Referral.status, self.status),
            (Referral.program_id, self.program),
            (Referral.specialty_id, self.specialty),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        return stmt


class FollowUpFilter(BaseModel):
    """What the follow-ups narrow by: the patient's name, the task's status and whether it is
    past due. ``?q=karimov&status=open&overdue=true&page=2``."""

    q: SearchQuery = None
    status: Annotated[FollowUpStatus | None, BlankIsNone] = None
    overdue: bool = False
    page: int = Field(default=1, ge=1)

    def apply(self, stmt: Select[Any], today: date) -> Select[Any]:
        condition = _patient_named(self.q)
        if condition is not None:
            stmt = stmt.where(FollowUpTask.referral.has(Referral.patient.has(condition)))
        if self.status is not None:
            stmt = stmt.where(FollowUpTask.status == self.status)
        if self.overdue:
            stmt = stmt.where(
                FollowUpTask.status == FollowUpStatus.OPEN, FollowUpTask.due_on < today
            )
        return stmt
