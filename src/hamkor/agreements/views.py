"""Pages of agreements: the lists (all, a program's, an institution's) with what is due in 30
days and what is late by owner, an agreement with its parties, versions, documents and
roadmap, the form of a new agreement or version, a program's IATI file and the due-date feed.

Routes go in a fixed order: load (404), check access (403, audited), call the service, render.
A refused form comes back with status 422 and each message beside its field; its work is done
in a savepoint, so a refusal leaves nothing written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from hamkor.agreements import feed, labels, service
from hamkor.agreements.access import may_create
from hamkor.agreements.due import due_lists, notice_date
from hamkor.agreements.iati import export
from hamkor.agreements.models import VERSION_KINDS, Agreement, Milestone, RoadmapItem
from hamkor.agreements.schemas import (
    MAX_ROWS,
    AgreementCreate,
    AgreementTerms,
    AwardCreate,
    ItemCreate,
    ItemProgress,
    MilestoneCreate,
    MilestoneDone,
    StandCreate,
    StatusChange,
)
from hamkor.core.access import AccessDenied, Action, can, get_for
from hamkor.core.db import utcnow
from hamkor.core.errors import UserError
from hamkor.core.forms import PathId, QueryId, error_map
from hamkor.core.i18n import N_, Message
from hamkor.core.pages import (
    Picks,
    Refusal,
    form_values,
    labelled_options,
    named_options,
    save_then,
    told,
)
from hamkor.core.storage import storage_for
from hamkor.core.web import Ctx, FeedCtx, Form, PageCtx, settings_of
from hamkor.directory import pickers
from hamkor.directory import service as directory_service
from hamkor.directory.models import Institution, Person
from hamkor.programs.models import Program

router = APIRouter(include_in_schema=False)
#: Party rows a new agreement's form offers (more through the API).
PARTY_ROWS = 4


def _render(ctx: Ctx, template: str, status_code: int = 200, **context: Any) -> Response:
    return ctx.render(template, status_code, labels=labels, notice_date=notice_date, **context)


def _refusal(refusal: Refusal | None) -> tuple[dict[str, str], int]:
    return ({}, 200) if refusal is None else (refusal.errors, refusal.status_code)


def _choices(ctx: Ctx, model: type[Any]) -> list[tuple[int, str]]:
    rows = directory_service.choices(db=ctx.db, actor=ctx.actor, model=model)
    return named_options(ctx.translator, rows)


# --- lists ----------------------------------------------------------------------------------


def _list_page(
    ctx: Ctx,
    *,
    title: str,
    program: Program | None = None,
    institution: Institution | None = None,
    refusal: Refusal | None = None,
    form: Mapping[str, Any] = {},
) -> Response:
    program_id = program.id if program else None
    institution_id = institution.id if institution else None
    errors, status = _refusal(refusal)
    return _render(
        ctx,
        "agreements/list.html",
        status,
        title=title,
        form=form,
        errors=errors,
        keeps_program=program is not None and can(ctx.db, ctx.actor, Action.CHANGE, program),
        institutions=_choices(ctx, Institution) if program else [],
        program=program,
        institution=institution,
        agreements=service.list_agreements(
            db=ctx.db, actor=ctx.actor, program_id=program_id, institution_id=institution_id
        ),
        due=due_lists(
            db=ctx.db,
            actor=ctx.actor,
            today=utcnow().date(),
            program_id=program_id,
            institution_id=institution_id,
        ),
        stands=service.stands(ctx.db, program) if program else [],
        awards=service.awards(ctx.db, program) if program else [],
        may_create=may_create(ctx.actor),
    )


@router.get("/agreements", response_class=HTMLResponse)
def agreements(ctx: PageCtx) -> Response:
    """Every agreement the reader may see, with what is due and late."""
    return _list_page(ctx, title=ctx._("Agreements"))


@router.get("/programs/{program_id}/agreements", response_class=HTMLResponse)
def program_agreements(ctx: PageCtx, program_id: PathId) -> Response:
    """A program's agreements, what is due and late by owner, its exhibition and awards."""
    program = get_for(ctx.db, ctx.actor, Program, program_id)
    return _list_page(ctx, title=ctx.translator.name(program.names), program=program)


