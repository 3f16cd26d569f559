"""The start page: the reader's workspace, by the roles they hold (issue 20)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from hamkor.care import labels as care_labels
from hamkor.core import clock
from hamkor.core.audit_query import ACTION_LABELS
from hamkor.core.dates import SearchDate
from hamkor.core.pages import see_other
from hamkor.core.web import PageCtx
from hamkor.programs import labels as program_labels
from hamkor.programs import service as programs
from hamkor.programs.filters import ProgramFilter
from hamkor.training import labels as training_labels
from hamkor.workspaces import service

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(ctx: PageCtx, day: SearchDate | None = None) -> Response:
    """The reader's workspace; a coordinator's alone is their current program's dashboard,
    which shows the program's state on top. A reader of no workspace sees the programs."""
    now = clock.now()
    found = service.workspace(db=ctx.db, actor=ctx.actor, now=now, today=now.date(), day=day)
    if found.sections == ["program"] and found.state is not None:
        return see_other(f"/programs/{found.state.program.id}")
    listed = []
    if not found.sections:
        listed = programs.list_programs(
            db=ctx.db, actor=ctx.actor, filters=ProgramFilter(), page_size=20
        ).items
    return ctx.render(
        "workspaces/home.html",
        workspace=found,
        programs=listed,
        figures=programs.figures(db=ctx.db, program_ids=[p.id for p in listed]),
        may_create=programs.may_create_program(ctx.actor),
        today=now.date(),
        actions=ACTION_LABELS,
        labels=program_labels,
        care_labels=care_labels,
        training_labels=training_labels,
    )
