"""What the enum values of training are called on pages, marked for translation."""

from __future__ import annotations

from hamkor.core.i18n import N_
from hamkor.training.credentials.verify import Check
from hamkor.training.models import AttendanceMethod, CourseKind, EnrolmentStatus, SessionMode

COURSE_KIND: dict[CourseKind, str] = {
    CourseKind.MASTER_CLASS: N_("Master class"),
    CourseKind.PRACTICAL_TRAINING: N_("Practical training"),
    CourseKind.QUALIFICATION_COURSE: N_("Qualification course"),
}

ENROLMENT_STATUS: dict[EnrolmentStatus, str] = {
    EnrolmentStatus.REQUESTED: N_("Requested"),
    EnrolmentStatus.ENROLLED: N_("Enrolled"),
    EnrolmentStatus.WAITLISTED: N_("Waiting list"),
    EnrolmentStatus.WITHDRAWN: N_("Withdrawn"),
    EnrolmentStatus.COMPLETED: N_("Completed"),
    EnrolmentStatus.FAILED: N_("Not completed"),
}

ATTENDANCE_METHOD: dict[AttendanceMethod, str] = {
    AttendanceMethod.QR: N_("QR code"),
    AttendanceMethod.LIST: N_("List"),
    AttendanceMethod.ONLINE: N_("Online"),
}

SESSION_MODE: dict[SessionMode, str] = {
    SessionMode.IN_PERSON: N_("In person"),
    SessionMode.ONLINE: N_("Online"),
    SessionMode.HYBRID: N_("Hybrid (in person and online)"),
}

#: Languages of instruction offered in the course form (others may be given through the API).
LANGUAGE_NAMES: dict[str, str] = {
    "ru": "Русский",
    "uz": "Oʻzbekcha",
    "uz-Cyrl": "Ўзбекча",
    "kk": "Қазақша",
    "en": "English",
}

CERTIFICATE_CHECK: dict[Check, str] = {
    Check.FORMAT: N_("Format"),
    Check.ISSUER: N_("Issuer and key"),
    Check.SIGNATURE: N_("Signature"),
    Check.SCHEMA: N_("Open Badges 3.0 schema"),
    Check.DATES: N_("Validity dates"),
    Check.STATUS: N_("Revocation"),
}
