"""Pages of telemedicine: the list of cases by deadline, the form to ask (made for a phone),
and a case with its exchange of messages and the buttons of the steps the reader may take.

Routes go in a fixed order: load (404), check access (403, audited), call the service, render.
A refused form comes back with status 422 and each message beside its field; its work is done
in a savepoint, so a refusal leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from hamkor.care import service as care_service
from hamkor.core import access
from hamkor.core.access import AccessDenied, Action
from hamkor.core.clock import now
from hamkor.core.errors import UserError
from hamkor.core.forms import PathId, QueryId, error_map
from hamkor.core.i18n import N_
from hamkor.core.models import Membership, User
from hamkor.core.pages import Refusal, labelled_options, named_options, save_then, see_other
from hamkor.core.storage import storage_for
from hamkor.core.web import Ctx, Form, PageCtx, Upload, settings_of
from hamkor.directory.models import Institution, Specialty
from hamkor.programs.models import Program
from hamkor.telemedicine import abroad, attachments, labels, papers, service
from hamkor.telemedicine.abroad import AbroadAction, StepData
from hamkor.telemedicine.access import ASSIGNEE_ROLES, asking_side
from hamkor.telemedicine.models import (
    OPEN_STATUSES,
    AbroadReferral,
    CaseRecommendation,
    CaseStatus,
    TeleCase,
)
from hamkor.telemedicine.schemas import CaseCreate, Confirmation, MessageCreate
from hamkor.telemedicine.service import Step

router = APIRouter(include_in_schema=False)


def _render(ctx: Ctx, template: str, status_code: int = 200, **context: Any) -> Response:
    return ctx.render(template, status_code, labels=labels, **context)


def _refusal(refusal: Refusal | None) -> tuple[dict[str, str], int]:
    return ({}, 200) if refusal is None else (refusal.errors, refusal.status_code)


# --- the list -------------------------------------------------------------------------------


@router.get("/telemedicine", response_class=HTMLResponse)
def cases(
    ctx: PageCtx,
    centre: QueryId = None,
    status: CaseStatus | None = None,
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    """The reader's cases, those waiting first by their deadline; a centre's with ``?centre=``."""
    found = service.list_cases(
        db=ctx.db,
        actor=ctx.actor,
        page=page,
        size=settings_of(ctx.request).page_size,
        centre_id=centre,
        status=status,
    )
    params = {"centre": centre or "", "status": status or ""}
    return _render(
        ctx,
        "telemedicine/list.html",
        page=found,
        params=params,
        now=now(),
        statuses=labelled_options(ctx.translator, labels.CASE_STATUS),
        may_ask=ctx.actor.is_admin or bool(asking_side(ctx.actor)),
    )


# --- treatment abroad -----------------------------------------------------------------------


@router.get("/telemedicine/abroad", response_class=HTMLResponse)
def abroad_list(ctx: PageCtx) -> Response:
    """Where each patient referred for treatment abroad is, with the reader's next steps."""
    return _abroad_page(ctx)


def _abroad_page(ctx: Ctx, refusal: Refusal | None = None) -> Response:
    errors, status = _refusal(refusal)
    referrals = abroad.where_patients_are(db=ctx.db, actor=ctx.actor)
    return _render(
        ctx,
        "telemedicine/abroad.html",
        status,
        referrals=referrals,
        actions={r.id: abroad.next_actions(ctx.actor, r) for r in referrals},
        papers=papers.papers_of(ctx.db, referrals),
        errors=errors,
        form={},
    )


@router.post("/telemedicine/abroad/{referral_id}/{action}", response_class=HTMLResponse)
def abroad_step(ctx: PageCtx, referral_id: PathId, action: AbroadAction, form: Form) -> Response:
    referral = access.get_for(ctx.db, ctx.actor, AbroadReferral, referral_id, Action.CHANGE)
    settings = settings_of(ctx.request)
    summary = form.get("summary")
    return save_then(
        ctx,
        form,
        StepData,
        lambda data: abroad.take(
            db=ctx.db,
            actor=ctx.actor,
            referral=referral,
            action=action,
            data=data,
            now=now(),
            store=storage_for(settings),
            max_bytes=settings.file_max_bytes,
            summary=attachments.Upload(summary.filename, summary.file)
            if isinstance(summary, Upload)
            else None,
        ),
        done=f"/telemedicine/abroad#r{referral.id}",
        again=lambda refusal: _abroad_page(ctx, refusal),
    )


