"""Who may see teleconsultation cases: the one rule every case query goes through.

A case is seen by the people of the **asking institution** who handle patients (its
specialists, registrars and coordinators: the doctor who asked may be away, a colleague
follows up), by the **coordinators of the centre** asked once it is submitted (they assign it),
and by the **specialist it is assigned to**. Nobody else, auditors included: they read the audit
trail, not patient data (issue 4). Which of them may take which step is the state machine's
business (``service``); this module only scopes the rows.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select

from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.models import Role
from hamkor.telemedicine.models import CaseFile, CaseMessage, CaseStatus, CaseTransition, TeleCase

#: Roles of the asking side: the doctors who ask and the staff who follow the case up.
ASKING_ROLES = (Role.SPECIALIST, Role.REGISTRAR, Role.INSTITUTION_COORDINATOR)
#: The role that receives a centre's cases, assigns them and is told when one is late.
CENTRE_ROLE = Role.INSTITUTION_COORDINATOR
#: Roles at the centre a case may be assigned to.
ASSIGNEE_ROLES = (Role.SPECIALIST, Role.INSTITUTION_COORDINATOR)


def asking_side(actor: Actor) -> set[int]:
    """The institutions whose cases the actor asks and follows up."""
    return actor.institutions(*ASKING_ROLES)


def centres_coordinated(actor: Actor) -> set[int]:
    """The centres whose incoming cases the actor receives and assigns."""
    return actor.institutions(CENTRE_ROLE)


def cases_visible(actor: Actor) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = [TeleCase.assignee_id == actor.user_id]
    if asking := asking_side(actor):
        clauses.append(TeleCase.asking_institution_id.in_(asking))
    if centres := centres_coordinated(actor):
        clauses.append(and_(TeleCase.centre_id.in_(centres), TeleCase.status != CaseStatus.DRAFT))
    return or_(*clauses) if actor.user_id else false()


def _of_cases(model: type[CaseMessage] | type[CaseTransition]) -> access.Condition:
    def follows(actor: Actor) -> ColumnElement[bool]:
        return model.case_id.in_(select(TeleCase.id).where(cases_visible(actor)))

    return follows


def files_visible(actor: Actor) -> ColumnElement[bool]:
    """A case's shared files go with the case; its originals (a DICOM file before
    de-identification) stay with the asking side, whose patient they name."""
    cases = select(TeleCase.id).where(cases_visible(actor))
    own = select(TeleCase.id).where(TeleCase.asking_institution_id.in_(asking_side(actor)))
    return and_(
        CaseFile.case_id.in_(cases), or_(CaseFile.shared.is_(True), CaseFile.case_id.in_(own))
    )


def register() -> None:
    access.register(TeleCase, view=cases_visible, change=cases_visible)
    for model in (CaseMessage, CaseTransition):
        access.register(model, view=_of_cases(model), change=_of_cases(model))
    access.register(CaseFile, view=files_visible, change=files_visible)
