"""Row-level access: the one choke point every list, page and API route goes through.

Each capability module registers a policy for its models: for an actor and an action, a SQL
condition on the model's rows. ``restrict`` applies it to queries; ``can`` asks the same
condition of one row, so lists and single records can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    false,
    inspect,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ExecutableOption

from hamkor.core import audit
from hamkor.core.db import Base
from hamkor.core.errors import FieldError, UserError
from hamkor.core.models import Role, User


class Action(StrEnum):
    """What an actor wants to do with a record."""

    VIEW = "view"
    CHANGE = "change"


@dataclass(frozen=True)
class Grant:
    """One role in one scope (``None`` institution and program: everywhere)."""

    role: Role
    institution_id: int | None = None
    program_id: int | None = None

    @property
    def is_global(self) -> bool:
        return self.institution_id is None and self.program_id is None

    @classmethod
    def of(cls, membership: Held) -> Grant:
        """The grant of a membership, as a loaded row or as the columns of one."""
        return cls(Role(membership.role), membership.institution_id, membership.program_id)


class Held(Protocol):
    """A membership's columns, loaded as an object or read as a row."""

    @property
    def role(self) -> str: ...
    @property
    def institution_id(self) -> int | None: ...
    @property
    def program_id(self) -> int | None: ...


@dataclass(frozen=True)
class Actor:
    """The user behind a request or a command, with the grants that decide what they reach."""

    user_id: int
    username: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    language: str | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(
            user_id=user.id,
            username=user.username,
            grants=tuple(Grant.of(m) for m in user.memberships),
            language=user.language,
        )

    def has_global(self, *roles: Role) -> bool:
        return any(g.is_global and g.role in roles for g in self.grants)

    @property
    def is_admin(self) -> bool:
        return self.has_global(Role.PLATFORM_ADMIN)

    def institutions(self, *roles: Role) -> set[int]:
        """Institutions where the actor holds any of ``roles`` (all roles when none given)."""
        return {
            g.institution_id
            for g in self.grants
            if g.institution_id is not None and (not roles or g.role in roles)
        }

    def programs(self, *roles: Role) -> set[int]:
        """Programs where the actor holds any of ``roles`` (all roles when none given)."""
        return {
            g.program_id
            for g in self.grants
            if g.program_id is not None and (not roles or g.role in roles)
        }

    def has_role(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)


Condition = Callable[[Actor], ColumnElement[bool]]
ModelT = TypeVar("ModelT", bound=Base)

_POLICIES: dict[type[Base], dict[Action, Condition]] = {}


def register(model: type[Base], *, view: Condition, change: Condition) -> None:
    """Declare who may see and who may change rows of ``model``."""
    _POLICIES[model] = {Action.VIEW: view, Action.CHANGE: change}


def everyone(_actor: Actor) -> ColumnElement[bool]:
    """Any logged-in user: reference data such as countries, cities and specialties."""
    return true()


def admins_only(actor: Actor) -> ColumnElement[bool]:
    return true() if actor.is_admin else false()


def any_of(*conditions: Condition) -> Condition:
    """A condition met when any of ``conditions`` is met."""

    def combined(actor: Actor) -> ColumnElement[bool]:
        return or_(*(condition(actor) for condition in conditions))

    return combined


def condition(model: type[Base], actor: Actor, action: Action) -> ColumnElement[bool]:
    """The SQL condition a row of ``model`` meets when ``actor`` may do ``action`` to it."""
    if actor.is_admin:
        return true()
    policy = _POLICIES.get(model)
    if policy is None:
        raise LookupError(f"no access policy registered for {model.__name__}")
    return policy[action](actor)


def restrict(stmt: Select[Any], actor: Actor, action: Action = Action.VIEW) -> Select[Any]:
    """Limit a query to the rows of its entities that ``actor`` may see (or change)."""
    for description in stmt.column_descriptions:
        entity = description.get("entity")
        if isinstance(entity, type) and issubclass(entity, Base):
            stmt = stmt.where(condition(entity, actor, action))
    return stmt


