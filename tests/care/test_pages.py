"""The pages of care: intake with its duplicate warning, booking, the check-in list, the
specialist's day and the encounter, follow-ups — each refusal beside its field, nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care import booking, service
from hamkor.care.models import (
    Appointment,
    AppointmentStatus,
    Encounter,
    FollowUpTask,
    Patient,
    Sex,
)
from hamkor.care.schemas import BookingCreate
from hamkor.core.i18n import Translator
from hamkor.core.models import AuditEntry, Role
from hamkor.core.templating import Formatter
from tests.fixtures.care import CareWorld, PatientFactory, ReferralFactory, make_pinfl
from tests.fixtures.core import ClientFactory, UserFactory
from tests.fixtures.programs import submit


def _count(db: Session, model: type[Appointment] | type[Patient]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _intake(world: CareWorld, **changes: str) -> dict[str, str]:
    born = date(1978, 11, 2)
    return {
        "names.uz": "Qodirov Sherzod",
        "names.uz-Cyrl": "Қодиров Шерзод",
        "birth_date": born.isoformat(),
        "sex": "male",
        "identifiers.0.kind": "uz_pinfl",
        "identifiers.0.value": make_pinfl(born, Sex.MALE, 31),
        "phone": "90 555 12 34",
        "institution_id": str(world.days.vakhidov.id),
        **changes,
    }


def test_intake_from_the_page_then_a_duplicate_is_warned(
    client_for: ClientFactory, db: Session, care_world: CareWorld
) -> None:
    client = client_for(care_world.registrar)
    saved = submit(client, "/care/patients/new", "/care/patients", _intake(care_world))
    assert saved.status_code == 303, saved.text
    patient_page = client.get(saved.headers["location"])
    assert "Qodirov Sherzod" in patient_page.text
    assert "+998905551234" in patient_page.text
    again = _intake(care_world, **{"identifiers.0.value": "", "names.uz": "Qodirov  Sherzod"})
    warned = submit(client, "/care/patients/new", "/care/patients", again)
    assert warned.status_code == 422
    assert 'name="confirm_new"' in warned.text
    assert "already registered" in warned.text
    count = _count(db, Patient)
    confirmed = submit(
        client, "/care/patients/new", "/care/patients", {**again, "confirm_new": "on"}
    )
    assert confirmed.status_code == 303
    assert _count(db, Patient) == count + 1


def test_a_bad_pinfl_on_the_page_is_named_beside_its_box(
    client_for: ClientFactory, db: Session, care_world: CareWorld
) -> None:
    client = client_for(care_world.registrar)
    before = _count(db, Patient)
    refused = submit(
        client,
        "/care/patients/new",
        "/care/patients",
        _intake(care_world, **{"identifiers.0.value": "12345678901234"}),
    )
    assert refused.status_code == 422
    assert 'id="e-identifiers.0.value"' in refused.text
    assert _count(db, Patient) == before


def test_booking_from_the_page_and_a_taken_slot(
    client_for: ClientFactory,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    client = client_for(care_world.registrar)
    referral = create_referral(create_patient())
    page = f"/care/referrals/{referral.id}/book"
    shown = client.get(page)
    assert shown.text.count('name="slot"') == 3
    other = create_referral(create_patient("Other"))
    booking.book(
        db=db,
        actor=care_world.admin,
        data=BookingCreate(referral_id=other.id, activity_id=care_world.session.id, slot=0),
    )
    db.commit()
    taken = submit(client, page, page, {"activity_id": str(care_world.session.id), "slot": "0"})
    assert taken.status_code == 422
    assert "just taken" in taken.text
    booked = submit(client, page, page, {"activity_id": str(care_world.session.id), "slot": "1"})
    assert booked.status_code == 303
    assert booked.headers["location"] == f"/care/patients/{referral.patient_id}#appointments"
    assert _count(db, Appointment) == 2
    # The next page says which slot was booked, in the city's time, once.
    appointment = db.scalars(
        select(Appointment).where(Appointment.referral_id == referral.id)
    ).one()
    starts = Formatter(Translator("en")).time(
        service.slot_start(db, appointment), care_world.session.city.timezone
    )
    patient_page = client.get(booked.headers["location"], headers={"accept-language": "en"})
    flash = patient_page.text.split('class="flash"')[1].split("</p>")[0]
    assert f"Booked: {starts}, " in flash
    assert 'class="flash"' not in client.get(booked.headers["location"]).text


def test_check_in_then_the_specialist_records_the_encounter(
    client_for: ClientFactory,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    referral = create_referral(create_patient("Tursunov Akmal"))
    appointment = booking.book(
        db=db,
        actor=care_world.admin,
        data=BookingCreate(referral_id=referral.id, activity_id=care_world.session.id),
    )
    db.commit()
    desk = client_for(care_world.registrar)
    sheet = f"/care/sessions/{care_world.session.id}"
    assert "Tursunov Akmal" in desk.get(sheet).text
    checked = submit(desk, sheet, f"/care/appointments/{appointment.id}/check-in", {"back": sheet})
    assert checked.status_code == 303
    db.refresh(appointment)
    assert appointment.status == AppointmentStatus.CHECKED_IN
    doctor = client_for(care_world.specialist)
    day = doctor.get("/care/today?day=2025-10-13")
    assert "Tursunov Akmal" in day.text
    assert "I05.0" in day.text
    form = f"/care/appointments/{appointment.id}/encounter"
    bad = submit(doctor, form, form, {"findings": "Stenosis", "diagnoses": "Q99.99"})
    assert bad.status_code == 422
    assert "is not an ICD-10 code" in bad.text
    saved = submit(
        doctor,
        form,
        form,
        {"findings": "Stenosis", "diagnoses": "I05.0, I50.0", "recommendation": "operation"},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/care/patients/{referral.patient_id}#outcomes"
    db.refresh(appointment)
    assert appointment.status == AppointmentStatus.SEEN  # type: ignore[comparison-overlap]


@pytest.mark.parametrize("path", ["/care/patients", "/care/sessions", "/care/follow-ups"])
def test_an_auditor_sees_no_patient(
    client_for: ClientFactory,
    create_user: UserFactory,
    care_world: CareWorld,
    create_patient: PatientFactory,
    path: str,
) -> None:
    create_patient("Hidden Person")
    auditor = create_user(Role.AUDITOR)
    page = client_for(auditor).get(path)
    assert page.status_code == 200
    assert "Hidden Person" not in page.text


def test_the_waitlist_outcomes_and_follow_up_pages(
    client_for: ClientFactory,
    db: Session,
    care_world: CareWorld,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    referral = create_referral(create_patient("Ergasheva Zilola"), priority=5)
    client = client_for(care_world.registrar)
    waitlist = client.get("/care/waitlist")
    assert "Ergasheva Zilola" in waitlist.text
    assert f"/care/referrals/{referral.id}/book" in waitlist.text
    outcomes = client.get(f"/care/referrals/{referral.id}/outcomes")
    assert outcomes.status_code == 200
    form = f"/care/referrals/{referral.id}/outcomes"
    handed = submit(
        client,
        form,
        f"/care/referrals/{referral.id}/follow-ups",
        {
            "institution_id": str(care_world.days.samarkand_hospital.id),
            "kind": "in_person",
            "due_on": "2025-11-01",
        },
    )
    assert handed.status_code == 303, handed.text
    assert handed.headers["location"] == f"/care/patients/{referral.patient_id}#outcomes"
    overdue = client.get("/care/follow-ups?overdue=true")
    assert "Ergasheva Zilola" in overdue.text
    assert "overdue" in overdue.text


def test_the_check_in_list_names_only_patients_the_reader_may_see(
    client_for: ClientFactory,
    db: Session,
    care_world: CareWorld,
    create_user: UserFactory,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    referral = create_referral(create_patient("Nazarova Sevara"))
    booking.book(
        db=db,
        actor=care_world.admin,
        data=BookingCreate(referral_id=referral.id, activity_id=care_world.session.id),
    )
    db.commit()
    sheet = f"/care/sessions/{care_world.session.id}"
    assert "Nazarova Sevara" in client_for(care_world.registrar).get(sheet).text
    # A specialist of the visiting centre who does not lead this session.
    colleague = create_user(Role.SPECIALIST, institution_id=care_world.days.syzganov.id)
    page = client_for(colleague).get(sheet)
    assert page.status_code == 200
    assert "Nazarova Sevara" not in page.text
    assert "Занято" in page.text  # "Taken", in the reader's Russian


def test_the_forms_of_another_centres_patient_refuse_once_whatever_is_posted(
    client_for: ClientFactory,
    db: Session,
    care_world: CareWorld,
    create_user: UserFactory,
    create_patient: PatientFactory,
    create_referral: ReferralFactory,
) -> None:
    """The booking, encounter and outcome forms leave the record of their address to the
    service, as the API's body does: a registrar of another centre is refused (403, one audited
    denial) whether the form is valid or not, and nothing is written."""
    referral = create_referral(create_patient("Yusupova Dilnoza"))
    appointment = booking.book(
        db=db,
        actor=care_world.admin,
        data=BookingCreate(referral_id=referral.id, activity_id=care_world.session.id),
    )
    db.commit()
    stranger = create_user(Role.REGISTRAR, institution_id=care_world.days.samarkand_hospital.id)
    client = client_for(stranger)
    seen = "/care/patients"
    session = str(care_world.session.id)
    forms = [
        (f"/care/referrals/{referral.id}/book", {"activity_id": session, "slot": "1"}),
        (
            f"/care/appointments/{appointment.id}/encounter",
            {"findings": "Stenosis", "diagnoses": "I05.0", "recommendation": "operation"},
        ),
        (
            f"/care/referrals/{referral.id}/follow-ups",
            {
                "institution_id": str(care_world.days.samarkand_hospital.id),
                "kind": "in_person",
                "due_on": "2025-11-01",
            },
        ),
    ]
    for action, valid in forms:
        for data in (valid, {}):
            before = _denials(db)
            assert submit(client, seen, action, data).status_code == 403
            assert _denials(db) == before + 1
    assert _count(db, Appointment) == 1
    assert db.scalar(select(func.count()).select_from(Encounter)) == 0
    assert db.scalar(select(func.count()).select_from(FollowUpTask)) == 0


def _denials(db: Session) -> int:
    denied = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "denied")
    return db.scalar(denied) or 0
