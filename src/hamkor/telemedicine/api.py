"""JSON API of teleconsultation cases under /api/v1/telemedicine: the same schemas and service
functions as the pages. A route loads the case it names with ``get_case`` (404, or a 403
written in the audit trail for anyone outside the case) and hands it to one service step."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import BaseModel

from hamkor.core.access import Action, get_for
from hamkor.core.clock import now
from hamkor.core.forms import PathId, QueryId
from hamkor.core.storage import storage_for
from hamkor.core.text import TEXT_MAX
from hamkor.core.web import API_ERROR_RESPONSES, ApiCtx, settings_of
from hamkor.telemedicine import abroad, attachments, papers, service
from hamkor.telemedicine.abroad import AbroadAction, AbroadRead, StepData
from hamkor.telemedicine.models import AbroadReferral, CaseStatus, TeleCase
from hamkor.telemedicine.schemas import (
    Answer,
    Assignment,
    CaseCreate,
    CaseDetail,
    CaseFileRead,
    CaseRead,
    Closing,
    Decline,
    MessageCreate,
    MessageRead,
)

router = APIRouter(
    prefix="/api/v1/telemedicine", tags=["telemedicine"], responses=API_ERROR_RESPONSES
)

PageNumber = Annotated[int, Query(ge=1, le=100_000)]


class CasePage(BaseModel):
    """One page of cases, waiting ones first by deadline."""

    items: list[CaseRead]
    total: int
    page: int
    pages: int


def _detail(ctx: ApiCtx, case: TeleCase) -> CaseDetail:
    return CaseDetail.model_validate(service.case_detail(ctx.db, case))


def _deadlines(ctx: ApiCtx) -> service.Deadlines:
    return service.Deadlines.of(settings_of(ctx.request))


def _changing(ctx: ApiCtx, case_id: int) -> TeleCase:
    return service.get_case(db=ctx.db, actor=ctx.actor, case_id=case_id, action=Action.CHANGE)


@router.get("/cases")
def list_cases(
    ctx: ApiCtx,
    centre: QueryId = None,
    status: CaseStatus | None = None,
    page: PageNumber = 1,
) -> CasePage:
    """The caller's cases (``?centre=`` one centre's, ``?status=``), by deadline."""
    found = service.list_cases(
        db=ctx.db,
        actor=ctx.actor,
        page=page,
        size=settings_of(ctx.request).page_size,
        centre_id=centre,
        status=status,
    )
    return CasePage(
        items=[CaseRead.model_validate(c) for c in found.items],
        total=found.total,
        page=found.number,
        pages=found.pages,
    )


@router.post("/cases", status_code=201)
def create_case(ctx: ApiCtx, data: CaseCreate) -> CaseRead:
    """A draft question to a centre of another country (submit it to send it)."""
    return CaseRead.model_validate(
        service.create_case(db=ctx.db, actor=ctx.actor, data=data, now=now())
    )


@router.get("/cases/{case_id}")
def get_case(ctx: ApiCtx, case_id: PathId) -> CaseDetail:
    """A case with its messages and the history of its states."""
    return _detail(ctx, service.get_case(db=ctx.db, actor=ctx.actor, case_id=case_id))


@router.post("/cases/{case_id}/submit")
def submit(ctx: ApiCtx, case_id: PathId) -> CaseDetail:
    case = _changing(ctx, case_id)
    service.submit(db=ctx.db, actor=ctx.actor, case=case, now=now(), deadlines=_deadlines(ctx))
    return _detail(ctx, case)


@router.post("/cases/{case_id}/accept")
def accept(ctx: ApiCtx, case_id: PathId, data: Assignment) -> CaseDetail:
    """The centre's coordinator assigns the case to one of its specialists."""
    case = _changing(ctx, case_id)
    service.accept(db=ctx.db, actor=ctx.actor, case=case, data=data, now=now())
    return _detail(ctx, case)


@router.post("/cases/{case_id}/decline")
def decline(ctx: ApiCtx, case_id: PathId, data: Decline) -> CaseDetail:
    case = _changing(ctx, case_id)
    service.decline(db=ctx.db, actor=ctx.actor, case=case, data=data, now=now())
    return _detail(ctx, case)


@router.post("/cases/{case_id}/answer")
def answer(ctx: ApiCtx, case_id: PathId, data: Answer) -> CaseDetail:
    """The assignee's answer and recommendation."""
    case = _changing(ctx, case_id)
    service.answer(db=ctx.db, actor=ctx.actor, case=case, data=data, now=now())
    return _detail(ctx, case)


@router.post("/cases/{case_id}/close")
def close(ctx: ApiCtx, case_id: PathId, data: Closing) -> CaseDetail:
    """The asker closes the case, telling whether a visit was avoided."""
    case = _changing(ctx, case_id)
    service.close(db=ctx.db, actor=ctx.actor, case=case, data=data, now=now())
    return _detail(ctx, case)


