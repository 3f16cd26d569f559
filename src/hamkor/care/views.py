"""Pages of care: intake, a patient's record, booking, the consultation day and follow-ups.

Routes go in a fixed order: load (404), check access (403, audited), call the service, render.
The forms of booking, encounters, procedures and follow-ups put the record of their address
into the data, as the API's body names it, and the service loads and checks it once; the page
loads it itself only to show it (again). A refused form comes back with status 422 and each
message beside its field; its work is done in a savepoint, so a refusal leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select

from hamkor.care import booking, labels, service
from hamkor.care import exports as lists
from hamkor.care.filters import FollowUpFilter, WaitlistFilter
from hamkor.care.importing import IMPORT_JOB, ReferralRow, import_referrals
from hamkor.care.models import (
    Appointment,
    FollowUpTask,
    IdentifierKind,
    Patient,
    Procedure,
    Referral,
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
)
from hamkor.core import exports, import_jobs
from hamkor.core.access import Action, NotFound, get_for, restrict
from hamkor.core.dates import SearchDate
from hamkor.core.errors import UserError
from hamkor.core.exports import FormatQuery
from hamkor.core.forms import PageNumber, PathId, PathStep, error_map
from hamkor.core.i18n import N_, Message
from hamkor.core.importing import columns_of
from hamkor.core.jobs import Job
from hamkor.core.pages import (
    REFUSED,
    Refusal,
    labelled_options,
    named_options,
    page_size,
    pager_params,
    save_then,
    see_other,
    told,
)
from hamkor.core.templating import Formatter
from hamkor.core.text import SearchQuery
from hamkor.core.web import Ctx, Form, PageCtx, Upload
from hamkor.directory import pickers
from hamkor.directory import service as directory_service
from hamkor.directory.models import City, Institution, Person, Specialty
from hamkor.programs.calendar import local_day
from hamkor.programs.models import Activity, Program

router = APIRouter(include_in_schema=False)
Options = list[tuple[Any, str]]


def _render(ctx: Ctx, template: str, status_code: int = 200, **context: Any) -> Response:
    return ctx.render(template, status_code, labels=labels, **context)


def _errors(refusal: Refusal | None) -> tuple[dict[str, str], int]:
    return ({}, 200) if refusal is None else (refusal.errors, refusal.status_code)


def _choices(ctx: Ctx, model: type[Any]) -> Options:
    return named_options(
        ctx.translator, directory_service.choices(db=ctx.db, actor=ctx.actor, model=model)
    )


def _download(
    ctx: Ctx,
    listing: exports.Listing[Any],
    rows: Iterable[Any],
    export: exports.ExportFormat,
    suffix: str,
) -> Response:
    """A list of patients as a file; the download is audited beside the views of its rows."""
    lists.recorded(ctx.db, listing, export)
    return exports.download(
        listing, rows, export_format=export, translator=ctx.translator, suffix=suffix
    )


def _programs(ctx: Ctx) -> Options:
    rows = ctx.db.scalars(restrict(select(Program).order_by(Program.starts_on.desc()), ctx.actor))
    return named_options(ctx.translator, rows)


# --- patients -------------------------------------------------------------------------------


@router.get("/care/patients", response_class=HTMLResponse)
def patients(ctx: PageCtx, q: SearchQuery = None, page: PageNumber = 1) -> Response:
    """The patients the reader may see, searched by name in any script, a page at a time."""
    found = service.page_patients(
        db=ctx.db, actor=ctx.actor, search=q, number=page, size=page_size(ctx)
    )
    return _render(
        ctx,
        "care/patients.html",
        page=found,
        q=q or "",
        filters={"q": q} if q else {},
        registers=service.may_register(ctx.actor),
    )


def _identifiers(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form's one identifier row as the schema's list (an empty row is no identifier)."""
    data = {k: v for k, v in form.items() if not k.startswith("identifiers.")}
    value = str(form.get("identifiers.0.value", "")).strip()
    data["identifiers"] = (
        [
            {
                "kind": form.get("identifiers.0.kind", ""),
                "value": value,
                "issuer": form.get("identifiers.0.issuer", ""),
            }
        ]
        if value
        else []
    )
    data["confirm_new"] = form.get("confirm_new") == "on"
    return data


def _intake_form(ctx: Ctx, form: Mapping[str, Any], refusal: Refusal | None = None) -> Response:
    errors, status = _errors(refusal)
    return _render(
        ctx,
        "care/patient_form.html",
        status,
        form=form,
        errors=errors,
        sexes=labelled_options(ctx.translator, labels.SEX),
        kinds=labelled_options(ctx.translator, labels.IDENTIFIER_KIND),
        languages=labelled_options(ctx.translator, labels.PATIENT_LANGUAGES),
        institutions=_choices(ctx, Institution),
        cities=_choices(ctx, City),
    )


