"""JSON API of certificates under /api/v1: verification for anyone, the rest for their holders
and the managers of their courses."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path

from hamkor.core.access import Action
from hamkor.core.web import API_ERROR_RESPONSES, PUBLIC_RESPONSES, ApiCtx, PublicCtx, PublicLimit
from hamkor.training.credentials import service
from hamkor.training.credentials.schemas import (
    CredentialRead,
    RevokeRequest,
    VerificationRead,
    VerifyRequest,
    verification_read,
)

router = APIRouter(prefix="/api/v1", tags=["certificates"], responses=API_ERROR_RESPONSES)
Number = Annotated[str, Path(max_length=20, pattern=service.NUMBER_PATTERN)]


@router.post("/credentials/verify", dependencies=[PublicLimit], responses=PUBLIC_RESPONSES)
def verify(ctx: PublicCtx, data: VerifyRequest) -> VerificationRead:
    """Verify a certificate (no log-in needed): signature, issuer key, validity dates,
    revocation and the Open Badges 3.0 schema. ``valid`` is true only when every check passed;
    each failed check names the failure (``tampered``, ``unknown_issuer``, ``unknown_key``,
    ``revoked``, ``expired``, ``not_yet_valid``, ``malformed``, ``schema_invalid``) with a message
    in the caller's language."""
    text = data.credential if isinstance(data.credential, str) else json.dumps(data.credential)
    return verification_read(service.verify(db=ctx.db, data=text), ctx.translator)


@router.get("/credentials")
def list_credentials(ctx: ApiCtx) -> list[CredentialRead]:
    """The certificates the caller may see (their own, or those of the courses they manage)."""
    found = service.list_credentials(db=ctx.db, actor=ctx.actor)
    return [CredentialRead.of(c, ctx.language) for c in found]


@router.get("/credentials/{number}")
def get_credential(ctx: ApiCtx, number: Number) -> CredentialRead:
    """One certificate by its number."""
    credential = service.get_credential(db=ctx.db, actor=ctx.actor, number=number)
    return CredentialRead.of(credential, ctx.language)


@router.post("/credentials/{number}/revoke")
def revoke(ctx: ApiCtx, number: Number, data: RevokeRequest) -> CredentialRead:
    """Revoke a certificate with a reason; its issuer's status list shows it at once."""
    credential = service.get_credential(
        db=ctx.db, actor=ctx.actor, number=number, action=Action.CHANGE
    )
    credential = service.revoke(
        db=ctx.db, actor=ctx.actor, credential=credential, reason=data.reason
    )
    return CredentialRead.of(credential, ctx.language)
