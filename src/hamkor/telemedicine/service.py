"""Teleconsultation cases: asking, the state machine, the exchange of messages, and reading.

Every function takes keyword arguments, the session and the acting user, and only flushes: the
request (or command) commits once. A step takes the case its caller loaded with
``core.access.get_for(..., CHANGE)``, which scopes it to the people of the case; which of them
may take which step is decided here:

| step | from | to | by |
|---|---|---|---|
| submit | draft | submitted | the asking side |
| accept | submitted | accepted | the centre's coordinator, naming the assignee |
| decline | submitted, accepted | declined | the centre's coordinator, or the assignee |
| answer | accepted | answered | the assignee only |
| close | answered | closed | the asking side |
| reopen | closed | accepted (same assignee) | the asking side |
| reopen | declined | submitted | the asking side |

A step from another state is refused with a translated error on ``status``; a step by the wrong
person is a 403, written in the audit trail. Times come from the caller (``now``), so that the
deadline, the reminders and the answer times can be tested at any clock time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session, selectinload

from hamkor.care.access import patients_visible
from hamkor.care.models import ConsentKind, Patient
from hamkor.care.service import consents_in_force
from hamkor.core import audit, notifications
from hamkor.core.access import AccessDenied, Action, Actor, get_for, restrict
from hamkor.core.errors import FieldError, UserError, problem, refuse_any
from hamkor.core.i18n import N_, Message
from hamkor.core.models import Membership, User
from hamkor.core.pagination import Page, paginate
from hamkor.directory.models import Institution, Specialty
from hamkor.programs.models import Program
from hamkor.settings import Settings
from hamkor.telemedicine.access import ASSIGNEE_ROLES, CENTRE_ROLE, asking_side
from hamkor.telemedicine.models import (
    OPEN_STATUSES,
    WAITING_STATUSES,
    CaseMessage,
    CaseStatus,
    CaseTransition,
    TeleCase,
    Urgency,
)
from hamkor.telemedicine.schemas import (
    Answer,
    Assignment,
    CaseCreate,
    Closing,
    Confirmation,
    Decline,
    MessageCreate,
)

ENTITY = "telemedicine_cases"
_CHOOSE = N_("Choose one of the offered values.")
#: The consents a case about an identified patient needs: to be discussed at a distance, and
#: to have their data go to the centre in the other country.
NEEDED_CONSENTS = (ConsentKind.TELEMEDICINE, ConsentKind.DATA_SHARING_ABROAD)
_MISSING_CONSENT = {
    ConsentKind.TELEMEDICINE: N_(
        "The patient has not given (or has withdrawn) consent to telemedicine."
    ),
    ConsentKind.DATA_SHARING_ABROAD: N_(
        "The patient has not given (or has withdrawn) consent to sharing their data abroad."
    ),
}


class Step(StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    DECLINE = "decline"
    ANSWER = "answer"
    CLOSE = "close"
    REOPEN = "reopen"


#: The states each step may be taken from, and where it leads from each.
TRANSITIONS: dict[Step, dict[CaseStatus, CaseStatus]] = {
    Step.SUBMIT: {CaseStatus.DRAFT: CaseStatus.SUBMITTED},
    Step.ACCEPT: {CaseStatus.SUBMITTED: CaseStatus.ACCEPTED},
    Step.ANSWER: {CaseStatus.ACCEPTED: CaseStatus.ANSWERED},
    Step.CLOSE: {CaseStatus.ANSWERED: CaseStatus.CLOSED},
    # A closed case goes back to its specialist (a follow-up question, as Collegium
    # Telemedicus's users asked); a declined one back to the centre's queue.
    Step.REOPEN: {
        CaseStatus.CLOSED: CaseStatus.ACCEPTED,
        CaseStatus.DECLINED: CaseStatus.SUBMITTED,
    },
    # Last: the page offers the steps in this order, the way forward first.
    Step.DECLINE: {
        CaseStatus.SUBMITTED: CaseStatus.DECLINED,
        CaseStatus.ACCEPTED: CaseStatus.DECLINED,
    },
}
_REFUSED = {
    Step.SUBMIT: N_("Only a draft can be submitted."),
    Step.ACCEPT: N_("Only a submitted case can be accepted."),
    Step.DECLINE: N_("Only a submitted or accepted case can be declined."),
    Step.ANSWER: N_("Only an accepted case can be answered."),
    Step.CLOSE: N_("Only an answered case can be closed."),
    Step.REOPEN: N_("Only a closed or declined case can be reopened."),
}

NEW_CASE = N_("A new teleconsultation case %(case)s in %(specialty)s asks for an answer.")
ASSIGNED = N_("The teleconsultation case %(case)s in %(specialty)s is assigned to you.")
ANSWERED = N_("The teleconsultation case %(case)s in %(specialty)s has been answered.")
DECLINED = N_("The teleconsultation case %(case)s in %(specialty)s has been declined.")


@dataclass(frozen=True)
class Deadlines:
    """How long a centre has to answer, by urgency, and how long before it is reminded."""

    urgent: timedelta
    routine: timedelta
    remind_before: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Deadlines:
        return cls(
            urgent=timedelta(hours=settings.telemedicine_urgent_hours),
            routine=timedelta(hours=settings.telemedicine_routine_hours),
            remind_before=timedelta(hours=settings.telemedicine_remind_hours),
        )

    def due(self, urgency: Urgency, since: datetime) -> datetime:
        return since + (self.urgent if urgency == Urgency.URGENT else self.routine)


def case_label(case: TeleCase) -> str:
    """How a case is named to people, in a notification or a heading: never its contents."""
    return f"TC-{case.id}"


def author_id(actor: Actor) -> int | None:
    """The user to name as author; the command line's operator (user 0) is nobody's row."""
    return actor.user_id or None


# --- reading --------------------------------------------------------------------------------


def _viewed(db: Session, case: TeleCase, note: str) -> None:
    """A view of a case in the audit trail, and of its patient, so that 'who saw patient 41'
    finds the teleconsultations too (issue 4)."""
    audit.record(db, action="view", entity=ENTITY, entity_id=case.id, note=note)
    if case.patient_id is not None:
        audit.record(
            db, action="view", entity="patients", entity_id=case.patient_id, note=f"case {case.id}"
        )


def get_case(*, db: Session, actor: Actor, case_id: int, action: Action = Action.VIEW) -> TeleCase:
    """One case: 404 when none, 403 and an audited denial when not the actor's; the view is
    audited."""
    case = get_for(db, actor, TeleCase, case_id, action)
    _viewed(db, case, "case")
    return case


def cases_statement(
    actor: Actor, *, centre_id: int | None = None, status: CaseStatus | None = None
) -> Select[Any]:
    """The cases the actor may see: those waiting for the centre first, soonest deadline
    first; then the others (drafts, answered, finished), newest first."""
    waiting = case((TeleCase.status.in_(WAITING_STATUSES), 0), else_=1)
    stmt = restrict(select(TeleCase), actor).order_by(
        waiting, case((waiting == 0, TeleCase.due_at)), TeleCase.id.desc()
    )
    if centre_id is not None:
        stmt = stmt.where(TeleCase.centre_id == centre_id)
    if status is not None:
        stmt = stmt.where(TeleCase.status == status)
    return stmt


def list_cases(
    *,
    db: Session,
    actor: Actor,
    page: int = 1,
    size: int = 25,
    centre_id: int | None = None,
    status: CaseStatus | None = None,
) -> Page[TeleCase]:
    """One page of the actor's cases by deadline; each case (and patient) shown is audited."""
    found: Page[TeleCase] = paginate(
        db,
        cases_statement(actor, centre_id=centre_id, status=status),
        number=page,
        size=size,
    )
    audit.record_each(
        db, action="view", entity=ENTITY, entity_ids=(c.id for c in found.items), note="list"
    )
    patients = [c.patient_id for c in found.items if c.patient_id is not None]
    audit.record_each(db, action="view", entity="patients", entity_ids=patients, note="cases")
    return found


