"""What the enum values of care are called on pages, marked for translation."""

from __future__ import annotations

from hamkor.care.models import (
    AppointmentStatus,
    ConsentDecision,
    ConsentKind,
    FollowUpKind,
    FollowUpStatus,
    IdentifierKind,
    ProcedureOutcome,
    Recommendation,
    ReferralStatus,
    Sex,
)
from hamkor.core.i18n import N_

SEX: dict[Sex, str] = {
    Sex.FEMALE: N_("Female"),
    Sex.MALE: N_("Male"),
    Sex.OTHER: N_("Other"),
    Sex.UNKNOWN: N_("Unknown"),
}

IDENTIFIER_KIND: dict[IdentifierKind, str] = {
    IdentifierKind.UZ_PINFL: N_("PINFL (Uzbekistan)"),
    IdentifierKind.KZ_IIN: N_("IIN (Kazakhstan)"),
    IdentifierKind.PASSPORT: N_("Passport"),
}

CONSENT_KIND: dict[ConsentKind, str] = {
    ConsentKind.TREATMENT: N_("Treatment"),
    ConsentKind.DATA_SHARING_ABROAD: N_("Sharing data with the visiting institution abroad"),
    ConsentKind.TELEMEDICINE: N_("Telemedicine"),
}

CONSENT_DECISION: dict[ConsentDecision, str] = {
    ConsentDecision.GIVEN: N_("Given"),
    ConsentDecision.WITHDRAWN: N_("Withdrawn"),
}

REFERRAL_STATUS: dict[ReferralStatus, str] = {
    ReferralStatus.WAITING: N_("Waiting"),
    ReferralStatus.BOOKED: N_("Booked"),
    ReferralStatus.SEEN: N_("Seen"),
    ReferralStatus.OPERATED: N_("Operated"),
    ReferralStatus.CLOSED: N_("Closed"),
    ReferralStatus.WITHDRAWN: N_("Withdrawn"),
}

APPOINTMENT_STATUS: dict[AppointmentStatus, str] = {
    AppointmentStatus.BOOKED: N_("Booked"),
    AppointmentStatus.CHECKED_IN: N_("Checked in"),
    AppointmentStatus.SEEN: N_("Seen"),
    AppointmentStatus.NO_SHOW: N_("Did not come"),
    AppointmentStatus.CANCELLED: N_("Cancelled"),
}

RECOMMENDATION: dict[Recommendation, str] = {
    Recommendation.OPERATION: N_("Operation"),
    Recommendation.CONSERVATIVE: N_("Conservative treatment"),
    Recommendation.FOLLOW_UP_HOME: N_("Follow-up at home"),
    Recommendation.TELECONSULTATION: N_("Teleconsultation"),
}

PROCEDURE_OUTCOME: dict[ProcedureOutcome, str] = {
    ProcedureOutcome.SUCCESSFUL: N_("Successful"),
    ProcedureOutcome.PARTIALLY_SUCCESSFUL: N_("Partially successful"),
    ProcedureOutcome.UNSUCCESSFUL: N_("Unsuccessful"),
}

FOLLOW_UP_KIND: dict[FollowUpKind, str] = {
    FollowUpKind.IN_PERSON: N_("In person"),
    FollowUpKind.TELECONSULTATION: N_("Teleconsultation"),
}

FOLLOW_UP_STATUS: dict[FollowUpStatus, str] = {
    FollowUpStatus.OPEN: N_("Open"),
    FollowUpStatus.DONE: N_("Done"),
    FollowUpStatus.CANCELLED: N_("Cancelled"),
}

#: Languages patients speak, offered at intake (ISO 639).
PATIENT_LANGUAGES: dict[str, str] = {
    "uz": N_("Uzbek"),
    "kaa": N_("Karakalpak"),
    "ru": N_("Russian"),
    "kk": N_("Kazakh"),
    "tg": N_("Tajik"),
    "ky": N_("Kyrgyz"),
    "tk": N_("Turkmen"),
    "en": N_("English"),
}