@router.get("/care/patients/new", response_class=HTMLResponse)
def new_patient(ctx: PageCtx) -> Response:
    """The intake form; the registrar's institution is chosen for them."""
    service.require_registration(ctx.actor)
    registrar_of = sorted(ctx.actor.institutions())
    form = {
        "identifiers.0.kind": IdentifierKind.UZ_PINFL.value,
        "institution_id": registrar_of[0] if registrar_of else "",
        "sex": Sex.FEMALE.value,
    }
    return _intake_form(ctx, form)


@router.post("/care/patients", response_class=HTMLResponse)
def create_patient(ctx: PageCtx, form: Form) -> Response:
    """Register the patient; a possible duplicate comes back with a confirmation box."""
    actor = ctx.actor
    return save_then(
        ctx,
        _identifiers(form),
        PatientCreate,
        lambda data: service.create_patient(db=ctx.db, actor=actor, data=data),
        done=lambda saved: f"/care/patients/{saved.id}",
        again=lambda refusal: _intake_form(ctx, form, refusal),
    )


def _record_page(
    ctx: Ctx, patient_id: int, refusal: Refusal | None = None, form: Mapping[str, Any] = {}
) -> Response:
    errors, status = _errors(refusal)
    record = service.patient_record(db=ctx.db, actor=ctx.actor, patient_id=patient_id)
    defaults = {"priority": 3, "referring_institution_id": record.patient.institution_id}
    return _render(
        ctx,
        "care/patient.html",
        status,
        record=record,
        in_force=record.in_force(),
        slot_start=lambda appointment: service.slot_start(ctx.db, appointment),
        form={**defaults, **form},
        errors=errors,
        consent_kinds=labelled_options(ctx.translator, labels.CONSENT_KIND),
        decisions=labelled_options(ctx.translator, labels.CONSENT_DECISION),
        programs=_programs(ctx),
        specialties=_choices(ctx, Specialty),
        institutions=_choices(ctx, Institution),
        cities=_choices(ctx, City),
    )