def _program_form(
    ctx: Ctx,
    program_id: int,
    form: Mapping[str, Any],
    schema: type[Any],
    save: Callable[..., object],
    anchor: str,
) -> Response:
    """A stand or an award posted from the program's agreements page, which the program's
    coordinators keep."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        schema,
        lambda data: save(db=ctx.db, actor=ctx.actor, program=program, data=data),
        done=f"/programs/{program.id}/agreements#{anchor}",
        again=lambda refusal: _list_page(
            ctx,
            title=ctx.translator.name(program.names),
            program=program,
            refusal=refusal,
            form=form,
        ),
    )


@router.post("/programs/{program_id}/stands", response_class=HTMLResponse)
def add_stand(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    return _program_form(ctx, program_id, form, StandCreate, service.add_stand, "exhibition")


@router.post("/programs/{program_id}/awards", response_class=HTMLResponse)
def add_award(ctx: PageCtx, program_id: PathId, form: Form) -> Response:
    return _program_form(ctx, program_id, form, AwardCreate, service.add_award, "awards")


@router.get("/agreements/institutions/{institution_id}", response_class=HTMLResponse)
def institution_agreements(ctx: PageCtx, institution_id: PathId) -> Response:
    """The agreements an institution is party to, what is due and late by owner."""
    institution = get_for(ctx.db, ctx.actor, Institution, institution_id)
    return _list_page(ctx, title=ctx.translator.name(institution.names), institution=institution)


# --- the form of a new agreement or version -------------------------------------------------


def _with_parties(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form's party rows (``parties.0.institution_id`` ...) as the schema's list; blank
    rows are left out, so the row numbers of refusals are those of the rows given."""
    data = {k: v for k, v in form.items() if not k.startswith("parties.")}
    parties = []
    for row in range(MAX_ROWS):
        fields = ("institution_id", "signer_person_id", "signer_name", "signed_on")
        values = {f: form.get(f"parties.{row}.{f}", "") for f in fields}
        if any(str(value).strip() for value in values.values()):
            parties.append(values)
    data["parties"] = parties
    return data


def _signers(ctx: Ctx) -> Picks:
    """Each party row's signer is picked from the directory by typing a name or number."""
    fields = tuple(f"parties.{row}.signer_person_id" for row in range(MAX_ROWS))
    return pickers.picks(ctx.db, ctx.actor, ctx.translator, people=fields)


def _form_page(
    ctx: Ctx,
    form: Mapping[str, Any],
    refusal: Refusal | None = None,
    agreement: Agreement | None = None,
) -> Response:
    """The form of a new agreement, or of the terms of ``agreement``: a row per party it
    has and one more."""
    errors, status = _refusal(refusal)
    parties = len(agreement.parties) + 1 if agreement else 0
    return _render(
        ctx,
        "agreements/form.html",
        status,
        form=form,
        errors=errors,
        agreement=agreement,
        rows=range(max(PARTY_ROWS, parties)),
        people=_choices(ctx, Person),
        kinds=labelled_options(ctx.translator, labels.AGREEMENT_KIND),
        confidentiality=labelled_options(ctx.translator, labels.CONFIDENTIALITY),
        programs=_choices(ctx, Program),
        institutions=_choices(ctx, Institution),
        parents=named_options(ctx.translator, service.list_agreements(db=ctx.db, actor=ctx.actor)),
    )


@router.get("/agreements/new", response_class=HTMLResponse)
def new_agreement(ctx: PageCtx, parent: QueryId = None, program: QueryId = None) -> Response:
    """The form of a new agreement; from an agreement's page, of its extension or amendment."""
    if not may_create(ctx.actor):
        raise AccessDenied(Agreement.__tablename__, None, Action.CHANGE)
    form: dict[str, Any] = {
        "kind": "memorandum",
        "confidentiality": "program",
        "program_id": program,
    }
    if parent is not None:
        base = get_for(ctx.db, ctx.actor, Agreement, parent)
        form.update(kind=VERSION_KINDS[0], parent_id=base.id, program_id=base.program_id)
        for row, party in enumerate(base.parties[:PARTY_ROWS]):
            form[f"parties.{row}.institution_id"] = party.institution_id
    return _form_page(ctx, form)


