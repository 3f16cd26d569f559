"""No request body is read past its limit: uploads to theirs, everything else to 1 MB.

FastAPI reads a JSON body whole before any of our code runs, so a schema's bounds (issue 15)
come too late for a body of a gigabyte: it would be in memory already. This middleware counts
the body while it arrives and refuses it (413) once it passes the limit of its kind, chosen by
its declared type. Only an upload is large: a multipart form with a file, a FHIR Bundle.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hamkor.core.i18n import N_
from hamkor.settings import Settings

#: Bytes a form may hold besides its file: its other fields and the multipart boundaries.
FORM_OVERHEAD = 64 * 1024
UPLOAD_TOO_LARGE = N_("The file is larger than %(megabytes)s MB, the most an upload may be.")
BODY_TOO_LARGE = N_("The request is larger than %(megabytes)s MB, the most one may be.")


class TooLarge(HTTPException):
    """A request body past its limit, refused as it arrives (413), naming the field to blame.

    An ``HTTPException``, as FastAPI turns any other exception raised while it reads a body
    into a 400 "error parsing the body"; the app's handler gives it its translated message.
    """

    def __init__(self, field: str, limit: int, message: str = UPLOAD_TOO_LARGE) -> None:
        super().__init__(413, f"{field} larger than {limit} bytes")
        self.field = field
        self.limit = limit
        self.message = message


def limit_for(content_type: str, settings: Settings) -> tuple[int, TooLarge]:
    """The bytes a body of ``content_type`` may have, and the refusal past them, which names
    the limit a person sets (a file's, where its form may hold a little more)."""
    if content_type.startswith("multipart/form-data"):
        largest = settings.upload_max_bytes()
        return largest + FORM_OVERHEAD, TooLarge("file", largest)
    if content_type.startswith("application/fhir+json"):
        return settings.fhir_max_bytes, TooLarge("bundle", settings.fhir_max_bytes)
    return settings.body_max_bytes, TooLarge("body", settings.body_max_bytes, BODY_TOO_LARGE)


class BodyLimit:
    """Refuses a request body once it passes :func:`limit_for` its type (a declared
    ``Content-Length`` past it at once), so that it is neither kept nor read to its end.

    The refusal is raised from the body's reading, inside the app, where the app's exception
    handlers answer it; a route that never reads its body is not refused.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit, refused = limit_for(content_type, self.settings)
        declared = headers.get(b"content-length", b"")
        declared_too_large = declared.isdigit() and int(declared) > limit
        received = 0

        async def receive_bounded() -> Message:
            nonlocal received
            if declared_too_large:
                raise refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise refused
            return message

        await self.app(scope, receive_bounded, send)
