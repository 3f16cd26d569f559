"""Many more requests in flight than database connections, on PostgreSQL: all are answered.

A request keeps its connection from its first query, in a dependency, to its commit, after
its answer is checked in another hop to a thread. When the threads were as few as the
connections, requests waiting for a connection held every thread while the requests holding
the connections waited for one, and only the pool's time-out broke the jam, with a 503: the
booking benchmark fell to 56 bookings a second at 64 clients.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from hamkor.core.db import transaction
from hamkor.core.models import Role
from hamkor.core.security import new_api_token
from hamkor.core.users import create_user, grant
from tests.fixtures.core import PASSWORD
from tests.fixtures.live import at_once, own_schema, serve_app

SCHEMA = "core_request_threads"
CONNECTIONS = 4
AT_ONCE = 32


@pytest.fixture
def factory() -> Iterator[sessionmaker[Session]]:
    with own_schema(SCHEMA, pool_size=CONNECTIONS) as made:
        yield made


def test_requests_far_beyond_the_connections_are_all_answered(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(factory) as db:
        user = create_user(db, username="hospital", password=PASSWORD, display_name="HIS")
        grant(db, user=user, role=Role.REGISTRAR)
        _token, secret = new_api_token(db, user=user, name="his", scopes=["read"])
    auth = {"authorization": f"Bearer {secret}"}

    def call(_index: int) -> int:
        with httpx.Client(base_url=url, headers=auth, timeout=60) as http:
            return sum(http.get("/api/v1/countries").status_code == 200 for _ in range(5))

    # The app's pool setting as the engine's: two connections kept, two more in bursts.
    with serve_app(factory, tmp_path, database_pool_size=2, database_pool_timeout=3) as url:
        answered = at_once(AT_ONCE, call)
    assert answered == Counter({5: AT_ONCE})