@router.get("/care/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(ctx: PageCtx, patient_id: PathId) -> Response:
    """A patient's whole record: consents, referrals, appointments, outcomes (audited)."""
    return _record_page(ctx, patient_id)


@router.get("/care/patients/{patient_id}/record.json")
def patient_export(ctx: PageCtx, patient_id: PathId) -> Response:
    """The whole record as a JSON file, for the patient's right of access (audited)."""
    exported = service.export_record(db=ctx.db, actor=ctx.actor, patient_id=patient_id)
    return JSONResponse(
        exported.model_dump(mode="json"),
        headers={"content-disposition": f'attachment; filename="patient-{patient_id}.json"'},
    )


@router.post("/care/patients/{patient_id}/consents", response_class=HTMLResponse)
def record_consent(ctx: PageCtx, patient_id: PathId, form: Form) -> Response:
    """Record a consent given or withdrawn."""
    actor = ctx.actor
    patient = get_for(ctx.db, actor, Patient, patient_id, Action.CHANGE)
    data = {**form, "by_patient": form.get("by_patient") == "on"}
    return save_then(
        ctx,
        data,
        ConsentCreate,
        lambda data: service.record_consent(db=ctx.db, actor=actor, patient=patient, data=data),
        done=f"/care/patients/{patient.id}#consents",
        again=lambda refusal: _record_page(ctx, patient.id, refusal, form),
    )


@router.post("/care/patients/{patient_id}/referrals", response_class=HTMLResponse)
def create_referral(ctx: PageCtx, patient_id: PathId, form: Form) -> Response:
    """Put the patient on a program's waitlist, then offer the booking."""
    actor = ctx.actor
    data = {"city_ids": [], "days": [], **form, "patient_id": patient_id}
    return save_then(
        ctx,
        data,
        ReferralCreate,
        lambda data: service.create_referral(db=ctx.db, actor=actor, data=data),
        done=lambda saved: f"/care/referrals/{saved.id}/book",
        again=lambda refusal: _record_page(ctx, patient_id, refusal, form),
    )


# --- booking --------------------------------------------------------------------------------


def _referral(ctx: Ctx, referral_id: int) -> Referral:
    """The referral a booking or outcome form is about, shown to those who may change it (the
    view is audited)."""
    return service.get_referral(
        db=ctx.db, actor=ctx.actor, referral_id=referral_id, action=Action.CHANGE
    )


def _booking_page(ctx: Ctx, referral: Referral, refusal: Refusal | None = None) -> Response:
    errors, status = _errors(refusal)
    sessions = service.consultation_sessions(
        db=ctx.db,
        actor=ctx.actor,
        program_id=referral.program_id,
        specialty_id=referral.specialty_id,
    )
    return _render(
        ctx,
        "care/book.html",
        status,
        referral=referral,
        sessions=[(s, service.session_slots(ctx.db, s)) for s in sessions],
        errors=errors,
    )


@router.get("/care/referrals/{referral_id}/book", response_class=HTMLResponse)
def booking_form(ctx: PageCtx, referral_id: PathId) -> Response:
    """The free slots of the program's consultation sessions of the referral's specialty."""
    return _booking_page(ctx, _referral(ctx, referral_id))


@router.post("/care/referrals/{referral_id}/book", response_class=HTMLResponse)
def book(ctx: PageCtx, referral_id: PathId, form: Form) -> Response:
    """Give the chosen slot to the referral; a taken slot or a full session is said plainly."""
    actor = ctx.actor
    return save_then(
        ctx,
        {**form, "referral_id": referral_id},
        BookingCreate,
        lambda data: booking.book(db=ctx.db, actor=actor, data=data),
        done=lambda booked: f"/care/patients/{booked.referral.patient_id}#appointments",
        again=lambda refusal: _booking_page(ctx, _referral(ctx, referral_id), refusal),
        said=lambda booked: _booked(ctx, booked, N_("Booked: %(time)s, %(session)s.")),
    )


def _booked(ctx: Ctx, appointment: Appointment, text: str) -> Message:
    """What was done to an appointment, named by its slot's time (in the city's zone) and its
    session: the reader sees which slot changed, and no patient is named."""
    activity = appointment.activity
    starts = service.slot_start(ctx.db, appointment)
    time = Formatter(ctx.translator).time(starts, activity.city.timezone)
    return Message(text, {"time": time, "session": ctx.translator.name(activity.titles)})


# --- the consultation day -------------------------------------------------------------------


@router.get("/care/sessions", response_class=HTMLResponse)
def sessions(ctx: PageCtx) -> Response:
    """The consultation sessions the reader may see, with their free slots."""
    found = service.consultation_sessions(db=ctx.db, actor=ctx.actor)
    return _render(
        ctx,
        "care/sessions.html",
        sessions=[(s, service.session_slots(ctx.db, s)) for s in found],
    )


@router.get("/care/sessions/{activity_id}", response_class=HTMLResponse)
def check_in_list(ctx: PageCtx, activity_id: PathId, export: FormatQuery = None) -> Response:
    """The registrar's check-in list of a session, printable or as a file (audited)."""
    sheet = service.check_in_list(db=ctx.db, actor=ctx.actor, activity_id=activity_id)
    if export is not None:
        suffix = f"{sheet.activity.id}-{local_day(sheet.activity).isoformat()}"
        return _download(ctx, lists.CHECK_IN, lists.check_in_rows(sheet), export, suffix)
    return _render(
        ctx, "care/check_in.html", activity=sheet.activity, slots=sheet.slots, sheet=sheet
    )


@router.get("/care/today", response_class=HTMLResponse)
def today(ctx: PageCtx, day: SearchDate | None = None) -> Response:
    """The specialist's patients of the day with their referral summaries."""
    shown = day or service.today()
    found = service.todays_patients(db=ctx.db, actor=ctx.actor, day=shown)
    return _render(ctx, "care/today.html", day=shown, appointments=found)


def _appointment(ctx: Ctx, appointment_id: int) -> Appointment:
    """The appointment an encounter form is about, shown to those who may change it (the view
    is audited)."""
    return service.get_appointment(
        db=ctx.db, actor=ctx.actor, appointment_id=appointment_id, action=Action.CHANGE
    )


def _encounter_form(
    ctx: Ctx, appointment: Appointment, form: Mapping[str, Any], refusal: Refusal | None = None
) -> Response:
    errors, status = _errors(refusal)
    return _render(
        ctx,
        "care/encounter_form.html",
        status,
        appointment=appointment,
        form=form,
        errors=errors,
        recommendations=labelled_options(ctx.translator, labels.RECOMMENDATION),
    )


@router.get("/care/appointments/{appointment_id}/encounter", response_class=HTMLResponse)
def new_encounter(ctx: PageCtx, appointment_id: PathId) -> Response:
    """The encounter form, with the referral's reason and code to start from."""
    appointment = _appointment(ctx, appointment_id)
    return _encounter_form(ctx, appointment, {"diagnoses": appointment.referral.icd10})


@router.post("/care/appointments/{appointment_id}/encounter", response_class=HTMLResponse)
def record_encounter(ctx: PageCtx, appointment_id: PathId, form: Form) -> Response:
    """Save the findings, diagnoses and recommendation."""
    actor = ctx.actor
    codes = str(form.get("diagnoses", "")).replace(";", ",").replace(" ", ",").split(",")
    data = {**form, "appointment_id": appointment_id, "diagnoses": [c for c in codes if c]}
    return save_then(
        ctx,
        data,
        EncounterCreate,
        lambda data: service.record_encounter(db=ctx.db, actor=actor, data=data),
        done=lambda encounter: f"/care/patients/{encounter.referral.patient_id}#outcomes",
        again=lambda refusal: _encounter_form(
            ctx, _appointment(ctx, appointment_id), form, refusal
        ),
    )


def _outcome_form(
    ctx: Ctx, referral: Referral, form: Mapping[str, Any], refusal: Refusal | None = None
) -> Response:
    errors, status = _errors(refusal)
    operations = ctx.db.scalars(
        restrict(
            select(Activity)
            .where(
                Activity.program_id == referral.program_id,
                Activity.kind.in_(service.OPERATION_KINDS),
            )
            .order_by(Activity.starts_at),
            ctx.actor,
        )
    )
    return _render(
        ctx,
        "care/outcome_form.html",
        status,
        referral=referral,
        form=form,
        errors=errors,
        outcomes=labelled_options(ctx.translator, labels.PROCEDURE_OUTCOME),
        follow_up_kinds=labelled_options(ctx.translator, labels.FOLLOW_UP_KIND),
        operations=[(a.id, ctx.translator.name(a.titles)) for a in operations],
        surgeons=_choices(ctx, Person),
        institutions=_choices(ctx, Institution),
    )


@router.get("/care/referrals/{referral_id}/outcomes", response_class=HTMLResponse)
def outcomes(ctx: PageCtx, referral_id: PathId) -> Response:
    """The forms of an operation performed and of a follow-up handed over."""
    referral = _referral(ctx, referral_id)
    return _outcome_form(ctx, referral, {"institution_id": referral.referring_institution_id})


def _save_outcome(
    ctx: Ctx,
    referral_id: int,
    form: Mapping[str, Any],
    schema: type[ProcedureCreate] | type[FollowUpCreate],
    save: Callable[..., Procedure | FollowUpTask],
) -> Response:
    """Save an operation or a follow-up of a referral, back to the patient's outcomes."""
    actor = ctx.actor
    data = {"surgeon_ids": [], **form, "referral_id": referral_id}
    return save_then(
        ctx,
        data,
        schema,
        lambda data: save(db=ctx.db, actor=actor, data=data),
        done=lambda saved: f"/care/patients/{saved.referral.patient_id}#outcomes",
        again=lambda refusal: _outcome_form(ctx, _referral(ctx, referral_id), form, refusal),
        pick=pickers.picks(
            ctx.db, actor, ctx.translator, people=("surgeon_ids",), multiple=("surgeon_ids",)
        ),
    )


@router.post("/care/referrals/{referral_id}/procedures", response_class=HTMLResponse)
def record_procedure(ctx: PageCtx, referral_id: PathId, form: Form) -> Response:
    """Save an operation performed."""
    return _save_outcome(ctx, referral_id, form, ProcedureCreate, service.record_procedure)


@router.post("/care/referrals/{referral_id}/follow-ups", response_class=HTMLResponse)
def create_follow_up(ctx: PageCtx, referral_id: PathId, form: Form) -> Response:
    """Hand the follow-up to a local institution."""
    return _save_outcome(ctx, referral_id, form, FollowUpCreate, service.create_follow_up)


@router.get("/care/follow-ups", response_class=HTMLResponse)
def follow_ups(
    ctx: PageCtx, filters: Annotated[FollowUpFilter, Query()], export: FormatQuery = None
) -> Response:
    """Follow-ups handed to local institutions, searched by the patient's name in either
    script, by status or overdue, paged; the file holds every row the filters find."""
    shown = service.today()
    if export is not None:
        found = service.follow_ups(db=ctx.db, actor=ctx.actor, today=shown, filters=filters)
        rows = lists.follow_up_rows(found, shown)
        return _download(ctx, lists.FOLLOW_UPS, rows, export, shown.isoformat())
    page = service.page_follow_ups(
        db=ctx.db, actor=ctx.actor, today=shown, filters=filters, size=page_size(ctx)
    )
    return _render(
        ctx,
        "care/follow_ups.html",
        page=page,
        filters=pager_params(filters),
        overdue=filters.overdue,
        today=shown,
    )


@router.post("/care/follow-ups/{task_id}/done", response_class=HTMLResponse)
def follow_up_done(ctx: PageCtx, task_id: PathId, form: Form) -> Response:
    """The follow-up took place."""
    task = get_for(ctx.db, ctx.actor, FollowUpTask, task_id, Action.CHANGE)
    service.complete_follow_up(db=ctx.db, actor=ctx.actor, task=task)
    return told(ctx, "/care/follow-ups", Message(N_("The follow-up is marked done.")))


@router.get("/care/waitlist", response_class=HTMLResponse)
def waitlist(
    ctx: PageCtx, filters: Annotated[WaitlistFilter, Query()], export: FormatQuery = None
) -> Response:
    """The referrals the reader may see, most urgent first: searched by the patient's name in
    either script, by status, program and specialty, paged; the file holds every row found."""
    if export is not None:
        found = service.list_referrals(db=ctx.db, actor=ctx.actor, filters=filters)
        return _download(ctx, lists.WAITLIST, found, export, filters.status or "")
    page = service.page_referrals(db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx))
    return _render(
        ctx,
        "care/waitlist.html",
        page=page,
        filters=pager_params(filters),
        status=filters.status,
        programs=_programs(ctx),
        specialties=_choices(ctx, Specialty),
    )


