"""FHIR answers: ``application/fhir+json`` bodies, and OperationOutcomes for every refusal.

The app's error handlers (``app.error_response``) hand every error under /fhir here, so a
FHIR client gets an OperationOutcome for a 401, 403, 404, a refused search or import, as for
a crash, in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from hamkor.care.fhir.resources import Resource, validated
from hamkor.care.fhir.terms import FHIR_JSON

PREFIX = "/fhir"

# Issue types of FHIR's IssueType value set for our HTTP statuses.
_ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    413: "too-long",
    422: "processing",
    500: "exception",
}


class FhirResponse(JSONResponse):
    """A FHIR JSON body."""

    media_type = FHIR_JSON


def serves(request: Request) -> bool:
    """Whether a request is one of the FHIR API's (its errors are OperationOutcomes)."""
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def operation_outcome(status: int, title: str, errors: Sequence[dict[str, str]]) -> Resource:
    """An OperationOutcome: one issue per field error, or one for the whole request."""
    code = _ISSUE_CODES.get(status, "processing")
    severity = "fatal" if status >= 500 else "error"
    issues: list[dict[str, Any]] = [
        {
            "severity": severity,
            "code": code,
            "diagnostics": f"{error['field']}: {error['message']}"
            if error["field"]
            else error["message"],
            "expression": [error["field"]] if error["field"] else [],
        }
        for error in errors
    ] or [{"severity": severity, "code": code, "diagnostics": title}]
    return validated({"resourceType": "OperationOutcome", "issue": issues})


def error_response(status: int, title: str, errors: Sequence[dict[str, str]]) -> FhirResponse:
    """The app's error handlers' answer under /fhir: FHIR clients read OperationOutcomes."""
    return FhirResponse(operation_outcome(status, title, errors), status_code=status)
