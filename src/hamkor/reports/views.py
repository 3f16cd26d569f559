"""Pages of reports: a program's dashboard (its overview page), the dashboard across programs,
the targets form, the publication of a program's figures and its public page.

Routes go in a fixed order: load (404), check access (403, audited), call the service, render.
The dashboard's figures are the reader's own (counted under their access); the public page's
are the program's as its coordinator sees them, with small counts of patients suppressed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from babel import Locale
from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from hamkor.core import clock, jobs
from hamkor.core.access import Action, NotFound, can, get_for
from hamkor.core.files import content_disposition
from hamkor.core.forms import PathId
from hamkor.core.i18n import LANGUAGES, N_, Message, locale
from hamkor.core.pages import Refusal, named_options, save_then, see_other
from hamkor.core.web import Ctx, Form, PageCtx, PublicCtx, PublicLimit, settings_of
from hamkor.directory import service as directory_service
from hamkor.directory.models import City, Institution, Specialty
from hamkor.programs.models import Program
from hamkor.programs.views import overview_page
from hamkor.reports import charts, labels, report_job, service
from hamkor.reports.areas import breakdown_title
from hamkor.reports.charts import Chart
from hamkor.reports.files import FORMATS
from hamkor.reports.indicators import CATALOGUE
from hamkor.reports.narrative import narrative, paragraphs
from hamkor.reports.schemas import FigureFilter, ReportAsked, TargetSet
from hamkor.reports.service import ReportFigures, Row, Shown
from hamkor.reports.worklist import program_state

router = APIRouter(include_in_schema=False)
#: The public address of a program's figures: a random token, not its id.
Slug = Annotated[str, Path(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]

REPORT_STARTED = N_("The report is being made.")
#: The charts a dashboard draws: an indicator by one of its breakdowns.
CHARTS = (
    ("patients_consulted", "day"),
    ("activities", "kind"),
    ("interventions_performed", "city"),
    ("delegates", "institution"),
    ("trainees_completed", "specialty"),
    ("cascade_reach", "district"),
    ("teleconsultations", "institution"),
)
#: The figures on the cards at the top of a dashboard; the others are in the tables below.
CARDS = (
    "delegates",
    "cities",
    "interventions_performed",
    "patients_consulted",
    "trainees_completed",
    "agreements_signed",
    "teleconsultations",
)


@dataclass(frozen=True)
class Drawn:
    """A chart and the rows it draws, which the page also gives as a table."""

    chart: Chart
    figure: Shown
    dim: str
    rows: Sequence[Row]


#: The list behind each figure: in a program (``{p}`` its address, ``{q}`` the dashboard's
#: filters that the list knows), and across programs.
LISTS: dict[str, tuple[str, str]] = {
    "delegates": ("{p}/participants", "/programs"),
    "brigades": ("{p}/delegations", "/programs"),
    "cities": ("{p}/calendar?by=city&{q}", "/programs"),
    "activities": ("{p}/calendar?by=day&{q}", "/programs"),
    "interventions_performed": ("{p}/calendar?by=city&{q}", "/programs"),
    "operations_performed": ("/care/waitlist?status=operated",) * 2,
    "patients_referred": ("/care/waitlist?status=",) * 2,
    "patients_booked": ("/care/sessions",) * 2,
    "patients_consulted": ("/care/sessions",) * 2,
    "follow_ups": ("/care/follow-ups",) * 2,
    "certificates_issued": ("/certificates",) * 2,
    "certificates_revoked": ("/certificates",) * 2,
    "agreements_signed": ("{p}/agreements", "/agreements"),
    "roadmap_items": ("{p}/agreements", "/agreements"),
    **dict.fromkeys(
        (
            "teleconsultations",
            "teleconsultations_answered",
            "teleconsultation_hours",
            "teleconsultations_in_time",
            "visits_avoided",
        ),
        ("/telemedicine",) * 2,
    ),
}
#: Training's figures lead to the program's courses.
COURSES = ("/training?program={id}", "/training")


def list_of(key: str, program: Program | None, filters: FigureFilter) -> str:
    """The list behind a figure, narrowed like the dashboard where the list can be."""
    inside, across = LISTS.get(key, COURSES)
    if program is None:
        return across
    known = {k: v for k, v in filters.query().items() if k in ("from", "to", "city", "specialty")}
    return inside.format(p=f"/programs/{program.id}", q=urlencode(known), id=program.id)


def _draw(ctx: Ctx, figures: Sequence[Shown]) -> list[Drawn]:
    by_key = {figure.key: figure for figure in figures}
    drawn = []
    for key, dim in CHARTS:
        figure = by_key.get(key)
        if figure is None or not figure.breakdowns.get(dim):
            continue
        rows = figure.breakdowns[dim]
        title = breakdown_title(figure, dim, ctx.translator)
        chart = charts.draw(title, rows, figure.label, ctx.language)
        drawn.append(Drawn(chart, figure, dim, rows))
    return drawn


def _dashboard(
    ctx: Ctx,
    *,
    program: Program | None,
    filters: FigureFilter,
    threshold: int | None = None,
) -> dict[str, Any]:
    """What both dashboards and the public page show: cards, charts, tables, the filters."""
    figures = service.figures(
        db=ctx.db,
        actor=ctx.actor,
        today=clock.now().date(),
        program_ids=None if program is None else [program.id],
        filters=filters,
        translator=ctx.translator,
        threshold=threshold,
    )
    by_key = {figure.key: figure for figure in figures}
    return {
        "figures": figures,
        "cards": [by_key[key] for key in CARDS],
        "drawn": _draw(ctx, figures),
        "filters": filters,
        "links": {figure.key: list_of(figure.key, program, filters) for figure in figures},
        "dimension": labels.DIMENSION,
        "threshold": threshold,
        "import_map": charts.IMPORT_MAP,
    }


def _filter_choices(ctx: Ctx) -> dict[str, Any]:
    def options(model: type[Any]) -> list[tuple[int, str]]:
        rows = directory_service.choices(db=ctx.db, actor=ctx.actor, model=model)
        return named_options(ctx.translator, rows)

    return {
        "cities": options(City),
        "specialties": options(Specialty),
        "institutions": options(Institution),
    }


def language_name(code: str) -> str:
    """A language as its own speakers write its name: "қазақ тілі", "o‘zbek"."""
    where = Locale.parse(locale(code))
    return str(where.get_display_name(where))


def _program_page(
    ctx: Ctx,
    program: Program,
    filters: FigureFilter,
    refusal: Refusal | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    keeps = can(ctx.db, ctx.actor, Action.CHANGE, program)
    shown = _dashboard(ctx, program=program, filters=filters)
    now = clock.now()
    told = ReportFigures(program, ctx.language, now.date(), None, ctx.actor, shown["figures"])
    # Its coordinators open the program's state first: their workspace (issue 20).
    state = (
        program_state(db=ctx.db, actor=ctx.actor, program=program, now=now, today=now.date())
        if keeps
        else None
    )
    return overview_page(
        ctx,
        program,
        refusal,
        template="reports/dashboard.html",
        keeps=keeps,
        state=state,
        publication=service.publication_of(ctx.db, program) if keeps else None,
        indicators=[(key, ctx._(i.label)) for key, i in CATALOGUE.items()],
        report_formats=list(FORMATS),
        languages=[(code, language_name(code)) for code in LANGUAGES],
        errors=refusal.errors if refusal else {},
        form=form or {},
        narrative=paragraphs(narrative(ctx.db, told, ctx.translator)),
        roadmap=service.roadmap_indicators(
            ctx.db, ctx.actor, program, shown["figures"], ctx.translator
        ),
        **_filter_choices(ctx),
        **shown,
    )


@router.get("/programs/{program_id}", response_class=HTMLResponse)
def program_dashboard(
    ctx: PageCtx, program_id: PathId, filters: Annotated[FigureFilter, Query()]
) -> Response:
    """A program's overview: its figures against its targets, charts, breakdowns, filters."""
    return _program_page(ctx, get_for(ctx.db, ctx.actor, Program, program_id), filters)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(ctx: PageCtx, filters: Annotated[FigureFilter, Query()]) -> Response:
    """The figures across the programs the reader sees (the ministry's dashboard)."""
    return ctx.render(
        "reports/across.html",
        **_filter_choices(ctx),
        **_dashboard(ctx, program=None, filters=filters),
    )


