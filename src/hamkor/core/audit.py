"""The audit trail: every write is recorded by one flush hook, so no service can forget it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from hamkor.core.db import Base, utcnow
from hamkor.core.models import AuditEntry, LoginAttempt, Throttle, UserSession

# Rows whose writes are not themselves history worth keeping (or are the history).
_NOT_AUDITED: tuple[type[Base], ...] = (AuditEntry, LoginAttempt, Throttle, UserSession)
_SECRET_COLUMNS = frozenset({"password_hash", "token_hash"})


@dataclass(frozen=True)
class AuditActor:
    """Who is acting in a session: a user, or the system for demo loads and migrations."""

    user_id: int | None
    name: str
    address: str | None = None


SYSTEM = AuditActor(user_id=None, name="system")


def act_as(db: Session, actor: AuditActor) -> None:
    """Attribute the session's coming writes to ``actor``."""
    db.info["audit_actor"] = actor


def _actor(db: Session) -> AuditActor:
    actor = db.info.get("audit_actor", SYSTEM)
    assert isinstance(actor, AuditActor)
    return actor


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Base):
        return None
    return value


def _changes(obj: Base, action: str) -> dict[str, Any]:
    """What changed, as {column: [old, new]}; values are left out for sensitive tables."""
    keep_values = getattr(obj, "__audit_values__", True)
    state = inspect(obj)
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        history = state.attrs[key].history
        if action == "update" and not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else getattr(obj, key, None)
        if action == "delete":
            new = None
            old = getattr(obj, key, None)
        changes[key] = _shown(key, old, new, keep_values)
    return changes


def _shown(key: str, old: Any, new: Any, keep_values: bool) -> Any:
    """What the trail keeps of one column's change: the values, or only that it changed."""
    if key in _SECRET_COLUMNS or not keep_values:
        return "changed"
    return [_plain(old), _plain(new)]


def _row(
    db: Session, action: str, entity: str, entity_id: str | None, changes: Any
) -> dict[str, Any]:
    actor = _actor(db)
    return {
        "at": utcnow(),
        "actor_id": actor.user_id,
        "actor_name": actor.name,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes": changes,
        "address": actor.address,
    }


def _entry(db: Session, obj: Base, action: str) -> dict[str, Any]:
    # The identity key is set only after the flush; the primary key values are there already.
    identity = inspect(obj).mapper.primary_key_from_instance(obj)
    entity_id = "/".join(str(part) for part in identity if part is not None) or None
    return _row(db, action, obj.__tablename__, entity_id, _changes(obj, action))


def _write(db: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Append audit rows, all in one statement."""
    if entries:
        db.connection().execute(insert(AuditEntry), list(entries))


@event.listens_for(Session, "after_flush")
def _record_writes(db: Session, _flush: UOWTransaction) -> None:
    rows = [
        _entry(db, obj, action)
        for action, objects in (("create", db.new), ("update", db.dirty), ("delete", db.deleted))
        for obj in objects
        if isinstance(obj, Base)
        and not isinstance(obj, _NOT_AUDITED)
        and (action != "update" or db.is_modified(obj, include_collections=False))
    ]
    _write(db, rows)


def record(
    db: Session, *, action: str, entity: str, entity_id: str | int | None, note: str | None = None
) -> None:
    """Record something that is not a write: a view of a sensitive record, a denial, a log-in."""
    written = None if entity_id is None else str(entity_id)
    db.add(AuditEntry(**_row(db, action, entity, written, {}), note=note))
    db.flush()


def record_each(
    db: Session, *, action: str, entity: str, entity_ids: Iterable[int], note: str | None = None
) -> None:
    """Record the same thing of several records, one row each (a list shows many patients, and
    'who saw patient 41' must find the lists too), in one statement."""
    rows = [_row(db, action, entity, str(entity_id), {}) for entity_id in dict.fromkeys(entity_ids)]
    _write(db, [row | {"note": note} for row in rows])
