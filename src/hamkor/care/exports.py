"""Care's lists as files: the waitlist, a session's check-in list and the follow-ups.

These lists name patients: their rows come from the same service functions as the pages,
which apply care's access rules and write a view of each patient shown into the audit trail;
the download itself is recorded too (:func:`recorded`), with the list and the format, so
that "who took the waitlist home" has an answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from hamkor.care import labels
from hamkor.care.models import Appointment, FollowUpStatus, FollowUpTask, Referral
from hamkor.care.service import CheckInList, Slot
from hamkor.core import audit
from hamkor.core.exports import Column, ExportFormat, Kind, Listing, label_of, local, name_of, plain
from hamkor.core.i18n import N_, Translator

FREE = N_("Free")
TAKEN = N_("Taken")


def recorded(db: Session, listing: Listing[object], export: ExportFormat) -> None:
    """A patient list taken away as a file, in the audit trail beside its views."""
    audit.record(
        db, action="download", entity="patients", entity_id=None, note=f"{listing.slug}.{export}"
    )


WAITLIST: Listing[Referral] = Listing(
    title=N_("Waitlist"),
    slug="waitlist",
    columns=(
        Column(N_("Priority"), plain(lambda r: r.priority), Kind.INT, 9),
        Column(N_("Patient"), name_of(lambda r: r.patient.names), width=30),
        Column(N_("Specialty"), name_of(lambda r: r.specialty.names), width=26),
        Column(N_("ICD-10"), plain(lambda r: r.icd10), width=9),
        Column(N_("Reason"), plain(lambda r: r.reason), width=40),
        Column(N_("Referred by"), name_of(lambda r: r.referring_institution.names), width=36),
        Column(N_("Status"), label_of(labels.REFERRAL_STATUS, lambda r: r.status)),
    ),
)


@dataclass(frozen=True)
class CheckInRow:
    """A slot of the session; its appointment only when the reader may see the patient."""

    slot: Slot
    zone: str
    appointment: Appointment | None
    taken: bool


def check_in_rows(sheet: CheckInList) -> Iterator[CheckInRow]:
    """The check-in page's rows: a slot held by a patient the reader may not see is taken,
    without a name, as on the page."""
    zone = sheet.activity.city.timezone
    for slot in sheet.slots:
        held = slot.appointment
        shown = held if held is not None and sheet.shows(held) else None
        yield CheckInRow(slot, zone, shown, held is not None)


def _patient_or_slot(row: CheckInRow, translator: Translator) -> str:
    if row.appointment is not None:
        return translator.name(row.appointment.referral.patient.names)
    return translator.gettext(TAKEN if row.taken else FREE)


CHECK_IN: Listing[CheckInRow] = Listing(
    title=N_("Check-in list"),
    slug="check-in",
    columns=(
        Column(N_("Starts"), plain(lambda r: local(r.slot.starts_at, r.zone)), Kind.DATETIME, 17),
        Column(N_("Ends"), plain(lambda r: local(r.slot.ends_at, r.zone)), Kind.DATETIME, 17),
        Column(N_("Patient"), _patient_or_slot, width=30),
        Column(
            N_("Birth date"),
            plain(lambda r: r.appointment.referral.patient.birth_date if r.appointment else None),
            Kind.DATE,
            12,
        ),
        Column(
            N_("ICD-10"),
            plain(lambda r: r.appointment.referral.icd10 if r.appointment else None),
            width=9,
        ),
        Column(
            N_("Status"),
            label_of(
                labels.APPOINTMENT_STATUS,
                lambda r: r.appointment.status if r.appointment else None,
            ),
        ),
    ),
)


@dataclass(frozen=True)
class FollowUpRow:
    """A follow-up and whether it is overdue on the day the list was made."""

    task: FollowUpTask
    overdue: bool


def follow_up_rows(tasks: list[FollowUpTask], today: date) -> Iterator[FollowUpRow]:
    for task in tasks:
        yield FollowUpRow(task, task.status == FollowUpStatus.OPEN and task.due_on < today)


FOLLOW_UPS: Listing[FollowUpRow] = Listing(
    title=N_("Follow-ups"),
    slug="follow-ups",
    columns=(
        Column(N_("Due by"), plain(lambda r: r.task.due_on), Kind.DATE, 12),
        Column(N_("Overdue"), plain(lambda r: r.overdue), Kind.BOOL, 10),
        Column(N_("Patient"), name_of(lambda r: r.task.referral.patient.names), width=30),
        Column(N_("Institution"), name_of(lambda r: r.task.institution.names), width=36),
        Column(N_("Follow-up"), label_of(labels.FOLLOW_UP_KIND, lambda r: r.task.kind), width=20),
        Column(N_("Notes"), plain(lambda r: r.task.notes), width=40),
        Column(N_("Status"), label_of(labels.FOLLOW_UP_STATUS, lambda r: r.task.status)),
    ),
)
