"""JSON API of care under /api/v1/care: the same schemas and service functions as the pages.

Every route reaches patient data through the access choke point: a record the address names is
loaded with ``get_for`` before the service changes it (its reads through the service, which
writes each view to the audit trail); records named in the body are loaded by the service.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hamkor.care import booking, service
from hamkor.care.filters import FollowUpFilter
from hamkor.care.models import Appointment, FollowUpTask, Patient, Referral, ReferralStatus
from hamkor.care.schemas import (
    AppointmentRead,
    BookingCreate,
    ConsentCreate,
    ConsentRead,
    EncounterCreate,
    EncounterRead,
    FollowUpCreate,
    FollowUpRead,
    MergeRequest,
    PatientCreate,
    PatientExport,
    PatientRead,
    ProcedureCreate,
    ProcedureRead,
    ReferralCreate,
    ReferralRead,
    SlotRead,
)
from hamkor.core.access import Action, get_for
from hamkor.core.forms import PathId, QueryId
from hamkor.core.text import SearchQuery
from hamkor.core.web import API_ERROR_RESPONSES, ApiCtx
from hamkor.programs.models import Activity

router = APIRouter(prefix="/api/v1/care", tags=["care"], responses=API_ERROR_RESPONSES)


# --- patients -------------------------------------------------------------------------------


@router.get("/patients")
def list_patients(ctx: ApiCtx, q: SearchQuery = None) -> list[PatientRead]:
    """The caller's patients, searched by name in any script (``?q=``)."""
    found = service.list_patients(db=ctx.db, actor=ctx.actor, search=q)
    return [PatientRead.model_validate(p) for p in found]


@router.post("/patients", status_code=201)
def create_patient(ctx: ApiCtx, data: PatientCreate) -> PatientRead:
    """Register a patient; a possible duplicate is refused unless ``confirm_new`` is true."""
    patient = service.create_patient(db=ctx.db, actor=ctx.actor, data=data)
    return PatientRead.model_validate(patient)


@router.get("/patients/{patient_id}")
def get_patient(ctx: ApiCtx, patient_id: PathId) -> PatientRead:
    """One patient (the view is audited)."""
    patient = service.get_patient(db=ctx.db, actor=ctx.actor, patient_id=patient_id)
    return PatientRead.model_validate(patient)


@router.get("/patients/{patient_id}/record")
def export_record(ctx: ApiCtx, patient_id: PathId) -> PatientExport:
    """The patient's whole record, for their right of access (the export is audited)."""
    return service.export_record(db=ctx.db, actor=ctx.actor, patient_id=patient_id)


@router.post("/patients/{patient_id}/merge")
def merge(ctx: ApiCtx, patient_id: PathId, data: MergeRequest) -> PatientRead:
    """Merge the duplicate ``merge_id`` into this patient, losing nothing."""
    keep = get_for(ctx.db, ctx.actor, Patient, patient_id, Action.CHANGE)
    gone = get_for(ctx.db, ctx.actor, Patient, data.merge_id, Action.CHANGE)
    kept = service.merge_patients(db=ctx.db, actor=ctx.actor, keep=keep, gone=gone)
    return PatientRead.model_validate(kept)


@router.post("/patients/{patient_id}/consents", status_code=201)
def record_consent(ctx: ApiCtx, patient_id: PathId, data: ConsentCreate) -> ConsentRead:
    """A consent given or withdrawn, by the patient or a named representative."""
    patient = get_for(ctx.db, ctx.actor, Patient, patient_id, Action.CHANGE)
    consent = service.record_consent(db=ctx.db, actor=ctx.actor, patient=patient, data=data)
    return ConsentRead.model_validate(consent)


# --- referrals ------------------------------------------------------------------------------


@router.get("/referrals")
def list_referrals(
    ctx: ApiCtx,
    program_id: QueryId = None,
    patient_id: QueryId = None,
    status: ReferralStatus | None = None,
) -> list[ReferralRead]:
    """The waitlist, most urgent (priority 5) first."""
    found = service.list_referrals(
        db=ctx.db, actor=ctx.actor, program_id=program_id, patient_id=patient_id, status=status
    )
    return [ReferralRead.model_validate(r) for r in found]


