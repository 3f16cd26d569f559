"""Treatment abroad: a patient referred to the partner centre, from the recommendation to the
follow-up at home (issue 18, medical tourism).

Each step is taken by one side: **home** (the referring institution's doctors and registrars,
who also record the patient's own consent to the plan and its cost) or the **centre** (its
coordinators). The table is ``STEPS``; docs/telemedicine.md shows it. A step from another state
is refused with a translated error on ``status``, a step by the other side is an audited 403.
Two steps carry papers (``papers``): ``invite`` prints the invitation letter for the visa and
``discharge`` keeps the discharge summary's file, besides or instead of its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from hamkor.care.models import ConsentKind
from hamkor.care.service import has_consent
from hamkor.core import access, audit
from hamkor.core.access import AccessDenied, Action, Actor
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_
from hamkor.core.storage import Storage
from hamkor.core.text import Notes, OptionalLine
from hamkor.programs.schemas import OptionalInstant
from hamkor.telemedicine import papers
from hamkor.telemedicine.access import CENTRE_ROLE, asking_side
from hamkor.telemedicine.attachments import Upload
from hamkor.telemedicine.models import (
    AbroadReferral,
    AbroadStatus,
    AbroadStep,
    CaseRecommendation,
    TeleCase,
)
from hamkor.telemedicine.papers import Paper
from hamkor.telemedicine.service import author_id

A = AbroadStatus
ENTITY = AbroadReferral.__tablename__


class Side(StrEnum):
    HOME = "home"
    CENTRE = "centre"


class AbroadAction(StrEnum):
    ACCEPT = "accept"
    INVITE = "invite"
    ESTIMATE = "estimate"
    CONSENT = "consent"
    PLAN_TRAVEL = "plan_travel"
    ADMIT = "admit"
    TREAT = "treat"
    DISCHARGE = "discharge"
    FOLLOW_UP = "follow_up"
    DECLINE = "decline"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Move:
    """A step: the states it is taken from, where it leads, which side takes it."""

    sources: tuple[AbroadStatus, ...]
    target: AbroadStatus
    side: Side
    refused: str


#: Before the patient is admitted, home may still call the journey off.
_CANCELLABLE = (A.RECOMMENDED, A.ACCEPTED, A.INVITED, A.ESTIMATED, A.CONSENTED, A.TRAVELLING)
STEPS: dict[AbroadAction, Move] = {
    AbroadAction.ACCEPT: Move(
        (A.RECOMMENDED,),
        A.ACCEPTED,
        Side.CENTRE,
        N_("Only a recommended referral can be accepted."),
    ),
    AbroadAction.INVITE: Move(
        (A.ACCEPTED,), A.INVITED, Side.CENTRE, N_("Only an accepted referral can be invited.")
    ),
    AbroadAction.ESTIMATE: Move(
        (A.INVITED,), A.ESTIMATED, Side.CENTRE, N_("The cost is estimated after the invitation.")
    ),
    AbroadAction.CONSENT: Move(
        (A.ESTIMATED,), A.CONSENTED, Side.HOME, N_("The patient consents to an estimated plan.")
    ),
    AbroadAction.PLAN_TRAVEL: Move(
        (A.CONSENTED,), A.TRAVELLING, Side.HOME, N_("Travel is planned once the patient consents.")
    ),
    AbroadAction.ADMIT: Move(
        (A.TRAVELLING,), A.ADMITTED, Side.CENTRE, N_("Only a travelling patient can be admitted.")
    ),
    AbroadAction.TREAT: Move(
        (A.ADMITTED,), A.TREATED, Side.CENTRE, N_("Only an admitted patient can be treated.")
    ),
    AbroadAction.DISCHARGE: Move(
        (A.TREATED,), A.RETURNED, Side.CENTRE, N_("Only a treated patient can be discharged.")
    ),
    AbroadAction.FOLLOW_UP: Move(
        (A.RETURNED,), A.FOLLOWED_UP, Side.HOME, N_("Only a returned patient is followed up.")
    ),
    AbroadAction.DECLINE: Move(
        (A.RECOMMENDED, A.ACCEPTED),
        A.DECLINED,
        Side.CENTRE,
        N_("The centre declines a referral only before inviting the patient."),
    ),
    AbroadAction.CANCEL: Move(
        _CANCELLABLE, A.CANCELLED, Side.HOME, N_("A referral is cancelled only before admission.")
    ),
}


class AbroadRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int | None
    patient_id: int
    referring_institution_id: int
    centre_id: int
    status: AbroadStatus
    cost_estimate: str | None
    travel_from: datetime | None
    travel_until: datetime | None
    note: str
    #: The invitation letter and the discharge summary, once issued.
    papers: list[Paper] = []


class StepData(BaseModel):
    """What a step may carry: the cost estimate, the travel dates (on ``invite``, the planned
    period the letter names), a note (the discharge summary's text on ``discharge``)."""

    cost_estimate: OptionalLine = None
    travel_from: OptionalInstant = None
    travel_until: OptionalInstant = None
    note: Notes = ""


def _home(actor: Actor, referral: AbroadReferral) -> bool:
    return actor.is_admin or referral.referring_institution_id in asking_side(actor)


def _centre(actor: Actor, referral: AbroadReferral) -> bool:
    return actor.is_admin or referral.centre_id in actor.institutions(CENTRE_ROLE)


def _record(
    db: Session,
    actor: Actor,
    referral: AbroadReferral,
    source: AbroadStatus | None,
    to: AbroadStatus,
    now: datetime,
) -> None:
    db.add(
        AbroadStep(
            referral_id=referral.id,
            at=now,
            by_id=author_id(actor),
            from_status=source,
            to_status=to,
        )
    )
    referral.status = to
    db.flush()


def recommend(*, db: Session, actor: Actor, case: TeleCase, now: datetime) -> AbroadReferral:
    """Refer the patient of a case whose answer recommends treatment abroad to its centre."""
    if not actor.is_admin and case.asking_institution_id not in asking_side(actor):
        raise AccessDenied(ENTITY, None, Action.CHANGE)
    if case.recommendation != CaseRecommendation.REFER_ABROAD or case.patient_id is None:
        raise UserError.one(
            "case_id", N_("Only a case about a patient answered with 'refer abroad' is referred.")
        )
    if not has_consent(db, case.patient_id, ConsentKind.DATA_SHARING_ABROAD):
        raise UserError.one(
            "case_id",
            N_(
                "The patient has not given (or has withdrawn) consent to sharing their data abroad."
            ),
        )
    referral = AbroadReferral(
        case_id=case.id,
        patient_id=case.patient_id,
        referring_institution_id=case.asking_institution_id,
        centre_id=case.centre_id,
        created_at=now,
    )
    db.add(referral)
    db.flush()
    _record(db, actor, referral, None, A.RECOMMENDED, now)
    return referral


def take(
    *,
    db: Session,
    actor: Actor,
    referral: AbroadReferral,
    action: AbroadAction,
    data: StepData,
    now: datetime,
    store: Storage,
    max_bytes: int,
    summary: Upload | None = None,
) -> AbroadReferral:
    """Take one step of the table, by the side whose step it is; ``summary`` is the discharge
    summary's file (a PDF or an image of at most ``max_bytes``), kept on ``discharge``."""
    move = STEPS[action]
    if referral.status not in move.sources:
        raise UserError.one("status", move.refused)
    allowed = _home(actor, referral) if move.side == Side.HOME else _centre(actor, referral)
    if not allowed:
        raise AccessDenied(ENTITY, referral.id, Action.CHANGE)
    if action == AbroadAction.ESTIMATE and not data.cost_estimate:
        raise UserError.one("cost_estimate", N_("This field is required."))
    if action == AbroadAction.PLAN_TRAVEL and not (data.travel_from and data.travel_until):
        raise UserError.one("travel_from", N_("Give the dates of the journey."))
    if action == AbroadAction.DISCHARGE:
        kept = papers.keep_summary(
            db=db, actor=actor, referral=referral, store=store, upload=summary,
            max_bytes=max_bytes, now=now,
        )  # fmt: skip
        if kept is None and not data.note:
            raise UserError.one("note", N_("Give the discharge summary, as a text or a file."))
    referral.cost_estimate = data.cost_estimate or referral.cost_estimate
    referral.travel_from = data.travel_from or referral.travel_from
    referral.travel_until = data.travel_until or referral.travel_until
    if data.note:
        referral.note = data.note
    _record(db, actor, referral, AbroadStatus(referral.status), move.target, now)
    if action == AbroadAction.INVITE:
        papers.issue_letter(db=db, actor=actor, referral=referral, store=store, issued=now)
    return referral


def next_actions(actor: Actor, referral: AbroadReferral) -> list[AbroadAction]:
    """The steps the actor may take on the referral now: the buttons of its row."""
    status = AbroadStatus(referral.status)
    return [
        action
        for action, move in STEPS.items()
        if status in move.sources
        and (_home(actor, referral) if move.side == Side.HOME else _centre(actor, referral))
    ]


def where_patients_are(*, db: Session, actor: Actor) -> list[AbroadReferral]:
    """The referrals the actor may see, by status along the way, then newest first: the list
    that shows where each patient is."""
    order = list(AbroadStatus)
    found = list(db.scalars(access.restrict(select(AbroadReferral), actor)))
    audit.record_each(
        db, action="view", entity="patients", entity_ids=(r.patient_id for r in found),
        note="referrals abroad",
    )  # fmt: skip
    return sorted(found, key=lambda r: (order.index(AbroadStatus(r.status)), -r.id))


def referrals_visible(actor: Actor) -> ColumnElement[bool]:
    """The referring institution's people and the centre's coordinators."""
    return or_(
        AbroadReferral.referring_institution_id.in_(asking_side(actor)),
        AbroadReferral.centre_id.in_(actor.institutions(CENTRE_ROLE)),
    )


def _steps_visible(actor: Actor) -> ColumnElement[bool]:
    return AbroadStep.referral_id.in_(select(AbroadReferral.id).where(referrals_visible(actor)))


def register() -> None:
    access.register(AbroadReferral, view=referrals_visible, change=referrals_visible)
    access.register(AbroadStep, view=_steps_visible, change=_steps_visible)