def case_detail(db: Session, case: TeleCase) -> TeleCase:
    """The case with its messages and history loaded, for a page or the API."""
    loaded = db.scalar(
        select(TeleCase)
        .where(TeleCase.id == case.id)
        .options(selectinload(TeleCase.messages), selectinload(TeleCase.history))
        .execution_options(populate_existing=True)
    )
    assert loaded is not None
    return loaded


# --- consents -------------------------------------------------------------------------------


def missing_consents(db: Session, patient_id: int) -> list[ConsentKind]:
    """The consents a case about the patient needs and the patient has not given (or
    withdrew): care's latest decision per kind is the one in force."""
    given = consents_in_force(db, [patient_id])[patient_id]
    return [kind for kind in NEEDED_CONSENTS if kind not in given]


def consent_problems(db: Session, patient_id: int | None, field: str) -> list[FieldError]:
    if patient_id is None:
        return []
    return [problem(field, _MISSING_CONSENT[kind]) for kind in missing_consents(db, patient_id)]


# --- asking ---------------------------------------------------------------------------------


def _check_create(db: Session, actor: Actor, data: CaseCreate) -> list[FieldError]:
    errors: list[FieldError] = []
    asking = db.get(Institution, data.asking_institution_id)
    centre = db.get(Institution, data.centre_id)
    if asking is None:
        errors.append(problem("asking_institution_id", _CHOOSE))
    if centre is None:
        errors.append(problem("centre_id", _CHOOSE))
    elif asking is not None and centre.country_id == asking.country_id:
        errors.append(
            problem("centre_id", N_("The centre asked must be an institution of another country."))
        )
    if db.get(Specialty, data.specialty_id) is None:
        errors.append(problem("specialty_id", _CHOOSE))
    if data.program_id is not None and db.get(Program, data.program_id) is None:
        errors.append(problem("program_id", _CHOOSE))
    if data.patient_id is not None:
        errors.extend(_check_patient(db, actor, data.patient_id))
    return errors


