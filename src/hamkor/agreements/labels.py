"""What the enum values of agreements are called on pages, marked for translation."""

from __future__ import annotations

from hamkor.agreements.models import (
    AgreementKind,
    AgreementStatus,
    Confidentiality,
    DueAlert,
    ItemStatus,
)
from hamkor.core.i18n import N_

AGREEMENT_KIND: dict[AgreementKind, str] = {
    AgreementKind.MEMORANDUM: N_("Memorandum"),
    AgreementKind.COOPERATION_CONTRACT: N_("Cooperation contract"),
    AgreementKind.EXTENSION: N_("Extension"),
    AgreementKind.AMENDMENT: N_("Amendment"),
    AgreementKind.ROADMAP: N_("Roadmap"),
    AgreementKind.OTHER: N_("Other"),
}

AGREEMENT_STATUS: dict[AgreementStatus, str] = {
    AgreementStatus.DRAFT: N_("Draft"),
    AgreementStatus.NEGOTIATING: N_("Negotiating"),
    AgreementStatus.SIGNED: N_("Signed"),
    AgreementStatus.IN_FORCE: N_("In force"),
    AgreementStatus.EXPIRED: N_("Expired"),
    AgreementStatus.TERMINATED: N_("Terminated"),
}

CONFIDENTIALITY: dict[Confidentiality, str] = {
    Confidentiality.PROGRAM: N_("Every user of the program"),
    Confidentiality.PARTIES: N_("The parties' people only"),
}

ITEM_STATUS: dict[ItemStatus, str] = {
    ItemStatus.PLANNED: N_("Planned"),
    ItemStatus.IN_PROGRESS: N_("In progress"),
    ItemStatus.DONE: N_("Done"),
    ItemStatus.CANCELLED: N_("Cancelled"),
}

DUE_ALERT: dict[DueAlert, str] = {
    DueAlert.DUE_SOON: N_("Due soon"),
    DueAlert.OVERDUE: N_("Late"),
}
