"""Request plumbing: one transaction per request, the acting user, language, CSRF and pages."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hamkor.core import access, security
from hamkor.core.audit import AuditActor, act_as
from hamkor.core.db import utcnow
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_, Translator, negotiate
from hamkor.core.models import ApiToken, User
from hamkor.core.templating import Formatter, render_template
from hamkor.settings import Settings

LANGUAGE_COOKIE = "hamkor_lang"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiErrorItem(BaseModel):
    """One problem of a refused API call: the field to correct (blank for the whole request)."""

    field: str
    message: str


class ApiError(BaseModel):
    """The body of every refused API call (``app.error_response``): a title and field problems."""

    detail: str
    errors: list[ApiErrorItem]


#: The refusals every API route may answer with, declared so that clients (and the schema
#: fuzzer) see our error body rather than FastAPI's default ``HTTPValidationError``.
API_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ApiError, "description": "The request could not be understood"},
    401: {"model": ApiError, "description": "No valid API token"},
    403: {"model": ApiError, "description": "No access to this record"},
    404: {"model": ApiError, "description": "No such record"},
    422: {"model": ApiError, "description": "Some fields need correcting"},
}


class LoginRequired(Exception):
    """Raised by pages that need a logged-in user; answered with a redirect to the log-in page."""


class TokenRequired(Exception):
    """Raised by API routes without valid credentials; answered with 401."""


class CsrfFailed(Exception):
    """Raised when a form or a cookie-authenticated API call lacks the right CSRF token."""


def settings_of(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_db(request: Request) -> Iterator[Session]:
    """The request's session: committed once when the route returns, rolled back on any error.

    A denial is the one failure still written down: the route's work is rolled back, then the
    denial is recorded in the audit trail and committed.
    """
    with request.app.state.sessionmaker() as db:
        act_as(db, AuditActor(user_id=None, name="anonymous", address=client_address(request)))
        try:
            yield db
            db.commit()
        except access.AccessDenied as denial:
            db.rollback()
            access.record_denial(db, denial)
            db.commit()
            raise
        except BaseException:
            db.rollback()
            raise


DB = Annotated[Session, Depends(get_db, scope="function")]


@dataclass
class Ctx:
    """What every route needs: the session, the actor (if any) and the reader's language."""

    request: Request
    db: Session
    user: User | None
    translator: Translator
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> access.Actor:
        if self.user is None:
            raise LoginRequired
        return access.Actor.of(self.user)

    @property
    def language(self) -> str:
        return self.translator.language

    def _(self, message: str, **params: Any) -> str:
        return self.translator.gettext(message, **params)

    def feed_key(self) -> str:
        """The signed key for this user's calendar-feed addresses (see ``security.feed_key``)."""
        if self.user is None:
            raise LoginRequired
        return security.feed_key(settings_of(self.request).resolved_secret_key(), self.user)

    def csrf_token(self) -> str:
        session = self.request.session
        if "csrf" not in session:
            session["csrf"] = security.new_csrf_token()
        token = session["csrf"]
        assert isinstance(token, str)
        return token

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A page in the reader's language, with the helpers every template uses."""
        base = {
            "request": self.request,
            "ctx": self,
            "user": self.user,
            "actor": access.Actor.of(self.user) if self.user else None,
            "lang": self.language,
            "_": self.translator.gettext,
            "gettext": self.translator.gettext,
            "ngettext": self.translator.ngettext,
            "name": self.translator.name,
            "fmt": Formatter(self.translator),
            "csrf_token": self.csrf_token(),
            "url_for": self.request.url_for,
        }
        html = render_template(template, {**base, **context})
        return HTMLResponse(html, status_code=status_code)


def _session_user(request: Request, db: Session) -> User | None:
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    user = db.get(User, user_id)
    if user is None or not user.is_active:
        request.session.clear()
        return None
    return user


def _attribute(db: Session, request: Request, user: User | None) -> None:
    if user is not None:
        act_as(db, AuditActor(user.id, user.username, client_address(request)))


def _translator(request: Request, user: User | None) -> Translator:
    return Translator(
        negotiate(
            user.language if user else None,
            request.cookies.get(LANGUAGE_COOKIE),
            request.headers.get("accept-language"),
            settings_of(request).default_language,
        )
    )


