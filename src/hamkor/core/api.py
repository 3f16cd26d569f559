"""JSON API of the core: who am I, and the audit trail for auditors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from hamkor.core.audit_query import AuditFilter, require_auditor
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
