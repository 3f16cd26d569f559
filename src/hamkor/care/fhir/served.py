"""The resources served under /fhir: their model, search parameters and how a page is built.

One declaration per resource type feeds the routes, the searches and the CapabilityStatement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, literal, select, true

from hamkor.care.fhir.patients import patient
from hamkor.care.fhir.referrals import REQUEST_STATUSES, service_request
from hamkor.care.fhir.resources import Resource
from hamkor.care.fhir.scheduling import APPOINTMENT_STATUSES, appointment, slot_bounds
from hamkor.care.fhir.search import (
    DateRange,
    SearchParam,
    Token,
    own_id,
    reference_id,
    refuse,
)
from hamkor.care.fhir.terms import identifier_kind, sid
from hamkor.care.models import (
    Appointment,
    ConsultationSetting,
    Patient,
    PatientIdentifier,
    Referral,
)
from hamkor.care.service import DEFAULT_SLOT_MINUTES
from hamkor.core.db import Base
from hamkor.core.i18n import N_
from hamkor.programs.models import Activity

#: A row of a search: the record, and what its resource needs besides (a slot length).
Row = tuple[Any, Any]


def minutes_column() -> ColumnElement[int]:
    """A session's slot length (the default where none was set), for a query joining it."""
    return func.coalesce(ConsultationSetting.slot_minutes, DEFAULT_SLOT_MINUTES)


@dataclass(frozen=True)
class Served:
    """A resource type we serve: read by id and searched by ``params``.

    ``statement`` selects rows of (record, extra); ``build`` makes the resource of a row.
    """

    resource_type: str
    model: type[Base]
    params: tuple[SearchParam, ...]
    statement: Callable[[], Select[Any, Any]]
    build: Callable[[Row], Resource]
    documentation: str
    #: The patient a record is about, for the audit trail of who saw whom.
    patient_of: Callable[[Any], int]


def _own_id(system: str, token: Token, column: Any) -> ColumnElement[bool] | None:
    """The condition of a token on our own record id, or ``None`` when it is another system."""
    if token.system != system and not token.any_system:
        return None
    if token.value is None:
        return true()
    return column == own_id(token.value) if own_id(token.value) else false()


def _patient_identifier(name: str, text: str) -> ColumnElement[bool]:
    token = Token.parse(name, text)
    own = _own_id(sid("patient"), token, Patient.id)
    national = select(PatientIdentifier.patient_id)
    if token.value is not None:
        national = national.where(PatientIdentifier.value == token.value.strip().upper())
    if not token.any_system:
        kind = identifier_kind(token.system or "")
        if kind is None:
            return own if own is not None else false()
        national = national.where(
            PatientIdentifier.kind == kind[0], PatientIdentifier.issuer == kind[1]
        )
    in_national = Patient.id.in_(national)
    return in_national if own is None else own | in_national


def _record_identifier(system: str, column: Any) -> Callable[[str, str], ColumnElement[bool]]:
    def condition(name: str, text: str) -> ColumnElement[bool]:
        found = _own_id(system, Token.parse(name, text), column)
        return false() if found is None else found

    return condition


def _status(mapping: dict[Any, str], column: Any) -> Callable[[str, str], ColumnElement[bool]]:
    def condition(name: str, text: str) -> ColumnElement[bool]:
        ours = [status for status, code in mapping.items() if code == text]
        if not ours:
            raise refuse(
                name,
                N_("Unknown status; the statuses are: %(codes)s."),
                codes=", ".join(sorted(set(mapping.values()))),
            )
        condition: ColumnElement[bool] = column.in_(ours)
        return condition

    return condition


def _patient_of(column: Any) -> Callable[[str, str], ColumnElement[bool]]:
    def condition(name: str, text: str) -> ColumnElement[bool]:
        found = reference_id(name, text, "Patient")
        return false() if found is None else column == found

    return condition


