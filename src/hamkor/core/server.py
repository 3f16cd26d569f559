"""How ``hamkor serve`` runs the app with uvicorn; kept apart from the app so that the
supervisor of several workers does not import it."""

from __future__ import annotations

from typing import Any

from hamkor.core import logs


def server_options() -> dict[str, Any]:
    """uvicorn's options for ``hamkor serve`` (and for tests against a real server).

    - ``proxy_headers=False``: uvicorn's default believes X-Forwarded-For from 127.0.0.1, so
      any local client could claim a new address for each guess at a password (issue 15);
      the app itself believes only ``HAMKOR_TRUSTED_PROXIES`` (``app.create_app``).
    - No access log: uvicorn's writes every address whole, and a search's address holds what
      was searched for, a patient's name (who read which record is the audit trail's job).
    - A worker imports the whole app before it answers the supervisor's pings; on a busy
      machine that takes longer than uvicorn's 5 s, and the workers were killed in a loop.
    """
    return {
        "proxy_headers": False,
        "access_log": False,
        "timeout_worker_healthcheck": 60,
        "log_config": logs.server_config(),
    }
