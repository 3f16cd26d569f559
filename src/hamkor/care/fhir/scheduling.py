"""Consultation sessions as FHIR Schedules with their Slots, and bookings as Appointments.

A session's slots are not rows of ours: slot ``n`` starts ``n × slot_minutes`` after the
session starts (``care.models.Appointment``). Each becomes a Slot with the id
``<session>-<n>``, busy when an active appointment holds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hamkor.care.fhir.directory import city_id, room_id, specialty_concept
from hamkor.care.fhir.resources import Resource, identifier, reference
from hamkor.care.fhir.terms import sid
from hamkor.care.models import Appointment, AppointmentStatus
from hamkor.care.service import Slot
from hamkor.core.i18n import DEFAULT_LANGUAGE, localized
from hamkor.programs.models import Activity

APPOINTMENT_STATUSES: dict[AppointmentStatus, str] = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.SEEN: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow",
    AppointmentStatus.CANCELLED: "cancelled",
}


def slot_id(activity_id: int, slot: int) -> str:
    return f"{activity_id}-{slot}"


def slot_bounds(activity: Activity, slot: int, minutes: int) -> tuple[datetime, datetime]:
    """When slot ``slot`` of a session with slots of ``minutes`` starts and ends."""
    start = activity.starts_at + timedelta(minutes=slot * minutes)
    return start, start + timedelta(minutes=minutes)


def _place(activity: Activity) -> Resource:
    """The session's room, else its city."""
    if activity.room is not None:
        return reference("Location", room_id(activity.room))
    return reference("Location", city_id(activity.city))


def schedule(activity: Activity) -> Resource:
    return {
        "resourceType": "Schedule",
        "id": str(activity.id),
        "identifier": [identifier(sid("activity"), activity.id)],
        "active": True,
        "specialty": [specialty_concept(activity.specialty)] if activity.specialty else [],
        "actor": [
            *(reference("PractitionerRole", lead.id) for lead in activity.leads),
            _place(activity),
        ],
        "planningHorizon": {"start": activity.starts_at, "end": activity.ends_at},
        "comment": localized(activity.titles, DEFAULT_LANGUAGE),
    }


def slot(activity: Activity, found: Slot) -> Resource:
    """One slot of a session: busy when an active appointment holds it."""
    return {
        "resourceType": "Slot",
        "id": slot_id(activity.id, found.index),
        "schedule": reference("Schedule", activity.id),
        "status": "free" if found.appointment is None else "busy",
        "start": found.starts_at,
        "end": found.ends_at,
    }


def appointment(booking: Appointment, minutes: int) -> Resource:
    activity = booking.activity
    start, end = slot_bounds(activity, booking.slot, minutes)
    participants = [
        reference("Patient", booking.referral.patient_id),
        *(reference("PractitionerRole", lead.id) for lead in activity.leads),
        _place(activity),
    ]
    return {
        "resourceType": "Appointment",
        "id": str(booking.id),
        "identifier": [identifier(sid("appointment"), booking.id)],
        "status": APPOINTMENT_STATUSES[booking.status],
        "specialty": [specialty_concept(activity.specialty)] if activity.specialty else [],
        "start": start,
        "end": end,
        "minutesDuration": minutes,
        "slot": [reference("Slot", slot_id(activity.id, booking.slot))],
        "created": booking.created_at,
        "basedOn": [reference("ServiceRequest", booking.referral_id)],
        "participant": [
            {"actor": actor, "required": "required", "status": "accepted"} for actor in participants
        ],
    }
