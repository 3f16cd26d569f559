"""Log-in sessions held in the database: ended by log-out, replaced at log-in, timed out.

Issue 15: the signed session cookie still read patient pages after ``POST /logout``. The
clock is moved by writing a session's timestamps, never by waiting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hamkor.app import create_app
from hamkor.core.db import utcnow
from hamkor.core.models import User, UserSession
from hamkor.core.sessions import SESSION_COOKIE
from hamkor.settings import Settings
from tests.fixtures.care import CareWorld, PatientFactory
from tests.fixtures.core import PASSWORD, ClientFactory, UserFactory, csrf_of, log_in


def _cookie(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert value, "the client holds no session cookie"
    return value


def _replay(client: TestClient, cookie: str) -> TestClient:
    """The client with nothing but the given session cookie, as a thief who copied it."""
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)
    return client


def _row(db: Session, cookie: str) -> UserSession:
    db.expire_all()
    digest = hashlib.sha256(cookie.encode()).hexdigest()
    return db.scalars(select(UserSession).where(UserSession.token_hash == digest)).one()


def _age(db: Session, cookie: str, **timestamps: timedelta) -> None:
    """Move a session's clock: set each named timestamp that long before now."""
    now = utcnow()
    values = {name: now - ago for name, ago in timestamps.items()}
    db.execute(update(UserSession).where(UserSession.id == _row(db, cookie).id).values(**values))
    db.commit()


def _goes_to_login(client: TestClient, path: str = "/") -> bool:
    response = client.get(path, follow_redirects=False)
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def test_a_cookie_replayed_after_logout_reads_no_patient_page(
    client_for: ClientFactory, care_world: CareWorld, create_patient: PatientFactory
) -> None:
    patient = create_patient()
    client = client_for(care_world.registrar)
    assert client.get(f"/care/patients/{patient.id}").status_code == 200
    cookie = _cookie(client)

    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})

    assert _goes_to_login(_replay(client, cookie), f"/care/patients/{patient.id}")


def test_a_cookie_replayed_after_logout_is_refused_by_the_api(
    client_for: ClientFactory, admin: User
) -> None:
    client = client_for(admin)
    cookie = _cookie(client)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})

    assert _replay(client, cookie).get("/api/v1/me").status_code == 401


def test_logout_revokes_the_row(client_for: ClientFactory, admin: User, db: Session) -> None:
    client = client_for(admin)
    cookie = _cookie(client)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})

    assert _row(db, cookie).revoked_at is not None


def test_a_log_in_replaces_the_session_the_browser_had(
    client_for: ClientFactory, admin: User
) -> None:
    client = client_for(admin)
    before = _cookie(client)
    log_in(client, admin.username)
    after = _cookie(client)

    assert after != before
    assert _goes_to_login(_replay(client, before))


def test_a_log_in_gives_the_forms_a_new_csrf_token(client_for: ClientFactory, admin: User) -> None:
    client = client_for(admin)
    before = csrf_of(client.get("/tokens").text)
    log_in(client, admin.username)

    assert csrf_of(client.get("/tokens").text) != before


def test_a_session_idle_for_longer_than_the_setting_ends(
    client_for: ClientFactory, admin: User, db: Session
) -> None:
    client = client_for(admin)
    _age(db, _cookie(client), last_seen_at=timedelta(minutes=30, seconds=1))

    assert _goes_to_login(client)


def test_a_session_idle_for_less_than_the_setting_goes_on(
    client_for: ClientFactory, admin: User, db: Session
) -> None:
    client = client_for(admin)
    _age(db, _cookie(client), last_seen_at=timedelta(minutes=29))

    assert client.get("/", follow_redirects=False).status_code == 200


def test_a_busy_session_ends_after_the_maximum_hours(
    client_for: ClientFactory, admin: User, db: Session
) -> None:
    client = client_for(admin)
    _age(
        db,
        _cookie(client),
        created_at=timedelta(hours=12, seconds=1),
        last_seen_at=timedelta(seconds=5),
    )

    assert _goes_to_login(client)