def _check_patient(db: Session, actor: Actor, patient_id: int) -> list[FieldError]:
    """The patient must be one the actor sees in care, with the consents a case needs."""
    visible = select(Patient.id).where(Patient.id == patient_id)
    if not actor.is_admin:
        visible = visible.where(patients_visible(actor))
    if db.scalar(visible) is None:
        # Not told apart from a patient who does not exist: a form is no way to probe.
        return [problem("patient_id", N_("No such patient among yours."))]
    audit.record(db, action="view", entity="patients", entity_id=patient_id, note="consents")
    return consent_problems(db, patient_id, "patient_id")


def create_case(*, db: Session, actor: Actor, data: CaseCreate, now: datetime) -> TeleCase:
    """A draft question from the actor's institution to a centre of another country."""
    if not actor.is_admin and data.asking_institution_id not in asking_side(actor):
        raise AccessDenied(ENTITY, None, Action.CHANGE)
    refuse_any(_check_create(db, actor, data))
    case = TeleCase(
        program_id=data.program_id,
        asking_institution_id=data.asking_institution_id,
        asked_by_id=author_id(actor),
        centre_id=data.centre_id,
        specialty_id=data.specialty_id,
        urgency=data.urgency,
        question=data.question,
        clinical_summary=data.clinical_summary,
        icd10=list(dict.fromkeys(data.icd10)),
        patient_id=data.patient_id,
        created_at=now,
    )
    db.add(case)
    db.flush()
    _record(db, actor, case, None, CaseStatus.DRAFT, now)
    return case


# --- the state machine ----------------------------------------------------------------------


def _record(
    db: Session,
    actor: Actor,
    case: TeleCase,
    from_status: CaseStatus | None,
    to_status: CaseStatus,
    now: datetime,
) -> None:
    db.add(
        CaseTransition(
            case_id=case.id,
            at=now,
            by_id=author_id(actor),
            from_status=from_status,
            to_status=to_status,
        )
    )
    case.status = to_status
    db.flush()


def _move(db: Session, actor: Actor, case: TeleCase, step: Step, now: datetime) -> None:
    """Take ``step`` if the state machine allows it from the case's state and the actor may
    take it, else refuse. The state is checked first: whoever calls already sees the case, and
    "only an accepted case can be answered" tells them more than a 403 would."""
    target = TRANSITIONS[step].get(CaseStatus(case.status))
    if target is None:
        raise UserError.one("status", _REFUSED[step])
    if not _may_take(actor, case, step):
        # A step by someone whose step it is not: a 403, audited by the request's handler.
        raise AccessDenied(ENTITY, case.id, Action.CHANGE)
    _record(db, actor, case, CaseStatus(case.status), target, now)


def _on_asking_side(actor: Actor, case: TeleCase) -> bool:
    return actor.is_admin or case.asking_institution_id in asking_side(actor)


def _coordinates_centre(actor: Actor, case: TeleCase) -> bool:
    return actor.is_admin or case.centre_id in actor.institutions(CENTRE_ROLE)


def submit(
    *, db: Session, actor: Actor, case: TeleCase, now: datetime, deadlines: Deadlines
) -> TeleCase:
    """Send the draft to the centre; the deadline runs from now, and its coordinators are told."""
    refuse_any(consent_problems(db, case.patient_id, "patient_id"))
    _move(db, actor, case, Step.SUBMIT, now)
    case.submitted_at = now
    _start_deadline(case, now, deadlines)
    tell(db, coordinators(db, case.centre_id), case, NEW_CASE)
    return case


