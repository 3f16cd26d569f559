"""Pages of the core: log in and out, language, the audit trail, API tokens, notifications,
the download of stored files and the jobs."""

from __future__ import annotations

import logging
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from hamkor.core import (
    access,
    audit,
    audit_labels,
    clock,
    exports,
    files,
    import_jobs,
    jobs,
    notifications,
    security,
    sessions,
    throttle,
)
from hamkor.core.account_forms import LoginForm, TokenForm
from hamkor.core.audit import AuditActor, act_as
from hamkor.core.audit_query import ACTION_LABELS, AUDIT_TRAIL, AuditFilter, require_auditor
from hamkor.core.db import utcnow
from hamkor.core.errors import UserError
from hamkor.core.exports import FormatQuery
from hamkor.core.forms import PathId, error_map, validate
from hamkor.core.i18n import LANGUAGES, N_
from hamkor.core.models import ApiToken, AuditEntry
from hamkor.core.pages import REFUSED, Refusal, page_size, pager_params, save_form
from hamkor.core.pagination import Page, paginate
from hamkor.core.storage import storage_for
from hamkor.core.text import ADDRESS_MAX
from hamkor.core.web import (
    LANGUAGE_COOKIE,
    Ctx,
    Form,
    PageCtx,
    PublicCtx,
    client_address,
    settings_of,
)

router = APIRouter(include_in_schema=False)
log = logging.getLogger("hamkor")


def _safe_next(target: str | None) -> str:
    """Only local paths, so the log-in form cannot be used to send people elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(
    ctx: PublicCtx, next: Annotated[str | None, Query(max_length=ADDRESS_MAX)] = None
) -> Response:
    return ctx.render("login.html", next=_safe_next(next), error=None, errors={}, username="")


@router.post("/login", response_class=HTMLResponse)
def login(ctx: PublicCtx, form: Form) -> Response:
    """Log in: the attempt is counted against the account and the address before the password
    is checked (issue 15), and a new session replaces whatever the browser had. A name or a
    password longer than any account has is refused before it is counted or hashed."""
    settings = settings_of(ctx.request)
    try:
        posted = validate(LoginForm, form)
    except UserError as refused:
        errors = error_map(refused, ctx.language)
        return ctx.render("login.html", REFUSED, next="/", error=None, errors=errors, username="")
    username, password = posted.username, posted.password
    target = _safe_next(posted.next)
    address = client_address(ctx.request)
    verdict = throttle.hit_login(
        ctx.db, username=username, address=address, settings=settings, now=utcnow()
    )
    # The count must be seen by the attempts running beside this one before the slow password
    # check, and stand even if this request fails later: committed now, not at the end.
    ctx.db.commit()
    if not verdict.allowed:
        return _too_many_attempts(ctx, verdict.retry_after, target, username)
    user = security.authenticate(ctx.db, username=username, password=password, address=address)
    if user is None:
        error = ctx._(N_("Wrong user name or password."))
        return ctx.render("login.html", 401, next=target, error=error, errors={}, username=username)
    throttle.login_succeeded(ctx.db, username=username, address=address, settings=settings)
    now = utcnow()
    sessions.revoke(ctx.db, ctx.request.cookies.get(sessions.SESSION_COOKIE), now=now)
    token = sessions.start(ctx.db, user=user, policy=sessions.Policy.of(settings), now=now)
    act_as(ctx.db, AuditActor(user.id, user.username, address))
    audit.record(ctx.db, action="login", entity="users", entity_id=user.id)
    response = RedirectResponse(target, status_code=303)
    sessions.set_session_cookie(response, token, settings)
    return response


def _too_many_attempts(ctx: Ctx, retry_after: int, target: str, username: str) -> Response:
    if retry_after < 120:
        error = ctx.translator.ngettext(
            "Too many failed attempts. Try again in %(num)s second.",
            "Too many failed attempts. Try again in %(num)s seconds.",
            retry_after,
        )
    else:
        minutes = -(-retry_after // 60)
        error = ctx.translator.ngettext(
            "Too many failed attempts. Try again in %(num)s minute.",
            "Too many failed attempts. Try again in %(num)s minutes.",
            minutes,
        )
    response = ctx.render("login.html", 429, next=target, error=error, errors={}, username=username)
    response.headers["Retry-After"] = str(retry_after)
    return response


@router.post("/logout")
def logout(ctx: PageCtx, _form: Form) -> Response:
    """End the session on the server, so its cookie, wherever a copy of it is, reads nothing."""
    audit.record(ctx.db, action="logout", entity="users", entity_id=ctx.actor.user_id)
    sessions.revoke(ctx.db, ctx.request.cookies.get(sessions.SESSION_COOKIE), now=utcnow())
    response = RedirectResponse("/login", status_code=303)
    sessions.forget_session_cookie(response, settings_of(ctx.request))
    return response


@router.post("/language")
def switch_language(ctx: PublicCtx, form: Form) -> Response:
    """Remember the chosen language in a cookie and, for a logged-in user, in their profile."""
    language = str(form.get("language", ""))
    target = _safe_next(str(form.get("next", "/")))
    response = RedirectResponse(target, status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True
        )
        if ctx.user is not None:
            ctx.user.language = language
    return response


@router.get("/audit", response_class=HTMLResponse)
def audit_trail(ctx: PageCtx, export: FormatQuery = None) -> Response:
    """The trail, filtered; a filter it cannot be searched by (a day in the year 9999) comes
    back in the filter form with its error named above it, and no rows (issue 15). As a file,
    every entry the filters find, each read as it is written."""
    require_auditor(ctx.actor)
    given = {k: v for k, v in ctx.request.query_params.items() if k != "format"}
    try:
        filters = validate(AuditFilter, given)
    except UserError as refused:
        nothing = Page[AuditEntry](items=[], total=0, number=1, size=page_size(ctx))
        return _audit_page(
            ctx,
            nothing,
            {name: given.get(name) for name in AuditFilter.model_fields},
            error_map(refused, ctx.language),
        )
    if export is not None:
        rows = ctx.db.scalars(filters.statement().execution_options(yield_per=1000))
        return exports.download(AUDIT_TRAIL, rows, export_format=export, translator=ctx.translator)
    page = paginate(ctx.db, filters.statement(), number=filters.page, size=page_size(ctx))
    return _audit_page(ctx, page, pager_params(filters), {})


def _audit_page(
    ctx: Ctx, page: Page[AuditEntry], filters: dict[str, Any], errors: dict[str, str]
) -> Response:
    """The trail's page: its tables and fields named in the reader's language, each row
    linked to its record's page where it has one (issue 20)."""
    tr = ctx.translator
    entities = sorted(
        ((entity, tr.gettext(label)) for entity, label in audit_labels.ENTITIES.items()),
        key=lambda option: option[1].casefold(),
    )
    return ctx.render(
        "audit.html",
        REFUSED if errors else 200,
        page=page,
        filters=filters,
        actions=ACTION_LABELS,
        entities=entities,
        entity_label=lambda entity: audit_labels.entity_label(tr, entity),
        field_label=lambda field: audit_labels.field_label(tr, field),
        page_of=audit_labels.page_of,
        errors=errors,
    )


