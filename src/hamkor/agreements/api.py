"""JSON API of agreements under /api/v1: the same schemas and service functions as the pages.
A route loads the record it names with ``get_for`` (404, or an audited 403: a confidential
agreement opened by a non-party) and hands it to the service."""

from __future__ import annotations

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel

from hamkor.agreements import service
from hamkor.agreements.due import due_lists
from hamkor.agreements.models import Agreement, Milestone, RoadmapItem
from hamkor.agreements.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementTerms,
    AwardCreate,
    AwardRead,
    IndicatorCreate,
    ItemCreate,
    ItemProgress,
    ItemRead,
    MilestoneCreate,
    MilestoneDone,
    MilestoneRead,
    StandCreate,
    StandRead,
    StatusChange,
)
from hamkor.core.access import Action, get_for
from hamkor.core.db import utcnow
from hamkor.core.files import Attachment
from hamkor.core.forms import PathId, QueryId
from hamkor.core.storage import storage_for
from hamkor.core.web import API_ERROR_RESPONSES, ApiCtx, settings_of
from hamkor.programs.models import Program

router = APIRouter(prefix="/api/v1", tags=["agreements"], responses=API_ERROR_RESPONSES)


class DocumentRead(BaseModel):
    """A document of an agreement; its bytes are at ``/files/{id}``, behind the agreement's
    permission check."""

    id: int
    name: str
    media_type: str
    size: int


class DueRead(BaseModel):
    """Open roadmap items due in the coming 30 days, and those already late."""

    due_soon: list[ItemRead]
    late: list[ItemRead]


@router.get("/agreements")
def list_agreements(
    ctx: ApiCtx, program: QueryId = None, institution: QueryId = None
) -> list[AgreementRead]:
    """The agreements the caller may read (``?program=`` or ``?institution=`` as a party)."""
    found = service.list_agreements(
        db=ctx.db, actor=ctx.actor, program_id=program, institution_id=institution
    )
    return [AgreementRead.model_validate(a) for a in found]


@router.post("/agreements", status_code=201)
def create_agreement(ctx: ApiCtx, data: AgreementCreate) -> AgreementRead:
    """A new agreement (a draft), or an extension or amendment of one (``parent_id``)."""
    agreement = service.create_agreement(db=ctx.db, actor=ctx.actor, data=data)
    return AgreementRead.model_validate(agreement)


@router.get("/agreements/due")
def due(ctx: ApiCtx, program: QueryId = None, institution: QueryId = None) -> DueRead:
    """What is due in 30 days and what is late, of the agreements the caller may read."""
    lists = due_lists(
        db=ctx.db,
        actor=ctx.actor,
        today=utcnow().date(),
        program_id=program,
        institution_id=institution,
    )
    return DueRead(
        due_soon=[ItemRead.model_validate(i) for i in lists.due_soon],
        late=[ItemRead.model_validate(i) for i in lists.late],
    )


@router.get("/agreements/{agreement_id}")
def get_agreement(ctx: ApiCtx, agreement_id: PathId) -> AgreementRead:
    return AgreementRead.model_validate(get_for(ctx.db, ctx.actor, Agreement, agreement_id))


@router.put("/agreements/{agreement_id}")
def update_agreement(ctx: ApiCtx, agreement_id: PathId, data: AgreementTerms) -> AgreementRead:
    """New terms: parties with their signers, titles, validity, visibility. Once signed, the
    parties and the validity change only by an amendment."""
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id, Action.CHANGE)
    changed = service.update_agreement(db=ctx.db, actor=ctx.actor, agreement=agreement, data=data)
    return AgreementRead.model_validate(changed)


@router.get("/agreements/{agreement_id}/versions")
def versions(ctx: ApiCtx, agreement_id: PathId) -> list[AgreementRead]:
    """The chain of versions the agreement belongs to, from the first to the latest."""
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id)
    return [AgreementRead.model_validate(a) for a in service.chain(ctx.db, agreement)]


@router.post("/agreements/{agreement_id}/status")
def change_status(ctx: ApiCtx, agreement_id: PathId, data: StatusChange) -> AgreementRead:
    """Negotiating, signed, terminated (in force and expired follow the dates)."""
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id, Action.CHANGE)
    changed = service.change_status(db=ctx.db, actor=ctx.actor, agreement=agreement, data=data)
    return AgreementRead.model_validate(changed)


@router.post("/agreements/{agreement_id}/approve")
def approve_roadmap(ctx: ApiCtx, agreement_id: PathId) -> AgreementRead:
    """Approve the roadmap: each item's due date is frozen as its baseline."""
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id, Action.CHANGE)
    root = service.approve_roadmap(
        db=ctx.db, actor=ctx.actor, agreement=agreement, today=utcnow().date()
    )
    return AgreementRead.model_validate(root)


@router.get("/agreements/{agreement_id}/documents")
def list_documents(ctx: ApiCtx, agreement_id: PathId) -> list[DocumentRead]:
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id)
    return [_document(a) for a in service.documents(ctx.db, agreement)]


