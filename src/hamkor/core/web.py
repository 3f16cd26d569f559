"""The request path: one transaction per request, the acting user, language, CSRF and pages.

Routes are plain ``def`` routes of ``fastapi.APIRouter``; they take their context (``PageCtx``,
``ApiCtx``...) as ordinary dependencies built on the request's session (``Db``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, BinaryIO

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, StringConstraints
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hamkor.core import access, flash, notifications, security, sessions, throttle
from hamkor.core.audit import AuditActor, act_as
from hamkor.core.body_limit import TooLarge
from hamkor.core.db import utcnow
from hamkor.core.errors import NOT_ALLOWED, UserError
from hamkor.core.i18n import N_, Translator, negotiate
from hamkor.core.models import User
from hamkor.core.sessions import LiveSession
from hamkor.core.templating import Formatter, render_template
from hamkor.core.text import has_lone_surrogate, scrub
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


#: What a route anyone may call answers besides: too many requests from the caller's address.
PUBLIC_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {"model": ApiError, "description": "Too many requests from this address; see Retry-After"}
}


class LoginRequired(Exception):
    """Raised by pages that need a logged-in user; answered with a redirect to the log-in page."""


class TokenRequired(Exception):
    """Raised by API routes without valid credentials; answered with 401."""


class CsrfFailed(Exception):
    """Raised when a form or a cookie-authenticated API call lacks the right CSRF token."""


class RateLimited(Exception):
    """Raised when an address has made too many requests; answered 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def settings_of(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def client_address(request: Request) -> str:
    """The client's address: the connecting peer, or, behind a proxy of
    ``HAMKOR_TRUSTED_PROXIES``, the address it forwarded (``app.create_app`` sets that up)."""
    return request.client.host if request.client else "unknown"


def db_session(request: Request) -> Iterator[Session]:
    """The request's session: committed once when the route returns, rolled back on any error.

    Routes take it through ``Db``, declared with ``scope="function"``: FastAPI then runs the
    code after ``yield`` as soon as the route function has returned (and its answer has been
    validated), before the response is sent. With FastAPI's default scope for a dependency with
    ``yield`` ("request"), that code runs after the response is sent: a client answered 201
    could look for the row before it is committed, and a failed commit could no longer change
    the answer. FastAPI runs the end of a sync dependency in a thread without waiting for a
    token of the thread limiter, so a request holding a connection can always commit.

    A denial is the one failure still written down: the route's work is rolled back, then the
    denial is recorded in the audit trail and committed.
    """
    with request.app.state.sessionmaker() as db:
        act_as(db, AuditActor(user_id=None, name="anonymous", address=client_address(request)))
        try:
            yield db
            db.commit()
        except (access.AccessDenied, access.ProbeRefused) as denial:
            db.rollback()
            access.record_denial(db, denial)
            db.commit()
            raise
        except BaseException:
            db.rollback()
            raise


Db = Annotated[Session, Depends(db_session, scope="function")]


@dataclass(frozen=True)
class Reader:
    """Who reads the page, as its header shows them: kept on the request once known, so that
    an error page (drawn after the request's session has closed) keeps the menu, the name and
    the language switch of the page it replaces."""

    actor: access.Actor | None
    display_name: str
    csrf_token: str

    def header(self) -> dict[str, Any]:
        """The variables of ``base.html``'s header, none of which reads the database."""
        return {
            "actor": self.actor,
            "user": self if self.actor is not None else None,
            "csrf_token": self.csrf_token,
        }


def reader_of(request: Request, login: LiveSession | None = None) -> Reader:
    """The reader of ``request``: logged in through ``login``, else a visitor."""
    if login is not None:
        return Reader(access.Actor.of(login.user), login.user.display_name, login.csrf_token)
    visitor = sessions.visitor_csrf_token(request.cookies.get(sessions.CSRF_COOKIE))
    return Reader(None, "", visitor or "")


@dataclass
class Ctx:
    """What every route needs: the session, the actor (if any) and the reader's language."""

    request: Request
    db: Session
    principal: access.Actor | None
    translator: Translator
    loaded_user: User | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    login: LiveSession | None = None
    #: A CSRF token made for a visitor by this request, to be set as their cookie.
    new_visitor_token: str | None = None

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

    @property
    def unread_notifications(self) -> int:
        """The number beside "Notifications" in the page header."""
        if self.principal is None:
            return 0
        return notifications.unread_count(self.db, self.principal.user_id)

    def _(self, message: str, **params: Any) -> str:
        return self.translator.gettext(message, **params)

    def feed_key(self) -> str:
        """The signed key for this user's calendar-feed addresses (see ``security.feed_key``)."""
        if self.user is None:
            raise LoginRequired
        return security.feed_key(settings_of(self.request).resolved_secret_key(), self.user)

    def csrf_token(self) -> str:
        """The token this page's forms carry: the log-in session's, or the visitor's own."""
        if self.login is not None:
            return self.login.csrf_token
        existing = sessions.visitor_csrf_token(self.request.cookies.get(sessions.CSRF_COOKIE))
        if existing is not None:
            return existing
        if self.new_visitor_token is None:
            self.new_visitor_token = security.new_csrf_token()
        return self.new_visitor_token

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
            "flash": None,
        }
        settings = settings_of(self.request)
        said = flash.take(self.request, settings)
        if said is not None:
            base["flash"] = said.render(self.language)
        html = render_template(template, {**base, **context})
        response = HTMLResponse(html, status_code=status_code)
        if said is not None:
            flash.forget(response)
        if self.new_visitor_token is not None:
            sessions.set_visitor_csrf_cookie(response, self.new_visitor_token, settings)
        return response