@router.post("/agreements", response_class=HTMLResponse)
def create_agreement(ctx: PageCtx, form: Form) -> Response:
    actor = ctx.actor
    return save_then(
        ctx,
        form,
        AgreementCreate,
        lambda data: service.create_agreement(db=ctx.db, actor=actor, data=data),
        done=lambda saved: f"/agreements/{saved.id}",
        again=lambda refusal: _form_page(ctx, form, refusal),
        pick=_signers(ctx),
        shape=_with_parties,
    )


@router.get("/agreements/{agreement_id}/edit", response_class=HTMLResponse)
def edit_agreement(ctx: PageCtx, agreement_id: PathId) -> Response:
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id, Action.CHANGE)
    rows = {
        f"parties.{row}.{name}": getattr(party, name)
        for row, party in enumerate(agreement.parties)
        for name in ("institution_id", "signer_person_id", "signer_name", "signed_on")
    }
    form = form_values(agreement, AgreementTerms, topics=", ".join(agreement.topics), **rows)
    return _form_page(ctx, form, agreement=agreement)


@router.post("/agreements/{agreement_id}/edit", response_class=HTMLResponse)
def update_agreement(ctx: PageCtx, agreement_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    agreement = get_for(ctx.db, actor, Agreement, agreement_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        AgreementTerms,
        lambda data: service.update_agreement(
            db=ctx.db, actor=actor, agreement=agreement, data=data
        ),
        done=f"/agreements/{agreement.id}",
        again=lambda refusal: _form_page(ctx, form, refusal, agreement),
        pick=_signers(ctx),
        shape=_with_parties,
    )


@router.get("/agreements/due.ics")
def due_feed(ctx: FeedCtx) -> Response:
    """The due dates of the roadmap items the reader may see, for a calendar app."""
    content = feed.due_dates(db=ctx.db, actor=ctx.actor, translator=ctx.translator)
    return Response(
        content,
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": 'inline; filename="agreements-due.ics"'},
    )


# --- an agreement ---------------------------------------------------------------------------


@router.get("/agreements/{agreement_id}", response_class=HTMLResponse)
def agreement_page(ctx: PageCtx, agreement_id: PathId) -> Response:
    return _agreement_page(ctx, get_for(ctx.db, ctx.actor, Agreement, agreement_id))


def _agreement_page(
    ctx: Ctx, agreement: Agreement, refusal: Refusal | None = None, form: Mapping[str, Any] = {}
) -> Response:
    errors, status = _refusal(refusal)
    versions = service.chain(ctx.db, agreement)
    root = versions[0]
    return _render(
        ctx,
        "agreements/agreement.html",
        status,
        agreement=agreement,
        versions=versions,
        validity=service.validity(versions),
        history=service.history(ctx.db, agreement),
        documents=service.documents(ctx.db, agreement),
        items=root.items,
        root=root,
        manages=service.may_manage(ctx.db, ctx.actor, agreement),
        statuses=labelled_options(ctx.translator, labels.AGREEMENT_STATUS),
        item_statuses=labelled_options(ctx.translator, labels.ITEM_STATUS),
        institutions=named_options(ctx.translator, (p.institution for p in root.parties)),
        people=_choices(ctx, Person),
        form=form,
        errors=errors,
    )


@router.post("/agreements/{agreement_id}/status", response_class=HTMLResponse)
def change_status(ctx: PageCtx, agreement_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    agreement = get_for(ctx.db, actor, Agreement, agreement_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        StatusChange,
        lambda data: service.change_status(db=ctx.db, actor=actor, agreement=agreement, data=data),
        done=f"/agreements/{agreement.id}",
        again=lambda refusal: _agreement_page(ctx, agreement, refusal),
    )


@router.post("/agreements/{agreement_id}/approve", response_class=HTMLResponse)
def approve(ctx: PageCtx, agreement_id: PathId) -> Response:
    """Approve the roadmap: the items' due dates become their baselines."""
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id, Action.CHANGE)
    service.approve_roadmap(db=ctx.db, actor=ctx.actor, agreement=agreement, today=utcnow().date())
    approved = Message(N_("The roadmap is approved: its due dates are now the baselines."))
    return told(ctx, f"/agreements/{agreement.id}", approved)


@router.post("/agreements/{agreement_id}/documents", response_class=HTMLResponse)
def add_document(ctx: PageCtx, agreement_id: PathId, form: Form) -> Response:
    """Keep a draft or the signed scan; a file that is not what its name says is refused."""
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id, Action.CHANGE)
    upload = form.get("document")
    settings = settings_of(ctx.request)
    try:
        if upload is None:
            raise UserError.one("document", N_("Choose a file."))
        with ctx.db.begin_nested():
            service.add_document(
                db=ctx.db,
                actor=ctx.actor,
                agreement=agreement,
                store=storage_for(settings),
                source=upload.file,
                max_bytes=settings.file_max_bytes,
                filename=upload.filename,
            )
    except UserError as error:
        return _agreement_page(
            ctx, agreement, Refusal(error_map(error, ctx.language), error.status_code)
        )
    return told(ctx, f"/agreements/{agreement.id}#documents", Message(N_("The document is kept.")))


