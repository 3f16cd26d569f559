"""The word after an action: "Saved.", "Booked: slot 10:20 with Dr …".

A form that succeeds answers with a redirect (so that reloading the next page does not post
again), and the next page says what was done. The message travels in a short-lived signed
cookie, as a message id with its parameters, and is translated on the page that shows it, in
the reader's language then. No patient data goes into one: it says what was done, not to whom.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from hamkor.core.i18n import Message
from hamkor.settings import Settings

COOKIE = "hamkor_flash"
_SALT = "hamkor.flash"
#: Long enough to survive the redirect, short enough to be gone if the page is never opened.
_MAX_AGE_SECONDS = 60


def _signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.resolved_secret_key(), salt=_SALT)


def flash(response: Response, message: Message, settings: Settings) -> Response:
    """Have the next page the browser opens say ``message``."""
    value = _signer(settings).dumps({"text": message.text, "params": message.params})
    response.set_cookie(
        COOKIE,
        value,
        max_age=_MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


def take(request: Request, settings: Settings) -> Message | None:
    """The message the previous action left for this page, if any (a forged one is ignored)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        data: Any = _signer(settings).loads(value)
    except BadSignature:
        return None
    return Message(str(data["text"]), dict(data["params"]))


def forget(response: Response) -> None:
    """The message is shown: the next page says nothing."""
    response.delete_cookie(COOKIE)