def browser_login(request: Request, db: Db) -> LiveSession | None:
    """The live log-in session named by the browser's cookie, if any.

    A dependency, so that FastAPI looks it up once per request for the context and the form's
    CSRF check alike.
    """
    token = request.cookies.get(sessions.SESSION_COOKIE)
    if token is None:
        return None
    settings = settings_of(request)
    return sessions.find(
        db,
        token,
        policy=sessions.Policy.of(settings),
        secret_key=settings.resolved_secret_key(),
        now=utcnow(),
    )


BrowserLogin = Annotated[LiveSession | None, Depends(browser_login)]


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
    request: Request,
    db: Session,
    actor: access.Actor | None,
    user: User | None = None,
    login: LiveSession | None = None,
) -> Ctx:
    """The request's context, with the audit trail and error pages told who acts."""
    _attribute(db, request, actor)
    ctx = Ctx(request, db, actor, _translator(request, actor), loaded_user=user, login=login)
    request.state.translator = ctx.translator
    request.state.reader = reader_of(request, login)
    return ctx


def optional_ctx(request: Request, db: Db, login: BrowserLogin) -> Ctx:
    """The context of a page anyone may open (log-in, public pages)."""
    return _page_context(request, db, login, required=False)


def page_ctx(request: Request, db: Db, login: BrowserLogin) -> Ctx:
    """The context of a page that needs a logged-in user."""
    return _page_context(request, db, login, required=True)


def _page_context(
    request: Request, db: Session, login: LiveSession | None, *, required: bool
) -> Ctx:
    if login is None:
        if required:
            raise LoginRequired
        return _context(request, db, None)
    return _context(request, db, access.Actor.of(login.user), login.user, login)


_bearer = HTTPBearer(auto_error=False, description=N_("An API token made on the API tokens page."))


def api_ctx(
    request: Request,
    db: Db,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    login: BrowserLogin,
) -> Ctx:
    """The context of a JSON API call: a bearer token, or the browser's session plus CSRF."""
    if credentials is None:
        return _browser_api_context(request, db, login)
    use = security.token_use(db, credentials.credentials)
    if use is None:
        raise TokenRequired
    if request.method not in SAFE_METHODS and "write" not in use.scopes:
        raise UserError.one("token", N_("This API token may only read."))
    ctx = _context(request, db, use.actor)
    security.note_token_use(db, use)
    return ctx


#: A feed key (``security.feed_key``) is some 80 characters.
FeedKey = Annotated[str, StringConstraints(max_length=200)]


def feed_ctx(
    request: Request,
    db: Db,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    login: BrowserLogin,
    key: FeedKey | None = None,
) -> Ctx:
    """The context of a calendar feed: a signed ``key`` in the address, else as the API."""
    if key is None:
        return api_ctx(request, db, credentials, login)
    user = security.user_for_feed_key(db, settings_of(request).resolved_secret_key(), key)
    if user is None:
        raise TokenRequired
    return _context(request, db, access.Actor.of(user), user)