def _start_deadline(case: TeleCase, now: datetime, deadlines: Deadlines) -> None:
    case.due_at = deadlines.due(Urgency(case.urgency), now)
    case.reminded_at = None
    case.escalated_at = None


def _assignable(db: Session, case: TeleCase, user_id: int) -> bool:
    """Whether the user works at the case's centre in a role that answers cases."""
    found = db.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.user_id == user_id,
            Membership.institution_id == case.centre_id,
            Membership.role.in_(ASSIGNEE_ROLES),
            User.is_active.is_(True),
        )
        .limit(1)
    )
    return found is not None


def accept(
    *, db: Session, actor: Actor, case: TeleCase, data: Assignment, now: datetime
) -> TeleCase:
    """The centre takes the case and gives it to one of its specialists, who is told."""
    if not _assignable(db, case, data.assignee_id):
        raise UserError.one(
            "assignee_id", N_("Choose a specialist of the centre the case is asked of.")
        )
    _move(db, actor, case, Step.ACCEPT, now)
    case.assignee_id = data.assignee_id
    assignee = db.get(User, data.assignee_id)
    tell(db, [assignee] if assignee else [], case, ASSIGNED)
    return case


def decline(*, db: Session, actor: Actor, case: TeleCase, data: Decline, now: datetime) -> TeleCase:
    """The centre will not answer, and says why; the asker is told."""
    _move(db, actor, case, Step.DECLINE, now)
    case.decline_reason = data.reason
    case.due_at = None
    tell(db, _askers(db, case), case, DECLINED)
    return case


def _is_assignee(actor: Actor, case: TeleCase) -> bool:
    return case.assignee_id is not None and case.assignee_id == actor.user_id


def answer(*, db: Session, actor: Actor, case: TeleCase, data: Answer, now: datetime) -> TeleCase:
    """The assignee's answer and recommendation; the answer time is kept for the reports."""
    _move(db, actor, case, Step.ANSWER, now)
    case.answer = data.answer
    case.recommendation = data.recommendation
    case.answered_at = now
    tell(db, _askers(db, case), case, ANSWERED)
    return case


def close(*, db: Session, actor: Actor, case: TeleCase, data: Closing, now: datetime) -> TeleCase:
    """The asker closes the answered case, telling whether a visit was avoided."""
    _move(db, actor, case, Step.CLOSE, now)
    case.visit_avoided = data.visit_avoided
    case.closed_at = now
    return case


def reopen(
    *, db: Session, actor: Actor, case: TeleCase, now: datetime, deadlines: Deadlines
) -> TeleCase:
    """The asker opens the case again: a closed one goes back to its specialist, a declined
    one to the centre's queue; the deadline runs again from now."""
    _move(db, actor, case, Step.REOPEN, now)
    case.closed_at = None
    case.visit_avoided = None
    if case.status == CaseStatus.SUBMITTED:
        case.assignee_id = None
        case.decline_reason = None
    _start_deadline(case, now, deadlines)
    return case


#: What each step's form carries (``Confirmation``: nothing but itself).
STEP_DATA: dict[Step, type[BaseModel]] = {
    Step.SUBMIT: Confirmation,
    Step.ACCEPT: Assignment,
    Step.DECLINE: Decline,
    Step.ANSWER: Answer,
    Step.CLOSE: Closing,
    Step.REOPEN: Confirmation,
}


def take_step(
    *,
    db: Session,
    actor: Actor,
    case: TeleCase,
    step: Step,
    data: BaseModel,
    now: datetime,
    deadlines: Deadlines,
) -> TeleCase:
    """Take ``step`` with the data of its form (``STEP_DATA``): the one entry of the pages,
    whose buttons post each step to the same route."""
    if isinstance(data, Assignment):
        return accept(db=db, actor=actor, case=case, data=data, now=now)
    if isinstance(data, Decline):
        return decline(db=db, actor=actor, case=case, data=data, now=now)
    if isinstance(data, Answer):
        return answer(db=db, actor=actor, case=case, data=data, now=now)
    if isinstance(data, Closing):
        return close(db=db, actor=actor, case=case, data=data, now=now)
    if step == Step.SUBMIT:
        return submit(db=db, actor=actor, case=case, now=now, deadlines=deadlines)
    return reopen(db=db, actor=actor, case=case, now=now, deadlines=deadlines)


