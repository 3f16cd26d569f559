"""Pages of the core: log in and out, language, home, the audit trail and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from hamkor.core import audit, import_jobs, jobs, security
from hamkor.core.audit import AuditActor, act_as
from hamkor.core.audit_query import ACTION_LABELS, AuditFilter, require_auditor
from hamkor.core.db import utcnow
from hamkor.core.forms import PathId
from hamkor.core.i18n import LANGUAGES, N_
from hamkor.core.models import ApiToken
from hamkor.core.pages import page_size, pager_params
from hamkor.core.pagination import paginate
from hamkor.core.web import LANGUAGE_COOKIE, Form, PageCtx, PublicCtx, client_address, settings_of

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths, so the log-in form cannot be used to send people elsewhere."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(ctx: PublicCtx, next: str | None = None) -> Response:
    return ctx.render("login.html", next=_safe_next(next), error=None, username="")


@router.post("/login", response_class=HTMLResponse)
def login(ctx: PublicCtx, form: Form) -> Response:
    settings = settings_of(ctx.request)
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/")))
    address = client_address(ctx.request)
    failures = security.recent_failures(
        ctx.db,
        username=username,
        address=address,
        window=timedelta(seconds=settings.login_window_seconds),
    )
    if failures >= settings.login_max_failures:
        minutes = max(1, settings.login_window_seconds // 60)
        error = ctx.translator.ngettext(
            "Too many failed attempts. Try again in %(num)s minute.",
            "Too many failed attempts. Try again in %(num)s minutes.",
            minutes,
        )
        return ctx.render("login.html", 429, next=target, error=error, username=username)
    user = security.authenticate(ctx.db, username=username, password=password, address=address)
    if user is None:
        error = ctx._(N_("Wrong user name or password."))
        return ctx.render("login.html", 401, next=target, error=error, username=username)
    ctx.request.session.clear()
    ctx.request.session["user_id"] = user.id
    ctx.request.session["csrf"] = security.new_csrf_token()
    act_as(ctx.db, AuditActor(user.id, user.username, address))
    audit.record(ctx.db, action="login", entity="users", entity_id=user.id)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(ctx: PageCtx, _form: Form) -> Response:
    audit.record(ctx.db, action="logout", entity="users", entity_id=ctx.actor.user_id)
    ctx.request.session.clear()
    return RedirectResponse("/login", status_code=303)


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
def audit_trail(ctx: PageCtx, filters: Annotated[AuditFilter, Query()]) -> Response:
    require_auditor(ctx.actor)
    page = paginate(ctx.db, filters.statement(), number=filters.page, size=page_size(ctx))
    return ctx.render("audit.html", page=page, filters=pager_params(filters), actions=ACTION_LABELS)


@router.get("/tokens", response_class=HTMLResponse)
def tokens(ctx: PageCtx) -> Response:
    return _tokens_page(ctx, new_secret=None)


def _tokens_page(ctx: PageCtx, new_secret: str | None) -> Response:
    mine = ctx.db.scalars(
        select(ApiToken).where(ApiToken.user_id == ctx.actor.user_id).order_by(ApiToken.id)
    )
    return ctx.render("tokens.html", tokens=list(mine), new_secret=new_secret)


@router.post("/tokens", response_class=HTMLResponse)
def create_token(ctx: PageCtx, form: Form) -> Response:
    assert ctx.user is not None
    scopes = ["read", "write"] if form.get("write") else ["read"]
    name = str(form.get("name", "")).strip()[:100] or ctx._(N_("API token"))
    _token, secret = security.new_api_token(ctx.db, user=ctx.user, name=name, scopes=scopes)
    return _tokens_page(ctx, new_secret=secret)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(ctx: PageCtx, token_id: int, _form: Form) -> Response:
    token = ctx.db.get(ApiToken, token_id)
    if token is not None and token.user_id == ctx.actor.user_id and token.revoked_at is None:
        token.revoked_at = utcnow()
    return RedirectResponse("/tokens", status_code=303)


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
