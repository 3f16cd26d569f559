"""Care: patients, consents, the waitlist, the consultation day and follow-up (booking and
an appointment's steps are in ``care.booking``, which shares the rules defined here).

Every function takes keyword arguments, the session and the acting user, and only flushes: the
request (or command) commits once. Every patient read goes through ``core.access`` and every
view of a record lands in the audit trail (writes get there by the flush hook). A write to a
record its caller names (a patient's consent, a referral withdrawn, a follow-up done) takes the
record the caller loaded with ``core.access.get_for(..., CHANGE)``; records named in the data
(the appointment of an encounter, the referral of a procedure or follow-up, the patient of a
new referral) are loaded and checked here, with care's own rules (a registrar writes no clinical
record). Rules that need the database refuse with :class:`UserError` naming the field, before
anything is written.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ScalarSelect,
    Select,
    SQLColumnExpression,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from hamkor.care.access import require_clinician
from hamkor.care.filters import FollowUpFilter, WaitlistFilter
from hamkor.care.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    Appointment,
    AppointmentStatus,
    Consent,
    ConsentDecision,
    ConsentKind,
    ConsultationSetting,
    Diagnosis,
    Encounter,
    FollowUpKind,
    FollowUpStatus,
    FollowUpTask,
    Patient,
    PatientIdentifier,
    Procedure,
    Recommendation,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
)
from hamkor.care.schemas import (
    AppointmentRead,
    ConsentCreate,
    ConsentRead,
    EncounterCreate,
    EncounterRead,
    FollowUpCreate,
    FollowUpRead,
    PatientCreate,
    PatientExport,
    PatientRead,
    ProcedureCreate,
    ProcedureRead,
    ReferralCreate,
    ReferralRead,
    ReferralStatusChangeRead,
    WaitingPatient,
)
from hamkor.core import audit
from hamkor.core.access import (
    AccessDenied,
    Action,
    Actor,
    NotFound,
    ProbeRefused,
    condition,
    get_for,
    require_role,
    restrict,
)
from hamkor.core.db import utcnow
from hamkor.core.errors import FieldError, UserError, problem, refuse_any
from hamkor.core.i18n import N_, spellings
from hamkor.core.models import Role
from hamkor.core.pagination import Page, paginate
from hamkor.directory.filters import matching
from hamkor.directory.models import City, Institution, Person, Specialty
from hamkor.programs.models import Activity, ActivityKind, Program, activity_leads

#: The appointments that hold their slot (and their referral).
ACTIVE = Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES)

#: Roles that register patients and put them on a waitlist.
INTAKE_ROLES = (Role.REGISTRAR, Role.PROGRAM_COORDINATOR)
#: Kinds of activity in which an operation is shown to local colleagues.
OPERATION_KINDS = (ActivityKind.DEMONSTRATION_OPERATION, ActivityKind.HIGH_TECH_INTERVENTION)
DEFAULT_SLOT_MINUTES = 20


def today() -> date:
    """Today's date (UTC): what 'overdue' is measured against."""
    return utcnow().date()


def author_id(actor: Actor) -> int | None:
    """The user to name as author; the command line's operator (user 0) is nobody's row."""
    return actor.user_id or None


def _exists(db: Session, model: type[Any], record_id: int | None) -> bool:
    return record_id is None or db.get(model, record_id) is not None


def _viewed(db: Session, entity: str, entity_id: int | None, note: str | None = None) -> None:
    """A view of patient data, in the audit trail (issue 4: every view is audited)."""
    audit.record(db, action="view", entity=entity, entity_id=entity_id, note=note)


def _shown(db: Session, patient_ids: Iterable[int], note: str) -> None:
    """Patients shown in a list, one audit row each: whoever looks for the views of a patient
    finds the lists that showed them too (issue 15)."""
    audit.record_each(db, action="view", entity="patients", entity_ids=patient_ids, note=note)


# --- patients -------------------------------------------------------------------------------


def patients_statement(actor: Actor, search: str | None = None) -> Select[Any]:
    """The patients the actor may see, not merged away, matching ``search`` in any script."""
    stmt = select(Patient).where(Patient.merged_into_id.is_(None)).order_by(Patient.id)
    # Each word as typed or read from Cyrillic to Latin, so "Азиз" finds a name kept as "Aziz".
    condition = matching(Patient.search, search) if search else None
    if condition is not None:
        stmt = stmt.where(condition)
    return restrict(stmt, actor)


def list_patients(*, db: Session, actor: Actor, search: str | None = None) -> list[Patient]:
    """The actor's patients, each shown one audited."""
    patients = list(db.scalars(patients_statement(actor, search)))
    _shown(db, (patient.id for patient in patients), "patient list")
    return patients


def page_patients(
    *, db: Session, actor: Actor, search: str | None, number: int, size: int
) -> Page[Patient]:
    """One page of the actor's patients (issue 20); only the patients shown are audited."""
    page: Page[Patient] = paginate(db, patients_statement(actor, search), number=number, size=size)
    _shown(db, (patient.id for patient in page.items), "patient list")
    return page