def steps_for(actor: Actor, case: TeleCase) -> list[Step]:
    """The steps the actor may take on the case now: the buttons its page shows."""
    allowed: list[Step] = []
    status = CaseStatus(case.status)
    for step, moves in TRANSITIONS.items():
        if status in moves and _may_take(actor, case, step):
            allowed.append(step)
    return allowed


def _may_take(actor: Actor, case: TeleCase, step: Step) -> bool:
    """Who takes which step. Only the specialist the case is assigned to answers it, platform
    admins included: an answer is the clinical act of a named doctor (issue 18)."""
    if step in (Step.SUBMIT, Step.CLOSE, Step.REOPEN):
        return _on_asking_side(actor, case)
    if step == Step.ACCEPT:
        return _coordinates_centre(actor, case)
    if step == Step.DECLINE:
        return _coordinates_centre(actor, case) or _is_assignee(actor, case)
    return _is_assignee(actor, case)


# --- messages -------------------------------------------------------------------------------


def post_message(
    *, db: Session, actor: Actor, case: TeleCase, data: MessageCreate, now: datetime
) -> CaseMessage:
    """A message in the case's exchange, threaded under another when it replies to one.

    Refused on a case that is not open (a draft has nobody to read it, a closed one must be
    reopened first) and once the patient has withdrawn a consent the case needs.
    """
    if case.status not in OPEN_STATUSES:
        raise UserError.one(
            "body", N_("Messages can be written only on a submitted, accepted or answered case.")
        )
    errors = consent_problems(db, case.patient_id, "body")
    if data.reply_to_id is not None:
        parent = db.get(CaseMessage, data.reply_to_id)
        if parent is None or parent.case_id != case.id:
            errors.append(problem("reply_to_id", N_("No such message in this case.")))
    refuse_any(errors)
    message = CaseMessage(
        case_id=case.id,
        reply_to_id=data.reply_to_id,
        author_id=author_id(actor),
        body=data.body,
        at=now,
    )
    db.add(message)
    db.flush()
    return message


# --- who is told ----------------------------------------------------------------------------


def coordinators(db: Session, centre_id: int) -> list[User]:
    """The active coordinators of a centre: they receive its cases and their escalations."""
    return list(
        db.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.institution_id == centre_id,
                Membership.role == CENTRE_ROLE,
                User.is_active.is_(True),
            )
            .order_by(User.id)
        ).unique()
    )


def _askers(db: Session, case: TeleCase) -> list[User]:
    """The doctor who asked, while they still log in."""
    asker = db.get(User, case.asked_by_id) if case.asked_by_id else None
    return [asker] if asker is not None and asker.is_active else []


def tell(db: Session, users: Iterable[User], case: TeleCase, text: str, **values: Any) -> int:
    """Notify each user of the case by its label and specialty only: a notification (and its
    e-mail) carries nothing of the patient."""
    params = {"case": case_label(case), "specialty": case.specialty.names, **values}
    message = Message(text, params)
    told = 0
    for user in users:
        notifications.notify(db=db, user=user, message=message, link=f"/telemedicine/{case.id}")
        told += 1
    return told


# --- answer times ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerTimes:
    """What the reports count of a set of answered cases."""

    answered: int
    median_hours: float | None
    in_time: int

    @property
    def share_in_time(self) -> float | None:
        return self.in_time / self.answered if self.answered else None


def answer_times(
    db: Session, *, centre_id: int | None = None, since: datetime | None = None
) -> AnswerTimes:
    """The median hours from submission to answer and how many answers met their deadline,
    of the cases answered (since ``since``, of one centre)."""
    stmt = select(TeleCase.submitted_at, TeleCase.answered_at, TeleCase.due_at).where(
        TeleCase.answered_at.is_not(None), TeleCase.submitted_at.is_not(None)
    )
    if centre_id is not None:
        stmt = stmt.where(TeleCase.centre_id == centre_id)
    if since is not None:
        stmt = stmt.where(TeleCase.submitted_at >= since)
    rows = [
        (submitted, answered, due)
        for submitted, answered, due in db.execute(stmt)
        if submitted is not None and answered is not None
    ]
    hours = [(answered - submitted).total_seconds() / 3600 for submitted, answered, _ in rows]
    in_time = len([1 for _, answered, due in rows if due is None or answered <= due])
    return AnswerTimes(
        answered=len(rows), median_hours=median(hours) if hours else None, in_time=in_time
    )
