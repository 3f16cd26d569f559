"""No traceback, SQL statement or value of a failing request reaches the server's log.

The server runs as ``hamkor serve`` runs it (uvicorn with ``core.logs.server_config()``) on a
SQLite file whose tables are then broken, so that a search and a write fail inside the
database with a known identifier in hand, and with one route more that fails as a bug would,
its exception holding the identifier; the log written meanwhile is searched for it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
import uvicorn
from sqlalchemy import text

from hamkor.app import create_app
from hamkor.core import logs, migrate
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.models import Membership, Role
from hamkor.core.security import new_api_token
from hamkor.core.users import create_user
from hamkor.directory.service import ensure_country
from hamkor.settings import Settings

IDENTIFIER = "AB7351902"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    address: str
    headers: dict[str, str]
    database_url: str
    country_id: int
    log: Path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A running server logging to a file as it would to stderr, an admin's API headers."""
    url = f"sqlite:///{tmp_path / 'logs.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as db:
        admin = create_user(db, username="log-admin", password="log-pass-1", display_name="A")
        db.add(Membership(user=admin, role=Role.PLATFORM_ADMIN))
        db.flush()
        _token, secret = new_api_token(db, user=admin, name="logs", scopes=["read", "write"])
        country_id = ensure_country(db, "UZ").id
    settings = Settings(var_dir=tmp_path, database_url=url, secret_key="logs", job_workers=0)
    port = _free_port()
    app = create_app(settings, sessions)
    app.add_api_route("/api/v1/bug", _bug)
    log = tmp_path / "server.log"
    log_config = logs.server_config()
    log_config["handlers"]["default"] |= {"class": "logging.FileHandler", "filename": str(log)}
    del log_config["handlers"]["default"]["stream"]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, access_log=False, log_config=log_config
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    headers = {"authorization": f"Bearer {secret}"}
    yield Served(f"http://127.0.0.1:{port}", headers, url, country_id, log)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _bug() -> None:
    raise RuntimeError(f"INSERT INTO care_identifiers VALUES ('passport', '{IDENTIFIER}')")


def _status(request: Request) -> int:
    try:
        with urlopen(request, timeout=30) as response:
            return int(response.status)
    except HTTPError as refused:
        return refused.code


def _break(url: str, table: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {table} RENAME TO {table}_gone"))
    engine.dispose()


def test_failing_searches_writes_and_bugs_log_their_kind_only(served: Served) -> None:
    address, headers = served.address, served.headers
    _break(served.database_url, "countries")
    search = _status(
        Request(f"{address}/api/v1/countries?{urlencode({'q': IDENTIFIER})}", headers=headers)
    )
    _break(served.database_url, "audit_log")
    body = {
        "code": IDENTIFIER,
        "country_id": served.country_id,
        "names": {"en": IDENTIFIER},
        "latitude": 39.65,
        "longitude": 66.96,
        "timezone": "Asia/Samarkand",
    }
    write = _status(
        Request(
            f"{address}/api/v1/cities",
            data=json.dumps(body).encode(),
            headers=headers | {"content-type": "application/json"},
            method="POST",
        )
    )
    bug = _status(Request(f"{address}/api/v1/bug?{urlencode({'q': IDENTIFIER})}", headers=headers))
    time.sleep(0.2)  # the server thread writes its log after answering
    log = served.log.read_text()

    assert (search, write, bug) == (503, 503, 500)
    assert "OperationalError" in log
    assert "RuntimeError" in log
    for leak in (IDENTIFIER, "Traceback", "SELECT", "INSERT", "care_identifiers"):
        assert leak not in log, leak