@router.post("/referrals", status_code=201)
def create_referral(ctx: ApiCtx, data: ReferralCreate) -> ReferralRead:
    """Put a patient on a program's waitlist."""
    referral = service.create_referral(db=ctx.db, actor=ctx.actor, data=data)
    return ReferralRead.model_validate(referral)


@router.post("/referrals/{referral_id}/withdraw")
def withdraw_referral(ctx: ApiCtx, referral_id: PathId) -> ReferralRead:
    """The patient no longer waits; a booking they held is cancelled."""
    referral = get_for(ctx.db, ctx.actor, Referral, referral_id, Action.CHANGE)
    referral = service.withdraw_referral(db=ctx.db, actor=ctx.actor, referral=referral)
    return ReferralRead.model_validate(referral)


# --- booking --------------------------------------------------------------------------------


@router.get("/sessions/{activity_id}/slots")
def slots(ctx: ApiCtx, activity_id: PathId) -> list[SlotRead]:
    """The slots of a consultation session and which are taken."""
    activity = get_for(ctx.db, ctx.actor, Activity, activity_id)
    return [
        SlotRead(
            index=s.index,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            appointment_id=s.appointment.id if s.appointment else None,
        )
        for s in service.session_slots(ctx.db, service.consultation_session(activity))
    ]


@router.post("/appointments", status_code=201)
def book(ctx: ApiCtx, data: BookingCreate) -> AppointmentRead:
    """Book a referral into a slot (the first free one when none is given)."""
    appointment = booking.book(db=ctx.db, actor=ctx.actor, data=data)
    return AppointmentRead.model_validate(appointment)


def _appointment_step(name: str, step: Any, doc: str) -> None:
    def route(ctx: ApiCtx, appointment_id: PathId) -> AppointmentRead:
        appointment = get_for(ctx.db, ctx.actor, Appointment, appointment_id, Action.CHANGE)
        appointment = step(db=ctx.db, actor=ctx.actor, appointment=appointment)
        return AppointmentRead.model_validate(appointment)

    route.__doc__ = doc
    router.post(f"/appointments/{{appointment_id}}/{name}", name=f"appointment_{name}")(route)


_appointment_step("cancel", booking.cancel_appointment, "Cancel a booking: the slot is free.")
_appointment_step("check-in", booking.check_in, "The patient has arrived.")
_appointment_step("no-show", booking.mark_no_show, "The patient did not come.")


# --- outcomes -------------------------------------------------------------------------------


@router.post("/encounters", status_code=201)
def record_encounter(ctx: ApiCtx, data: EncounterCreate) -> EncounterRead:
    """The consultation's findings, ICD-10 diagnoses and recommendation."""
    encounter = service.record_encounter(db=ctx.db, actor=ctx.actor, data=data)
    return EncounterRead.model_validate(encounter)


@router.post("/procedures", status_code=201)
def record_procedure(ctx: ApiCtx, data: ProcedureCreate) -> ProcedureRead:
    """An operation performed, by whom, and how it went."""
    procedure = service.record_procedure(db=ctx.db, actor=ctx.actor, data=data)
    return ProcedureRead.model_validate(procedure)


@router.get("/follow-ups")
def follow_ups(ctx: ApiCtx, overdue: bool = False) -> list[FollowUpRead]:
    """Follow-ups handed to local institutions; ``?overdue=true`` for the open ones past due."""
    found = service.follow_ups(
        db=ctx.db, actor=ctx.actor, today=service.today(), filters=FollowUpFilter(overdue=overdue)
    )
    return [FollowUpRead.model_validate(f) for f in found]


@router.post("/follow-ups", status_code=201)
def create_follow_up(ctx: ApiCtx, data: FollowUpCreate) -> FollowUpRead:
    """Hand a patient's follow-up to a local institution."""
    task = service.create_follow_up(db=ctx.db, actor=ctx.actor, data=data)
    return FollowUpRead.model_validate(task)


@router.post("/follow-ups/{task_id}/done")
def complete_follow_up(ctx: ApiCtx, task_id: PathId) -> FollowUpRead:
    """The follow-up took place."""
    task = get_for(ctx.db, ctx.actor, FollowUpTask, task_id, Action.CHANGE)
    task = service.complete_follow_up(db=ctx.db, actor=ctx.actor, task=task)
    return FollowUpRead.model_validate(task)
