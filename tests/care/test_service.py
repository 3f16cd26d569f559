"""Care's service: intake, duplicates and merge, consents, the waitlist, booking and outcomes."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hamkor.care import booking, service
from hamkor.care.filters import FollowUpFilter
from hamkor.care.models import (
    Appointment,
    AppointmentStatus,
    ConsentDecision,
    ConsentKind,
    FollowUpKind,
    FollowUpTask,
    Patient,
    ProcedureOutcome,
    Recommendation,
    Referral,
    ReferralStatus,
    Sex,
)
from hamkor.care.schemas import (
    BookingCreate,
    ConsentCreate,
    EncounterCreate,
    FollowUpCreate,
    PatientCreate,
    ProcedureCreate,
    ReferralCreate,
    WaitingPatient,
)
from hamkor.core.access import Actor, NotFound
from hamkor.core.errors import UserError
from hamkor.core.models import AuditEntry
from hamkor.programs.models import ActivityKind
from tests.fixtures.care import CareWorld, PatientFactory, ReferralFactory, make_pinfl
from tests.fixtures.programs import START, ActivityFactory


def _fields(error: UserError) -> set[str]:
    return {item.field for item in error.errors}


def _texts(error: UserError) -> str:
    return " ".join(item.message.render("en") for item in error.errors)


def _count(db: Session, model: type[object]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _intake(world: CareWorld, **changes: object) -> PatientCreate:
    born = date(1990, 5, 4)
    values: dict[str, object] = {
        "names": {"uz": "Karimova Dilnoza", "uz-Cyrl": "Каримова Дилноза"},
        "birth_date": born,
        "sex": Sex.FEMALE,
        "identifiers": [{"kind": "uz_pinfl", "value": make_pinfl(born, Sex.FEMALE, 7)}],
        "phone": "+998 90 123 45 67",
        "languages": ["uz", "ru"],
        "institution_id": world.days.vakhidov.id,
        "home_city_id": world.days.samarkand.id,
    }
    values.update(changes)
    return PatientCreate.model_validate(values)


# --- intake ---------------------------------------------------------------------------------


def test_a_patient_is_registered_with_a_normalised_phone(
    db: Session, care_world: CareWorld
) -> None:
    patient = service.create_patient(db=db, actor=care_world.admin, data=_intake(care_world))
    assert patient.phone == "+998901234567"
    assert patient.identifiers[0].issuer == "UZ"
    assert "каримова" in patient.search
    assert "karimova" in patient.search


def test_the_same_pinfl_twice_is_refused_and_nothing_is_written(
    db: Session, care_world: CareWorld
) -> None:
    first = service.create_patient(db=db, actor=care_world.admin, data=_intake(care_world))
    before = _count(db, Patient)
    with pytest.raises(UserError) as refused:
        service.create_patient(
            db=db,
            actor=care_world.admin,
            data=_intake(care_world, names={"uz": "Other Name"}, confirm_new=True),
        )
    assert _fields(refused.value) == {"identifiers"}
    assert str(first.id) in _texts(refused.value)
    assert _count(db, Patient) == before


def test_same_name_and_birth_date_in_another_script_asks_for_confirmation(
    db: Session, care_world: CareWorld
) -> None:
    first = service.create_patient(db=db, actor=care_world.admin, data=_intake(care_world))
    # The same person typed in Cyrillic only, without the PINFL.
    again = _intake(care_world, identifiers=[], names={"uz-Cyrl": "Каримова  Дилноза"})
    with pytest.raises(UserError) as refused:
        service.create_patient(db=db, actor=care_world.admin, data=again)
    assert _fields(refused.value) == {"confirm_new"}
    assert [d.patient_id for d in service.find_duplicates(db=db, data=again)] == [first.id]
    confirmed = again.model_copy(update={"confirm_new": True})
    assert service.create_patient(db=db, actor=care_world.admin, data=confirmed).id != first.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"identifiers": [{"kind": "uz_pinfl", "value": "42005901234567"}]}, "identifiers.0.value"),
        ({"identifiers": [{"kind": "kz_iin", "value": "791028302729"}]}, "identifiers.0.value"),
        ({"identifiers": [{"kind": "passport", "value": "AA1234567"}]}, "identifiers.0.issuer"),
        ({"phone": "+998 12"}, "phone"),
        ({"sex": "male"}, "identifiers.0.value"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"languages": ["xx-nowhere"]}, "languages.0"),
    ],
)
def test_bad_intake_names_the_field(
    care_world: CareWorld, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _intake(care_world, **changes)
    assert field in {".".join(str(p) for p in e["loc"]) for e in refused.value.errors()}


def test_a_registrar_registers_for_their_own_institution_only(
    db: Session, care_world: CareWorld
) -> None:
    data = _intake(care_world, institution_id=care_world.days.samarkand_hospital.id)
    with pytest.raises(UserError) as refused:
        service.create_patient(db=db, actor=Actor.of(care_world.registrar), data=data)
    assert _fields(refused.value) == {"institution_id"}


# --- merge ----------------------------------------------------------------------------------


def test_a_merge_moves_everything_and_keeps_the_other_names(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    keep = create_patient("Aliyev Bobur")
    gone = create_patient("Aliev Bobur", consents=(ConsentKind.TELEMEDICINE,))
    gone.names = {**gone.names, "ru": "Алиев Бобур"}
    referral = create_referral(gone)
    gone_pinfl = gone.identifiers[0].value
    merged = service.merge_patients(db=db, actor=care_world.admin, keep=keep, gone=gone)
    assert merged.names == {"uz": "Aliyev Bobur", "ru": "Алиев Бобур"}
    assert merged.aliases == ["Aliev Bobur"]
    assert {i.value for i in merged.identifiers} >= {gone_pinfl}
    assert db.get(Referral, referral.id).patient_id == keep.id  # type: ignore[union-attr]
    assert service.has_consent(db, keep.id, ConsentKind.TELEMEDICINE)
    assert gone.merged_into_id == keep.id
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "merge"))
    assert entry is not None
    assert entry.entity_id == str(keep.id)
    assert entry.note == str(gone.id)


def test_a_merge_never_puts_a_patient_twice_on_a_waitlist(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    keep = create_patient("Aliyev Bobur")
    gone = create_patient("Aliev Bobur")
    create_referral(keep)
    create_referral(gone)
    with pytest.raises(UserError) as refused:
        service.merge_patients(db=db, actor=care_world.admin, keep=keep, gone=gone)
    assert _fields(refused.value) == {"merge_id"}
    assert "withdraw" in refused.value.errors[0].message.text
    assert gone.merged_into_id is None


# --- consents -------------------------------------------------------------------------------


def test_the_latest_decision_is_in_force(
    db: Session, care_world: CareWorld, create_patient: PatientFactory
) -> None:
    patient = create_patient(consents=(ConsentKind.TREATMENT, ConsentKind.DATA_SHARING_ABROAD))
    assert service.may_share_abroad(db, patient.id)
    service.record_consent(
        db=db,
        actor=care_world.admin,
        patient=patient,
        data=ConsentCreate(
            kind=ConsentKind.DATA_SHARING_ABROAD,
            decision=ConsentDecision.WITHDRAWN,
            by_patient=False,
            representative_name="Aliyeva Malika",
            representative_relation="mother",
        ),
    )
    assert not service.may_share_abroad(db, patient.id)
    assert service.shareable_abroad(db, [patient.id]) == set()
    assert service.has_consent(db, patient.id, ConsentKind.TREATMENT)


def test_a_representative_must_be_named() -> None:
    with pytest.raises(ValidationError) as refused:
        ConsentCreate(kind=ConsentKind.TREATMENT, decision=ConsentDecision.GIVEN, by_patient=False)
    assert refused.value.errors()[0]["loc"] == ("representative_name",)


# --- referrals ------------------------------------------------------------------------------


def test_a_referral_keeps_its_status_history(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    referral = create_referral(create_patient(), priority=5)
    booking.book(
        db=db,
        actor=care_world.admin,
        data=BookingCreate(referral_id=referral.id, activity_id=care_world.session.id),
    )
    service.withdraw_referral(db=db, actor=care_world.admin, referral=referral)
    db.refresh(referral)
    steps = [(h.from_status, h.to_status) for h in referral.history]
    assert steps == [
        (None, ReferralStatus.WAITING),
        (ReferralStatus.WAITING, ReferralStatus.BOOKED),
        (ReferralStatus.BOOKED, ReferralStatus.WITHDRAWN),
    ]
    assert all(h.by_id == care_world.admin.user_id for h in referral.history)


@pytest.mark.parametrize("code", ["X99.9", "Z", "M00-M99", "hello"])
def test_an_icd10_code_not_in_the_who_list_is_refused(code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ReferralCreate(
            patient_id=1,
            program_id=1,
            specialty_id=1,
            reason="x",
            icd10=code,
            referring_institution_id=1,
        )
    assert refused.value.errors()[0]["loc"] == ("icd10",)


def test_referral_days_must_fall_in_the_program(
    db: Session, care_world: CareWorld, create_patient: PatientFactory
) -> None:
    patient = create_patient()
    with pytest.raises(UserError) as refused:
        service.create_referral(
            db=db,
            actor=care_world.admin,
            data=ReferralCreate(
                patient_id=patient.id,
                program_id=care_world.days.program.id,
                specialty_id=care_world.days.cardiac_surgery.id,
                reason="Back pain",
                icd10="M54.5",
                referring_institution_id=care_world.days.vakhidov.id,
                days=[date(2025, 11, 1)],
            ),
        )
    assert _fields(refused.value) == {"days"}


# --- booking --------------------------------------------------------------------------------


def _book(
    db: Session, world: CareWorld, referral: Referral, slot: int | None = None
) -> Appointment:
    return booking.book(
        db=db,
        actor=world.admin,
        data=BookingCreate(referral_id=referral.id, activity_id=world.session.id, slot=slot),
    )


def test_booking_takes_the_first_free_slot_and_cancelling_frees_it(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    first = _book(db, care_world, create_referral(create_patient("A")))
    second = _book(db, care_world, create_referral(create_patient("B")))
    assert (first.slot, second.slot) == (0, 1)
    booking.cancel_appointment(db=db, actor=care_world.admin, appointment=first)
    assert first.referral.status == ReferralStatus.WAITING
    again = _book(db, care_world, create_referral(create_patient("C")))
    assert again.slot == 0


def test_a_full_session_is_refused_and_nothing_is_written(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    for name in "ABC":
        _book(db, care_world, create_referral(create_patient(name)))
    late = create_referral(create_patient("D"))
    before = _count(db, Appointment)
    with pytest.raises(UserError) as refused:
        _book(db, care_world, late)
    assert _fields(refused.value) == {"activity_id"}
    assert "full" in _texts(refused.value)
    assert _count(db, Appointment) == before
    assert late.status == ReferralStatus.WAITING


def test_the_slot_length_is_a_consultation_sessions_and_keeps_its_booked_slots(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    create_activity: ActivityFactory,
) -> None:
    session = care_world.session  # 09:00-10:00 in 20-minute slots: three
    service.set_slot_minutes(db=db, actor=care_world.admin, activity=session, minutes=30)
    assert service.slot_count(db, session) == 2
    _book(db, care_world, create_referral(create_patient()), slot=1)
    with pytest.raises(UserError) as refused:
        service.set_slot_minutes(db=db, actor=care_world.admin, activity=session, minutes=60)
    assert _texts(refused.value) == (
        "Booked slots would fall outside the session; cancel them first."
    )
    lecture = create_activity(care_world.days.program, city=care_world.days.tashkent)
    with pytest.raises(NotFound):
        service.set_slot_minutes(db=db, actor=care_world.admin, activity=lecture, minutes=30)


def test_a_taken_slot_a_wrong_specialty_and_a_second_slot_are_refused(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    holder = create_referral(create_patient("A"))
    _book(db, care_world, holder, slot=1)
    with pytest.raises(UserError) as taken:
        _book(db, care_world, create_referral(create_patient("B")), slot=1)
    assert _fields(taken.value) == {"slot"}
    with pytest.raises(UserError) as twice:
        _book(db, care_world, holder)
    assert "already holds a slot" in _texts(twice.value)
    neuro = create_referral(create_patient("C"), specialty_id=care_world.days.neurosurgery.id)
    with pytest.raises(UserError) as wrong:
        _book(db, care_world, neuro)
    assert _fields(wrong.value) == {"activity_id"}
    assert "specialty" in _texts(wrong.value)


def test_no_booking_without_consent_to_treatment(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    patient = create_patient()
    referral = create_referral(patient)
    service.record_consent(
        db=db,
        actor=care_world.admin,
        patient=patient,
        data=ConsentCreate(kind=ConsentKind.TREATMENT, decision=ConsentDecision.WITHDRAWN),
    )
    with pytest.raises(UserError) as refused:
        _book(db, care_world, referral)
    assert "consent to treatment" in _texts(refused.value)
    assert _count(db, Appointment) == 0


def test_the_database_refuses_a_double_booking_even_past_the_service(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    one = create_referral(create_patient("A"))
    two = create_referral(create_patient("B"))
    _book(db, care_world, one, slot=0)
    for row in (
        Appointment(activity_id=care_world.session.id, slot=0, referral_id=two.id),
        Appointment(activity_id=care_world.session.id, slot=2, referral_id=one.id),
    ):
        savepoint = db.begin_nested()
        db.add(row)
        with pytest.raises(IntegrityError):
            db.flush()
        savepoint.rollback()
    # A cancelled appointment holds nothing.
    with db.begin_nested():
        db.add(
            Appointment(
                activity_id=care_world.session.id,
                slot=0,
                referral_id=two.id,
                status=AppointmentStatus.CANCELLED,
            )
        )
        db.flush()


# --- the planning contract ------------------------------------------------------------------


def test_waiting_for_program_gives_consenting_waiting_referrals(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    waiting = create_referral(create_patient("A"), priority=5)
    create_referral(create_patient("B", consents=()))
    _book(db, care_world, create_referral(create_patient("C")))
    found = service.waiting_for_program(
        db=db, actor=care_world.admin, program_id=care_world.days.program.id
    )
    assert found == [
        WaitingPatient(
            referral_id=waiting.id,
            specialty="cardiac_surgery",
            priority=5,
            city_ids=(care_world.days.tashkent.id,),
            days=(),
        )
    ]


def test_book_planned_books_all_or_names_the_referral(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    referrals = [create_referral(create_patient(name)) for name in "ABCD"]
    session = care_world.session.id
    assert (
        booking.book_planned(
            db=db, actor=care_world.admin, placements=[(r.id, session) for r in referrals[:2]]
        )
        == 2
    )
    with pytest.raises(UserError) as refused:
        booking.book_planned(
            db=db, actor=care_world.admin, placements=[(r.id, session) for r in referrals[2:]]
        )
    assert str(referrals[3].id) in _texts(refused.value)
    assert "full" in _texts(refused.value)


# --- the consultation day -------------------------------------------------------------------


def test_the_consultation_day_from_check_in_to_follow_up(
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
    create_activity: ActivityFactory,
) -> None:
    patient = create_patient(consents=(ConsentKind.TREATMENT,))
    referral = create_referral(patient)
    appointment = _book(db, care_world, referral)
    booking.check_in(db=db, actor=care_world.admin, appointment=appointment)
    specialist = Actor.of(care_world.specialist)
    today = service.todays_patients(db=db, actor=specialist, day=START)
    assert [a.id for a, _slot in today] == [appointment.id]
    with pytest.raises(UserError) as no_telemedicine:
        service.record_encounter(
            db=db,
            actor=specialist,
            data=EncounterCreate(
                appointment_id=appointment.id,
                findings="Severe mitral stenosis",
                diagnoses=["I05.0"],
                recommendation=Recommendation.TELECONSULTATION,
            ),
        )
    assert _fields(no_telemedicine.value) == {"recommendation"}
    encounter = service.record_encounter(
        db=db,
        actor=specialist,
        data=EncounterCreate(
            appointment_id=appointment.id,
            findings="Severe mitral stenosis",
            diagnoses=["I05.0", "i50.0"],
            recommendation=Recommendation.OPERATION,
        ),
    )
    assert [d.icd10 for d in encounter.diagnoses] == ["I05.0", "I50.0"]
    assert encounter.specialist_id == care_world.days.surgeon.id
    assert referral.status == ReferralStatus.SEEN
    operation = create_activity(
        care_world.days.program,
        city=care_world.days.tashkent,
        kind=ActivityKind.DEMONSTRATION_OPERATION,
        day=date(2025, 10, 15),
    )
    procedure = service.record_procedure(
        db=db,
        actor=specialist,
        data=ProcedureCreate(
            referral_id=referral.id,
            activity_id=operation.id,
            description="Mitral valve replacement",
            performed_on=date(2025, 10, 15),
            outcome=ProcedureOutcome.SUCCESSFUL,
            surgeon_ids=[care_world.days.surgeon.id, care_world.days.second_surgeon.id],
        ),
    )
    assert db.get(Referral, referral.id).status == ReferralStatus.OPERATED  # type: ignore[union-attr]
    assert len(procedure.surgeons) == 2
    with pytest.raises(UserError):
        service.create_follow_up(
            db=db,
            actor=specialist,
            data=FollowUpCreate(
                referral_id=referral.id,
                institution_id=care_world.days.samarkand_hospital.id,
                kind=FollowUpKind.TELECONSULTATION,
                due_on=date(2025, 11, 15),
            ),
        )
    task = service.create_follow_up(
        db=db,
        actor=specialist,
        data=FollowUpCreate(
            referral_id=referral.id,
            institution_id=care_world.days.samarkand_hospital.id,
            kind=FollowUpKind.IN_PERSON,
            due_on=date(2025, 11, 15),
        ),
    )

    def overdue_on(today: date) -> list[FollowUpTask]:
        overdue = FollowUpFilter(overdue=True)
        return service.follow_ups(db=db, actor=specialist, today=today, filters=overdue)

    assert overdue_on(date(2025, 11, 15)) == []
    assert overdue_on(date(2025, 11, 16)) == [task]
    service.complete_follow_up(db=db, actor=specialist, task=task)
    assert overdue_on(date(2026, 1, 1)) == []
