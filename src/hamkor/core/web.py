"""Request plumbing: one transaction per request, the acting user, language, CSRF and pages."""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial, wraps
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hamkor.core import access, security, threads
from hamkor.core.audit import AuditActor, act_as
from hamkor.core.db import utcnow
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_, Translator, negotiate
from hamkor.core.models import User
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


@contextmanager
def _unit_of_work(request: Request) -> Iterator[Session]:
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


@dataclass
class Ctx:
    """What every route needs: the session, the actor (if any) and the reader's language."""

    request: Request
    db: Session
    principal: access.Actor | None
    translator: Translator
    loaded_user: User | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> access.Actor:
        if self.principal is None:
            raise LoginRequired
        return self.principal

    @property
    def user(self) -> User | None:
        """The acting user's row: pages have it already; an API call loads it only if asked."""
        if self.loaded_user is None and self.principal is not None:
            self.loaded_user = self.db.get(User, self.principal.user_id)
        return self.loaded_user

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
            "actor": self.principal,
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


def _attribute(db: Session, request: Request, actor: access.Actor | None) -> None:
    if actor is not None:
        act_as(db, AuditActor(actor.user_id, actor.username, client_address(request)))


def _translator(request: Request, actor: access.Actor | None) -> Translator:
    return Translator(
        negotiate(
            actor.language if actor else None,
            request.cookies.get(LANGUAGE_COOKIE),
            request.headers.get("accept-language"),
            settings_of(request).default_language,
        )
    )


def _context(
    request: Request, db: Session, actor: access.Actor | None, user: User | None = None
) -> Ctx:
    """The request's context, with the audit trail and error pages told who acts."""
    _attribute(db, request, actor)
    ctx = Ctx(request, db, actor, _translator(request, actor), loaded_user=user)
    request.state.translator = ctx.translator
    return ctx


@dataclass(frozen=True)
class Pending:
    """A request's context before its session is open: the route's own thread builds it.

    FastAPI runs each sync dependency, each end of a generator dependency, the route and the
    validation of its answer in the thread pool, one hop each: four for an API call, and about
    a fifth of a booking's CPU in the app went to the hops and thread switches. The context
    dependencies only note what the request brings (on the event loop, no thread); ``Route``
    then opens the session, builds the context, runs the route and commits in one hop.
    """

    request: Request
    build: Callable[[Request, Session], Ctx] = field(repr=False)  # it may hold a bearer token


def _pending(request: Request, build: Callable[[Request, Session], Ctx]) -> Pending:
    pending = Pending(request, build)
    request.state.pending = pending  # for ``identify``, should the request's fields be refused
    return pending


def identify(request: Request) -> None:
    """Build, and drop, the context of a request whose fields were refused before its route ran.

    FastAPI checks the fields before the route's thread builds the context. Building it here
    keeps the order callers knew: no token or no CSRF token is refused first, and the field
    errors are written in the user's language. Nothing it does is committed.
    """
    pending = getattr(request.state, "pending", None)
    if isinstance(pending, Pending):
        with request.app.state.sessionmaker() as db:
            pending.build(request, db)


async def optional_ctx(request: Request) -> Pending:
    """The context of a page anyone may open (log-in, public pages)."""
    return _pending(request, partial(_page_context, required=False))


async def page_ctx(request: Request) -> Pending:
    """The context of a page that needs a logged-in user."""
    return _pending(request, partial(_page_context, required=True))


def _page_context(request: Request, db: Session, *, required: bool) -> Ctx:
    user = _session_user(request, db)
    if user is None and required:
        raise LoginRequired
    return _context(request, db, access.Actor.of(user) if user else None, user)


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


def _note_use(db: Session, use: security.TokenUse) -> None:
    """Remember that the token was used, at most once per ``LAST_USED_PRECISION``."""
    now = utcnow()
    stored = use.last_used_at
    if stored is not None and stored > now - LAST_USED_PRECISION:
        return
    with _claims_lock:
        claim = _claims.get(use.digest)
        if claim is not None and claim[0] == stored and claim[1] > now - LAST_USED_PRECISION:
            return
        _claims[use.digest] = (stored, now)
    security.note_token_use(db, use, now)


async def api_ctx(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Pending:
    """The context of a JSON API call: a bearer token, or the browser's session plus CSRF."""
    return _pending(request, partial(_api_context, credentials=credentials))


async def feed_ctx(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    key: str | None = None,
) -> Pending:
    """The context of a calendar feed: a signed ``key`` in the address, else as the API."""
    if key is None:
        return await api_ctx(request, credentials)
    return _pending(request, partial(_feed_context, key=key))


def _feed_context(request: Request, db: Session, *, key: str) -> Ctx:
    user = security.user_for_feed_key(db, settings_of(request).resolved_secret_key(), key)
    if user is None:
        raise TokenRequired
    return _context(request, db, access.Actor.of(user), user)


def _api_context(
    request: Request, db: Session, *, credentials: HTTPAuthorizationCredentials | None
) -> Ctx:
    if credentials is None:
        return _browser_api_context(request, db)
    use = security.token_use(db, credentials.credentials)
    if use is None:
        raise TokenRequired
    if request.method not in SAFE_METHODS and "write" not in use.scopes:
        raise UserError.one("token", N_("This API token may only read."))
    ctx = _context(request, db, use.actor)
    _note_use(db, use)  # after _context: its audit row names the token's user
    return ctx


def _browser_api_context(request: Request, db: Session) -> Ctx:
    """An API call from the app's own pages: the log-in session, and CSRF for writes."""
    user = _session_user(request, db)
    if user is None:
        raise TokenRequired
    if request.method not in SAFE_METHODS and not security.csrf_matches(
        request.session.get("csrf"), request.headers.get("x-csrf-token")
    ):
        raise CsrfFailed
    return _context(request, db, access.Actor.of(user), user)


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


def _in_unit_of_work(endpoint: Callable[..., Any], values: dict[str, Any]) -> Any:
    """Run a route: with its context built in a session committed when it returns."""
    for name, value in values.items():
        if isinstance(value, Pending):
            with _unit_of_work(value.request) as db:
                return endpoint(**{**values, name: value.build(value.request, db)})
    return endpoint(**values)


def _one_hop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(endpoint)
    async def run(**values: Any) -> Any:
        return await threads.in_thread(_in_unit_of_work, endpoint, values)

    return run


class Route(APIRoute):
    """A route whose session, context, work and commit take one hop to a request thread.

    A sync endpoint is wrapped in a coroutine that runs ``_in_unit_of_work`` in a thread
    (``threads.in_thread``); FastAPI then treats it as async: no hops of its own, and it
    validates the answer (a model the route built while its session was open) on the event loop.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _one_hop(endpoint)
        super().__init__(path, endpoint, **kwargs)


PageCtx = Annotated[Ctx, Depends(page_ctx)]
PublicCtx = Annotated[Ctx, Depends(optional_ctx)]
ApiCtx = Annotated[Ctx, Depends(api_ctx)]
FeedCtx = Annotated[Ctx, Depends(feed_ctx)]
Form = Annotated[dict[str, Any], Depends(form_data)]