@router.get("/tokens", response_class=HTMLResponse)
def tokens(ctx: PageCtx) -> Response:
    return _tokens_page(ctx, new_secret=None)


def _tokens_page(ctx: PageCtx, new_secret: str | None, refusal: Refusal | None = None) -> Response:
    mine = ctx.db.scalars(
        select(ApiToken).where(ApiToken.user_id == ctx.actor.user_id).order_by(ApiToken.id)
    )
    errors = refusal.errors if refusal else {}
    status = refusal.status_code if refusal else 200
    return ctx.render(
        "tokens.html", status, tokens=list(mine), new_secret=new_secret, errors=errors
    )


@router.post("/tokens", response_class=HTMLResponse)
def create_token(ctx: PageCtx, form: Form) -> Response:
    user = ctx.user
    assert user is not None

    def create(data: TokenForm) -> str:
        scopes = ["read", "write"] if data.write else ["read"]
        name = data.name or ctx._(N_("API token"))
        return security.new_api_token(ctx.db, user=user, name=name, scopes=scopes)[1]

    saved = save_form(ctx, form, TokenForm, create)
    if isinstance(saved, Refusal):
        return _tokens_page(ctx, new_secret=None, refusal=saved)
    return _tokens_page(ctx, new_secret=saved)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(ctx: PageCtx, token_id: PathId, _form: Form) -> Response:
    token = ctx.db.get(ApiToken, token_id)
    if token is not None and token.user_id == ctx.actor.user_id and token.revoked_at is None:
        token.revoked_at = utcnow()
    return RedirectResponse("/tokens", status_code=303)


# --- notifications --------------------------------------------------------------------------


