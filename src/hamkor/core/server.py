"""How ``hamkor serve`` runs the app with uvicorn; kept apart from the app so that the
supervisor of several workers does not import it."""

from __future__ import annotations

import os
import socket
from typing import Any

from hamkor.core import logs
from hamkor.settings import get_settings


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


def follow_served_address(host: str, port: int) -> str:
    """The public address of links and certificates: ``HAMKOR_PUBLIC_BASE_URL`` when it is set,
    else the address served, so that ``make run PORT=8080`` mails no dead link to port 8000.

    Set in the environment, which uvicorn's worker processes inherit, and read afresh here.
    """
    if "public_base_url" not in get_settings().model_fields_set:
        shown = socket.getfqdn() if host in {"0.0.0.0", "::", ""} else host
        os.environ["HAMKOR_PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
        get_settings.cache_clear()
    return get_settings().public_base_url
