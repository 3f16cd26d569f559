"""What the audit trail calls its tables and fields in the reader's language, and where a
recorded row can be opened (issue 20).

The trail stores table and column names, which stay stable while the words change; the page
and its file translate them here. The labels are those the forms and lists already use, so an
auditor reads "Starts on" where the coordinator typed it. A table or field not named here is
shown as stored: better an exact technical name than a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hamkor.core.i18n import N_, Translator

#: Each audited table by the kind of record it holds.
ENTITIES: Final[Mapping[str, str]] = {
    "activities": N_("Activity"),
    "activity_leads": N_("Leads"),
    "agreement_parties": N_("Parties"),
    "agreements": N_("Agreement"),
    "api_tokens": N_("API tokens"),
    "appointments": N_("Appointments"),
    "attachments": N_("Files"),
    "awards": N_("Awards"),
    "cities": N_("City"),
    "consents": N_("Consents"),
    "countries": N_("Country"),
    "delegations": N_("Brigade"),
    "diagnoses": N_("Diagnoses"),
    "encounters": N_("Consultations"),
    "follow_up_tasks": N_("Follow-ups"),
    "institutions": N_("Institution"),
    "jobs": N_("Jobs"),
    "memberships": N_("Memberships"),
    "notifications": N_("Notifications"),
    "participations": N_("Participants"),
    "patients": N_("Patient"),
    "people": N_("Person"),
    "planning_requests": N_("Planning requests"),
    "planning_runs": N_("Plan runs"),
    "procedures": N_("Operations"),
    "programs": N_("Program"),
    "referrals": N_("Referral"),
    "report_targets": N_("Targets"),
    "roadmap_items": N_("Roadmap items"),
    "roadmap_milestones": N_("Milestone"),
    "rooms": N_("Room"),
    "specialties": N_("Specialty"),
    "telemedicine_abroad_referrals": N_("Referrals abroad"),
    "telemedicine_abroad_steps": N_("Referrals abroad"),
    "telemedicine_cases": N_("Teleconsultations"),
    "telemedicine_messages": N_("Messages"),
    "training_attendance": N_("Attendance"),
    "training_cascade_sessions": N_("Cascade sessions"),
    "training_courses": N_("Course"),
    "training_credentials": N_("Certificate"),
    "training_enrolments": N_("Enrolments"),
    "training_mentorships": N_("Mentorships"),
    "training_sessions": N_("Session"),
    "travel_times": N_("Travel times"),
    "users": N_("User"),
}

#: Column names, the same word in every table that has them.
FIELDS: Final[Mapping[str, str]] = {
    "activity_id": N_("Activity"),
    "agreement_id": N_("Agreement"),
    "answer": N_("Answer"),
    "answered_at": N_("Answered"),
    "arrival_city_id": N_("Arrives in"),
    "arrives_at": N_("Arrives at"),
    "asked_by_id": N_("Asked by"),
    "at": N_("When"),
    "birth_date": N_("Birth date"),
    "by_id": N_("By"),
    "capacity": N_("Capacity"),
    "case_id": N_("Case"),
    "centre_id": N_("Centre asked"),
    "city_id": N_("City"),
    "clinical_summary": N_("Clinical summary"),
    "closed_at": N_("Closed"),
    "code": N_("Code"),
    "completed_at": N_("Completed"),
    "complications": N_("Complications"),
    "country_id": N_("Country"),
    "course_id": N_("Course"),
    "created_at": N_("Created at"),
    "decision": N_("Decision"),
    "delegation_id": N_("Brigade"),
    "departs_at": N_("Departs at"),
    "departure_city_id": N_("Departs from"),
    "description": N_("Description"),
    "display_name": N_("Name"),
    "due_on": N_("Due on"),
    "email": N_("E-mail"),
    "ends_at": N_("Ends at"),
    "ends_on": N_("Ends on"),
    "escalated_at": N_("Escalated at"),
    "findings": N_("Findings"),
    "from_status": N_("From"),
    "guest_country_id": N_("Guest country"),
    "home_city_id": N_("Home city"),
    "host_country_id": N_("Host country"),
    "host_institution_id": N_("Held at"),
    "hours": N_("Hours"),
    "id": N_("Record"),
    "indicator_key": N_("Indicator"),
    "institution_id": N_("Institution"),
    "issuer_institution_id": N_("Issuing institution"),
    "kind": N_("Kind"),
    "language": N_("Language"),
    "latitude": N_("Latitude"),
    "link": N_("Link"),
    "longitude": N_("Longitude"),
    "mentee_id": N_("Mentee"),
    "mentor_id": N_("Mentor"),
    "message": N_("Message"),
    "minutes": N_("Minutes"),
    "name": N_("Name"),
    "names": N_("Names"),
    "note": N_("Note"),
    "notes": N_("Notes"),
    "number": N_("Number"),
    "objective": N_("Objective"),
    "outcome": N_("Outcome"),
    "owner_institution_id": N_("Owner institution"),
    "owner_person_id": N_("Owner"),
    "password_hash": N_("Password"),
    "patient_id": N_("Patient"),
    "person_id": N_("Person"),
    "phone": N_("Phone"),
    "position": N_("Position"),
    "priority": N_("Priority"),
    "program_id": N_("Program"),
    "question": N_("Question"),
    "read_at": N_("Read at"),
    "reason": N_("Reason"),
    "recommendation": N_("Recommendation"),
    "referral_id": N_("Referral"),
    "referring_institution_id": N_("Referring institution"),
    "revoked_at": N_("Revoked"),
    "role": N_("Role"),
    "room_id": N_("Room"),
    "room_kind": N_("Room kind"),
    "score": N_("Score"),
    "session_id": N_("Session"),
    "sex": N_("Sex"),
    "signed_on": N_("Signed on"),
    "specialist_id": N_("Specialist"),
    "specialty": N_("Specialty"),
    "specialty_id": N_("Specialty"),
    "started_at": N_("Started"),
    "starts_at": N_("Starts at"),
    "starts_on": N_("Starts on"),
    "status": N_("Status"),
    "target": N_("Target"),
    "timezone": N_("Time zone"),
    "title": N_("Title"),
    "titles": N_("Title"),
    "to_status": N_("To"),
    "topic": N_("Topic"),
    "topics": N_("Topics"),
    "updated_at": N_("Changed at"),
    "urgency": N_("Urgency"),
    "user_id": N_("User"),
    "username": N_("User"),
    "valid_from": N_("Valid from"),
    "valid_until": N_("Valid until"),
    "value": N_("Value"),
    "weight": N_("Weight"),
}

#: Where a record of each table has its own page, by its id.
PAGES: Final[Mapping[str, str]] = {
    "activities": "/activities/{id}/edit",
    "agreements": "/agreements/{id}",
    "cities": "/directory/cities/{id}",
    "countries": "/directory/countries/{id}",
    "institutions": "/directory/institutions/{id}",
    "patients": "/care/patients/{id}",
    "people": "/directory/people/{id}",
    "planning_runs": "/planning/runs/{id}",
    "programs": "/programs/{id}",
    "rooms": "/directory/rooms/{id}",
    "telemedicine_cases": "/telemedicine/{id}",
    "training_courses": "/training/courses/{id}",
    "training_sessions": "/training/sessions/{id}",
}


def entity_label(translator: Translator, entity: str) -> str:
    """The kind of record a table holds, in the reader's language (else the table's name)."""
    label = ENTITIES.get(entity)
    return translator.gettext(label) if label else entity


def field_label(translator: Translator, field: str) -> str:
    """A column's name as the forms call it, in the reader's language (else as stored)."""
    label = FIELDS.get(field)
    return translator.gettext(label) if label else field


def page_of(entity: str, entity_id: str | None) -> str | None:
    """The address of the recorded row's page, when it has one and the entry names the row."""
    template = PAGES.get(entity)
    if template is None or not entity_id or not entity_id.isdigit():
        return None
    return template.format(id=entity_id)
