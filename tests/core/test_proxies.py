"""X-Forwarded-For is believed only from the proxies of ``HAMKOR_TRUSTED_PROXIES``.

Issue 15: uvicorn, as ``hamkor serve`` ran it, believed the header from 127.0.0.1, so a local
client named a new address for every guess and the limit per address never bit. These tests
send real requests from loopback to a server run with ``hamkor serve``'s options.
"""

from __future__ import annotations

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from hamkor.app import create_app
from hamkor.core.server import server_options
from hamkor.settings import Settings
from tests.fixtures.core import csrf_of
from tests.fixtures.live import serving


def _guesses(url: str, forwarded_for: list[str]) -> list[int]:
    """A wrong password for a new name each time, claiming to be each address in turn."""
    statuses = []
    with httpx.Client(base_url=url) as client:
        token = csrf_of(client.get("/login").text)
        for index, address in enumerate(forwarded_for):
            response = client.post(
                "/login",
                data={"username": f"guess{index}", "password": "wrong", "csrf_token": token},
                headers={"x-forwarded-for": address},
            )
            statuses.append(response.status_code)
    return statuses


def _app(settings: Settings, factory: sessionmaker[Session], proxies: str = "") -> FastAPI:
    changed = settings.model_copy(
        update={"login_max_failures_per_address": 2, "trusted_proxies": proxies}
    )
    return create_app(changed, factory)


def test_a_rotating_forwarded_address_from_loopback_is_not_believed(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    with serving(_app(settings, session_factory), **server_options()) as url:
        statuses = _guesses(url, ["198.51.100.1", "198.51.100.2", "198.51.100.3"])
    assert statuses == [401, 401, 429]


def test_the_address_a_trusted_proxy_forwards_is_the_one_counted(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    app = _app(settings, session_factory, proxies="127.0.0.1, ::1")
    with serving(app, **server_options()) as url:
        statuses = _guesses(url, ["198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2"])
    assert statuses == [401, 401, 429, 401]


def test_a_proxy_is_named_by_its_network_too(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    app = _app(settings, session_factory, proxies="127.0.0.0/8")
    with serving(app, **server_options()) as url:
        statuses = _guesses(url, ["198.51.100.1", "198.51.100.2", "198.51.100.3"])
    assert statuses == [401, 401, 401]


def test_a_trusted_proxy_that_is_no_address_is_refused() -> None:
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies="10.0.0.1, proxy.example")