@router.post("/agreements/{agreement_id}/documents", status_code=201)
def add_document(ctx: ApiCtx, agreement_id: PathId, document: UploadFile = File()) -> DocumentRead:
    """Keep a draft or the signed scan (PDF, image, DOCX, XLSX...), judged by its content."""
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id, Action.CHANGE)
    settings = settings_of(ctx.request)
    attachment = service.add_document(
        db=ctx.db,
        actor=ctx.actor,
        agreement=agreement,
        store=storage_for(settings),
        source=document,
        max_bytes=settings.file_max_bytes,
    )
    return _document(attachment)


def _document(attachment: Attachment) -> DocumentRead:
    return DocumentRead(
        id=attachment.id,
        name=attachment.name,
        media_type=attachment.stored.media_type,
        size=attachment.stored.size,
    )


@router.get("/agreements/{agreement_id}/items")
def list_items(ctx: ApiCtx, agreement_id: PathId) -> list[ItemRead]:
    """The roadmap of the agreement's chain."""
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id)
    return [ItemRead.model_validate(i) for i in service.root_of(ctx.db, agreement).items]


@router.post("/agreements/{agreement_id}/items", status_code=201)
def add_item(ctx: ApiCtx, agreement_id: PathId, data: ItemCreate) -> ItemRead:
    """A roadmap item, due within the agreement's validity."""
    agreement = get_for(ctx.db, ctx.actor, Agreement, agreement_id, Action.CHANGE)
    item = service.add_item(db=ctx.db, actor=ctx.actor, agreement=agreement, data=data)
    return ItemRead.model_validate(item)


@router.patch("/roadmap-items/{item_id}")
def update_item(ctx: ApiCtx, item_id: PathId, data: ItemProgress) -> ItemRead:
    item = get_for(ctx.db, ctx.actor, RoadmapItem, item_id, Action.CHANGE)
    return ItemRead.model_validate(
        service.update_item(db=ctx.db, actor=ctx.actor, item=item, data=data)
    )


@router.put("/roadmap-items/{item_id}/indicators")
def record_indicator(ctx: ApiCtx, item_id: PathId, data: IndicatorCreate) -> ItemRead:
    """The target and actual of an indicator for a period (the reports module reads them)."""
    item = get_for(ctx.db, ctx.actor, RoadmapItem, item_id, Action.CHANGE)
    service.record_indicator(db=ctx.db, actor=ctx.actor, item=item, data=data)
    return ItemRead.model_validate(item)


@router.post("/roadmap-items/{item_id}/milestones", status_code=201)
def add_milestone(ctx: ApiCtx, item_id: PathId, data: MilestoneCreate) -> MilestoneRead:
    """A step of a roadmap item, due within the agreement's validity."""
    item = get_for(ctx.db, ctx.actor, RoadmapItem, item_id, Action.CHANGE)
    milestone = service.add_milestone(db=ctx.db, actor=ctx.actor, item=item, data=data)
    return MilestoneRead.model_validate(milestone)


@router.put("/milestones/{milestone_id}/done")
def complete_milestone(ctx: ApiCtx, milestone_id: PathId, data: MilestoneDone) -> MilestoneRead:
    """The day the milestone was reached."""
    milestone = get_for(ctx.db, ctx.actor, Milestone, milestone_id, Action.CHANGE)
    done = service.complete_milestone(db=ctx.db, actor=ctx.actor, milestone=milestone, data=data)
    return MilestoneRead.model_validate(done)


@router.get("/programs/{program_id}/stands")
def list_stands(ctx: ApiCtx, program_id: PathId) -> list[StandRead]:
    program = get_for(ctx.db, ctx.actor, Program, program_id)
    return [StandRead.model_validate(s) for s in service.stands(ctx.db, program)]


@router.post("/programs/{program_id}/stands", status_code=201)
def add_stand(ctx: ApiCtx, program_id: PathId, data: StandCreate) -> StandRead:
    """A stand of the program's exhibition (the coordinators of the program add them)."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    stand = service.add_stand(db=ctx.db, actor=ctx.actor, program=program, data=data)
    return StandRead.model_validate(stand)


@router.get("/programs/{program_id}/awards")
def list_awards(ctx: ApiCtx, program_id: PathId) -> list[AwardRead]:
    program = get_for(ctx.db, ctx.actor, Program, program_id)
    return [AwardRead.model_validate(a) for a in service.awards(ctx.db, program)]


@router.post("/programs/{program_id}/awards", status_code=201)
def add_award(ctx: ApiCtx, program_id: PathId, data: AwardCreate) -> AwardRead:
    """An award conferred during the program."""
    program = get_for(ctx.db, ctx.actor, Program, program_id, Action.CHANGE)
    award = service.add_award(db=ctx.db, actor=ctx.actor, program=program, data=data)
    return AwardRead.model_validate(award)
