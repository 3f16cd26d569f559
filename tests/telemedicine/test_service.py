"""The teleconsultation state machine: every step from every state, who may take it, what it
records (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care import service as care_service
from hamkor.care.models import ConsentDecision, ConsentKind, Patient
from hamkor.care.schemas import ConsentCreate
from hamkor.core.access import AccessDenied, Actor
from hamkor.core.errors import UserError
from hamkor.core.notifications import Notification
from hamkor.telemedicine import service
from hamkor.telemedicine.models import (
    CaseMessage,
    CaseRecommendation,
    CaseStatus,
    CaseTransition,
    TeleCase,
)
from hamkor.telemedicine.schemas import Assignment, CaseCreate, MessageCreate
from tests.fixtures.care import PatientFactory
from tests.fixtures.telemedicine import (
    NOW,
    CaseFactory,
    TeleWorld,
    case_body,
    take,
)

S = CaseStatus
#: Where each step leads from each state; a pair missing here is refused.
ALLOWED = {
    ("submit", S.DRAFT): S.SUBMITTED,
    ("accept", S.SUBMITTED): S.ACCEPTED,
    ("decline", S.SUBMITTED): S.DECLINED,
    ("decline", S.ACCEPTED): S.DECLINED,
    ("answer", S.ACCEPTED): S.ANSWERED,
    ("close", S.ANSWERED): S.CLOSED,
    ("reopen", S.CLOSED): S.ACCEPTED,
    ("reopen", S.DECLINED): S.SUBMITTED,
}
STEPS = ("submit", "accept", "decline", "answer", "close", "reopen")
PAIRS = [(step, status) for step in STEPS for status in CaseStatus]


def _transitions(db: Session, case: TeleCase) -> int:
    return db.scalar(select(func.count()).where(CaseTransition.case_id == case.id)) or 0


@pytest.mark.parametrize(("step", "status"), PAIRS, ids=[f"{s}-{t}" for s, t in PAIRS])
def test_every_step_from_every_state(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, step: str, status: CaseStatus
) -> None:
    case = create_case(status)
    before = _transitions(db, case)
    expected = ALLOWED.get((step, status))
    if expected is None:
        with pytest.raises(UserError) as refused:
            take(db, tele_world, case, step, NOW + timedelta(hours=1))
        assert [error.field for error in refused.value.errors] == ["status"]
        db.rollback()
        assert db.get(TeleCase, case.id).status == status  # type: ignore[union-attr]
        assert _transitions(db, case) == before
        return
    take(db, tele_world, case, step, NOW + timedelta(hours=1))
    assert case.status == expected
    last = db.scalars(
        select(CaseTransition)
        .where(CaseTransition.case_id == case.id)
        .order_by(CaseTransition.id.desc())
    ).first()
    assert last is not None
    assert (last.from_status, last.to_status) == (status, expected)
    assert _transitions(db, case) == before + 1


def test_the_whole_way_is_in_the_history(db: Session, create_case: CaseFactory) -> None:
    case = create_case(S.CLOSED)
    steps = [(t.from_status, t.to_status) for t in service.case_detail(db, case).history]
    assert steps == [
        (None, S.DRAFT),
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.ACCEPTED),
        (S.ACCEPTED, S.ANSWERED),
        (S.ANSWERED, S.CLOSED),
    ]
    assert case.visit_avoided is True
    assert case.recommendation == CaseRecommendation.SEE_AT_NEXT_VISIT


@pytest.mark.parametrize(
    ("urgency", "hours"), [("urgent", 24), ("routine", 72)], ids=["urgent", "routine"]
)
def test_the_deadline_runs_from_the_submission(
    create_case: CaseFactory, urgency: str, hours: int
) -> None:
    case = create_case(S.SUBMITTED, urgency=urgency)
    assert case.submitted_at == NOW
    assert case.due_at == NOW + timedelta(hours=hours)


def test_reopening_a_closed_case_gives_it_back_to_its_specialist_with_a_new_deadline(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(S.CLOSED)
    later = NOW + timedelta(days=10)
    take(db, tele_world, case, "reopen", later)
    assert case.status == S.ACCEPTED
    assert case.assignee_id == tele_world.assignee.id
    assert case.due_at == later + timedelta(hours=72)
    assert case.visit_avoided is None


def test_reopening_a_declined_case_sends_it_back_to_the_queue(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(S.DECLINED)
    assert case.decline_reason
    take(db, tele_world, case, "reopen")
    assert case.status == S.SUBMITTED
    assert case.assignee_id is None
    assert case.decline_reason is None


@pytest.mark.parametrize(
    ("who", "step"),
    [
        ("coordinator", "answer"),
        ("admin", "answer"),
        ("asker", "answer"),
        ("asker", "accept"),
        ("assignee", "accept"),
        ("coordinator", "close"),
        ("assignee", "submit"),
    ],
)
def test_a_step_by_someone_whose_step_it_is_not_is_denied(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, who: str, step: str
) -> None:
    status = {"answer": S.ACCEPTED, "accept": S.SUBMITTED, "close": S.ANSWERED}.get(step, S.DRAFT)
    case = create_case(status)
    actor = tele_world.care.admin if who == "admin" else Actor.of(getattr(tele_world, who))
    with pytest.raises(AccessDenied):
        take(db, tele_world, case, step, by=actor)
    assert case.status == status


def test_the_assignee_must_work_at_the_centre(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(S.SUBMITTED)
    with pytest.raises(UserError) as refused:
        service.accept(
            db=db,
            actor=Actor.of(tele_world.coordinator),
            case=case,
            data=Assignment(assignee_id=tele_world.outsider.id),
            now=NOW,
        )
    assert [e.field for e in refused.value.errors] == ["assignee_id"]
    assert case.status == S.SUBMITTED


def test_the_centre_must_be_abroad(db: Session, tele_world: TeleWorld) -> None:
    body = case_body(tele_world, centre_id=tele_world.care.days.samarkand_hospital.id)
    with pytest.raises(UserError) as refused:
        service.create_case(
            db=db, actor=Actor.of(tele_world.asker), data=CaseCreate.model_validate(body), now=NOW
        )
    assert [e.field for e in refused.value.errors] == ["centre_id"]
    assert db.scalar(select(func.count()).select_from(TeleCase)) == 0


def test_icd10_codes_are_checked_as_care_checks_them(tele_world: TeleWorld) -> None:
    with pytest.raises(ValidationError) as refused:
        CaseCreate.model_validate(case_body(tele_world, icd10=["I05.0", "Q99.99"]))
    assert refused.value.errors()[0]["loc"] == ("icd10", 1)
    assert CaseCreate.model_validate(case_body(tele_world, icd10=["c910"])).icd10 == ["C91.0"]


def test_only_the_asking_side_asks(db: Session, tele_world: TeleWorld) -> None:
    with pytest.raises(AccessDenied):
        service.create_case(
            db=db,
            actor=Actor.of(tele_world.outsider),
            data=CaseCreate.model_validate(case_body(tele_world)),
            now=NOW,
        )


# --- consents ----------------------------------------------------------------------------


def test_a_case_about_a_patient_needs_both_consents(
    db: Session, tele_world: TeleWorld, create_patient: PatientFactory
) -> None:
    patient = create_patient("Tursunov Jasur", consents=(ConsentKind.TELEMEDICINE,))
    with pytest.raises(UserError) as refused:
        service.create_case(
            db=db,
            actor=tele_world.care.admin,
            data=CaseCreate.model_validate(case_body(tele_world, patient_id=patient.id)),
            now=NOW,
        )
    assert [(e.field, e.message.text) for e in refused.value.errors] == [
        ("patient_id", service._MISSING_CONSENT[ConsentKind.DATA_SHARING_ABROAD])
    ]
    assert db.scalar(select(func.count()).select_from(TeleCase)) == 0


def test_a_patient_the_asker_does_not_see_is_not_told_apart(
    db: Session, tele_world: TeleWorld, create_patient: PatientFactory
) -> None:
    # A patient of the Samarkand hospital: care does not show them to a Vakhidov doctor.
    elsewhere = create_patient(
        "Rahimov Jasur", institution_id=tele_world.care.days.samarkand_hospital.id
    )
    with pytest.raises(UserError) as refused:
        service.create_case(
            db=db,
            actor=Actor.of(tele_world.asker),
            data=CaseCreate.model_validate(case_body(tele_world, patient_id=elsewhere.id)),
            now=NOW,
        )
    assert [e.field for e in refused.value.errors] == ["patient_id"]


def _withdraw(db: Session, world: TeleWorld, patient: Patient, kind: ConsentKind) -> None:
    care_service.record_consent(
        db=db,
        actor=world.care.admin,
        patient=patient,
        data=ConsentCreate(kind=kind, decision=ConsentDecision.WITHDRAWN),
    )


def test_withdrawn_consent_stops_new_messages(
    db: Session, tele_world: TeleWorld, tele_patient: Patient
) -> None:
    case = service.create_case(
        db=db,
        actor=tele_world.care.admin,
        data=CaseCreate.model_validate(case_body(tele_world, patient_id=tele_patient.id)),
        now=NOW,
    )
    take(db, tele_world, case, "submit")
    first = service.post_message(
        db=db,
        actor=Actor.of(tele_world.asker),
        case=case,
        data=MessageCreate(body="The echocardiogram follows."),
        now=NOW,
    )
    _withdraw(db, tele_world, tele_patient, ConsentKind.TELEMEDICINE)
    with pytest.raises(UserError) as refused:
        service.post_message(
            db=db,
            actor=Actor.of(tele_world.coordinator),
            case=case,
            data=MessageCreate(body="Thank you.", reply_to_id=first.id),
            now=NOW,
        )
    assert [e.field for e in refused.value.errors] == ["body"]
    count = select(func.count()).where(CaseMessage.case_id == case.id)
    assert db.scalar(count) == 1


def test_messages_thread_and_stop_when_the_case_is_closed(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(S.ANSWERED)
    asker = Actor.of(tele_world.asker)
    question = service.post_message(
        db=db, actor=asker, case=case, data=MessageCreate(body="Which dose?"), now=NOW
    )
    reply = service.post_message(
        db=db,
        actor=Actor.of(tele_world.assignee),
        case=case,
        data=MessageCreate(body="The usual one.", reply_to_id=question.id),
        now=NOW,
    )
    assert reply.reply_to_id == question.id
    take(db, tele_world, case, "close")
    with pytest.raises(UserError) as refused:
        service.post_message(
            db=db, actor=asker, case=case, data=MessageCreate(body="And?"), now=NOW
        )
    assert [e.field for e in refused.value.errors] == ["body"]


def test_a_reply_to_a_message_of_another_case_is_refused(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    one, other = create_case(S.SUBMITTED), create_case(S.SUBMITTED)
    asker = Actor.of(tele_world.asker)
    elsewhere = service.post_message(
        db=db, actor=asker, case=other, data=MessageCreate(body="Hello"), now=NOW
    )
    with pytest.raises(UserError) as refused:
        service.post_message(
            db=db,
            actor=asker,
            case=one,
            data=MessageCreate(body="Re", reply_to_id=elsewhere.id),
            now=NOW,
        )
    assert [e.field for e in refused.value.errors] == ["reply_to_id"]


# --- notifications and answer times -------------------------------------------------------


def test_each_side_is_told_of_the_steps_that_concern_it(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    create_case(S.ANSWERED)

    def told(user_id: int) -> list[str]:
        return list(
            db.scalars(
                select(Notification.message)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        )

    assert told(tele_world.coordinator.id) == [service.NEW_CASE]
    assert told(tele_world.assignee.id) == [service.ASSIGNED]
    assert told(tele_world.asker.id) == [service.ANSWERED]
    assert told(tele_world.outsider.id) == []


def test_answer_times_give_the_median_and_the_share_in_time(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    for hours in (10, 30, 80):
        case = create_case(S.ACCEPTED)
        take(db, tele_world, case, "answer", NOW + timedelta(hours=hours))
    times = service.answer_times(db, centre_id=tele_world.care.days.syzganov.id)
    assert (times.answered, times.median_hours, times.in_time) == (3, 30.0, 2)
    assert times.share_in_time == pytest.approx(2 / 3)
