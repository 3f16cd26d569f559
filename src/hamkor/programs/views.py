"""Pages of the programs module."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from hamkor.core.access import restrict
from hamkor.core.web import PageCtx
from hamkor.programs.models import Program

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(ctx: PageCtx) -> Response:
    """The start page: the programs the user takes part in, newest first."""
    programs = ctx.db.scalars(
        restrict(select(Program).order_by(Program.starts_on.desc()), ctx.actor).limit(20)
    )
    return ctx.render("home.html", programs=list(programs))