def _browser_api_context(request: Request, db: Session, login: LiveSession | None) -> Ctx:
    """An API call from the app's own pages: the log-in session, and CSRF for writes."""
    if login is None:
        raise TokenRequired
    if request.method not in SAFE_METHODS and not security.csrf_matches(
        login.csrf_token, request.headers.get("x-csrf-token")
    ):
        raise CsrfFailed
    return _context(request, db, access.Actor.of(login.user), login.user, login)


@dataclass(frozen=True)
class Upload:
    """An uploaded file as Starlette keeps it: in memory up to 1 MB, then in a temporary file,
    never read whole by the form; open until the route has returned. Within the size limit."""

    filename: str
    file: BinaryIO
    size: int

    def head(self, limit: int) -> bytes:
        """The first ``limit`` bytes (of a file that is small when it is what it should be)."""
        self.file.seek(0)
        return self.file.read(limit)


def _expected_csrf_token(request: Request, login: LiveSession | None) -> str | None:
    if login is not None:
        return login.csrf_token
    return sessions.visitor_csrf_token(request.cookies.get(sessions.CSRF_COOKIE))


async def form_data(request: Request, login: BrowserLogin) -> AsyncIterator[dict[str, Any]]:
    """The submitted form, after checking its CSRF token: the log-in session's, or for a
    visitor who has not logged in, the one of their CSRF cookie.

    The body was refused (:class:`TooLarge`, 413) while it arrived if it passed the largest
    upload (``Settings.upload_max_bytes``) with its form; a file past it in a body within it is
    refused here. What a form's file is for applies its own limit (an import's, a document's).
    Uploaded files stay open while the route runs and are closed here after it, so no route
    can leave one open. A field holding a lone
    surrogate is refused here, naming it (issue 15): a form declared in an odd charset
    (``unicode_escape``) can carry one, which neither a database nor the page showing the form
    again can encode.
    """
    max_bytes = settings_of(request).upload_max_bytes()
    async with request.form() as form:
        given = str(form.get("csrf_token", ""))
        if not security.csrf_matches(_expected_csrf_token(request, login), given):
            raise CsrfFailed
        data: dict[str, Any] = {}
        for key in form:
            if key == "csrf_token":
                continue
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            uploads = [v for v in form.getlist(key) if isinstance(v, UploadFile)]
            texts = [key, *values, *(upload.filename or "" for upload in uploads)]
            if any(has_lone_surrogate(text) for text in texts):
                raise UserError.one(scrub(key), NOT_ALLOWED)
            if uploads:
                kept = []
                for upload in uploads:
                    size = upload.size or 0
                    if size > max_bytes:
                        raise TooLarge(key, max_bytes)
                    if size:
                        kept.append(Upload(upload.filename or "", upload.file, size))
                # Several files of one field (``<input type=file multiple>``) come as a list.
                data[key] = kept[0] if len(kept) == 1 else kept or None
            else:
                data[key] = values if len(values) > 1 else values[0]
        yield data


def public_rate_limit(request: Request, db: Db) -> None:
    """Count a request to a route anyone may call against its address's limit, or refuse it.

    Declared in the route's ``dependencies`` so that it runs before the route's own, and
    commits its count at once: the requests running beside it must see it.
    """
    settings = settings_of(request)
    verdict = throttle.hit(
        db,
        kind=throttle.Kind.PUBLIC,
        key=throttle.address_key(client_address(request)),
        rule=throttle.public_rule(settings),
        now=utcnow(),
    )
    db.commit()
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


#: The dependency of every route reachable without logging in (``dependencies=[PublicLimit]``).
PublicLimit = Depends(public_rate_limit)
PageCtx = Annotated[Ctx, Depends(page_ctx)]
PublicCtx = Annotated[Ctx, Depends(optional_ctx)]
ApiCtx = Annotated[Ctx, Depends(api_ctx)]
FeedCtx = Annotated[Ctx, Depends(feed_ctx)]
#: Function scope: the uploads are closed once the route has returned, before the response.
Form = Annotated[dict[str, Any], Depends(form_data, scope="function")]
