"""Who may see and change patient records: the one rule every care query goes through.

A registrar sees the patients their institution registered and those booked into consultation
sessions it hosts (the check-in desk); a specialist the patients booked
into the consultation sessions they lead; a program coordinator the patients referred to their
program; a platform admin everyone. An auditor reads the audit trail and no patient data
(issue 4). Every row of care hangs off a patient, so one condition on patients scopes them all.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from hamkor.care.models import (
    ACTIVE_APPOINTMENT_STATUSES,
    Appointment,
    Consent,
    ConsultationSetting,
    Diagnosis,
    Encounter,
    FollowUpTask,
    Patient,
    PatientIdentifier,
    Procedure,
    Referral,
    ReferralStatusChange,
)
from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.models import Role
from hamkor.directory.models import Person
from hamkor.programs.access import program_changeable
from hamkor.programs.models import Activity, Program, activity_leads

#: Roles that handle patients at all; anybody else is refused before any query.
CARE_ROLES = (Role.REGISTRAR, Role.SPECIALIST, Role.PROGRAM_COORDINATOR)


def _booked_with(actor: Actor) -> Select[int]:
    """Patients with an active appointment in a session the actor (as a person) leads."""
    return (
        select(Referral.patient_id)
        .join(Appointment, Appointment.referral_id == Referral.id)
        .join(activity_leads, activity_leads.c.activity_id == Appointment.activity_id)
        .join(Person, Person.id == activity_leads.c.person_id)
        .where(
            Person.user_id == actor.user_id,
            Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES),
        )
    )


def _booked_at(institutions: set[int]) -> Select[int]:
    """Patients with an active appointment in a session the institutions host (their desk)."""
    return (
        select(Referral.patient_id)
        .join(Appointment, Appointment.referral_id == Referral.id)
        .join(Activity, Activity.id == Appointment.activity_id)
        .where(
            Activity.institution_id.in_(institutions),
            Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES),
        )
    )


def _patient_scope(actor: Actor, *, clinical: bool) -> ColumnElement[bool]:
    """The patients ``actor`` reaches; ``clinical`` adds the specialists' booked patients."""
    if actor.has_global(Role.PROGRAM_COORDINATOR):
        return true()
    clauses: list[ColumnElement[bool]] = []
    registrar_of = actor.institutions(Role.REGISTRAR)
    if registrar_of:
        clauses.append(
            Patient.id.in_(select(Patient.id).where(Patient.institution_id.in_(registrar_of)))
        )
    programs = actor.programs(Role.PROGRAM_COORDINATOR)
    if programs:
        clauses.append(
            Patient.id.in_(select(Referral.patient_id).where(Referral.program_id.in_(programs)))
        )
    if clinical and actor.has_role(Role.SPECIALIST):
        clauses.append(Patient.id.in_(_booked_with(actor)))
    return or_(*clauses) if clauses else false()


def patients_visible(actor: Actor) -> ColumnElement[bool]:
    return _patient_scope(actor, clinical=True)


def patients_changeable(actor: Actor) -> ColumnElement[bool]:
    """Registrars and coordinators keep the demographic record; specialists add clinical rows."""
    return _patient_scope(actor, clinical=False)


def _patient_ids(actor: Actor, *, clinical: bool) -> Select[int]:
    return select(Patient.id).where(_patient_scope(actor, clinical=clinical))


def _referral_ids(actor: Actor, *, clinical: bool) -> Select[int]:
    return select(Referral.id).where(
        Referral.patient_id.in_(_patient_ids(actor, clinical=clinical))
    )


def _by_patient(model: type[PatientIdentifier] | type[Consent] | type[Referral]) -> None:
    def view(actor: Actor) -> ColumnElement[bool]:
        return model.patient_id.in_(_patient_ids(actor, clinical=True))

    def change(actor: Actor) -> ColumnElement[bool]:
        return model.patient_id.in_(_patient_ids(actor, clinical=model is Referral))

    access.register(model, view=view, change=change)


def clinical_referrals(actor: Actor) -> ColumnElement[bool]:
    """The referrals whose clinical record (encounters, diagnoses, procedures) ``actor`` writes:
    those of the patients booked into sessions they lead. A registrar keeps the demographic
    record and the desk, a coordinator the program; neither writes findings (issue 15)."""
    if not actor.has_role(Role.SPECIALIST):
        return false()
    return Referral.patient_id.in_(_booked_with(actor))


def _by_referral(
    model: type[Appointment]
    | type[Encounter]
    | type[Procedure]
    | type[FollowUpTask]
    | type[ReferralStatusChange],
) -> None:
    def view(actor: Actor) -> ColumnElement[bool]:
        return model.referral_id.in_(_referral_ids(actor, clinical=True))

    def change(actor: Actor) -> ColumnElement[bool]:
        if model in (Encounter, Procedure):
            return model.referral_id.in_(select(Referral.id).where(clinical_referrals(actor)))
        return view(actor)

    access.register(model, view=view, change=change)


def _diagnoses(actor: Actor) -> ColumnElement[bool]:
    return Diagnosis.encounter_id.in_(
        select(Encounter.id).where(Encounter.referral_id.in_(_referral_ids(actor, clinical=True)))
    )


def _diagnoses_changeable(actor: Actor) -> ColumnElement[bool]:
    return Diagnosis.encounter_id.in_(
        select(Encounter.id).where(
            Encounter.referral_id.in_(select(Referral.id).where(clinical_referrals(actor)))
        )
    )


def require_clinician(db: Session, actor: Actor, referral: Referral, entity: str) -> None:
    """Refuse (audited) a clinical row for ``referral`` that ``actor`` may not write."""
    if actor.is_admin:
        return
    allowed = select(Referral.id).where(Referral.id == referral.id, clinical_referrals(actor))
    if db.scalar(allowed) is None:
        raise access.AccessDenied(entity, None, access.Action.CHANGE)


def _settings_changeable(actor: Actor) -> ColumnElement[bool]:
    """A session's slot length is set by whoever may change the program's activities."""
    programs = select(Program.id).where(program_changeable(actor))
    return ConsultationSetting.activity_id.in_(
        select(Activity.id).where(Activity.program_id.in_(programs))
    )


def register() -> None:
    access.register(Patient, view=patients_visible, change=patients_changeable)
    for by_patient in (PatientIdentifier, Consent, Referral):
        _by_patient(by_patient)
    for by_referral in (Appointment, Encounter, Procedure, FollowUpTask, ReferralStatusChange):
        _by_referral(by_referral)
    access.register(Diagnosis, view=_diagnoses, change=_diagnoses_changeable)
    access.register(ConsultationSetting, view=access.everyone, change=_settings_changeable)