# --- import ---------------------------------------------------------------------------------


def _import_page(ctx: Ctx, status: int = 200, **context: Any) -> Response:
    defaults: dict[str, Any] = {"errors": {}, "result": None}
    return _render(
        ctx,
        "care/import.html",
        status,
        columns=columns_of(ReferralRow),
        **{**defaults, **context},
    )


@router.get("/care/import", response_class=HTMLResponse)
def import_form(ctx: PageCtx) -> Response:
    """The upload form of a referral list, with its columns."""
    service.require_intake(ctx.actor)
    return _import_page(ctx)


@router.post("/care/import", response_class=HTMLResponse)
def import_upload(form: Form, ctx: PageCtx) -> Response:
    """Import the uploaded file: every row written, or none and a table of what to correct; a
    file of thousands of rows is imported by a job, whose page shows its progress.

    The form comes first: a slow upload holds no database connection while it arrives."""
    service.require_intake(ctx.actor)
    upload = form.get("file")
    if not isinstance(upload, Upload):
        message = ctx._("This field is required.")
        return _import_page(ctx, REFUSED, errors={"file": message})
    try:
        outcome = import_jobs.start_upload(
            ctx,
            upload,
            kind=IMPORT_JOB,
            back="/care/import",
            run_now=lambda file, limits: import_referrals(
                db=ctx.db, actor=ctx.actor, file=file, limits=limits
            ),
        )
    except UserError as error:
        return _import_page(ctx, error.status_code, errors=error_map(error, ctx.language))
    if isinstance(outcome, Job):
        return see_other(f"/imports/{outcome.id}")
    return _import_page(ctx, 200 if outcome.ok else REFUSED, result=outcome)


