"""Logging in and out, throttling, CSRF and API tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.core.db import utcnow
from hamkor.core.errors import UserError
from hamkor.core.models import ApiToken, AuditEntry, LoginAttempt, Membership, Role, User
from hamkor.core.security import new_api_token
from hamkor.core.users import create_user
from hamkor.directory.models import City, Country
from tests.fixtures.core import PASSWORD, ClientFactory, UserFactory, csrf_of, log_in
from tests.fixtures.directory import city_body


def test_pages_need_login(app_client: TestClient) -> None:
    response = app_client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"


def test_login_sets_an_httponly_samesite_cookie(app_client: TestClient, admin: User) -> None:
    page = app_client.get("/login")
    response = app_client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "hamkor_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert app_client.get("/").status_code == 200


def test_wrong_password_is_refused_in_the_readers_language(
    app_client: TestClient, admin: User
) -> None:
    page = app_client.get("/login")
    response = app_client.post(
        "/login",
        data={"username": "admin", "password": "nope-nope", "csrf_token": csrf_of(page.text)},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text


def test_login_is_throttled_after_repeated_failures(app_client: TestClient, admin: User) -> None:
    token = csrf_of(app_client.get("/login").text)
    for _ in range(5):
        app_client.post("/login", data={"username": "admin", "password": "x", "csrf_token": token})
    response = app_client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert app_client.get("/", follow_redirects=False).status_code == 303


def test_form_without_csrf_token_is_refused(app_client: TestClient, admin: User) -> None:
    app_client.get("/login")
    response = app_client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 400
    assert "The form has expired" in response.text


def test_logout_ends_the_session(admin_client: TestClient) -> None:
    home = admin_client.get("/")
    response = admin_client.post(
        "/logout", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert admin_client.get("/", follow_redirects=False).status_code == 303


def test_login_and_logout_are_audited(admin_client: TestClient, db: Session) -> None:
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.actor_name == "admin"))
    assert "login" in set(actions)


def test_api_needs_a_token(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/me", headers={"accept-language": "en"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Please log in with a valid API token."


def test_api_token_identifies_its_user(
    app_client: TestClient, create_user: UserFactory, db: Session
) -> None:
    user = create_user(Role.REGISTRAR, username="reg")
    _token, secret = new_api_token(db, user=user, name="his", scopes=["read"])
    db.commit()
    response = app_client.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "reg"
    assert body["grants"] == [{"role": "registrar", "institution_id": None, "program_id": None}]


def test_revoked_and_unknown_tokens_are_refused(
    app_client: TestClient, admin: User, db: Session
) -> None:
    token, secret = new_api_token(db, user=admin, name="old", scopes=["read"])
    token.revoked_at = token.created_at
    db.commit()
    for bearer in (secret, "hk_not-a-token"):
        response = app_client.get("/api/v1/me", headers={"authorization": f"Bearer {bearer}"})
        assert response.status_code == 401


def test_expired_tokens_and_tokens_of_deactivated_users_are_refused(
    app_client: TestClient, create_user: UserFactory, db: Session
) -> None:
    _token, expired = new_api_token(
        db, user=create_user(), name="old", scopes=["read"], expires_at=utcnow() - timedelta(1)
    )
    leaver = create_user(Role.REGISTRAR)
    _token, orphaned = new_api_token(db, user=leaver, name="left", scopes=["read"])
    leaver.is_active = False
    db.commit()
    for bearer in (expired, orphaned):
        response = app_client.get("/api/v1/me", headers={"authorization": f"Bearer {bearer}"})
        assert response.status_code == 401


def test_a_token_brings_every_role_of_its_user(
    app_client: TestClient, create_user: UserFactory, db: Session
) -> None:
    user = create_user(Role.REGISTRAR, username="two")
    db.add(Membership(user=user, role=Role.AUDITOR))
    _token, secret = new_api_token(db, user=user, name="both", scopes=["read"])
    db.commit()
    response = app_client.get("/api/v1/me", headers={"authorization": f"Bearer {secret}"})
    assert sorted(grant["role"] for grant in response.json()["grants"]) == ["auditor", "registrar"]


def test_a_read_only_token_may_not_write(app_client: TestClient, admin: User, db: Session) -> None:
    _token, secret = new_api_token(db, user=admin, name="reader", scopes=["read"])
    db.commit()
    response = app_client.post(
        "/api/v1/care/appointments",
        json={"referral_id": 1, "activity_id": 1},
        headers={"authorization": f"Bearer {secret}", "accept-language": "en"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "token", "message": "This API token may only read."}
    ]


def test_tokens_page_shows_a_new_secret_once(admin_client: TestClient, db: Session) -> None:
    page = admin_client.get("/tokens")
    response = admin_client.post(
        "/tokens", data={"name": "reporting", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 200
    found = re.search(r'<code class="secret">(hk_[^<]+)</code>', response.text)
    assert found is not None
    assert found.group(1) not in admin_client.get("/tokens").text


def test_cookie_api_writes_need_the_csrf_header(
    admin_client: TestClient, db: Session, uzbekistan: Country
) -> None:
    """An API write from the browser's log-in session (no bearer token) must carry the
    session's CSRF token in ``X-CSRF-Token``: another site's page could send the cookie."""
    token = csrf_of(admin_client.get("/tokens").text)
    body = city_body(uzbekistan)
    english = {"accept-language": "en"}

    missing = admin_client.post("/api/v1/cities", json=body, headers=english)
    wrong = admin_client.post(
        "/api/v1/cities", json=body, headers={**english, "x-csrf-token": token[::-1]}
    )
    for refused in (missing, wrong):
        assert refused.status_code == 400
        assert refused.json()["errors"] == [
            {
                "field": "csrf_token",
                "message": "The form has expired. Please reload the page and try again.",
            }
        ]
    assert db.scalar(select(City.id)) is None

    accepted = admin_client.post(
        "/api/v1/cities", json=body, headers={**english, "x-csrf-token": token}
    )
    assert accepted.status_code == 201, accepted.text
    db.expire_all()
    assert db.scalar(select(City.code)) == "SKD"


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.SPECIALIST, Role.TRAINEE])
def test_audit_trail_is_for_auditors_only(
    client_for: ClientFactory, create_user: UserFactory, role: Role, db: Session
) -> None:
    client = client_for(create_user(role))
    assert client.get("/audit").status_code == 403
    denials = db.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "denied")
    )
    assert denials == 1


def test_auditor_reads_the_trail(client_for: ClientFactory, create_user: UserFactory) -> None:
    client = client_for(create_user(Role.AUDITOR, username="aud"))
    page = client.get("/audit?action=login", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "<td>aud</td>" in page.text
    assert "<td>logged in</td>" in page.text


def test_login_uses_the_throttle_window_per_name(
    app_client: TestClient, create_user: UserFactory
) -> None:
    create_user(username="other")
    token = csrf_of(app_client.get("/login").text)
    for _ in range(2):
        app_client.post("/login", data={"username": "other", "password": "x", "csrf_token": token})
    log_in(app_client, "other")


def test_a_created_record_is_audited_with_its_id(create_user: UserFactory, db: Session) -> None:
    user = create_user(username="noted")
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "users", AuditEntry.action == "create")
    ).one()
    assert entry.entity_id == str(user.id)
    assert entry.changes["password_hash"] == "changed"
    assert entry.changes["username"] == [None, "noted"]


def test_a_user_name_longer_than_any_account_is_refused_before_it_is_counted(
    app_client: TestClient, admin: User, db: Session
) -> None:
    token = csrf_of(app_client.get("/login").text)
    response = app_client.post(
        "/login",
        data={"username": "a" * 81, "password": PASSWORD, "csrf_token": token},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    assert 'href="#f-username">Must be at most 80 characters.' in response.text
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_a_password_of_a_megabyte_is_refused_unhashed(
    app_client: TestClient, admin: User, db: Session
) -> None:
    token = csrf_of(app_client.get("/login").text)
    response = app_client.post(
        "/login",
        data={"username": "admin", "password": "x" * 500_000, "csrf_token": token},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    assert 'href="#f-password">Must be at most 256 characters.' in response.text
    assert db.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_a_token_name_too_long_is_refused_not_cut(admin_client: TestClient, db: Session) -> None:
    page = admin_client.get("/tokens")
    response = admin_client.post(
        "/tokens",
        data={"name": "n" * 101, "csrf_token": csrf_of(page.text)},
        headers={"accept-language": "en"},
    )
    assert response.status_code == 422
    assert 'href="#f-name">Must be at most 100 characters.' in response.text
    assert db.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_a_user_is_not_created_with_a_name_longer_than_its_column(db: Session) -> None:
    with pytest.raises(UserError) as refused:
        create_user(db, username="u" * 81, password=PASSWORD, display_name="U")
    assert [(e.field, e.message.render("en")) for e in refused.value.errors] == [
        ("username", "Must be at most 80 characters.")
    ]