@pytest.fixture
def short_sessions(
    settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    """A client of an app whose sessions last 5 idle minutes and 1 hour at most."""
    short = settings.model_copy(update={"session_idle_minutes": 5, "session_max_hours": 1})
    with TestClient(create_app(short, session_factory)) as client:
        yield client


def test_the_time_outs_are_settings(short_sessions: TestClient, admin: User, db: Session) -> None:
    client = log_in(short_sessions, admin.username)
    _age(db, _cookie(client), last_seen_at=timedelta(minutes=5, seconds=1))

    assert _goes_to_login(client)


def test_last_seen_is_written_at_most_once_a_minute(
    client_for: ClientFactory, admin: User, db: Session
) -> None:
    client = client_for(admin)
    cookie = _cookie(client)
    _age(db, cookie, last_seen_at=timedelta(seconds=50))
    seen = _row(db, cookie).last_seen_at
    client.get("/")

    assert _row(db, cookie).last_seen_at == seen


def test_last_seen_is_renewed_once_a_minute_old(
    client_for: ClientFactory, admin: User, db: Session
) -> None:
    client = client_for(admin)
    cookie = _cookie(client)
    _age(db, cookie, last_seen_at=timedelta(minutes=2))
    client.get("/")

    assert _row(db, cookie).last_seen_at > utcnow() - timedelta(minutes=1)


def test_a_log_in_deletes_the_users_ended_sessions(
    client_for: ClientFactory, app_client: TestClient, admin: User, db: Session
) -> None:
    idle = _cookie(client_for(admin))
    old = _cookie(client_for(admin))
    live = _cookie(client_for(admin))
    _age(db, idle, last_seen_at=timedelta(hours=1))
    _age(db, old, created_at=timedelta(hours=13))
    log_in(app_client, admin.username)

    db.expire_all()
    hashes = set(db.scalars(select(UserSession.token_hash).where(UserSession.user_id == admin.id)))
    assert hashes == {
        hashlib.sha256(cookie.encode()).hexdigest() for cookie in (live, _cookie(app_client))
    }


def test_the_table_holds_no_usable_cookie(
    client_for: ClientFactory, admin: User, db: Session
) -> None:
    cookie = _cookie(client_for(admin))
    stored = db.scalars(select(UserSession.token_hash)).all()

    assert cookie not in stored
    assert stored == [hashlib.sha256(cookie.encode()).hexdigest()]


def test_a_deactivated_users_session_ends(
    client_for: ClientFactory, create_user: UserFactory, db: Session
) -> None:
    user = create_user()
    client = client_for(user)
    user.is_active = False
    db.commit()

    assert _goes_to_login(client)


@pytest.mark.parametrize("secure", [False, True])
def test_the_session_cookie_is_httponly_samesite_and_secure_behind_https(
    settings: Settings, session_factory: sessionmaker[Session], admin: User, secure: bool
) -> None:
    app = create_app(settings.model_copy(update={"secure_cookies": secure}), session_factory)
    with TestClient(app, base_url="https://testserver") as client:
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
    cookie = response.headers["set-cookie"].lower()

    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert ("httponly" in cookie, "samesite=lax" in cookie, "secure" in cookie) == (
        True,
        True,
        secure,
    )
    assert f"max-age={12 * 3600}" in cookie


def test_a_visitors_csrf_cookie_is_httponly_and_samesite(app_client: TestClient) -> None:
    cookie = app_client.get("/login").headers["set-cookie"].lower()

    assert cookie.startswith("hamkor_csrf=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_a_log_in_form_of_another_browser_is_refused(
    app_client: TestClient, settings: Settings, session_factory: sessionmaker[Session], admin: User
) -> None:
    """The visitor's token is bound to their own cookie: a token read from a page served to
    someone else (another site's visitor, say) does not log this browser in."""
    with TestClient(create_app(settings, session_factory)) as other:
        foreign = csrf_of(other.get("/login").text)
    app_client.get("/login")
    response = app_client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": foreign}
    )

    assert response.status_code == 400
