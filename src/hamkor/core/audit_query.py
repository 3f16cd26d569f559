"""Reading the audit trail: filters shared by the auditors' page and the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ValidationInfo, field_validator
from sqlalchemy import Select, select

from hamkor.core.access import AccessDenied, Action, Actor
from hamkor.core.audit_labels import entity_label, field_label
from hamkor.core.dates import OptionalSearchDate
from hamkor.core.errors import invalid
from hamkor.core.exports import Column, Kind, Listing, local, plain
from hamkor.core.i18n import N_, Translator
from hamkor.core.models import AuditEntry, Role
from hamkor.core.text import SearchQuery

#: What each action of the trail is called on the page.
ACTION_LABELS = {
    "create": N_("created"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    "view": N_("viewed"),
    "denied": N_("access denied"),
    "login": N_("logged in"),
    "logout": N_("logged out"),
    "import": N_("imported"),
    "download": N_("downloaded"),
    "cancel": N_("cancelled"),
    "probe": N_("ran a worker probe"),
}


class AuditFilter(BaseModel):
    """What an auditor narrows the trail by; every field is optional."""

    actor: SearchQuery = None
    action: SearchQuery = None
    entity: SearchQuery = None
    entity_id: SearchQuery = None
    since: OptionalSearchDate = None
    until: OptionalSearchDate = None
    page: int = 1

    @field_validator("until")
    @classmethod
    def _not_before_since(cls, until: date | None, info: ValidationInfo) -> date | None:
        """A range ending before it starts finds nothing; say so rather than show no rows."""
        since = info.data.get("since")
        if until is not None and since is not None and until < since:
            raise invalid(N_("The range cannot end before it starts."))
        return until

    def statement(self) -> Select[Any]:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
        if self.actor:
            stmt = stmt.where(AuditEntry.actor_name == self.actor)
        if self.action:
            stmt = stmt.where(AuditEntry.action == self.action)
        if self.entity:
            stmt = stmt.where(AuditEntry.entity == self.entity)
        if self.entity_id:
            stmt = stmt.where(AuditEntry.entity_id == self.entity_id)
        if self.since:
            stmt = stmt.where(AuditEntry.at >= datetime.combine(self.since, time(), UTC))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
            stmt = stmt.where(AuditEntry.at < end)
        return stmt


def may_read_trail(actor: Actor) -> bool:
    """Only auditors and platform admins read the trail."""
    return actor.is_admin or actor.has_role(Role.AUDITOR)


def require_auditor(actor: Actor) -> None:
    """Refuse anyone but those who may read the trail (:func:`may_read_trail`)."""
    if not may_read_trail(actor):
        raise AccessDenied(AuditEntry.__tablename__, None, Action.VIEW)


def _changes(entry: AuditEntry, translator: Translator) -> str:
    """The changes of an entry as the page shows them: ``field: old → new`` (an update),
    ``field: value`` (a record created or deleted), one per line, fields named for the reader."""
    lines = []
    for key, change in entry.changes.items():
        label = field_label(translator, key)
        if isinstance(change, str):
            lines.append(label)
            continue
        old, new = change
        if old is None and new is None:
            continue
        shown_new = "—" if new is None else str(new)
        if entry.action == "update":
            lines.append(f"{label}: {'—' if old is None else old} → {shown_new}")
        else:
            lines.append(f"{label}: {shown_new}")
    return "\n".join(lines)


def _action(entry: AuditEntry, translator: Translator) -> str:
    label = ACTION_LABELS.get(entry.action)
    return translator.gettext(label) if label else entry.action


#: The trail as a file: one row per entry, its time in UTC as on the page.
AUDIT_TRAIL: Listing[AuditEntry] = Listing(
    title=N_("Audit trail"),
    slug="audit-trail",
    columns=(
        Column(N_("When (UTC)"), plain(lambda e: local(e.at, "UTC")), Kind.DATETIME, 17),
        Column(N_("User"), plain(lambda e: e.actor_name), width=18),
        Column(N_("Action"), _action, width=16),
        Column(N_("Record type"), lambda e, t: entity_label(t, e.entity), width=22),
        Column(N_("Record"), plain(lambda e: e.entity_id), width=10),
        Column(N_("Changes"), _changes, width=60),
        Column(N_("Note"), plain(lambda e: e.note), width=30),
        Column(N_("IP address"), plain(lambda e: e.address), width=16),
    ),
)
