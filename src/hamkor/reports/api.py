"""JSON API of reports under /api/v1: a program's figures and the figures across programs
(``?from=&to=&city=&specialty=&institution=``), and a program's targets. The figures are the
caller's: counted under their access, with every count they may see shown whole."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from hamkor.core import clock
from hamkor.core.access import Action, get_for
from hamkor.core.errors import UserError
from hamkor.core.forms import PathId
from hamkor.core.i18n import LANGUAGES, N_, Translator
from hamkor.core.web import API_ERROR_RESPONSES, ApiCtx, Ctx
from hamkor.programs.models import Program
from hamkor.reports import narrative, service
from hamkor.reports.schemas import (
    BreakdownItem,
    FigureFilter,
    FigureRead,
    TargetRead,
    TargetSet,
)

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=API_ERROR_RESPONSES)


def _read(ctx: Ctx, program_ids: list[int] | None, filters: FigureFilter) -> list[FigureRead]:
    shown = service.figures(
        db=ctx.db,
        actor=ctx.actor,
        today=clock.now().date(),
        program_ids=program_ids,
        filters=filters,
        translator=ctx.translator,
    )
    return [
        FigureRead(
            key=figure.key,
            label=figure.label,
            value=figure.value.value,
            target=figure.target,
            breakdowns={
                dim: [
                    BreakdownItem(value=row.value, label=row.label, count=row.count.value or 0)
                    for row in rows
                ]
                for dim, rows in figure.breakdowns.items()
            },
        )
        for figure in shown
    ]


@router.get("/programs/{program_id}/indicators")
def program_indicators(
    ctx: ApiCtx, program_id: PathId, filters: Annotated[FigureFilter, Query()]
) -> list[FigureRead]:
    """Every indicator of the program (``docs/reports.md``), its target and its breakdowns."""
    program = get_for(ctx.db, ctx.actor, Program, program_id)
    return _read(ctx, [program.id], filters)


@router.get("/indicators")
def indicators(ctx: ApiCtx, filters: Annotated[FigureFilter, Query()]) -> list[FigureRead]:
    """Every indicator across the programs the caller sees, also broken down by program; the
    target is the sum of the programs' targets."""
    return _read(ctx, None, filters)


@router.get(
    "/programs/{program_id}/narrative",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}}}},
)
def narrative_of(
    ctx: ApiCtx,
    program_id: PathId,
    lang: Annotated[str, Query(max_length=10, description="ru, uz, uz-Cyrl, kk or en")] = "ru",
) -> PlainTextResponse:
    """The program's figures told as a press release (Markdown) in ``lang``, from the figures
    the caller may see."""
    program = get_for(ctx.db, ctx.actor, Program, program_id)
    if lang not in LANGUAGES:
        raise UserError.one("lang", N_("Choose one of the offered values."))
    translator = Translator(lang)
    found = service.report_figures(
        ctx.db,
        program,
        translator,
        today=clock.now().date(),
        threshold=None,
        reader=ctx.actor,
    )
    text = narrative.program_narrative(ctx.db, found, translator)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.get("/programs/{program_id}/targets")
def list_targets(ctx: ApiCtx, program_id: PathId) -> list[TargetRead]:
    program = get_for(ctx.db, ctx.actor, Program, program_id)
    return [TargetRead.model_validate(t) for t in service.targets_of(ctx.db, program)]


@router.put("/programs/{program_id}/targets")
def set_target(ctx: ApiCtx, program_id: PathId, data: TargetSet) -> TargetRead:
    """Set the program's target for one indicator (its coordinators only)."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    target = service.set_target(db=ctx.db, actor=ctx.actor, program=program, data=data)
    return TargetRead.model_validate(target)