@router.post("/cases/{case_id}/reopen")
def reopen(ctx: ApiCtx, case_id: PathId) -> CaseDetail:
    case = _changing(ctx, case_id)
    service.reopen(db=ctx.db, actor=ctx.actor, case=case, now=now(), deadlines=_deadlines(ctx))
    return _detail(ctx, case)


@router.post("/cases/{case_id}/messages", status_code=201)
def post_message(ctx: ApiCtx, case_id: PathId, data: MessageCreate) -> MessageRead:
    """A message in the case's exchange (``reply_to_id`` threads it under another)."""
    case = _changing(ctx, case_id)
    message = service.post_message(db=ctx.db, actor=ctx.actor, case=case, data=data, now=now())
    return MessageRead.model_validate(message)


@router.get("/cases/{case_id}/files")
def list_files(ctx: ApiCtx, case_id: PathId) -> list[CaseFileRead]:
    """The case's files: the shared copies, and the originals for the asking side."""
    case = service.get_case(db=ctx.db, actor=ctx.actor, case_id=case_id)
    return attachments.described(ctx.db, attachments.list_files(ctx.db, ctx.actor, case))


@router.post("/cases/{case_id}/files", status_code=201)
def add_files(
    ctx: ApiCtx, case_id: PathId, files: list[UploadFile] = File(max_length=100)
) -> list[CaseFileRead]:
    """Images, PDFs or DICOM files (or a ZIP of a series), judged by their content; a DICOM
    file is kept with its de-identified copy for the centre abroad."""
    case = _changing(ctx, case_id)
    settings = settings_of(ctx.request)
    rows = attachments.add_files(
        db=ctx.db,
        actor=ctx.actor,
        case=case,
        uploads=[attachments.Upload(f.filename or "", f.file) for f in files],
        store=storage_for(settings),
        max_bytes=settings.file_max_bytes,
    )
    return attachments.described(ctx.db, rows)


def _read(ctx: ApiCtx, referrals: list[AbroadReferral]) -> list[AbroadRead]:
    """The referrals with their papers (the bytes of each at ``/files/{file_id}``)."""
    found = papers.papers_of(ctx.db, referrals)
    return [
        AbroadRead.model_validate(r).model_copy(update={"papers": found[r.id]}) for r in referrals
    ]


@router.post("/cases/{case_id}/abroad", status_code=201)
def refer_abroad(ctx: ApiCtx, case_id: PathId) -> AbroadRead:
    """Refer the patient of a case answered "refer for treatment abroad" to its centre."""
    case = _changing(ctx, case_id)
    referral = abroad.recommend(db=ctx.db, actor=ctx.actor, case=case, now=now())
    return AbroadRead.model_validate(referral)


@router.get("/abroad")
def list_abroad(ctx: ApiCtx) -> list[AbroadRead]:
    """Where each patient referred abroad is, along the way there and back, with the papers."""
    return _read(ctx, abroad.where_patients_are(db=ctx.db, actor=ctx.actor))


def _step(
    ctx: ApiCtx,
    referral_id: int,
    action: AbroadAction,
    data: StepData,
    summary: attachments.Upload | None = None,
) -> AbroadRead:
    referral = get_for(ctx.db, ctx.actor, AbroadReferral, referral_id, Action.CHANGE)
    settings = settings_of(ctx.request)
    taken = abroad.take(
        db=ctx.db,
        actor=ctx.actor,
        referral=referral,
        action=action,
        data=data,
        now=now(),
        store=storage_for(settings),
        max_bytes=settings.file_max_bytes,
        summary=summary,
    )
    return _read(ctx, [taken])[0]


@router.post("/abroad/{referral_id}/discharge")
def discharge(
    ctx: ApiCtx,
    referral_id: PathId,
    note: Annotated[str, Form(max_length=TEXT_MAX)] = "",
    summary: Annotated[UploadFile | None, File()] = None,
) -> AbroadRead:
    """The centre discharges the patient home with the summary: a text (``note``), a file
    (``summary``: a PDF or an image), or both, sent as a multipart form."""
    kept = attachments.Upload(summary.filename or "", summary.file) if summary else None
    return _step(ctx, referral_id, AbroadAction.DISCHARGE, StepData(note=note.strip()), kept)


@router.post("/abroad/{referral_id}/{action}")
def abroad_step(
    ctx: ApiCtx, referral_id: PathId, action: AbroadAction, data: StepData
) -> AbroadRead:
    """One step of the referral, by the side whose step it is (docs/telemedicine.md); the
    ``invite`` step prints the invitation letter."""
    return _step(ctx, referral_id, action, data)