# Last: its address would otherwise catch /care/appointments/{id}/encounter.
_STEPS: dict[str, Callable[..., Appointment]] = {
    "check-in": booking.check_in,
    "no-show": booking.mark_no_show,
    "cancel": booking.cancel_appointment,
}
_STEP_DONE = {
    "check-in": N_("Checked in: %(time)s, %(session)s."),
    "no-show": N_("Marked absent: %(time)s, %(session)s."),
    "cancel": N_("Cancelled: %(time)s, %(session)s; the slot is free again."),
}


@router.post("/care/appointments/{appointment_id}/{step}", response_class=HTMLResponse)
def appointment_step(ctx: PageCtx, appointment_id: PathId, step: PathStep, form: Form) -> Response:
    """Check a patient in, mark them absent, or cancel: back to the page the button was on."""
    move = _STEPS.get(step)
    if move is None:
        raise NotFound("appointments", appointment_id)
    appointment = get_for(ctx.db, ctx.actor, Appointment, appointment_id, Action.CHANGE)
    appointment = move(db=ctx.db, actor=ctx.actor, appointment=appointment)
    back = str(form.get("back", ""))
    return told(
        ctx,
        back if back.startswith("/care/") else f"/care/sessions/{appointment.activity_id}",
        _booked(ctx, appointment, _STEP_DONE[step]),
    )
