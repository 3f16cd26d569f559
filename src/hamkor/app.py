"""The web application: routers of every module, static files, error pages and middleware."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hamkor.agreements import api as agreements_api
from hamkor.agreements import views as agreements_views
from hamkor.care import api as care_api
from hamkor.care import views as care_views
from hamkor.care.fhir import api as fhir_api
from hamkor.care.fhir import responses as fhir_responses
from hamkor.core import access, api_docs, jobs, sessions, worker
from hamkor.core import api as core_api
from hamkor.core import views as core_views
from hamkor.core.body_limit import BodyLimit, TooLarge
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.core.errors import UserError, from_error_items
from hamkor.core.i18n import N_, Message, Translator, negotiate
from hamkor.core.importing import megabytes
from hamkor.core.templating import environment, render_template
from hamkor.core.web import (
    LANGUAGE_COOKIE,
    CsrfFailed,
    LoginRequired,
    RateLimited,
    Reader,
    TokenRequired,
    browser_login,
    reader_of,
)
from hamkor.directory import api as directory_api
from hamkor.directory import views as directory_views
from hamkor.modules import install
from hamkor.planning import api as planning_api
from hamkor.planning import views as planning_views
from hamkor.programs import api as programs_api
from hamkor.programs import views as programs_views
from hamkor.reports import api as reports_api
from hamkor.reports import charts
from hamkor.reports import views as reports_views
from hamkor.settings import ROOT, Settings, get_settings
from hamkor.telemedicine import api as telemedicine_api
from hamkor.telemedicine import views as telemedicine_views
from hamkor.training import api as training_api
from hamkor.training import views as training_views
from hamkor.training.credentials import api as credentials_api
from hamkor.training.credentials import views as credentials_views
from hamkor.workspaces import menu
from hamkor.workspaces import views as workspaces_views

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_DIR = ROOT / "node_modules"
log = logging.getLogger("hamkor")

_STATUS_TITLES = {
    400: N_("The request could not be understood."),
    401: N_("Please log in with a valid API token."),
    403: N_("You do not have access to this record."),
    404: N_("This page does not exist."),
    405: N_("This action is not allowed here."),
    413: N_("The upload is too large."),
    422: N_("Some fields need correcting."),
    429: N_("Too many requests from your address. Please wait a little and try again."),
    500: N_("Something went wrong on our side. The error was logged; please try again."),
    503: N_("The server is busy right now. Please try again in a few seconds."),
}

#: Seconds a client should wait before retrying a request the server was too busy for.
RETRY_AFTER_SECONDS = 2


def _translator(request: Request) -> Translator:
    translator = getattr(request.state, "translator", None)
    if isinstance(translator, Translator):
        return translator
    return Translator(
        negotiate(
            None, request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language")
        )
    )


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def error_response(
    request: Request,
    status: int,
    errors: list[dict[str, str]] | None = None,
    reader: Reader | None = None,
) -> Response:
    """A translated error: JSON for the API, an HTML page for people, with the header of the
    page it replaces (``reader``, else the one the request's context noted, else a visitor's)."""
    translator = _translator(request)
    title = translator.gettext(_STATUS_TITLES.get(status, _STATUS_TITLES[400]))
    if fhir_responses.serves(request):
        return fhir_responses.error_response(status, title, errors or [])
    if _wants_json(request):
        return JSONResponse({"detail": title, "errors": errors or []}, status_code=status)
    known = getattr(request.state, "reader", None)
    reader = reader or (known if isinstance(known, Reader) else reader_of(request))
    html = render_template(
        "error.html",
        {
            "_": translator.gettext,
            "ngettext": translator.ngettext,
            "lang": translator.language,
            "ctx": None,
            "flash": None,
            **reader.header(),
            "status": status,
            "title": title,
            "errors": errors or [],
            "request": request,
        },
    )
    return HTMLResponse(html, status_code=status)


def _user_error_items(error: UserError, translator: Translator) -> list[dict[str, str]]:
    return [
        {"field": e.field, "message": e.message.render(translator.language)} for e in error.errors
    ]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(TokenRequired)
    async def token_required(request: Request, _exc: TokenRequired) -> Response:
        return error_response(request, 401)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        message = Message(N_("The form has expired. Please reload the page and try again."))
        items = [{"field": "csrf_token", "message": message.render(_translator(request).language)}]
        return error_response(request, 400, items)

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> Response:
        response = error_response(request, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(TooLarge)
    async def too_large(request: Request, exc: TooLarge) -> Response:
        # Raised while the body arrives: the rest of it is never read, let alone kept.
        message = Message(exc.message, {"megabytes": megabytes(exc.limit)})
        items = [{"field": exc.field, "message": message.render(_translator(request).language)}]
        return error_response(request, 413, items)

    @app.exception_handler(access.AccessDenied)
    async def denied(request: Request, _exc: access.AccessDenied) -> Response:
        return error_response(request, 403)

    @app.exception_handler(access.NotFound)
    async def not_found(request: Request, _exc: access.NotFound) -> Response:
        return error_response(request, 404)

    @app.exception_handler(UserError)
    async def user_error(request: Request, exc: UserError) -> Response:
        return error_response(
            request, exc.status_code, _user_error_items(exc, _translator(request))
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI checks the fields after the route's dependencies: the context has identified
        # the caller (no token or no CSRF token is refused first) and chosen their language.
        translated = from_error_items(exc.errors())
        return error_response(request, 422, _user_error_items(translated, _translator(request)))

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # A value the database cannot hold (out of range, a NUL byte) that validation let past.
        log.warning("database refused a value on %s %s", request.method, request.url.path)
        message = Message(N_("A value is too large or contains characters that are not allowed."))
        items = [{"field": "", "message": message.render(_translator(request).language)}]
        return error_response(request, 422, items)

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OperationalError)
    async def busy(request: Request, exc: Exception) -> Response:
        # No free database connection in time (or the database refused one): nothing was
        # written, so the client may simply retry.
        log.warning(
            "database busy (%s) on %s %s", type(exc).__name__, request.method, request.url.path
        )
        response = error_response(request, 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # An address no route serves has no context: the reader is looked up here (in
        # Starlette's thread pool, as this handler is sync) so the page keeps their menu.
        reader = None
        if sessions.SESSION_COOKIE in request.cookies and exc.status_code < 500:
            with request.app.state.sessionmaker() as db:
                reader = reader_of(request, browser_login(request, db))
                db.commit()
        return error_response(request, exc.status_code, reader=reader)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        # Only the type and the path: the message of an exception may carry patient data.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_response(request, 500)


_SECURITY_HEADERS = {
    # The one inline script allowed is the charts' import map, by its hash (issue 19).
    "Content-Security-Policy": (
        f"default-src 'self'; script-src 'self' '{charts.IMPORT_MAP_HASH}'; "
        "img-src 'self' data:; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
#: Swagger UI sets style attributes from its scripts; everything else stays 'self'.
_API_DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'"
)
#: Pages and API answers may hold patient data: no browser or proxy keeps a copy (issue 15).
#: Static assets, which hold none, stay cacheable.
_NO_STORE = {"Cache-Control": "no-store"}


def _headers_for(path: str) -> dict[str, str]:
    if path.startswith(("/static/", "/vendor/")):
        return _SECURITY_HEADERS
    if path == "/api/docs":
        return _SECURITY_HEADERS | {"Content-Security-Policy": _API_DOCS_POLICY} | _NO_STORE
    return _SECURITY_HEADERS | _NO_STORE


class SecurityHeaders:
    """Adds the security headers of ``_headers_for`` the path to every response.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per
    request, which showed in the booking benchmark.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers_for(scope["path"])

        async def send_with_headers(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def request_threads(settings: Settings) -> int:
    """How many threads the routes and dependencies of one process may use at once.

    Starlette runs each sync dependency and the route in a thread of anyio's limiter, one hop
    each, and a request keeps its database connection from its first query (identifying the
    caller, in a dependency) to its commit (after its answer is checked, another hop). Sized
    to the pool's connections, as it was, the limiter let requests waiting for a connection
    hold every thread while the requests holding the connections waited for a thread: at 64
    clients the booking benchmark fell to 56 bookings a second, each jam ended only by the
    pool's time-out. With more threads than requests in flight, a request holding a
    connection always gets its next thread, and the others queue on the pool (503 with
    Retry-After after ``database_pool_timeout``).
    """
    return settings.request_threads


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Size the request threads; run the threads of queued jobs (plan solves)."""
    settings = app.state.settings
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = request_threads(settings)
    pool = worker.WorkerPool(
        app.state.sessionmaker, settings.job_workers, timing=jobs.Timing.of(settings)
    )
    if settings.job_workers:
        pool.start()
    yield
    pool.stop()


def create_app(settings: Settings | None = None, sessionmaker: Any = None) -> FastAPI:
    """The app for ``settings``; tests pass their own sessionmaker bound to a test transaction."""
    install()
    settings = settings or get_settings()
    app = FastAPI(
        title="Hamkor",
        version="1",
        summary="Cross-border medical cooperation programs: directory, programs and activities.",
        docs_url=None,
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.sessionmaker = sessionmaker or make_sessionmaker(
        make_engine(
            settings.resolved_database_url(),
            pool_size=settings.database_pool_size,
            pool_timeout=settings.database_pool_timeout,
            lock_timeout=settings.database_lock_timeout,
        )
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    vendor = {"htmx": "htmx.org/dist", "swagger-ui": "swagger-ui-dist", **charts.VENDOR}
    for name, package in vendor.items():
        if (VENDOR_DIR / package).exists():
            app.mount(f"/vendor/{name}", StaticFiles(directory=VENDOR_DIR / package), name=name)
    environment().globals["main_menu"] = menu.entries
    for router in (
        api_docs.router,
        core_views.router,
        workspaces_views.router,
        core_api.router,
        directory_views.router,
        directory_api.router,
        programs_views.router,
        reports_views.router,
        programs_api.router,
        planning_views.router,
        planning_api.router,
        training_views.router,
        training_api.router,
        credentials_views.router,
        credentials_api.router,
        care_views.router,
        care_api.router,
        fhir_api.router,
        agreements_views.router,
        agreements_api.router,
        telemedicine_api.router,
        telemedicine_views.router,
        reports_api.router,
    ):
        app.include_router(router)
    _install_error_handlers(app)
    app.add_middleware(BodyLimit, settings=settings)
    app.add_middleware(SecurityHeaders)
    if settings.trusted_proxy_list():
        # Outermost, so that everything within sees the client the proxy forwarded for, and
        # only a proxy of the setting is believed (issue 15).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list())
    return app
