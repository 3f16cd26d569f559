"""Pages of certificates: the holder's and managers' list and detail with downloads and
revocation; the public verification page; and the issuers' published keys and status lists.

Routes go in a fixed order: load (404), check access (403, audited), call the service, render.
The public routes need no log-in and show nothing but what verification needs.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from hamkor.core import exports
from hamkor.core.access import Action, NotFound, can
from hamkor.core.exports import FormatQuery
from hamkor.core.forms import PathId
from hamkor.core.i18n import N_, Message
from hamkor.core.pages import (
    Refusal,
    page_size,
    pager_params,
    save_form,
    told,
)
from hamkor.core.web import Ctx, Form, PageCtx, PublicCtx, PublicLimit, Upload
from hamkor.training import exports as lists
from hamkor.training.credentials import service, vc
from hamkor.training.credentials.models import Credential
from hamkor.training.credentials.schemas import (
    MAX_CREDENTIAL_LENGTH,
    RevokeRequest,
    verification_read,
)
from hamkor.training.filters import CertificateFilter

router = APIRouter(include_in_schema=False)
Number = Annotated[str, Path(max_length=20, pattern=service.NUMBER_PATTERN)]
CheckCode = Annotated[str, Path(max_length=service.CHECK_CODE_LENGTH)]
NOTHING_TO_VERIFY = N_("Paste a certificate or choose its file.")
NO_SUCH_NUMBER = N_("No certificate with the number %(number)s was issued here.")


class Download(StrEnum):
    JWT = "jwt"
    JSON = "json"
    PDF = "pdf"


# --- the holder's and the managers' pages ---------------------------------------------------


@router.get("/certificates", response_class=HTMLResponse)
def certificates(
    ctx: PageCtx, filters: Annotated[CertificateFilter, Query()], export: FormatQuery = None
) -> Response:
    """The certificates the user holds or whose courses they manage, searched by number or
    holder in either script, by course and status, a page at a time (or all found, as a file)."""
    if export is not None:
        rows = ctx.db.scalars(service.credentials_statement(ctx.actor, filters))
        return exports.download(
            lists.CERTIFICATES, rows, export_format=export, translator=ctx.translator
        )
    page = service.page_credentials(
        db=ctx.db, actor=ctx.actor, filters=filters, size=page_size(ctx)
    )
    return ctx.render(
        "credentials/list.html",
        page=page,
        filters=pager_params(filters),
        statuses=(("valid", N_("Valid")), ("revoked", N_("Revoked"))),
    )


def _detail(ctx: Ctx, credential: Credential, refusal: Refusal | None = None) -> Response:
    return ctx.render(
        "credentials/credential.html",
        refusal.status_code if refusal else 200,
        credential=credential,
        verify_url=service.verify_url(credential),
        may_revoke=can(ctx.db, ctx.actor, Action.CHANGE, credential),
        errors=refusal.errors if refusal else {},
    )


@router.get("/certificates/{number}", response_class=HTMLResponse)
def certificate(ctx: PageCtx, number: Number) -> Response:
    """One certificate: what it says, its status, its downloads, and revocation for managers."""
    return _detail(ctx, service.get_credential(db=ctx.db, actor=ctx.actor, number=number))


@router.post("/certificates/{number}/revoke", response_class=HTMLResponse)
def revoke(ctx: PageCtx, number: Number, form: Form) -> Response:
    """Revoke with a reason; a refusal comes back beside the reason's box."""
    actor = ctx.actor
    credential = service.get_credential(db=ctx.db, actor=actor, number=number, action=Action.CHANGE)
    done = save_form(
        ctx,
        form,
        RevokeRequest,
        lambda data: service.revoke(
            db=ctx.db, actor=actor, credential=credential, reason=data.reason
        ),
    )
    if isinstance(done, Refusal):
        return _detail(ctx, credential, done)
    revoked = Message(N_("The certificate %(number)s is revoked."), {"number": number})
    return told(ctx, f"/certificates/{number}", revoked)