@router.get("/notifications", response_class=HTMLResponse)
def notification_list(ctx: PageCtx, page: Annotated[int, Query(ge=1, le=10**6)] = 1) -> Response:
    listed = paginate(
        ctx.db, notifications.mine(ctx.actor.user_id), number=page, size=page_size(ctx)
    )
    return ctx.render("notifications.html", page=listed, filters={})


@router.post("/notifications/read")
def notifications_read(ctx: PageCtx, _form: Form) -> Response:
    notifications.mark_all_read(db=ctx.db, user_id=ctx.actor.user_id)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/read")
def notification_read(ctx: PageCtx, notification_id: PathId, _form: Form) -> Response:
    notification = notifications.get_mine(ctx.db, ctx.actor.user_id, notification_id)
    notifications.mark_read(db=ctx.db, notification=notification)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/open")
def notification_open(ctx: PageCtx, notification_id: PathId, _form: Form) -> Response:
    """Follow a notification's link, marking it read on the way."""
    notification = notifications.get_mine(ctx.db, ctx.actor.user_id, notification_id)
    notifications.mark_read(db=ctx.db, notification=notification)
    return RedirectResponse(_safe_next(notification.link), status_code=303)


# --- stored files ---------------------------------------------------------------------------


@router.get("/files/{attachment_id}")
def download(ctx: PageCtx, attachment_id: PathId) -> Response:
    """A stored file, to whoever may see the row it is attached to (by the policy of the
    module that owns the row; a refusal is audited), and every download is in the trail."""
    attachment = ctx.db.get(files.Attachment, attachment_id)
    if attachment is None:
        raise access.NotFound(files.Attachment.__tablename__, attachment_id)
    access.get_for(ctx.db, ctx.actor, files.owner_model(attachment), attachment.owner_id)
    store = storage_for(settings_of(ctx.request))
    try:
        body = files.chunks(store, attachment.sha256)
    except FileNotFoundError:
        log.error("stored file of attachment %s is missing", attachment.id)
        raise access.NotFound(files.Attachment.__tablename__, attachment_id) from None
    audit.record(
        ctx.db,
        action="download",
        entity=attachment.owner_kind,
        entity_id=attachment.owner_id,
        note=f"attachment {attachment.id}",
    )
    return StreamingResponse(
        body,
        media_type=attachment.stored.media_type,
        headers={
            "Content-Disposition": files.content_disposition(attachment.name),
            "Content-Length": str(attachment.stored.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def _import_job_page(ctx: PageCtx, job_id: int, template: str) -> Response:
    job = import_jobs.get_job(ctx.db, ctx.actor, job_id)
    return ctx.render(
        template,
        job=job,
        result=import_jobs.result_of(job),
        back=str(job.payload.get("back", "/")),
        failed_unexpectedly=jobs.FAILED_UNEXPECTEDLY,
    )


@router.get("/imports/{job_id}", response_class=HTMLResponse)
def import_job(ctx: PageCtx, job_id: PathId) -> Response:
    """An import running as a job, to the user who started it: its progress (reload, or htmx
    polls the panel), then its result: how many records, or the rows to correct."""
    return _import_job_page(ctx, job_id, "import_job.html")


@router.get("/imports/{job_id}/progress", response_class=HTMLResponse)
def import_job_progress(ctx: PageCtx, job_id: PathId) -> Response:
    """The panel htmx polls every second; once the job ends it holds the result, and stops."""
    return _import_job_page(ctx, job_id, "_import_progress.html")


# --- jobs -----------------------------------------------------------------------------------


@router.get("/jobs", response_class=HTMLResponse)
def job_list(ctx: PageCtx, page: Annotated[int, Query(ge=1, le=10**6)] = 1) -> Response:
    """The jobs the reader may see (a platform admin all, anyone else their own), newest
    first, with a button to cancel those still queued or running."""
    listed = paginate(ctx.db, jobs.visible_to(ctx.actor), number=page, size=page_size(ctx))
    return ctx.render("jobs.html", page=listed, filters={})


@router.post("/jobs/{job_id}/cancel")
def job_cancel(ctx: PageCtx, job_id: PathId, _form: Form) -> Response:
    """Cancel a job of the reader's (any, for a platform admin); others' are 404."""
    job = jobs.get_visible(ctx.db, ctx.actor, job_id)
    jobs.cancel(db=ctx.db, job=job, now=clock.now())
    return RedirectResponse("/jobs", status_code=303)