@router.post("/programs/{program_id}/targets", response_class=HTMLResponse)
def set_target(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Set one of the program's targets (its coordinators only)."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        TargetSet,
        lambda data: service.set_target(db=ctx.db, actor=ctx.actor, program=program, data=data),
        done=f"/programs/{program.id}#targets",
        again=lambda refusal: _program_page(ctx, program, FigureFilter(), refusal, form),
    )


@router.post("/programs/{program_id}/report", response_class=HTMLResponse)
def start_report(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Make the program's report as a file in the background (its coordinators only), and go
    to the job's page, which shows its progress and then the download."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)

    def start(data: ReportAsked) -> jobs.Job:
        return report_job.start(
            db=ctx.db,
            actor=ctx.actor,
            program=program,
            format=data.format,
            language=data.lang,
            threshold=settings_of(ctx.request).report_small_count,
        )

    return save_then(
        ctx,
        form,
        ReportAsked,
        start,
        done=lambda job: f"/reports/jobs/{job.id}",
        again=lambda refusal: _program_page(ctx, program, FigureFilter(), refusal, form),
        said=Message(REPORT_STARTED),
    )


def _report_job(ctx: PageCtx, job_id: int) -> jobs.Job:
    """A report job of the reader's own (any, for an admin); another job is not one: 404."""
    job = jobs.get_visible(ctx.db, ctx.actor, job_id)
    if job.kind != report_job.REPORT_JOB:
        raise NotFound(jobs.Job.__tablename__, job_id)
    return job


@router.get("/reports/jobs/{job_id}", response_class=HTMLResponse)
def report_job_page(ctx: PageCtx, job_id: PathId) -> Response:
    """A report being made: its progress (reload, or htmx polls the panel), then the file."""
    job = _report_job(ctx, job_id)
    program = ctx.db.get(Program, job.payload["program_id"])
    return ctx.render("reports/job.html", job=job, program=program, failed=jobs.FAILED_UNEXPECTEDLY)


@router.get("/reports/jobs/{job_id}/progress", response_class=HTMLResponse)
def report_job_progress(ctx: PageCtx, job_id: PathId) -> Response:
    """The panel htmx polls every second; once the job ends it holds the download, and stops."""
    job = _report_job(ctx, job_id)
    return ctx.render("reports/_job_progress.html", job=job, failed=jobs.FAILED_UNEXPECTEDLY)


@router.get("/reports/jobs/{job_id}/file")
def report_file(ctx: PageCtx, job_id: PathId) -> Response:
    """The finished report's file (404 until it is made)."""
    job = _report_job(ctx, job_id)
    if job.status != jobs.JobStatus.DONE or job.result is None:
        raise NotFound(jobs.Job.__tablename__, job_id)
    return Response(
        report_job.file_of(job.result),
        media_type=job.result["media_type"],
        headers={
            "Content-Disposition": content_disposition(job.result["name"]),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.post("/programs/{program_id}/publication", response_class=HTMLResponse)
def publish(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Publish the program's figures at a public address."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    service.publish(db=ctx.db, actor=ctx.actor, program=program)
    return see_other(f"/programs/{program.id}#publication")


@router.post("/programs/{program_id}/publication/delete", response_class=HTMLResponse)
def unpublish(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    """Take the program's public page down."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    service.unpublish(db=ctx.db, actor=ctx.actor, program=program)
    return see_other(f"/programs/{program.id}#publication")


@router.get("/public/programs/{slug}", response_class=HTMLResponse, dependencies=[PublicLimit])
def public_page(ctx: PublicCtx, slug: Slug) -> Response:
    """A program's published figures, for anyone: small counts of patients suppressed."""
    publication = service.published(ctx.db, slug)
    if publication is None:
        raise NotFound("report_publications", slug)
    program = publication.program
    found = service.report_figures(
        ctx.db,
        program,
        ctx.translator,
        today=clock.now().date(),
        threshold=settings_of(ctx.request).report_small_count,
    )
    return ctx.render(
        "reports/public.html",
        program=program,
        narrative=paragraphs(narrative(ctx.db, found, ctx.translator)),
        figures=found.figures,
        threshold=settings_of(ctx.request).report_small_count,
        drawn=_draw(ctx, found.figures),
        dimension=labels.DIMENSION,
        note=labels.SUPPRESSION_NOTE,
        import_map=charts.IMPORT_MAP,
    )