@router.get("/certificates/{number}/download/{form}")
def download(ctx: PageCtx, number: Number, form: Download) -> Response:
    """The certificate as a file: the VC-JWT, the JSON envelope or the PDF."""
    credential = service.get_credential(db=ctx.db, actor=ctx.actor, number=number)
    if form == Download.PDF:
        content = service.certificate_pdf(credential)
        media = "application/pdf"
    elif form == Download.JSON:
        content = json.dumps(vc.envelope(credential.token), indent=2).encode()
        media = "application/json"
    else:
        content = credential.token.encode()
        media = f"application/{vc.JWT_TYPE}"
    disposition = f'attachment; filename="{number}.{form.value}"'
    return Response(content, media_type=media, headers={"content-disposition": disposition})


# --- public verification --------------------------------------------------------------------


def _verify_page(
    ctx: Ctx, data: str | bytes | None, status_code: int = 200, error: str | None = None
) -> Response:
    result = None
    if data is not None:
        result = verification_read(service.verify(db=ctx.db, data=data), ctx.translator)
    return ctx.render("credentials/verify.html", status_code, result=result, error=error)


@router.get("/verify", response_class=HTMLResponse, dependencies=[PublicLimit])
def verify_form(
    ctx: PublicCtx,
    token: Annotated[str | None, Query(max_length=MAX_CREDENTIAL_LENGTH)] = None,
) -> Response:
    """The public verification page; with ``?token=`` it verifies that token at once."""
    return _verify_page(ctx, token or None)


@router.post("/verify", response_class=HTMLResponse, dependencies=[PublicLimit])
def verify_submitted(ctx: PublicCtx, form: Form) -> Response:
    """Verify a pasted certificate or an uploaded file."""
    upload = form.get("file")
    pasted = form.get("token")
    if isinstance(upload, Upload):
        return _verify_page(ctx, upload.head(MAX_CREDENTIAL_LENGTH + 1))
    if isinstance(pasted, str) and pasted.strip():
        return _verify_page(ctx, pasted[: MAX_CREDENTIAL_LENGTH + 1])
    return _verify_page(ctx, None, 422, ctx._(NOTHING_TO_VERIFY))


def _verify_address(ctx: Ctx, number: str, check_code: str | None) -> Response:
    try:
        token = service.public_token(db=ctx.db, number=number, check_code=check_code)
    except NotFound:
        return _verify_page(ctx, None, 404, ctx._(NO_SUCH_NUMBER, number=number))
    return _verify_page(ctx, token)


@router.get("/verify/{number}", response_class=HTMLResponse, dependencies=[PublicLimit])
def verify_number(ctx: PublicCtx, number: Number) -> Response:
    """Where the QR code of a certificate issued before check codes leads."""
    return _verify_address(ctx, number, None)


@router.get(
    "/verify/{number}/{check_code}", response_class=HTMLResponse, dependencies=[PublicLimit]
)
def verify_address(ctx: PublicCtx, number: Number, check_code: CheckCode) -> Response:
    """Where a certificate's QR code leads: the verification of the certificate it names."""
    return _verify_address(ctx, number, check_code)


# --- what issuers publish -------------------------------------------------------------------


def _json(document: dict[str, Any], media_type: str) -> Response:
    return JSONResponse(document, media_type=media_type)


@router.get("/institutions/{institution_id}/did.json", dependencies=[PublicLimit])
def did_document(ctx: PublicCtx, institution_id: PathId) -> Response:
    """The did:web document of an issuing institution: all its keys, retired ones too."""
    document = service.did_document(db=ctx.db, institution_id=institution_id)
    return _json(document, "application/did+json")


@router.get("/institutions/{institution_id}/jwks.json", dependencies=[PublicLimit])
def jwks(ctx: PublicCtx, institution_id: PathId) -> Response:
    """The JWK set of an issuing institution."""
    return _json(service.jwks(db=ctx.db, institution_id=institution_id), "application/jwk-set+json")


@router.get("/institutions/{institution_id}/status-list", dependencies=[PublicLimit])
def status_list(ctx: PublicCtx, institution_id: PathId) -> Response:
    """The institution's revocation list: a signed BitstringStatusListCredential (VC-JWT)."""
    token = service.status_list_token(db=ctx.db, institution_id=institution_id)
    return Response(token, media_type=f"application/{vc.JWT_TYPE}")
