"""The throttle's counters: a delay that doubles past the limit, a fixed window for public routes.

The clock is a parameter of the counters, so each test says when each hit happens.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hamkor.app import create_app
from hamkor.core.i18n import Translator
from hamkor.core.models import User
from hamkor.core.throttle import FIRST_DELAY, Kind, Rule, Verdict, address_key, hit
from hamkor.settings import Settings
from tests.fixtures.core import PASSWORD, UserFactory, csrf_of

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LOGIN = Rule(limit=3, window=timedelta(minutes=15), max_delay=timedelta(minutes=4))
PUBLIC = Rule(limit=3, window=timedelta(minutes=1))


def _hit(db: Session, rule: Rule, at: datetime, key: str = "someone") -> Verdict:
    return hit(db, kind=Kind.LOGIN_ACCOUNT, key=key, rule=rule, now=at)


def _after(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_limit_of_hits_go_ahead_at_once(db: Session) -> None:
    verdicts = [_hit(db, LOGIN, T0) for _ in range(4)]
    assert verdicts == [Verdict(True)] * 3 + [Verdict(False, 30)]


def test_the_delay_doubles_with_each_hit_past_the_limit(db: Session) -> None:
    for _ in range(3):
        _hit(db, LOGIN, T0)
    waits = []
    at = T0
    for _ in range(3):
        at += timedelta(seconds=_hit(db, LOGIN, at).retry_after)  # refused: how long to wait
        assert _hit(db, LOGIN, at).allowed  # then one more goes ahead
        waits.append(_hit(db, LOGIN, at).retry_after)
    assert waits == [60, 120, 240]


def test_the_delay_stops_growing_at_the_maximum(db: Session) -> None:
    for _ in range(3):
        _hit(db, LOGIN, T0)
    at = T0
    for _ in range(6):
        at += timedelta(seconds=_hit(db, LOGIN, at).retry_after)
        _hit(db, LOGIN, at)
    assert _hit(db, LOGIN, at).retry_after == 240


def test_a_refused_hit_makes_the_wait_no_longer(db: Session) -> None:
    for _ in range(3):
        _hit(db, LOGIN, T0)
    for second in range(1, 29):
        _hit(db, LOGIN, _after(second))
    assert _hit(db, LOGIN, _after(30)).allowed


def test_failures_are_forgotten_a_window_after_the_last_wait(db: Session) -> None:
    for _ in range(3):
        _hit(db, LOGIN, T0)
    quiet = _after(FIRST_DELAY.total_seconds()) + LOGIN.window
    assert [_hit(db, LOGIN, quiet).allowed for _ in range(3)] == [True, True, True]


def test_the_counters_of_two_keys_are_apart(db: Session) -> None:
    for _ in range(3):
        _hit(db, LOGIN, T0, key="a")
    assert _hit(db, LOGIN, T0, key="b").allowed


def test_a_public_window_refuses_past_the_limit_until_it_ends(db: Session) -> None:
    verdicts = [_hit(db, PUBLIC, T0) for _ in range(3)] + [_hit(db, PUBLIC, _after(10))]
    assert verdicts == [Verdict(True)] * 3 + [Verdict(False, 50)]


def test_a_public_window_starts_afresh_once_over(db: Session) -> None:
    for _ in range(3):
        _hit(db, PUBLIC, T0)
    assert _hit(db, PUBLIC, _after(60)).allowed


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_an_ipv6_client_counts_by_its_64_network(address: str, key: str) -> None:
    assert address_key(address) == key


# --- through the log-in page ----------------------------------------------------------------


def _try(client: TestClient, username: str, password: str, **headers: str) -> int:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )
    if response.status_code == 303:
        client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
    return response.status_code


def test_a_success_resets_the_accounts_count(app_client: TestClient, admin: User) -> None:
    statuses = [_try(app_client, "admin", "wrong") for _ in range(4)]
    statuses.append(_try(app_client, "admin", PASSWORD))
    statuses += [_try(app_client, "admin", "wrong") for _ in range(4)]
    assert statuses == [401] * 4 + [303] + [401] * 4


def test_a_refused_log_in_says_when_to_try_again_in_the_readers_language(
    app_client: TestClient, admin: User
) -> None:
    for _ in range(5):
        _try(app_client, "admin", "wrong")
    token = csrf_of(app_client.get("/login").text)
    response = app_client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        headers={"accept-language": "ru"},
    )
    expected = Translator("ru").ngettext(
        "Too many failed attempts. Try again in %(num)s second.",
        "Too many failed attempts. Try again in %(num)s seconds.",
        30,
    )
    assert (response.status_code, response.headers["retry-after"]) == (429, "30")
    assert expected in response.text


def test_colleagues_behind_one_address_all_log_in(
    settings: Settings,
    session_factory: sessionmaker[Session],
    create_user: UserFactory,
) -> None:
    """The limit per address counts failures only: a hospital's staff share one address."""
    names = [create_user().username for _ in range(4)]
    few = settings.model_copy(update={"login_max_failures_per_address": 2})
    with TestClient(create_app(few, session_factory)) as client:
        statuses = [_try(client, name, PASSWORD) for name in names]
    assert statuses == [303] * 4


def test_guesses_at_many_names_from_one_address_are_slowed(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    few = settings.model_copy(update={"login_max_failures_per_address": 3})
    with TestClient(create_app(few, session_factory)) as client:
        statuses = [_try(client, f"name{index}", "wrong") for index in range(4)]
    assert statuses == [401, 401, 401, 429]