@router.post("/telemedicine/{case_id}/abroad", response_class=HTMLResponse)
def refer_abroad(ctx: PageCtx, case_id: PathId, form: Form) -> Response:
    """Refer the case's patient to its centre for treatment."""
    case = service.get_case(db=ctx.db, actor=ctx.actor, case_id=case_id, action=Action.CHANGE)
    return save_then(
        ctx,
        form,
        Confirmation,
        lambda _data: abroad.recommend(db=ctx.db, actor=ctx.actor, case=case, now=now()),
        done="/telemedicine/abroad",
        again=lambda refusal: _case_page(ctx, case, refusal),
    )


# --- asking ---------------------------------------------------------------------------------


def _form_page(ctx: Ctx, form: Mapping[str, Any], refusal: Refusal | None = None) -> Response:
    errors, status = _refusal(refusal)
    asking_stmt = select(Institution).order_by(Institution.id)
    if not ctx.actor.is_admin:
        asking_stmt = asking_stmt.where(Institution.id.in_(asking_side(ctx.actor)))
    asking = ctx.db.scalars(asking_stmt).all()
    countries = {institution.country_id for institution in asking}
    centres = ctx.db.scalars(
        access.restrict(select(Institution), ctx.actor).where(
            Institution.country_id.not_in(countries)
        )
    )
    return _render(
        ctx,
        "telemedicine/form.html",
        status,
        form=form,
        errors=errors,
        asking=named_options(ctx.translator, asking),
        centres=named_options(ctx.translator, centres),
        specialties=named_options(ctx.translator, ctx.db.scalars(select(Specialty))),
        programs=named_options(
            ctx.translator, ctx.db.scalars(access.restrict(select(Program), ctx.actor))
        ),
        patients=named_options(
            ctx.translator, care_service.list_patients(db=ctx.db, actor=ctx.actor)
        ),
        urgencies=labelled_options(ctx.translator, labels.URGENCY),
    )


def _require_asker(ctx: Ctx) -> None:
    if not ctx.actor.is_admin and not asking_side(ctx.actor):
        raise AccessDenied(service.ENTITY, None, Action.CHANGE)


@router.get("/telemedicine/new", response_class=HTMLResponse)
def new_case(ctx: PageCtx, patient: QueryId = None) -> Response:
    """The form to ask a centre abroad; from a patient's page, about that patient."""
    _require_asker(ctx)
    mine = sorted(asking_side(ctx.actor))
    form: dict[str, Any] = {
        "urgency": "routine",
        "patient_id": patient,
        "asking_institution_id": mine[0] if len(mine) == 1 else None,
    }
    return _form_page(ctx, form)


@router.post("/telemedicine", response_class=HTMLResponse)
def create_case(ctx: PageCtx, form: Form) -> Response:
    """Save the question as a draft, or submit it at once (the "Submit" button)."""
    _require_asker(ctx)
    submit_now = form.get("then") == "submit"
    deadlines = service.Deadlines.of(settings_of(ctx.request))

    def save(data: CaseCreate) -> TeleCase:
        case = service.create_case(db=ctx.db, actor=ctx.actor, data=data, now=now())
        if submit_now:
            service.submit(db=ctx.db, actor=ctx.actor, case=case, now=now(), deadlines=deadlines)
        return case

    return save_then(
        ctx,
        form,
        CaseCreate,
        save,
        done=lambda saved: f"/telemedicine/{saved.id}",
        again=lambda refusal: _form_page(ctx, form, refusal),
    )


# --- a case ---------------------------------------------------------------------------------


def _assignees(ctx: Ctx, case: TeleCase) -> list[tuple[int, str]]:
    """The people of the centre a case may be assigned to, by their display name."""
    users = ctx.db.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.institution_id == case.centre_id,
            Membership.role.in_(ASSIGNEE_ROLES),
            User.is_active.is_(True),
        )
        .order_by(User.display_name)
    ).unique()
    return [(user.id, user.display_name) for user in users]


