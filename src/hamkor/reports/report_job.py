"""A program's report made in the background: a job any worker can run, with its progress.

The command (and, to come, the program's page) queues it; the handler counts the figures as
the program's coordinator, suppresses small counts of patients by the threshold it was given
and writes the file. A report carries aggregates only, a few kilobytes: the file travels in the
job's result (base64) to whoever asked for it.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy.orm import Session

from hamkor.core import jobs
from hamkor.core.access import Actor
from hamkor.core.errors import UserError, problem, refuse_any
from hamkor.core.i18n import LANGUAGES, N_, Translator
from hamkor.programs.models import Program
from hamkor.reports.files import FORMATS
from hamkor.reports.service import report_figures

REPORT_JOB = "reports.program"
REPORT_LABEL = N_("Report of a program")
_CHOOSE = N_("Choose one of the offered values.")


def start(
    *,
    db: Session,
    actor: Actor,
    program: Program,
    format: str,
    language: str,
    threshold: int,
) -> jobs.Job:
    """Queue the report of a program the actor keeps (the caller loaded it for change)."""
    errors = []
    if format not in FORMATS:
        errors.append(problem("format", _CHOOSE))
    if language not in LANGUAGES:
        errors.append(problem("lang", _CHOOSE))
    refuse_any(errors)
    payload = {
        "program_id": program.id,
        "format": format,
        "language": language,
        "threshold": threshold,
    }
    # The operator of a command (user 0) is nobody's account.
    asker = actor.user_id or None
    return jobs.enqueue(db=db, kind=REPORT_JOB, payload=payload, created_by=asker)


def report_job(context: jobs.JobContext) -> dict[str, Any]:
    """Count the figures, write the file, and hand it over in the result."""
    payload = context.payload
    written = FORMATS[payload["format"]]
    translator = Translator(payload["language"])
    context.progress(5, N_("Counting the figures"), force=True)
    with context.sessions() as db:
        program = db.get(Program, payload["program_id"])
        if program is None:
            raise UserError.one("program", _CHOOSE)
        found = report_figures(
            db,
            program,
            translator,
            today=context.as_of().date(),
            threshold=payload["threshold"],
        )
        context.progress(70, N_("Writing the file"), force=True)
        data = written.write(db, found, translator, payload["threshold"])
        name = f"{program.code}-{payload['language']}{written.extension}"
    return {
        "name": name,
        "media_type": written.media_type,
        "content": base64.b64encode(data).decode("ascii"),
    }


def file_of(result: dict[str, Any]) -> bytes:
    """The file a finished report job made."""
    return base64.b64decode(result["content"])