def get_patient(*, db: Session, actor: Actor, patient_id: int) -> Patient:
    """One patient's record: 404 when none, 403 and an audited denial when not the actor's."""
    patient = get_for(db, actor, Patient, patient_id)
    _viewed(db, "patients", patient.id)
    return patient


def get_referral(
    *, db: Session, actor: Actor, referral_id: int, action: Action = Action.VIEW
) -> Referral:
    """A referral with its patient, for a page that shows them (the view is audited)."""
    referral = get_for(db, actor, Referral, referral_id, action)
    _viewed(db, "patients", referral.patient_id, note=f"referral {referral.id}")
    return referral


def get_appointment(
    *, db: Session, actor: Actor, appointment_id: int, action: Action = Action.VIEW
) -> Appointment:
    """An appointment with its patient, for a page that shows them (the view is audited)."""
    appointment = get_for(db, actor, Appointment, appointment_id, action)
    _viewed(db, "patients", appointment.referral.patient_id, note=f"appointment {appointment.id}")
    return appointment


def _folded(names: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for name in names:
        if name.strip():
            found |= spellings(" ".join(name.split()))
    return found


@dataclass(frozen=True)
class Duplicate:
    """A registered patient who may be the one being registered."""

    patient_id: int
    by_identifier: bool


def find_duplicates(*, db: Session, data: PatientCreate) -> list[Duplicate]:
    """Patients with one of the identifiers, or with a name spelled alike and the birth date.

    Searched among all institutions' patients (a patient referred twice is one patient), but
    only ids come back: the caller shows a record only to whoever may see it.
    """
    found: dict[int, Duplicate] = {}
    for identifier in data.identifiers:
        holder = db.scalar(
            select(PatientIdentifier.patient_id).where(
                PatientIdentifier.kind == identifier.kind,
                PatientIdentifier.issuer == identifier.issuer,
                PatientIdentifier.value == identifier.value,
            )
        )
        if holder is not None:
            found[holder] = Duplicate(holder, by_identifier=True)
    wanted = _folded(data.names.values())
    same_birth = db.scalars(
        select(Patient).where(
            Patient.birth_date == data.birth_date, Patient.merged_into_id.is_(None)
        )
    )
    for patient in same_birth:
        if patient.id not in found and wanted & _folded(
            [*patient.names.values(), *patient.aliases]
        ):
            found[patient.id] = Duplicate(patient.id, by_identifier=False)
    return list(found.values())


def require_intake(actor: Actor) -> None:
    """Refuse (403, audited) anybody who does not put patients on a waitlist."""
    require_role(actor, INTAKE_ROLES, "patients")


def may_register(actor: Actor) -> bool:
    """Whether the actor registers new patients anywhere: registrars at their institutions, the
    coordinators of every program and admins at any. A program's coordinator works on the
    patients referred to the program; one who registered a patient could not open the record
    before a referral exists (issue 15)."""
    return bool(
        actor.is_admin
        or actor.has_global(Role.PROGRAM_COORDINATOR)
        or actor.institutions(Role.REGISTRAR)
    )


def require_registration(actor: Actor) -> None:
    """Refuse (403, audited) anybody who does not register new patients."""
    if not may_register(actor):
        raise AccessDenied("patients", None, Action.CHANGE)


def may_register_for(actor: Actor, institution_id: int) -> bool:
    """Registrars register for their own institutions; coordinators of every program and admins
    for any."""
    if actor.is_admin or actor.has_global(Role.PROGRAM_COORDINATOR):
        return True
    return institution_id in actor.institutions(Role.REGISTRAR)


def hidden_patients(db: Session, actor: Actor, patient_ids: Iterable[int]) -> set[int]:
    """Which of ``patient_ids`` the actor may not open: a refusal must not tell of them."""
    wanted = set(patient_ids)
    if not wanted:
        return set()
    visible = select(Patient.id).where(
        Patient.id.in_(wanted), condition(Patient, actor, Action.VIEW)
    )
    return wanted - set(db.scalars(visible))


REGISTERED = N_("This number is already registered for patient record %(id)s.")
REGISTERED_ELSEWHERE = N_(
    "This number is already registered for a patient whose record you cannot open. Ask the "
    "institution that registered them to refer the patient."
)
_ALIKE = N_(
    "A patient with this name and birth date is already registered (record %(ids)s). Open that "
    "record, or confirm that this is another person."
)
_ALIKE_ELSEWHERE = N_(
    "A patient with this name and birth date is already registered at another institution. "
    "Confirm that this is another person, or ask that institution to refer the patient."
)


def _check_patient(db: Session, actor: Actor, data: PatientCreate) -> None:
    require_registration(actor)
    errors: list[FieldError] = []
    if not _exists(db, Institution, data.institution_id):
        errors.append(problem("institution_id", N_("Choose one of the offered values.")))
    elif not may_register_for(actor, data.institution_id):
        errors.append(
            problem("institution_id", N_("You register patients for your own institution only."))
        )
    if not _exists(db, City, data.home_city_id):
        errors.append(problem("home_city_id", N_("Choose one of the offered values.")))
    duplicates = find_duplicates(db=db, data=data)
    hidden = hidden_patients(db, actor, (d.patient_id for d in duplicates))
    told: list[int] = []
    holders = [d.patient_id for d in duplicates if d.by_identifier]
    if holders and holders[0] in hidden:
        errors.append(problem("identifiers", REGISTERED_ELSEWHERE))
        told.append(holders[0])
    elif holders:
        errors.append(problem("identifiers", REGISTERED, id=holders[0]))
    if not errors and duplicates and not data.confirm_new:
        shown = [d.patient_id for d in duplicates if d.patient_id not in hidden]
        if shown:
            errors.append(problem("confirm_new", _ALIKE, ids=", ".join(map(str, shown))))
        else:
            errors.append(problem("confirm_new", _ALIKE_ELSEWHERE))
            told += sorted(hidden)
    if told:
        raise ProbeRefused(errors, "patients", told)
    refuse_any(errors)


def create_patient(*, db: Session, actor: Actor, data: PatientCreate) -> Patient:
    """Register a patient after the checks: the institution, the city, no duplicate."""
    _check_patient(db, actor, data)
    patient = Patient(
        names=data.names,
        birth_date=data.birth_date,
        sex=data.sex,
        phone=data.phone,
        languages=data.languages,
        home_city_id=data.home_city_id,
        institution_id=data.institution_id,
        identifiers=[
            PatientIdentifier(kind=i.kind, issuer=i.issuer or "", value=i.value)
            for i in data.identifiers
        ],
    )
    db.add(patient)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        # Registered by someone else between the duplicate check and this write: the unique
        # index says so. Without the chained error, so its SQL and values reach no log.
        raise UserError.one("identifiers", _REGISTERED_MEANWHILE) from None
    return patient


#: The refusal of a registration that lost a race on one of its identifiers.
_REGISTERED_MEANWHILE = N_(
    "This number was registered for another record a moment ago. Search for it before "
    "registering the patient again."
)


def merge_patients(*, db: Session, actor: Actor, keep: Patient, gone: Patient) -> Patient:
    """Merge a duplicate into the record kept, losing nothing; the caller loaded both for change.

    The duplicate's referrals (with their appointments, encounters, procedures and follow-ups),
    consents and identifiers move to the kept record; its names in languages the kept record
    lacks are added, other spellings become aliases; its row stays, pointing to the kept one.
    """
    if keep.id == gone.id:
        raise UserError.one("merge_id", N_("Choose another patient to merge."))
    if keep.merged_into_id is not None or gone.merged_into_id is not None:
        raise UserError.one("merge_id", N_("This patient was already merged into another."))
    _refuse_two_places(db, keep, gone)
    names = dict(keep.names)
    aliases = list(keep.aliases)
    for language, name in gone.names.items():
        if language not in names:
            names[language] = name
        elif name != names[language] and name not in aliases:
            aliases.append(name)
    aliases += [alias for alias in gone.aliases if alias not in aliases]
    keep.names, keep.aliases = names, aliases
    keep.languages = list(dict.fromkeys([*keep.languages, *gone.languages]))
    keep.phone = keep.phone or gone.phone
    keep.home_city_id = keep.home_city_id or gone.home_city_id
    moving: list[Referral | Consent | PatientIdentifier] = [
        *db.scalars(select(Referral).where(Referral.patient_id == gone.id)),
        *db.scalars(select(Consent).where(Consent.patient_id == gone.id)),
        *db.scalars(select(PatientIdentifier).where(PatientIdentifier.patient_id == gone.id)),
    ]
    for row in moving:
        row.patient_id = keep.id
    gone.merged_into_id = keep.id
    db.flush()
    db.expire(keep, ["identifiers"])
    audit.record(db, action="merge", entity="patients", entity_id=keep.id, note=f"{gone.id}")
    return keep


def _refuse_two_places(db: Session, keep: Patient, gone: Patient) -> None:
    """Refuse a merge that would put one patient twice on a waitlist: which of the two
    referrals to keep is the registrar's call, not the merge's."""
    waiting = (ReferralStatus.WAITING, ReferralStatus.BOOKED)
    places = select(Referral.program_id, Referral.specialty_id).where(
        Referral.patient_id.in_((keep.id, gone.id)), Referral.status.in_(waiting)
    )
    seen: set[tuple[int, int]] = set()
    for program_id, specialty_id in db.execute(places):
        if (program_id, specialty_id) in seen:
            raise UserError.one(
                "merge_id",
                N_(
                    "Both patients wait for the same specialty in the same program: withdraw "
                    "one of the two referrals first."
                ),
            )
        seen.add((program_id, specialty_id))


# --- consents -------------------------------------------------------------------------------


def record_consent(*, db: Session, actor: Actor, patient: Patient, data: ConsentCreate) -> Consent:
    """A patient's (or representative's) decision; the latest one per kind is in force."""
    consent = Consent(
        patient_id=patient.id,
        kind=data.kind,
        decision=data.decision,
        by_patient=data.by_patient,
        representative_name=data.representative_name,
        representative_relation=data.representative_relation,
        decided_at=data.decided_at or utcnow(),
        recorded_by_id=author_id(actor),
    )
    db.add(consent)
    db.flush()
    return consent


def consents_in_force(db: Session, patient_ids: Iterable[int]) -> dict[int, set[ConsentKind]]:
    """For each patient, the kinds of consent whose latest decision is 'given'."""
    ids = list(patient_ids)
    result: dict[int, set[ConsentKind]] = {patient_id: set() for patient_id in ids}
    if not ids:
        return result
    latest = (
        select(Consent.patient_id, Consent.kind, Consent.decision)
        .where(Consent.patient_id.in_(ids))
        .order_by(Consent.patient_id, Consent.kind, Consent.decided_at, Consent.id)
    )
    decided: dict[tuple[int, str], str] = {}
    for row_patient, row_kind, row_decision in db.execute(latest):
        decided[(row_patient, row_kind)] = row_decision
    for (patient_id, kind), decision in decided.items():
        if decision == ConsentDecision.GIVEN:
            result[patient_id].add(ConsentKind(kind))
    return result


def latest_decision(
    patient_id: int | SQLColumnExpression[int], kind: ConsentKind
) -> ScalarSelect[str]:
    """The patient's latest decision on one kind of consent: the one in force (or none)."""
    return (
        select(Consent.decision)
        .where(Consent.patient_id == patient_id, Consent.kind == kind)
        .order_by(Consent.decided_at.desc(), Consent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _decision(db: Session, patient_id: int, kind: ConsentKind) -> str | None:
    decision: str | None = db.scalar(select(latest_decision(patient_id, kind)))
    return decision


def has_consent(db: Session, patient_id: int, kind: ConsentKind) -> bool:
    return _decision(db, patient_id, kind) == ConsentDecision.GIVEN


def may_share_abroad(db: Session, patient_id: int) -> bool:
    """Whether the patient's data may go to the visiting institution abroad (FHIR exports)."""
    return has_consent(db, patient_id, ConsentKind.DATA_SHARING_ABROAD)


def shareable_abroad(db: Session, patient_ids: Iterable[int]) -> set[int]:
    """Of ``patient_ids``, those whose data may go abroad: exports leave the others out."""
    return {
        patient_id
        for patient_id, kinds in consents_in_force(db, patient_ids).items()
        if ConsentKind.DATA_SHARING_ABROAD in kinds
    }


_CONSENT_REQUIRED = {
    ConsentKind.TREATMENT: N_(
        "The patient has not given (or has withdrawn) consent to treatment: nothing can be "
        "booked or recorded for them."
    ),
    ConsentKind.TELEMEDICINE: N_(
        "The patient has not given (or has withdrawn) consent to telemedicine: choose an "
        "in-person follow-up."
    ),
}


def _require_consent(db: Session, patient_id: int, kind: ConsentKind, field: str) -> None:
    refuse_unless_given(_decision(db, patient_id, kind), kind, field)


def refuse_unless_given(decision: str | None, kind: ConsentKind, field: str) -> None:
    """Refuse, naming ``field``, unless the latest decision on ``kind`` is 'given'."""
    if decision != ConsentDecision.GIVEN:
        raise UserError.one(field, _CONSENT_REQUIRED[kind])


# --- referrals ------------------------------------------------------------------------------


def move_referral(db: Session, actor: Actor, referral: Referral, status: ReferralStatus) -> None:
    """Move a referral on the waitlist, remembering who did it and when."""
    if referral.status == status:
        return
    db.add(
        ReferralStatusChange(
            referral=referral, by_id=author_id(actor), from_status=referral.status, to_status=status
        )
    )
    referral.status = status


ALREADY_WAITING = N_("The patient already waits for this specialty in this program.")


def already_waiting(db: Session, patient_id: int, program_id: int, specialty_id: int) -> bool:
    """Whether the patient is on the program's waitlist for the specialty (waiting or booked)."""
    found = db.scalar(
        select(Referral.id).where(
            Referral.patient_id == patient_id,
            Referral.program_id == program_id,
            Referral.specialty_id == specialty_id,
            Referral.status.in_((ReferralStatus.WAITING, ReferralStatus.BOOKED)),
        )
    )
    return found is not None


def create_referral(*, db: Session, actor: Actor, data: ReferralCreate) -> Referral:
    """Put a patient on a program's waitlist for a specialty."""
    patient = get_for(db, actor, Patient, data.patient_id, Action.CHANGE)
    errors: list[FieldError] = []
    program = db.get(Program, data.program_id)
    choose = N_("Choose one of the offered values.")
    if program is None:
        errors.append(problem("program_id", choose))
    for field, model, record_id in (
        ("specialty_id", Specialty, data.specialty_id),
        ("referring_institution_id", Institution, data.referring_institution_id),
    ):
        if not _exists(db, model, record_id):
            errors.append(problem(field, choose))
    cities = list(db.scalars(select(City).where(City.id.in_(data.city_ids))))
    if len(cities) != len(set(data.city_ids)):
        errors.append(problem("city_ids", choose))
    if program is not None:
        outside = [day for day in data.days if not program.starts_on <= day <= program.ends_on]
        if outside:
            errors.append(
                problem(
                    "days",
                    N_("Choose days between %(first)s and %(last)s, the program's dates."),
                    first=program.starts_on.isoformat(),
                    last=program.ends_on.isoformat(),
                )
            )
    if patient.merged_into_id is not None:
        errors.append(problem("patient_id", N_("This patient was already merged into another.")))
    if already_waiting(db, patient.id, data.program_id, data.specialty_id):
        errors.append(problem("specialty_id", ALREADY_WAITING))
    refuse_any(errors)
    referral = Referral(
        patient_id=patient.id,
        program_id=data.program_id,
        specialty_id=data.specialty_id,
        reason=data.reason,
        icd10=data.icd10,
        priority=data.priority,
        referring_institution_id=data.referring_institution_id,
        days=sorted({day.isoformat() for day in data.days}),
        status=ReferralStatus.WAITING,
        cities=cities,
    )
    db.add(referral)
    db.add(
        ReferralStatusChange(referral=referral, by_id=author_id(actor), to_status=referral.status)
    )
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        # Put on the waitlist by someone else since the check above: the unique index says so.
        raise UserError.one("specialty_id", ALREADY_WAITING) from None
    return referral


def _referrals(actor: Actor, filters: WaitlistFilter) -> Select[Any]:
    """The referrals the actor may see, most urgent first, with what a row of the waitlist
    names loaded beside them, so that a page of them reads in a fixed number of queries."""
    stmt = (
        select(Referral)
        .options(
            selectinload(Referral.patient),
            selectinload(Referral.specialty),
            selectinload(Referral.referring_institution),
        )
        .order_by(Referral.priority.desc(), Referral.id)
    )
    return restrict(filters.apply(stmt), actor)


def list_referrals(
    *,
    db: Session,
    actor: Actor,
    program_id: int | None = None,
    patient_id: int | None = None,
    status: ReferralStatus | None = None,
    filters: WaitlistFilter | None = None,
) -> list[Referral]:
    """The waitlist as the actor may see it, most urgent first: narrowed by ``filters`` (the
    page and its download) or by the API's program, patient and status."""
    if filters is None:
        filters = WaitlistFilter(status=status, program=program_id)
    stmt = _referrals(actor, filters)
    if patient_id is not None:
        stmt = stmt.where(Referral.patient_id == patient_id)
    referrals = list(db.scalars(stmt))
    _shown(db, (referral.patient_id for referral in referrals), "waitlist")
    return referrals


def page_referrals(
    *, db: Session, actor: Actor, filters: WaitlistFilter, size: int
) -> Page[Referral]:
    """One page of the waitlist; only the patients shown are audited."""
    page: Page[Referral] = paginate(db, _referrals(actor, filters), number=filters.page, size=size)
    _shown(db, (referral.patient_id for referral in page.items), "waitlist")
    return page


def withdraw_referral(*, db: Session, actor: Actor, referral: Referral) -> Referral:
    """The patient no longer waits: any booking is cancelled, the slot freed."""
    for appointment in _active_appointments(db, referral.id):
        appointment.status = AppointmentStatus.CANCELLED
    move_referral(db, actor, referral, ReferralStatus.WITHDRAWN)
    db.flush()
    return referral


def waiting_for_program(*, db: Session, actor: Actor, program_id: int) -> list[WaitingPatient]:
    """The program's waiting referrals with consent to treatment, for the planning solver."""
    stmt = (
        select(Referral)
        .where(Referral.program_id == program_id, Referral.status == ReferralStatus.WAITING)
        .order_by(Referral.id)
    )
    referrals = list(db.scalars(restrict(stmt, actor)))
    consents = consents_in_force(db, {r.patient_id for r in referrals})
    return [
        WaitingPatient(
            referral_id=r.id,
            specialty=r.specialty.code,
            priority=r.priority,
            city_ids=tuple(city.id for city in r.cities),
            days=tuple(date.fromisoformat(day) for day in r.days),
        )
        for r in referrals
        if ConsentKind.TREATMENT in consents[r.patient_id]
    ]


# --- consultation sessions and slots ---------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One consultation slot of a session, with its appointment when taken."""

    index: int
    starts_at: datetime
    ends_at: datetime
    appointment: Appointment | None

    def local_start(self, zone: str) -> datetime:
        return self.starts_at.astimezone(ZoneInfo(zone))


def slot_minutes(db: Session, activity: Activity) -> int:
    setting = db.get(ConsultationSetting, activity.id)
    return setting.slot_minutes if setting is not None else DEFAULT_SLOT_MINUTES


def slot_start(db: Session, appointment: Appointment) -> datetime:
    """When the appointment's slot begins."""
    minutes = slot_minutes(db, appointment.activity)
    return appointment.activity.starts_at + timedelta(minutes=appointment.slot * minutes)


def slot_count(db: Session, activity: Activity) -> int:
    return slots_between(activity.starts_at, activity.ends_at, slot_minutes(db, activity))


def slots_between(starts_at: datetime, ends_at: datetime, minutes: int) -> int:
    """How many consultations fit in the session: its duration over the consultation length."""
    return int((ends_at - starts_at).total_seconds() / 60 // minutes)


def set_slot_minutes(*, db: Session, actor: Actor, activity: Activity, minutes: int) -> None:
    """Change how long one consultation of the session lasts; the caller loaded the activity for
    change (whoever plans the program)."""
    consultation_session(activity)
    if not 5 <= minutes <= 240:
        raise UserError.one("slot_minutes", N_("Must be at least %(ge)s."), ge=5)
    taken = db.scalar(
        select(func.max(Appointment.slot)).where(
            Appointment.activity_id == activity.id,
            ACTIVE,
        )
    )
    setting = db.get(ConsultationSetting, activity.id) or ConsultationSetting(
        activity_id=activity.id
    )
    setting.slot_minutes = minutes
    db.add(setting)
    if taken is not None and taken >= slot_count(db, activity):
        raise UserError.one(
            "slot_minutes", N_("Booked slots would fall outside the session; cancel them first.")
        )
    db.flush()


def consultation_session(activity: Activity) -> Activity:
    """The activity, when it is a consultation session; any other is not found as one."""
    if activity.kind != ActivityKind.CONSULTATION_SESSION:
        raise NotFound("consultation_sessions", activity.id)
    return activity


def _session(db: Session, actor: Actor, activity_id: int) -> Activity:
    return consultation_session(get_for(db, actor, Activity, activity_id))


def _active_appointments(db: Session, referral_id: int) -> list[Appointment]:
    return list(
        db.scalars(
            select(Appointment).where(
                Appointment.referral_id == referral_id,
                ACTIVE,
            )
        )
    )


def session_slots(db: Session, activity: Activity) -> list[Slot]:
    """Every slot of the session in order, with who holds it."""
    minutes = slot_minutes(db, activity)
    taken = {
        a.slot: a
        for a in db.scalars(
            select(Appointment).where(
                Appointment.activity_id == activity.id,
                ACTIVE,
            )
        )
    }
    return [
        Slot(
            index=index,
            starts_at=activity.starts_at + timedelta(minutes=index * minutes),
            ends_at=activity.starts_at + timedelta(minutes=(index + 1) * minutes),
            appointment=taken.get(index),
        )
        for index in range(slot_count(db, activity))
    ]


def consultation_sessions(
    *, db: Session, actor: Actor, program_id: int | None = None, specialty_id: int | None = None
) -> list[Activity]:
    """The consultation sessions the actor may see, in time order."""
    stmt = (
        select(Activity)
        .where(Activity.kind == ActivityKind.CONSULTATION_SESSION)
        .order_by(Activity.starts_at, Activity.id)
    )
    if program_id is not None:
        stmt = stmt.where(Activity.program_id == program_id)
    if specialty_id is not None:
        stmt = stmt.where(Activity.specialty_id == specialty_id)
    return list(db.scalars(restrict(stmt, actor)))


# --- the consultation day -------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInList:
    """A session's slots for the desk; only the patients the reader may see are named."""

    activity: Activity
    slots: list[Slot]
    visible: frozenset[int]

    def shows(self, appointment: Appointment) -> bool:
        return appointment.id in self.visible


def check_in_list(*, db: Session, actor: Actor, activity_id: int) -> CheckInList:
    """A session's slots with their patients, for the registrar's desk (audited as a view).

    Slots held by patients the reader may not see show as taken, without a name.
    """
    activity = _session(db, actor, activity_id)
    slots = session_slots(db, activity)
    held = [s.appointment.id for s in slots if s.appointment is not None]
    visible = frozenset(
        db.scalars(restrict(select(Appointment.id).where(Appointment.id.in_(held)), actor))
    )
    _shown(
        db,
        (
            s.appointment.referral.patient_id
            for s in slots
            if s.appointment and s.appointment.id in visible
        ),
        f"check-in list of session {activity.id}",
    )
    return CheckInList(activity, slots, visible)


def person_of(db: Session, actor: Actor) -> Person | None:
    """The directory person who is the acting user (a specialist leads activities as one)."""
    return db.scalar(select(Person).where(Person.user_id == author_id(actor)))


def todays_patients(*, db: Session, actor: Actor, day: date) -> list[tuple[Appointment, Slot]]:
    """The specialist's appointments of the day in sessions they lead, in slot order."""
    person = person_of(db, actor)
    if person is None:
        return []
    sessions = db.scalars(
        select(Activity)
        .join(activity_leads, activity_leads.c.activity_id == Activity.id)
        .where(
            activity_leads.c.person_id == person.id,
            Activity.kind == ActivityKind.CONSULTATION_SESSION,
        )
        .order_by(Activity.starts_at)
    )
    result: list[tuple[Appointment, Slot]] = []
    for activity in sessions:
        if activity.starts_at.astimezone(ZoneInfo(activity.city.timezone)).date() != day:
            continue
        for slot in session_slots(db, activity):
            if slot.appointment is not None:
                result.append((slot.appointment, slot))
    _shown(db, (appointment.referral.patient_id for appointment, _slot in result), "day list")
    return result


def record_encounter(*, db: Session, actor: Actor, data: EncounterCreate) -> Encounter:
    """The consultation took place: findings, diagnoses and the recommendation."""
    appointment = get_for(db, actor, Appointment, data.appointment_id, Action.CHANGE)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN):
        raise UserError.one(
            "appointment_id", N_("An encounter is recorded for a booked or checked-in patient.")
        )
    referral = appointment.referral
    require_clinician(db, actor, referral, Encounter.__tablename__)
    _require_consent(db, referral.patient_id, ConsentKind.TREATMENT, "appointment_id")
    if data.recommendation == Recommendation.TELECONSULTATION:
        _require_consent(db, referral.patient_id, ConsentKind.TELEMEDICINE, "recommendation")
    person = person_of(db, actor)
    encounter = Encounter(
        referral_id=referral.id,
        appointment_id=appointment.id,
        specialist_id=person.id if person is not None else None,
        occurred_at=utcnow(),
        findings=data.findings,
        recommendation=data.recommendation,
        recorded_by_id=author_id(actor),
        diagnoses=[
            Diagnosis(rank=rank, icd10=code) for rank, code in enumerate(data.diagnoses, start=1)
        ],
    )
    db.add(encounter)
    appointment.status = AppointmentStatus.SEEN
    move_referral(db, actor, referral, ReferralStatus.SEEN)
    db.flush()
    return encounter


def record_procedure(*, db: Session, actor: Actor, data: ProcedureCreate) -> Procedure:
    """An operation performed on a referred patient, by the named surgeons."""
    referral = get_for(db, actor, Referral, data.referral_id, Action.CHANGE)
    require_clinician(db, actor, referral, Procedure.__tablename__)
    errors: list[FieldError] = []
    activity = db.get(Activity, data.activity_id) if data.activity_id is not None else None
    if data.activity_id is not None and (
        activity is None
        or activity.kind not in OPERATION_KINDS
        or activity.program_id != referral.program_id
    ):
        errors.append(
            problem(
                "activity_id",
                N_("Choose a demonstration operation or an intervention of the program."),
            )
        )
    surgeons = list(db.scalars(select(Person).where(Person.id.in_(data.surgeon_ids))))
    if len(surgeons) != len(set(data.surgeon_ids)):
        errors.append(problem("surgeon_ids", N_("Choose one of the offered values.")))
    refuse_any(errors)
    _require_consent(db, referral.patient_id, ConsentKind.TREATMENT, "referral_id")
    procedure = Procedure(
        referral_id=referral.id,
        activity_id=data.activity_id,
        description=data.description,
        performed_on=data.performed_on,
        outcome=data.outcome,
        complications=data.complications,
        recorded_by_id=author_id(actor),
        surgeons=surgeons,
    )
    db.add(procedure)
    move_referral(db, actor, referral, ReferralStatus.OPERATED)
    db.flush()
    return procedure


def create_follow_up(*, db: Session, actor: Actor, data: FollowUpCreate) -> FollowUpTask:
    """Hand a patient's follow-up to a local institution; by telemedicine only with consent."""
    referral = get_for(db, actor, Referral, data.referral_id, Action.CHANGE)
    if not _exists(db, Institution, data.institution_id):
        raise UserError.one("institution_id", N_("Choose one of the offered values."))
    if data.kind == FollowUpKind.TELECONSULTATION:
        _require_consent(db, referral.patient_id, ConsentKind.TELEMEDICINE, "kind")
    task = FollowUpTask(
        referral_id=referral.id,
        institution_id=data.institution_id,
        kind=data.kind,
        due_on=data.due_on,
        notes=data.notes,
        recorded_by_id=author_id(actor),
    )
    db.add(task)
    db.flush()
    return task


def complete_follow_up(*, db: Session, actor: Actor, task: FollowUpTask) -> FollowUpTask:
    """The follow-up took place (the caller loaded it for change)."""
    if task.status != FollowUpStatus.OPEN:
        raise UserError.one("status", N_("This follow-up is already closed."))
    task.status = FollowUpStatus.DONE
    task.done_at = utcnow()
    db.flush()
    return task


def _follow_ups(actor: Actor, filters: FollowUpFilter, today: date) -> Select[Any]:
    """Follow-ups the actor may see, by due date, with their patients and institutions loaded
    beside them, so that a page of them reads in a fixed number of queries."""
    stmt = (
        select(FollowUpTask)
        .options(
            selectinload(FollowUpTask.referral).selectinload(Referral.patient),
            selectinload(FollowUpTask.institution),
        )
        .order_by(FollowUpTask.due_on, FollowUpTask.id)
    )
    return restrict(filters.apply(stmt, today), actor)


def follow_ups(
    *, db: Session, actor: Actor, today: date, filters: FollowUpFilter | None = None
) -> list[FollowUpTask]:
    """Follow-ups the actor may see, by due date, narrowed by ``filters`` (overdue: the open
    ones past due on ``today``)."""
    stmt = _follow_ups(actor, filters or FollowUpFilter(), today)
    tasks = list(db.scalars(stmt))
    _shown(db, (task.referral.patient_id for task in tasks), "follow-ups")
    return tasks


def page_follow_ups(
    *, db: Session, actor: Actor, today: date, filters: FollowUpFilter, size: int
) -> Page[FollowUpTask]:
    """One page of the follow-ups; only the patients shown are audited."""
    stmt = _follow_ups(actor, filters, today)
    page: Page[FollowUpTask] = paginate(db, stmt, number=filters.page, size=size)
    _shown(db, (task.referral.patient_id for task in page.items), "follow-ups")
    return page


def overdue_follow_ups(
    *, db: Session, actor: Actor, today: date, program_id: int | None = None
) -> int:
    """How many open follow-ups ``actor`` may see are past due, of one program or all: a count
    that names no patient, so unlike the list it is not a view of anyone's record."""
    stmt = select(FollowUpTask.id).where(
        FollowUpTask.status == FollowUpStatus.OPEN, FollowUpTask.due_on < today
    )
    if program_id is not None:
        stmt = stmt.join(Referral, Referral.id == FollowUpTask.referral_id).where(
            Referral.program_id == program_id
        )
    return db.scalar(select(func.count()).select_from(restrict(stmt, actor).subquery())) or 0


def waiting_at(db: Session, institution_ids: Collection[int]) -> int:
    """How many referrals of the institutions' patients wait for a consultation: the figure an
    institution's coordinator reads of their own house (as the reports give it), no names."""
    if not institution_ids:
        return 0
    stmt = (
        select(func.count(Referral.id))
        .join(Patient, Patient.id == Referral.patient_id)
        .where(
            Referral.status == ReferralStatus.WAITING,
            Patient.institution_id.in_(institution_ids),
        )
    )
    return db.scalar(stmt) or 0


# --- the record of one patient ---------------------------------------------------------------


@dataclass(frozen=True)
class PatientRecord:
    """Everything held about one patient, as shown on their page and exported on request."""

    patient: Patient
    consents: list[Consent]
    referrals: list[Referral]
    appointments: list[Appointment]
    encounters: list[Encounter]
    procedures: list[Procedure]
    follow_ups: list[FollowUpTask]

    def in_force(self) -> set[ConsentKind]:
        decided: dict[ConsentKind, ConsentDecision] = {}
        for consent in sorted(self.consents, key=lambda c: (c.decided_at, c.id)):
            decided[consent.kind] = consent.decision
        return {kind for kind, decision in decided.items() if decision == ConsentDecision.GIVEN}


def _of_referrals(db: Session, model: type[Any], referral_ids: list[int]) -> list[Any]:
    return list(
        db.scalars(select(model).where(model.referral_id.in_(referral_ids)).order_by(model.id))
    )


def patient_record(*, db: Session, actor: Actor, patient_id: int) -> PatientRecord:
    """A patient's whole record (the view is audited)."""
    patient = get_patient(db=db, actor=actor, patient_id=patient_id)
    referrals = list(
        db.scalars(select(Referral).where(Referral.patient_id == patient.id).order_by(Referral.id))
    )
    ids = [r.id for r in referrals]
    return PatientRecord(
        patient=patient,
        consents=list(
            db.scalars(
                select(Consent)
                .where(Consent.patient_id == patient.id)
                .order_by(Consent.decided_at, Consent.id)
            )
        ),
        referrals=referrals,
        appointments=_of_referrals(db, Appointment, ids),
        encounters=_of_referrals(db, Encounter, ids),
        procedures=_of_referrals(db, Procedure, ids),
        follow_ups=_of_referrals(db, FollowUpTask, ids),
    )


def export_record(*, db: Session, actor: Actor, patient_id: int) -> PatientExport:
    """A patient's whole record as JSON, for the patient's right of access (audited)."""
    record = patient_record(db=db, actor=actor, patient_id=patient_id)
    audit.record(db, action="export", entity="patients", entity_id=patient_id)
    return PatientExport(
        patient=PatientRead.model_validate(record.patient),
        consents=[ConsentRead.model_validate(c) for c in record.consents],
        referrals=[ReferralRead.model_validate(r) for r in record.referrals],
        status_history=[
            ReferralStatusChangeRead.model_validate(h) for r in record.referrals for h in r.history
        ],
        appointments=[AppointmentRead.model_validate(a) for a in record.appointments],
        encounters=[EncounterRead.model_validate(e) for e in record.encounters],
        procedures=[ProcedureRead.model_validate(p) for p in record.procedures],
        follow_ups=[FollowUpRead.model_validate(f) for f in record.follow_ups],
    )