def _case_page(
    ctx: Ctx, case: TeleCase, refusal: Refusal | None = None, form: Mapping[str, Any] = {}
) -> Response:
    errors, status = _refusal(refusal)
    steps = service.steps_for(ctx.actor, case)
    asking = ctx.actor.is_admin or case.asking_institution_id in asking_side(ctx.actor)
    detail = service.case_detail(ctx.db, case)
    replies = [
        (m.id, f"#{number} · {m.author.display_name if m.author else '—'}")
        for number, m in enumerate(detail.messages, start=1)
    ]
    return _render(
        ctx,
        "telemedicine/case.html",
        status,
        case=detail,
        replies=replies,
        files=attachments.described(ctx.db, attachments.list_files(ctx.db, ctx.actor, case)),
        label=service.case_label(case),
        steps=steps,
        assignees=_assignees(ctx, case) if Step.ACCEPT in steps else [],
        recommendations=labelled_options(ctx.translator, labels.RECOMMENDATION),
        may_write=case.status in OPEN_STATUSES,
        asking=asking,
        may_refer=asking
        and case.recommendation == CaseRecommendation.REFER_ABROAD
        and case.patient_id is not None,
        now=now(),
        form=form,
        errors=errors,
    )


@router.get("/telemedicine/{case_id}", response_class=HTMLResponse)
def case_page(ctx: PageCtx, case_id: PathId) -> Response:
    return _case_page(ctx, service.get_case(db=ctx.db, actor=ctx.actor, case_id=case_id))


@router.post("/telemedicine/{case_id}/messages", response_class=HTMLResponse)
def post_message(ctx: PageCtx, case_id: PathId, form: Form) -> Response:
    case = service.get_case(db=ctx.db, actor=ctx.actor, case_id=case_id, action=Action.CHANGE)
    return save_then(
        ctx,
        form,
        MessageCreate,
        lambda data: service.post_message(
            db=ctx.db, actor=ctx.actor, case=case, data=data, now=now()
        ),
        done=f"/telemedicine/{case.id}#messages",
        again=lambda refusal: _case_page(ctx, case, refusal, form),
    )


@router.post("/telemedicine/{case_id}/files", response_class=HTMLResponse)
def add_files(ctx: PageCtx, case_id: PathId, form: Form) -> Response:
    """Images, PDFs, DICOM files or a ZIP of a series, chosen at once."""
    case = service.get_case(db=ctx.db, actor=ctx.actor, case_id=case_id, action=Action.CHANGE)
    chosen = form.get("files")
    uploads = chosen if isinstance(chosen, list) else [chosen] if chosen else []
    settings = settings_of(ctx.request)
    try:
        if not uploads:
            raise UserError.one("files", N_("Choose a file."))
        with ctx.db.begin_nested():
            attachments.add_files(
                db=ctx.db,
                actor=ctx.actor,
                case=case,
                uploads=[attachments.Upload(u.filename, u.file) for u in uploads],
                store=storage_for(settings),
                max_bytes=settings.file_max_bytes,
            )
    except UserError as error:
        refusal = Refusal(error_map(error, ctx.language), error.status_code)
        return _case_page(ctx, case, refusal)
    return see_other(f"/telemedicine/{case.id}#files")


@router.post("/telemedicine/{case_id}/{step}", response_class=HTMLResponse)
def take_step(ctx: PageCtx, case_id: PathId, step: Step, form: Form) -> Response:
    """One step of the state machine, posted by its button on the case's page."""
    case = service.get_case(db=ctx.db, actor=ctx.actor, case_id=case_id, action=Action.CHANGE)
    deadlines = service.Deadlines.of(settings_of(ctx.request))
    return save_then(
        ctx,
        form,
        service.STEP_DATA[step],
        lambda data: service.take_step(
            db=ctx.db,
            actor=ctx.actor,
            case=case,
            step=step,
            data=data,
            now=now(),
            deadlines=deadlines,
        ),
        done=f"/telemedicine/{case.id}",
        again=lambda refusal: _case_page(ctx, case, refusal, form),
    )
