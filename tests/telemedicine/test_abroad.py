"""Treatment abroad: every step from every state, by the side whose step it is (issue 18)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care.models import Patient
from hamkor.core.access import AccessDenied, Actor
from hamkor.core.errors import UserError
from hamkor.core.storage import Storage
from hamkor.settings import Settings
from hamkor.telemedicine import abroad, service
from hamkor.telemedicine.abroad import AbroadAction, StepData
from hamkor.telemedicine.models import AbroadReferral, AbroadStatus, AbroadStep, CaseStatus
from hamkor.telemedicine.schemas import Answer
from tests.fixtures.core import ClientFactory
from tests.fixtures.directory import bearer
from tests.fixtures.telemedicine import NOW, CaseFactory, TeleWorld

A = AbroadStatus
#: The way there and back, and which step leads to each state along it.
WAY = [
    (AbroadAction.ACCEPT, A.ACCEPTED),
    (AbroadAction.INVITE, A.INVITED),
    (AbroadAction.ESTIMATE, A.ESTIMATED),
    (AbroadAction.CONSENT, A.CONSENTED),
    (AbroadAction.PLAN_TRAVEL, A.TRAVELLING),
    (AbroadAction.ADMIT, A.ADMITTED),
    (AbroadAction.TREAT, A.TREATED),
    (AbroadAction.DISCHARGE, A.RETURNED),
    (AbroadAction.FOLLOW_UP, A.FOLLOWED_UP),
]
ALLOWED = {
    (action, source): target
    for (action, target), source in zip(
        WAY, [A.RECOMMENDED, *[t for _a, t in WAY][:-1]], strict=True
    )
}
ALLOWED |= {(AbroadAction.DECLINE, s): A.DECLINED for s in (A.RECOMMENDED, A.ACCEPTED)}
ALLOWED |= {
    (AbroadAction.CANCEL, s): A.CANCELLED
    for s in (A.RECOMMENDED, A.ACCEPTED, A.INVITED, A.ESTIMATED, A.CONSENTED, A.TRAVELLING)
}
HOME = (AbroadAction.CONSENT, AbroadAction.PLAN_TRAVEL, AbroadAction.FOLLOW_UP, AbroadAction.CANCEL)
MAX = Settings().file_max_bytes
PAIRS = [(action, status) for action in AbroadAction for status in AbroadStatus]
DATA = StepData(
    cost_estimate="12 500 USD",
    travel_from=NOW + timedelta(days=30),
    travel_until=NOW + timedelta(days=45),
    note="Discharged on day 12; anticoagulation for 3 months.",
)


@pytest.fixture
def referral(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory, tele_patient: Patient
) -> AbroadReferral:
    case = create_case(CaseStatus.ACCEPTED, patient_id=tele_patient.id)
    service.answer(
        db=db,
        actor=Actor.of(tele_world.assignee),
        case=case,
        data=Answer(answer="Reoperation in our centre.", recommendation="refer_abroad"),
        now=NOW,
    )
    return abroad.recommend(db=db, actor=Actor.of(tele_world.asker), case=case, now=NOW)


def _by(world: TeleWorld, action: AbroadAction) -> Actor:
    return Actor.of(world.asker if action in HOME else world.coordinator)


@pytest.mark.parametrize(("action", "status"), PAIRS, ids=[f"{a}-{s}" for a, s in PAIRS])
def test_every_step_from_every_state(
    db: Session,
    tele_world: TeleWorld,
    store: Storage,
    referral: AbroadReferral,
    action: AbroadAction,
    status: AbroadStatus,
) -> None:
    referral.status = status
    db.flush()
    steps = select(func.count()).select_from(AbroadStep)
    before = db.scalar(steps)
    expected = ALLOWED.get((action, status))
    if expected is None:
        with pytest.raises(UserError) as refused:
            abroad.take(
                db=db, actor=_by(tele_world, action), referral=referral, action=action,
                data=DATA, now=NOW, store=store,
                max_bytes=MAX,
            )  # fmt: skip
        assert [e.field for e in refused.value.errors] == ["status"]
        assert (referral.status, db.scalar(steps)) == (status, before)
        return
    abroad.take(
        db=db, actor=_by(tele_world, action), referral=referral, action=action, data=DATA,
        now=NOW, store=store, max_bytes=MAX,
    )  # fmt: skip
    assert referral.status == expected
    assert db.scalar(steps) == (before or 0) + 1


@pytest.mark.parametrize("action", [AbroadAction.ACCEPT, AbroadAction.CONSENT])
def test_a_step_of_the_other_side_is_denied(
    db: Session,
    tele_world: TeleWorld,
    store: Storage,
    referral: AbroadReferral,
    action: AbroadAction,
) -> None:
    referral.status = A.RECOMMENDED if action == AbroadAction.ACCEPT else A.ESTIMATED
    other = Actor.of(tele_world.coordinator if action in HOME else tele_world.asker)
    with pytest.raises(AccessDenied):
        abroad.take(
            db=db, actor=other, referral=referral, action=action, data=DATA, now=NOW,
            store=store, max_bytes=MAX,
        )  # fmt: skip


def test_an_invitation_before_acceptance_is_refused_and_the_way_is_recorded(
    db: Session, tele_world: TeleWorld, store: Storage, referral: AbroadReferral
) -> None:
    centre = Actor.of(tele_world.coordinator)
    with pytest.raises(UserError) as refused:
        abroad.take(
            db=db, actor=centre, referral=referral, action=AbroadAction.INVITE, data=DATA,
            now=NOW, store=store, max_bytes=MAX,
        )  # fmt: skip
    assert refused.value.errors[0].message.text == "Only an accepted referral can be invited."
    for action, _target in WAY:
        abroad.take(
            db=db, actor=_by(tele_world, action), referral=referral, action=action, data=DATA,
            now=NOW, store=store, max_bytes=MAX,
        )  # fmt: skip
    assert [s.to_status for s in referral.history][-1] == A.FOLLOWED_UP
    assert len(referral.history) == 10
    assert referral.cost_estimate == "12 500 USD"
    assert abroad.where_patients_are(db=db, actor=centre) == [referral]
    assert abroad.where_patients_are(db=db, actor=Actor.of(tele_world.outsider)) == []


def test_only_a_case_answered_refer_abroad_is_referred(
    db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.ANSWERED)  # answered "see at the next visit"
    with pytest.raises(UserError) as refused:
        abroad.recommend(db=db, actor=Actor.of(tele_world.asker), case=case, now=NOW)
    assert [e.field for e in refused.value.errors] == ["case_id"]


def test_the_way_through_the_api_and_the_page(
    app_client: TestClient,
    client_for: ClientFactory,
    db: Session,
    tele_world: TeleWorld,
    referral: AbroadReferral,
) -> None:
    db.commit()
    centre = bearer(db, tele_world.coordinator)
    path = f"/api/v1/telemedicine/abroad/{referral.id}"
    accepted = app_client.post(f"{path}/accept", json={}, headers=centre)
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted")
    outsider = bearer(db, tele_world.outsider)
    assert app_client.post(f"{path}/invite", json={}, headers=outsider).status_code == 403
    early = app_client.post(f"{path}/treat", json={}, headers=centre)
    assert early.json()["errors"][0]["field"] == "status"
    listed = app_client.get("/api/v1/telemedicine/abroad", headers=bearer(db, tele_world.asker))
    assert [r["status"] for r in listed.json()] == ["accepted"]
    page = client_for(tele_world.coordinator).get("/telemedicine/abroad")
    assert "Karimova Dilnoza" in page.text
    assert f'action="/telemedicine/abroad/{referral.id}/invite"' in page.text
    assert f'action="/telemedicine/abroad/{referral.id}/consent"' not in page.text