def can(db: Session, actor: Actor, action: Action, obj: Base) -> bool:
    """Whether ``actor`` may do ``action`` to ``obj``, by the same condition as ``restrict``."""
    model = type(obj)
    key = inspect(model).primary_key[0]
    stmt = select(key).where(key == _identity(obj), condition(model, actor, action))
    return db.scalar(stmt) is not None


def _identity(obj: Base) -> object:
    identity = inspect(obj).identity
    return identity[0] if identity else None


class AccessDenied(Exception):
    """Raised when an actor reaches for a record they have no right to; it is audited."""

    def __init__(self, entity: str, entity_id: object, action: Action) -> None:
        super().__init__(f"{action} {entity} {entity_id}")
        self.entity = entity
        self.entity_id = entity_id
        self.action = action


class NotFound(Exception):
    """Raised when a record does not exist; shown as a translated 404."""

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(f"{entity} {entity_id}")
        self.entity = entity
        self.entity_id = entity_id


def get_for(
    db: Session,
    actor: Actor,
    model: type[ModelT],
    record_id: int,
    action: Action = Action.VIEW,
    *,
    options: Sequence[ExecutableOption] = (),
) -> ModelT:
    """Load a record for ``actor``: 404 when it does not exist, 403 (audited) when not theirs.

    The record is loaded with the policy's condition in one statement, so a request that may
    open it asks the database once (loading it, then checking it, was two statements per
    record, a fifth of a booking's). ``options`` are the query's loader options, for a caller
    that needs fewer of the model's eager relationships than a page does.
    """
    key = inspect(model).primary_key[0]
    allowed = select(model).where(key == record_id, condition(model, actor, action))
    obj = db.scalar(allowed.options(*options))
    if obj is not None:
        return obj
    if db.scalar(select(key).where(key == record_id)) is None:
        raise NotFound(model.__tablename__, record_id)
    raise AccessDenied(model.__tablename__, record_id, action)


def require(db: Session, actor: Actor, action: Action, obj: Base) -> None:
    """Refuse with :class:`AccessDenied` unless ``actor`` may do ``action`` to ``obj``."""
    if not can(db, actor, action, obj):
        raise AccessDenied(obj.__tablename__, _identity(obj), action)


def require_role(actor: Actor, roles: Iterable[Role], entity: str) -> None:
    """Refuse unless ``actor`` holds one of ``roles`` somewhere (for creating new records)."""
    if not actor.is_admin and not actor.has_role(*roles):
        raise AccessDenied(entity, None, Action.CHANGE)


class ProbeRefused(UserError):
    """A refusal that would have told of records the actor may not see.

    Its message names none of them; the records it stands for go to the audit trail as a
    denial, so that a search for a patient's existence through a registration form leaves the
    same trace as an attempt to open their record (issue 15).
    """

    def __init__(self, errors: list[FieldError], entity: str, entity_ids: Iterable[int]) -> None:
        super().__init__(errors)
        self.entity = entity
        self.entity_ids = tuple(entity_ids)


def record_probe(db: Session, entity: str, entity_ids: Iterable[int]) -> None:
    """Write down records whose existence a refusal was about to tell, as denials of them."""
    for entity_id in entity_ids:
        audit.record(db, action="denied", entity=entity, entity_id=entity_id, note="probe")


def record_denial(db: Session, denial: AccessDenied | ProbeRefused) -> None:
    """Write the denial to the audit trail, after the request's own work was rolled back."""
    if isinstance(denial, ProbeRefused):
        record_probe(db, denial.entity, denial.entity_ids)
        return
    audit.record(
        db,
        action="denied",
        entity=denial.entity,
        entity_id=None if denial.entity_id is None else str(denial.entity_id),
        note=str(denial.action),
    )
