"""Agreements and roadmaps: versions, and every bad input refused by field with nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.agreements import service
from hamkor.agreements.models import (
    Agreement,
    AgreementStatus,
    AgreementStatusChange,
    ItemStatus,
    RoadmapItem,
)
from hamkor.agreements.schemas import (
    AgreementCreate,
    AgreementTerms,
    IndicatorCreate,
    ItemCreate,
    ItemProgress,
    MilestoneCreate,
    MilestoneDone,
    StatusChange,
)
from hamkor.core.access import AccessDenied, Actor
from hamkor.core.errors import UserError
from hamkor.core.models import User
from tests.fixtures.agreements import (
    VALID_UNTIL,
    AgreementFactory,
    AgreementPeople,
    agreement_body,
)
from tests.fixtures.programs import ActivityFactory, KzUzDays, ProgramFactory


def _count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _refused_fields(db: Session, admin: User, body: dict[str, Any]) -> list[str]:
    """The fields a refused agreement names; the refusal must leave no agreement written."""
    before = _count(db, Agreement)
    with pytest.raises(UserError) as refused:
        service.create_agreement(
            db=db, actor=Actor.of(admin), data=AgreementCreate.model_validate(body)
        )
    assert _count(db, Agreement) == before
    return [error.field for error in refused.value.errors]


def _item(
    db: Session, admin: User, agreement: Agreement, due_on: date, **changes: Any
) -> RoadmapItem:
    data = ItemCreate.model_validate(
        {
            "titles": {"en": "Joint research on hepatobiliary surgery"},
            "owner_institution_id": agreement.parties[0].institution_id,
            "due_on": due_on,
            **changes,
        }
    )
    return service.add_item(db=db, actor=Actor.of(admin), agreement=agreement, data=data)


def _extension(
    db: Session, admin: User, days: KzUzDays, parent: Agreement, **changes: Any
) -> Agreement:
    body = agreement_body(
        days, **{"code": "EXT-1", "kind": "extension", "parent_id": parent.id, **changes}
    )
    return service.create_agreement(
        db=db, actor=Actor.of(admin), data=AgreementCreate.model_validate(body)
    )


def test_an_extension_continues_the_chain_and_its_validity(
    db: Session, admin: User, kz_uz_days: KzUzDays, memorandum: Agreement
) -> None:
    extension = _extension(db, admin, kz_uz_days, memorandum, valid_until=date(2031, 10, 13))
    amendment = service.create_agreement(
        db=db,
        actor=Actor.of(admin),
        data=AgreementCreate.model_validate(
            agreement_body(
                kz_uz_days,
                code="AMD-1",
                kind="amendment",
                parent_id=extension.id,
                valid_from=None,
                valid_until=None,
            )
        ),
    )

    assert service.chain(db, memorandum) == [memorandum, extension, amendment]
    assert service.chain(db, amendment) == [memorandum, extension, amendment]
    assert service.validity(service.chain(db, memorandum)).ends == date(2031, 10, 13)
    # The roadmap hangs on the first agreement, and may now reach into the extended years.
    item = _item(db, admin, amendment, date(2030, 6, 1))
    assert item.agreement_id == memorandum.id


def test_an_amendment_shortening_the_validity_flags_the_items_then_outside_it(
    db: Session, admin: User, kz_uz_days: KzUzDays, memorandum: Agreement
) -> None:
    early = _item(db, admin, memorandum, date(2026, 3, 1))
    late = _item(db, admin, memorandum, date(2028, 3, 1))
    done = _item(db, admin, memorandum, date(2028, 4, 1), status="done")

    _extension(db, admin, kz_uz_days, memorandum, kind="amendment", valid_until=date(2027, 10, 13))

    assert (early.outside_validity, late.outside_validity, done.outside_validity) == (
        False,
        True,
        False,
    )


def test_validity_ending_before_it_starts_is_refused(
    db: Session, admin: User, kz_uz_days: KzUzDays
) -> None:
    body = agreement_body(kz_uz_days, valid_from=date(2025, 10, 14), valid_until=date(2025, 1, 1))
    assert _refused_fields(db, admin, body) == ["valid_until"]


def test_a_party_listed_twice_is_refused(db: Session, admin: User, kz_uz_days: KzUzDays) -> None:
    vakhidov = {"institution_id": kz_uz_days.vakhidov.id}
    body = agreement_body(kz_uz_days, parties=[vakhidov, vakhidov])
    assert _refused_fields(db, admin, body) == ["parties.1.institution_id"]


def test_an_agreement_with_one_party_is_refused(
    db: Session, admin: User, kz_uz_days: KzUzDays
) -> None:
    body = agreement_body(kz_uz_days, parties=[{"institution_id": kz_uz_days.vakhidov.id}])
    assert _refused_fields(db, admin, body) == ["parties"]


def test_an_extension_of_a_terminated_agreement_is_refused(
    db: Session, admin: User, kz_uz_days: KzUzDays, memorandum: Agreement
) -> None:
    service.change_status(
        db=db,
        actor=Actor.of(admin),
        agreement=memorandum,
        data=StatusChange(status=AgreementStatus.TERMINATED),
    )
    body = agreement_body(kz_uz_days, code="EXT-1", kind="extension", parent_id=memorandum.id)
    assert _refused_fields(db, admin, body) == ["parent_id"]


def test_an_extension_without_its_parent_is_refused(
    db: Session, admin: User, kz_uz_days: KzUzDays
) -> None:
    body = agreement_body(kz_uz_days, kind="extension")
    assert _refused_fields(db, admin, body) == ["parent_id"]


def test_a_roadmap_item_due_outside_the_validity_is_refused(
    db: Session, admin: User, memorandum: Agreement
) -> None:
    with pytest.raises(UserError) as refused:
        _item(db, admin, memorandum, VALID_UNTIL.replace(year=VALID_UNTIL.year + 1))
    assert [error.field for error in refused.value.errors] == ["due_on"]
    assert _count(db, RoadmapItem) == 0


def test_a_moved_due_date_keeps_the_baseline_frozen_at_approval(
    db: Session, admin: User, memorandum: Agreement
) -> None:
    item = _item(db, admin, memorandum, date(2026, 3, 1))
    service.approve_roadmap(
        db=db, actor=Actor.of(admin), agreement=memorandum, today=date(2025, 11, 1)
    )
    service.update_item(
        db=db,
        actor=Actor.of(admin),
        item=item,
        data=ItemProgress(status=ItemStatus.IN_PROGRESS, percent=40, due_on=date(2026, 6, 1)),
    )
    assert (item.baseline_due_on, item.due_on, item.percent) == (
        date(2026, 3, 1),
        date(2026, 6, 1),
        40,
    )


def test_status_steps_are_kept_as_history_and_dates_decide_in_force(
    db: Session, admin: User, create_agreement: AgreementFactory
) -> None:
    draft = create_agreement(status=AgreementStatus.DRAFT)
    actor = Actor.of(admin)
    service.change_status(
        db=db, actor=actor, agreement=draft, data=StatusChange(status=AgreementStatus.SIGNED)
    )
    with pytest.raises(UserError) as refused:
        service.change_status(
            db=db, actor=actor, agreement=draft, data=StatusChange(status=AgreementStatus.IN_FORCE)
        )
    assert [error.field for error in refused.value.errors] == ["status"]
    steps = [(c.from_status, c.to_status) for c in service.history(db, draft)]
    assert steps == [(None, AgreementStatus.DRAFT), (AgreementStatus.DRAFT, AgreementStatus.SIGNED)]
    assert _count(db, AgreementStatusChange) == 2


def test_an_indicator_is_recorded_once_per_period_and_its_actual_replaced(
    db: Session, admin: User, memorandum: Agreement
) -> None:
    item = _item(db, admin, memorandum, date(2026, 3, 1))
    actor = Actor.of(admin)
    for actual in (None, 12.0, 20.0):
        service.record_indicator(
            db=db,
            actor=actor,
            item=item,
            data=IndicatorCreate(
                indicator_key="doctors_trained", period="2026", target=20, actual=actual
            ),
        )
    assert [(i.indicator_key, i.period, i.actual) for i in item.indicators] == [
        ("doctors_trained", "2026", 20.0)
    ]


def test_an_item_is_delivered_by_activities_of_the_agreements_program_only(
    db: Session,
    admin: User,
    kz_uz_days: KzUzDays,
    memorandum: Agreement,
    create_program: ProgramFactory,
    create_activity: ActivityFactory,
) -> None:
    ours = create_activity(kz_uz_days.program, city=kz_uz_days.tashkent)
    other = create_activity(create_program(), city=kz_uz_days.tashkent)
    item = _item(db, admin, memorandum, date(2026, 3, 1), activity_ids=[ours.id])
    assert item.activities == [ours]
    with pytest.raises(UserError) as refused:
        _item(db, admin, memorandum, date(2026, 3, 1), activity_ids=[other.id])
    assert [error.field for error in refused.value.errors] == ["activity_ids"]


def _terms(days: KzUzDays, agreement: Agreement, **changes: Any) -> AgreementTerms:
    body = agreement_body(days, **changes)
    for name in ("code", "kind"):
        body.pop(name)
    return AgreementTerms.model_validate(body)


def test_a_draft_changes_its_parties_and_validity_and_flags_items_then_outside(
    db: Session, admin: User, kz_uz_days: KzUzDays, create_agreement: AgreementFactory
) -> None:
    draft = create_agreement(status=AgreementStatus.DRAFT)
    late = _item(db, admin, draft, date(2028, 3, 1))
    parties = [
        {"institution_id": kz_uz_days.vakhidov.id, "signer_person_id": kz_uz_days.surgeon.id},
        {"institution_id": kz_uz_days.syzganov.id},
        {"institution_id": kz_uz_days.samarkand_hospital.id},
    ]
    service.update_agreement(
        db=db,
        actor=Actor.of(admin),
        agreement=draft,
        data=_terms(kz_uz_days, draft, parties=parties, valid_until=date(2027, 10, 13)),
    )
    db.expire_all()
    assert [(p.institution_id, p.signer_person_id) for p in draft.parties] == [
        (kz_uz_days.vakhidov.id, kz_uz_days.surgeon.id),
        (kz_uz_days.syzganov.id, None),
        (kz_uz_days.samarkand_hospital.id, None),
    ]
    assert draft.valid_until == date(2027, 10, 13)
    assert late.outside_validity is True


def test_a_signed_agreement_keeps_its_parties_and_validity_but_takes_its_signers(
    db: Session, admin: User, kz_uz_days: KzUzDays, memorandum: Agreement
) -> None:
    three = [
        {"institution_id": kz_uz_days.vakhidov.id},
        {"institution_id": kz_uz_days.syzganov.id},
        {"institution_id": kz_uz_days.samarkand_hospital.id},
    ]
    with pytest.raises(UserError) as refused:
        service.update_agreement(
            db=db,
            actor=Actor.of(admin),
            agreement=memorandum,
            data=_terms(kz_uz_days, memorandum, parties=three, notice_days=30),
        )
    assert [e.field for e in refused.value.errors] == ["notice_days", "parties"]
    db.expire_all()
    assert (len(memorandum.parties), memorandum.notice_days) == (2, 90)

    signer = {"institution_id": kz_uz_days.vakhidov.id, "signer_person_id": kz_uz_days.surgeon.id}
    service.update_agreement(
        db=db,
        actor=Actor.of(admin),
        agreement=memorandum,
        data=_terms(
            kz_uz_days, memorandum, parties=[signer, three[1]], titles={"en": "Memorandum"}
        ),
    )
    assert memorandum.parties[0].signer_person_id == kz_uz_days.surgeon.id
    assert memorandum.titles == {"en": "Memorandum"}


def test_a_coordinator_cannot_edit_their_own_institution_off_an_agreement(
    db: Session,
    kz_uz_days: KzUzDays,
    create_agreement: AgreementFactory,
    agreement_people: AgreementPeople,
) -> None:
    draft = create_agreement(status=AgreementStatus.DRAFT)
    others = [
        {"institution_id": kz_uz_days.syzganov.id},
        {"institution_id": kz_uz_days.samarkand_hospital.id},
    ]
    with pytest.raises(AccessDenied):
        service.update_agreement(
            db=db,
            actor=Actor.of(agreement_people.vakhidov_coordinator),
            agreement=draft,
            data=_terms(kz_uz_days, draft, parties=others),
        )
    db.expire_all()
    assert {p.institution_id for p in draft.parties} == {
        kz_uz_days.vakhidov.id,
        kz_uz_days.syzganov.id,
    }


def test_a_milestone_is_due_within_the_validity_and_marked_reached(
    db: Session, admin: User, memorandum: Agreement
) -> None:
    item = _item(db, admin, memorandum, date(2026, 6, 1))
    actor = Actor.of(admin)
    outside = MilestoneCreate.model_validate({"titles": {"en": "Ethics"}, "due_on": "2029-01-01"})
    with pytest.raises(UserError) as refused:
        service.add_milestone(db=db, actor=actor, item=item, data=outside)
    assert [e.field for e in refused.value.errors] == ["due_on"]
    assert item.milestones == []

    inside = MilestoneCreate.model_validate({"titles": {"en": "Ethics"}, "due_on": "2026-02-01"})
    milestone = service.add_milestone(db=db, actor=actor, item=item, data=inside)
    service.complete_milestone(
        db=db, actor=actor, milestone=milestone, data=MilestoneDone(done_on=date(2026, 1, 20))
    )
    db.expire_all()
    assert [(m.due_on, m.done_on) for m in item.milestones] == [
        (date(2026, 2, 1), date(2026, 1, 20))
    ]