@router.post("/agreements/{agreement_id}/items", response_class=HTMLResponse)
def add_item(ctx: PageCtx, agreement_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    agreement = get_for(ctx.db, actor, Agreement, agreement_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        ItemCreate,
        lambda data: service.add_item(db=ctx.db, actor=actor, agreement=agreement, data=data),
        done=f"/agreements/{agreement.id}#roadmap",
        again=lambda refusal: _agreement_page(ctx, agreement, refusal, form),
        pick=pickers.picks(ctx.db, actor, ctx.translator, people=("owner_person_id",)),
    )


@router.post("/roadmap-items/{item_id}", response_class=HTMLResponse)
def update_item(ctx: PageCtx, item_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    item = get_for(ctx.db, actor, RoadmapItem, item_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        ItemProgress,
        lambda data: service.update_item(db=ctx.db, actor=actor, item=item, data=data),
        done=f"/agreements/{item.agreement_id}#roadmap",
        again=lambda refusal: _agreement_page(ctx, item.agreement, refusal),
    )


@router.post("/roadmap-items/{item_id}/milestones", response_class=HTMLResponse)
def add_milestone(ctx: PageCtx, item_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    item = get_for(ctx.db, actor, RoadmapItem, item_id, Action.CHANGE)
    return save_then(
        ctx,
        form,
        MilestoneCreate,
        lambda data: service.add_milestone(db=ctx.db, actor=actor, item=item, data=data),
        done=f"/agreements/{item.agreement_id}#item-{item.id}",
        again=lambda refusal: _agreement_page(ctx, item.agreement, refusal),
    )


@router.post("/milestones/{milestone_id}/done", response_class=HTMLResponse)
def complete_milestone(ctx: PageCtx, milestone_id: PathId, form: Form) -> Response:
    actor = ctx.actor
    milestone = get_for(ctx.db, actor, Milestone, milestone_id, Action.CHANGE)
    item = milestone.item
    return save_then(
        ctx,
        form,
        MilestoneDone,
        lambda data: service.complete_milestone(
            db=ctx.db, actor=actor, milestone=milestone, data=data
        ),
        done=f"/agreements/{item.agreement_id}#item-{item.id}",
        again=lambda refusal: _agreement_page(ctx, item.agreement, refusal),
    )


# --- files for other programs ---------------------------------------------------------------


@router.get("/programs/{program_id}/iati.xml")
def iati_file(ctx: PageCtx, program_id: PathId) -> Response:
    """The program as an IATI 2.03 activity file (its open, signed agreements only)."""
    program = get_for(ctx.db, ctx.actor, Program, program_id)
    source = export.gather(ctx.db, program)
    document = export.activity_file(source, settings_of(ctx.request), utcnow())
    return Response(
        document,
        media_type="application/xml",
        headers={"content-disposition": f'attachment; filename="{program.code}-iati.xml"'},
    )