def _birthdate(name: str, text: str) -> ColumnElement[bool]:
    return DateRange.parse(name, text).on_dates(Patient.birth_date)


def _authored(name: str, text: str) -> ColumnElement[bool]:
    return DateRange.parse(name, text).on_instants(Referral.created_at)


def _appointment_window(name: str, text: str) -> ColumnElement[bool]:
    wanted = DateRange.parse(name, text)
    return Appointment.activity_id.in_(
        select(Activity.id).where(wanted.around_windows(Activity.starts_at, Activity.ends_at))
    )


def _appointment_start(name: str, text: str) -> Callable[[Row], bool]:
    wanted = DateRange.parse(name, text)

    def test(row: Row) -> bool:
        booking, minutes = row
        start: datetime = slot_bounds(booking.activity, booking.slot, minutes)[0]
        return wanted.holds(start)

    return test


def _appointments() -> Select[Any, Any]:
    return select(Appointment, minutes_column()).outerjoin(
        ConsultationSetting, ConsultationSetting.activity_id == Appointment.activity_id
    )


PATIENT = Served(
    resource_type="Patient",
    model=Patient,
    params=(
        SearchParam(
            "identifier",
            "token",
            "A national identifier (PINFL, IIN, passport) or the Hamkor id: system|value.",
            _patient_identifier,
        ),
        SearchParam(
            "birthdate", "date", "Birth date, with the prefixes eq ne gt lt ge le.", _birthdate
        ),
    ),
    statement=lambda: select(Patient, literal(None)),
    build=lambda row: patient(row[0]),
    documentation="Patients registered by host institutions.",
    patient_of=lambda patient: int(patient.id),
)

APPOINTMENT = Served(
    resource_type="Appointment",
    model=Appointment,
    params=(
        SearchParam(
            "identifier",
            "token",
            "The Hamkor id of the booking: system|value.",
            _record_identifier(sid("appointment"), Appointment.id),
        ),
        SearchParam(
            "date",
            "date",
            "Start of the booked slot (UTC when no zone is given), with prefixes.",
            _appointment_window,
            _appointment_start,
        ),
        SearchParam(
            "status",
            "token",
            "booked, checked-in, fulfilled, noshow or cancelled.",
            _status(APPOINTMENT_STATUSES, Appointment.status),
        ),
        SearchParam(
            "patient",
            "reference",
            "The patient booked: Patient/<id>.",
            lambda name, text: Appointment.referral_id.in_(
                select(Referral.id).where(_patient_of(Referral.patient_id)(name, text))
            ),
        ),
    ),
    statement=_appointments,
    build=lambda row: appointment(*row),
    documentation="Bookings of referrals into slots of consultation sessions.",
    patient_of=lambda appointment: int(appointment.referral.patient_id),
)

SERVICE_REQUEST = Served(
    resource_type="ServiceRequest",
    model=Referral,
    params=(
        SearchParam(
            "identifier",
            "token",
            "The Hamkor id of the referral: system|value.",
            _record_identifier(sid("referral"), Referral.id),
        ),
        SearchParam(
            "authored",
            "date",
            "When the referral entered Hamkor's waitlist, with prefixes.",
            _authored,
        ),
        SearchParam(
            "status",
            "token",
            "active (waiting or booked), completed (seen, operated, closed) or revoked.",
            _status(REQUEST_STATUSES, Referral.status),
        ),
        SearchParam(
            "patient",
            "reference",
            "The patient referred: Patient/<id>.",
            _patient_of(Referral.patient_id),
        ),
    ),
    statement=lambda: select(Referral, literal(None)),
    build=lambda row: service_request(row[0]),
    documentation="Referrals of patients to a visiting specialty (the waitlist).",
    patient_of=lambda referral: int(referral.patient_id),
)

SERVED: dict[str, Served] = {
    served.resource_type: served for served in (PATIENT, APPOINTMENT, SERVICE_REQUEST)
}