def optional_ctx(request: Request, db: DB) -> Ctx:
    """The context of a page anyone may open (log-in, public pages)."""
    user = _session_user(request, db)
    _attribute(db, request, user)
    ctx = Ctx(request=request, db=db, user=user, translator=_translator(request, user))
    request.state.translator = ctx.translator
    return ctx


def page_ctx(ctx: Annotated[Ctx, Depends(optional_ctx)]) -> Ctx:
    """The context of a page that needs a logged-in user."""
    if ctx.user is None:
        raise LoginRequired
    return ctx


_bearer = HTTPBearer(auto_error=False, description=N_("An API token made on the API tokens page."))


#: How precisely an API token's ``last_used_at`` is kept: writing it on every call made all the
#: clients sharing a token wait for one another on its row lock until each commit.
LAST_USED_PRECISION = timedelta(minutes=1)

#: Per token (by digest: ids repeat across databases), the stale ``last_used_at`` a request of
#: this process is already replacing, and since when: once a minute every concurrent request
#: sees the same stale value, and all but one must leave the row (and its lock, held to the end
#: of the request) alone.
_claims: dict[str, tuple[datetime | None, datetime]] = {}
_claims_lock = threading.Lock()


def _note_use(token: ApiToken) -> None:
    """Remember that the token was used, at most once per ``LAST_USED_PRECISION``."""
    now = utcnow()
    stored = token.last_used_at
    if stored is not None and stored > now - LAST_USED_PRECISION:
        return
    with _claims_lock:
        claim = _claims.get(token.token_hash)
        if claim is not None and claim[0] == stored and claim[1] > now - LAST_USED_PRECISION:
            return
        _claims[token.token_hash] = (stored, now)
    token.last_used_at = now


def api_ctx(
    request: Request,
    db: DB,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Ctx:
    """The context of a JSON API call: a bearer token, or the browser's session plus CSRF."""
    user: User | None
    if credentials is not None:
        found = security.user_for_token(db, credentials.credentials)
        if found is None:
            raise TokenRequired
        user, token = found
        if request.method not in SAFE_METHODS and "write" not in token.scopes:
            raise UserError.one(
                "token",
                N_("This API token may only read."),
            )
        _note_use(token)
    else:
        user = _session_user(request, db)
        if user is None:
            raise TokenRequired
        if request.method not in SAFE_METHODS and not security.csrf_matches(
            request.session.get("csrf"), request.headers.get("x-csrf-token")
        ):
            raise CsrfFailed
    _attribute(db, request, user)
    ctx = Ctx(request=request, db=db, user=user, translator=_translator(request, user))
    request.state.translator = ctx.translator
    return ctx


def feed_ctx(
    request: Request,
    db: DB,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    key: str | None = None,
) -> Ctx:
    """The context of a calendar feed: a signed ``key`` in the address, else as the API."""
    if key is None:
        return api_ctx(request, db, credentials)
    user = security.user_for_feed_key(db, settings_of(request).resolved_secret_key(), key)
    if user is None:
        raise TokenRequired
    _attribute(db, request, user)
    ctx = Ctx(request=request, db=db, user=user, translator=_translator(request, user))
    request.state.translator = ctx.translator
    return ctx


@dataclass(frozen=True)
class Upload:
    """An uploaded file, read whole: uploads here are spreadsheets and bundles, not videos."""

    filename: str
    content: bytes


async def form_data(request: Request) -> dict[str, Any]:
    """The submitted form, after checking its CSRF token against the session's.

    Uploaded files are read and closed here, so no route can leave one open.
    """
    async with request.form() as form:
        if not security.csrf_matches(request.session.get("csrf"), str(form.get("csrf_token", ""))):
            raise CsrfFailed
        data: dict[str, Any] = {}
        for key in form:
            if key == "csrf_token":
                continue
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            uploads = [v for v in form.getlist(key) if isinstance(v, UploadFile)]
            if uploads:
                content = await uploads[0].read()
                data[key] = Upload(uploads[0].filename or "", content) if content else None
            else:
                data[key] = values if len(values) > 1 else values[0]
    return data


PageCtx = Annotated[Ctx, Depends(page_ctx)]
PublicCtx = Annotated[Ctx, Depends(optional_ctx)]
ApiCtx = Annotated[Ctx, Depends(api_ctx)]
FeedCtx = Annotated[Ctx, Depends(feed_ctx)]
Form = Annotated[dict[str, Any], Depends(form_data)]
