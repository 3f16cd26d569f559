"""The FHIR API under /fhir: read and search Patient, Appointment and ServiceRequest, import
referrals from a Bundle, and the CapabilityStatement that lists exactly that.

Authentication is the JSON API's (a bearer token, or the browser's session with its CSRF
header). Every record goes through the care access policies (``core.access``), and every one
returned is written to the audit trail as viewed; none is ever logged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from sqlalchemy import Select, func, select

from hamkor.care.fhir import async_import, capability, importing
from hamkor.care.fhir.capability import READ, SEARCH
from hamkor.care.fhir.resources import Resource, validated
from hamkor.care.fhir.responses import PREFIX, FhirResponse
from hamkor.care.fhir.search import check_format, check_known, own_id, page_bounds
from hamkor.care.fhir.served import SERVED, Row, Served
from hamkor.care.fhir.terms import FHIR_JSON
from hamkor.core import access, audit, import_jobs
from hamkor.core.errors import UserError
from hamkor.core.forms import PathId
from hamkor.core.i18n import N_
from hamkor.core.web import (
    PUBLIC_RESPONSES,
    ApiCtx,
    Ctx,
    PublicLimit,
    client_address,
    settings_of,
)

router = APIRouter(prefix=PREFIX, tags=["fhir"], default_response_class=FhirResponse)


def base_url(request: Request) -> str:
    """The address our resources' ``fullUrl`` starts with."""
    return str(request.base_url).rstrip("/") + PREFIX


def _audit_views(ctx: Ctx, served: Served, rows: Sequence[Row]) -> None:
    """Each patient whose data a read or search returns, named in the audit trail."""
    audit.record_each(
        ctx.db,
        action="view",
        entity="patients",
        entity_ids=(served.patient_of(row[0]) for row in rows),
        note=f"FHIR {served.resource_type}",
    )


def _entry(base: str, resource: Resource, mode: str | None = None) -> Resource:
    entry: Resource = {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}"}
    entry["resource"] = resource
    if mode:
        entry["search"] = {"mode": mode}
    return entry


def _query(request: Request) -> dict[str, list[str]]:
    return {name: request.query_params.getlist(name) for name in request.query_params}


def _rows(ctx: Ctx, stmt: Select[Any]) -> list[Row]:
    return [(found[0], found[1]) for found in ctx.db.execute(stmt)]


#: A FHIR id: at most 64 characters of ``[A-Za-z0-9\-\.]`` by the specification.
RecordId = Annotated[str, Path(max_length=64)]


def _read(served: Served) -> Callable[[ApiCtx, str], FhirResponse]:
    def read(ctx: ApiCtx, record_id: RecordId) -> FhirResponse:
        # FHIR ids are strings; ours are whole numbers, so any other id names nothing.
        found = own_id(record_id)
        if found is None:
            raise access.NotFound(served.model.__tablename__, record_id[:20])
        access.get_for(ctx.db, ctx.actor, served.model, found)
        key = served.model.__mapper__.primary_key[0]
        (row,) = _rows(ctx, served.statement().where(key == found))
        _audit_views(ctx, served, [row])
        return FhirResponse(validated(served.build(row)))

    read.__doc__ = f"Read one {served.resource_type} the caller may see (audited)."
    return read


def _search(served: Served) -> Callable[[ApiCtx], FhirResponse]:
    def search(ctx: ApiCtx) -> FhirResponse:
        query = _query(ctx.request)
        check_format(query)
        check_known(query, served.params)
        count, offset = page_bounds(query)
        stmt: Select[Any] = served.statement()
        tests = []
        for param in served.params:
            values = query.get(param.name) or []
            stmt = param.narrow(stmt, values)
            tests += param.tests(values)
        key = served.model.__mapper__.primary_key[0]
        stmt = access.restrict(stmt, ctx.actor).order_by(key)
        if tests:
            matching = [row for row in _rows(ctx, stmt) if all(test(row) for test in tests)]
            total, rows = len(matching), matching[offset : offset + count]
        else:
            total = ctx.db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = _rows(ctx, stmt.limit(count).offset(offset))
        _audit_views(ctx, served, rows)
        return FhirResponse(
            searchset(ctx.request, served, [served.build(row) for row in rows], total, offset)
        )

    search.__doc__ = (
        f"Search the {served.resource_type} resources the caller may see (audited): "
        + ", ".join(param.name for param in served.params)
        + ", _count, _offset."
    )
    return search


