"""The main menu: each link shown only to those the page behind it lets in (issue 20).

Each entry asks the same question the page asks before it answers (the audit trail refuses
all but auditors with ``require_auditor``, which asks ``may_read_trail``), or, for pages that
show every reader their own rows, whether the reader's roles reach any row there: a
trainee's patient list would be empty. The base template lists ``entries(actor)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hamkor.care.access import CARE_ROLES
from hamkor.core.access import Actor
from hamkor.core.audit_query import may_read_trail
from hamkor.core.i18n import N_
from hamkor.telemedicine.access import ASKING_ROLES, ASSIGNEE_ROLES


@dataclass(frozen=True)
class Entry:
    """A link of the menu: its address, its label (translated when shown), who sees it."""

    href: str
    label: str
    shown_to: Callable[[Actor], bool]


def _anyone(_actor: Actor) -> bool:
    return True


def _handles_patients(actor: Actor) -> bool:
    return actor.is_admin or actor.has_role(*CARE_ROLES)


def _teleconsults(actor: Actor) -> bool:
    return actor.is_admin or actor.has_role(*ASKING_ROLES, *ASSIGNEE_ROLES)


ENTRIES = (
    Entry("/programs", N_("Programs"), _anyone),
    Entry("/dashboard", N_("Dashboard"), _anyone),
    Entry("/training", N_("Training"), _anyone),
    Entry("/certificates", N_("Certificates"), _anyone),
    Entry("/agreements", N_("Agreements"), _anyone),
    Entry("/directory/institutions", N_("Directory"), _anyone),
    Entry("/care/patients", N_("Patients"), _handles_patients),
    Entry("/telemedicine", N_("Teleconsultations"), _teleconsults),
    Entry("/audit", N_("Audit trail"), may_read_trail),
)


def entries(actor: Actor) -> list[Entry]:
    """The links of the menu ``actor`` may follow."""
    return [entry for entry in ENTRIES if entry.shown_to(actor)]
