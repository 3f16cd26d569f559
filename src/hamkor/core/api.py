"""JSON API of the core: who am I, the audit trail for auditors, and one's notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from hamkor.core import notifications
from hamkor.core.audit_query import AuditFilter, require_auditor
from hamkor.core.forms import PathId
from hamkor.core.pages import page_size
from hamkor.core.pagination import paginate
from hamkor.core.web import API_ERROR_RESPONSES, ApiCtx

router = APIRouter(prefix="/api/v1", tags=["core"], responses=API_ERROR_RESPONSES)


class GrantRead(BaseModel):
    role: str
    institution_id: int | None
    program_id: int | None


class MeRead(BaseModel):
    id: int
    username: str
    language: str
    grants: list[GrantRead]


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity: str
    entity_id: str | None
    changes: dict[str, Any]
    note: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    total: int
    page: int
    pages: int


@router.get("/me")
def me(ctx: ApiCtx) -> MeRead:
    """The user behind the token, with the roles that decide what they may reach."""
    actor = ctx.actor
    return MeRead(
        id=actor.user_id,
        username=actor.username,
        language=ctx.language,
        grants=[
            GrantRead(role=g.role, institution_id=g.institution_id, program_id=g.program_id)
            for g in actor.grants
        ],
    )


@router.get("/audit")
def audit_trail(ctx: ApiCtx, filters: Annotated[AuditFilter, Query()]) -> AuditPage:
    """The audit trail, newest first (auditors and platform admins)."""
    require_auditor(ctx.actor)
    page = paginate(ctx.db, filters.statement(), number=filters.page, size=page_size(ctx))
    return AuditPage(
        items=[AuditEntryRead.model_validate(e) for e in page.items],
        total=page.total,
        page=page.number,
        pages=page.pages,
    )


class NotificationRead(BaseModel):
    """A notification, its message in the caller's language."""

    id: int
    message: str
    link: str | None
    read: bool
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    total: int
    unread: int
    page: int
    pages: int


class MarkedRead(BaseModel):
    marked: int


def _notification(item: notifications.Notification, language: str) -> NotificationRead:
    return NotificationRead(
        id=item.id,
        message=item.render(language),
        link=item.link,
        read=item.read_at is not None,
        created_at=item.created_at,
    )


@router.get("/notifications")
def notification_list(
    ctx: ApiCtx,
    unread: bool = False,
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
) -> NotificationPage:
    """The caller's notifications, newest first; ``unread`` for the unread ones only."""
    user_id = ctx.actor.user_id
    listed = paginate(
        ctx.db, notifications.mine(user_id, unread_only=unread), number=page, size=page_size(ctx)
    )
    return NotificationPage(
        items=[_notification(item, ctx.language) for item in listed.items],
        total=listed.total,
        unread=notifications.unread_count(ctx.db, user_id),
        page=listed.number,
        pages=listed.pages,
    )


@router.post("/notifications/read")
def notifications_read(ctx: ApiCtx) -> MarkedRead:
    """Mark all the caller's notifications read."""
    return MarkedRead(marked=notifications.mark_all_read(db=ctx.db, user_id=ctx.actor.user_id))


@router.post("/notifications/{notification_id}/read")
def notification_read(ctx: ApiCtx, notification_id: PathId) -> NotificationRead:
    """Mark one of the caller's notifications read."""
    item = notifications.get_mine(ctx.db, ctx.actor.user_id, notification_id)
    return _notification(notifications.mark_read(db=ctx.db, notification=item), ctx.language)