def searchset(
    request: Request, served: Served, resources: list[Resource], total: int, offset: int
) -> Resource:
    base = base_url(request)
    links = [{"relation": "self", "url": str(request.url)}]
    if offset + len(resources) < total:
        following = request.url.include_query_params(_offset=offset + len(resources))
        links.append({"relation": "next", "url": str(following)})
    return validated(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": links,
            "entry": [_entry(base, resource, "match") for resource in resources],
        }
    )


for _served in SERVED.values():
    router.add_api_route(
        f"/{_served.resource_type}/{{record_id}}",
        _read(_served),
        methods=["GET"],
        name=f"fhir_{_served.resource_type}_{READ}",
    )
    router.add_api_route(
        f"/{_served.resource_type}",
        _search(_served),
        methods=["GET"],
        name=f"fhir_{_served.resource_type}_{SEARCH}",
    )


@router.get("/metadata", dependencies=[PublicLimit], responses=PUBLIC_RESPONSES)
def metadata(request: Request) -> FhirResponse:
    """The CapabilityStatement: what this server serves, and nothing more."""
    return FhirResponse(capability.statement(base_url(request)))


async def posted_bundle(request: Request) -> Any:
    """The JSON posted, read by orjson: a Bundle posted as ``application/fhir+json`` may have
    up to ``HAMKOR_FHIR_MAX_BYTES`` (``core.body_limit``; issue 15: an 8 MB Bundle took 31 s),
    one posted as ``application/json`` the 1 MB of any other body."""
    body = await request.body()
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise UserError.one("bundle", N_("The body is not JSON in UTF-8.")) from None


_BUNDLE_BODY = {
    "required": True,
    "description": "A transaction or collection Bundle, at most HAMKOR_FHIR_MAX_BYTES.",
    "content": {FHIR_JSON: {"schema": {"type": "object"}}},
}


@router.post(
    "",
    openapi_extra={"requestBody": _BUNDLE_BODY},
    responses={
        202: {"description": "Imported by a job: poll the address in Content-Location"},
        413: {"description": "The Bundle is larger than the limit"},
    },
)
def transaction(
    bundle: Annotated[Any, Depends(posted_bundle)],
    ctx: ApiCtx,
    program: Annotated[str | None, Query(max_length=40)] = None,
    prefer: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Import referrals with their patients from a transaction or collection Bundle: every
    entry is checked, and all are written or, with any error, none. With
    ``Prefer: respond-async`` (needed past ``HAMKOR_IMPORT_JOB_ROWS`` entries) a job imports
    it, and the answer is 202 with the status address to poll."""
    settings = settings_of(ctx.request)
    if async_import.wants_async(prefer):
        job = async_import.start(
            db=ctx.db,
            actor=ctx.actor,
            bundle=bundle,
            program_code=program,
            address=client_address(ctx.request),
        )
        status = f"{base_url(ctx.request)}/_async/{job.id}"
        return Response(status_code=202, headers={"Content-Location": status})
    if async_import.entries_of(bundle) > settings.import_job_rows:
        raise UserError.one("entry", async_import.ASYNC_REQUIRED, limit=settings.import_job_rows)
    outcomes = importing.import_bundle(
        db=ctx.db,
        actor=ctx.actor,
        bundle=bundle,
        program_code=program,
        max_entries=settings.import_max_rows,
    )
    return FhirResponse(importing.response_bundle(outcomes))


@router.get(
    "/_async/{job_id}",
    responses={202: {"description": "Still importing; X-Progress tells how far"}},
)
def async_status(ctx: ApiCtx, job_id: PathId) -> Response:
    """The status of a Bundle posted with ``Prefer: respond-async``, for the user who posted
    it: 202 with ``X-Progress`` while it is imported, then 200 with a ``batch-response``
    Bundle holding the import's answer."""
    job = import_jobs.get_job(ctx.db, ctx.actor, job_id)
    if not job.is_finished:
        headers = {"X-Progress": f"{job.progress}%", "Retry-After": "2"}
        return Response(status_code=202, headers=headers)
    return FhirResponse(async_import.answer(job, ctx.translator))
