"""What the server writes to its log: the kind of a failure and where, never its content.

A failing request's exception carries what it was working on: a database error's text holds
its SQL statement (and, without ``hide_parameters``, its values), a traceback holds the
arguments of each frame. After Hamkor has answered a crash with its 500 page, Starlette
re-raises the exception so that the server may log it, and uvicorn logs it with its
traceback. The filter here turns every logged exception into its type's name, so a patient's
identifier never reaches a log (issue 15); the app's own records already name only the kind
and the path.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from uvicorn.config import LOGGING_CONFIG


class WithoutExceptions(logging.Filter):
    """Keep a record's first line and its exception's type; drop the exception itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            first_line = record.getMessage().splitlines()[0] if record.getMessage() else ""
            record.msg = f"{first_line} ({record.exc_info[0].__name__})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def server_config() -> dict[str, Any]:
    """uvicorn's logging configuration with every handler filtered, and Hamkor's own loggers
    (jobs, the app's refusals) written by the same handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"without_exceptions": {"()": WithoutExceptions}}
    for handler in config["handlers"].values():
        handler["filters"] = ["without_exceptions"]
    config["loggers"]["hamkor"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
