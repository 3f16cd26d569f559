"""Large Bundles imported as jobs, by FHIR's asynchronous request pattern (issue 15).

A Bundle of thousands of referrals took minutes in one request. Posted with
``Prefer: respond-async`` it is kept and imported by a job (``core.import_jobs``), as the same
user and still all or nothing; the answer is ``202 Accepted`` with ``Content-Location``, the
status address the client polls: ``202`` with ``X-Progress`` while it runs, then ``200`` with a
``batch-response`` Bundle whose one entry is what the request would have answered (the
transaction-response, or the OperationOutcome of a refusal). See
https://hl7.org/fhir/R4/async.html. A Bundle of more entries than ``HAMKOR_IMPORT_JOB_ROWS``
is imported only this way.

The job keeps a refusal's messages as catalog ids with their values, so the status address
tells them in the language of whoever polls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import orjson
from sqlalchemy.orm import Session

from hamkor.care.fhir.importing import import_bundle, response_bundle
from hamkor.care.fhir.resources import Resource
from hamkor.care.fhir.responses import operation_outcome
from hamkor.core import jobs
from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_, Message, Translator
from hamkor.core.import_jobs import queue
from hamkor.core.importing import Progress, Stage

FHIR_IMPORT_JOB = "care.fhir_import"
#: How a client asks for the asynchronous pattern (RFC 7240's ``Prefer`` header).
RESPOND_ASYNC = "respond-async"
ASYNC_REQUIRED = N_(
    "A Bundle of more than %(limit)s entries is imported as a job: send it again with the "
    "header “Prefer: respond-async” and follow the address of its answer."
)
#: The statuses of the entry of the final answer, by the request's own answer.
_STATUS_LINES = {200: "200 OK", 422: "422 Unprocessable Entity", 500: "500 Internal Server Error"}
_TITLES = {
    422: N_("Some fields need correcting."),
    500: N_("Something went wrong on our side. The error was logged; please try again."),
}


def wants_async(prefer: str | None) -> bool:
    """Whether the ``Prefer`` header asks for the asynchronous pattern."""
    return RESPOND_ASYNC in [part.strip() for part in (prefer or "").split(",")]


def entries_of(bundle: Any) -> int:
    """The entries a posted Bundle holds (0 for what is no Bundle: the import says why)."""
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    return len(entries) if isinstance(entries, list) else 0


def start(
    *, db: Session, actor: Actor, bundle: Any, program_code: str | None, address: str | None
) -> jobs.Job:
    """Keep the Bundle and queue its import."""
    return queue(
        db=db,
        actor=actor,
        content=orjson.dumps(bundle),
        filename="bundle.json",
        kind=FHIR_IMPORT_JOB,
        payload={"program": program_code, "rows": entries_of(bundle), "address": address},
    )


@dataclass(frozen=True)
class Imported:
    """What the import answered: the transaction-response, or the refusal's messages (their
    catalog ids and values, translated when read)."""

    bundle: Resource | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"bundle": self.bundle, "errors": self.errors}


def run(
    db: Session, actor: Actor, file: BinaryIO, payload: Mapping[str, Any], report: Progress
) -> Imported:
    """The job's import of the kept Bundle, as ``actor``: its answer, written or refused."""
    try:
        outcomes = import_bundle(
            db=db,
            actor=actor,
            bundle=orjson.loads(file.read()),
            program_code=payload.get("program"),
            progress=lambda done, total: report(Stage.WRITING, done, total),
        )
    except UserError as refused:
        errors = [
            {"field": error.field, "message": error.message.text, "params": error.message.params}
            for error in refused.errors
        ]
        return Imported(errors=errors)
    return Imported(bundle=response_bundle(outcomes))


def answer(job: jobs.Job, translator: Translator) -> Resource:
    """The finished job's ``batch-response``: one entry, the import's own answer."""
    result = job.result or {}
    if job.status == jobs.JobStatus.DONE and result.get("bundle") is not None:
        status, resource = 200, result["bundle"]
    else:
        status = 422 if result.get("errors") else 500
        failed = {"field": "", "message": job.error, "params": job.error_params}
        errors = result.get("errors") or [failed]
        shown = [
            {
                "field": error["field"],
                "message": Message(error["message"] or _TITLES[500], error["params"]).render(
                    translator.language
                ),
            }
            for error in errors
        ]
        resource = operation_outcome(status, translator.gettext(_TITLES[status]), shown)
    return {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [{"resource": resource, "response": {"status": _STATUS_LINES[status]}}],
    }
