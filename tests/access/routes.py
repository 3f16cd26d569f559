"""Every GET route of the app, and the requests that walk it with each side's records.

The routes come from the app itself, so a route added tomorrow is walked (or the walk fails
until it is listed in ``UNFILLED`` with the reason it cannot be).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

#: Routes the walk leaves out, and why. Any other route it cannot fill fails the walk.
UNFILLED = {
    "/api/v1/openapi.json": "the API's description, no records",
    "/planning/requests/{request_id}/edit": "no planning request in the world: planning's "
    "rows read as their program, whose routes are walked",
    "/api/v1/programs/{program_id}/requests/{request_id}": "no planning request in the world",
    "/planning/runs/{run_id}": "no plan run in the world: a run reads as its program",
    "/planning/runs/{run_id}/progress": "no plan run in the world",
    "/api/v1/planning/runs/{run_id}": "no plan run in the world",
}

#: Query parameters that name a record, filled like the path parameter they stand for.
ID_QUERIES = {
    "program": "program_id",
    "program_id": "program_id",
    "institution": "institution_id",
    "centre": "institution_id",
    "patient": "patient_id",
    "patient_id": "patient_id",
    "parent": "agreement_id",
}

#: Path parameters named alike that hold different records, by the route's path.
RECORD_IDS = {
    "/fhir/Patient/": "patient_id",
    "/fhir/Appointment/": "appointment_id",
    "/fhir/ServiceRequest/": "referral_id",
}

_PARAM = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Walked:
    """One GET route: its path template and the choices its parameters take."""

    path: str
    enums: Mapping[str, tuple[str, ...]]
    id_queries: tuple[str, ...]
    #: The formats the route downloads as (``?format=csv``), if any.
    formats: tuple[str, ...]

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def source_of(self, param: str) -> str:
        if param == "record_id":
            return next(name for prefix, name in RECORD_IDS.items() if prefix in self.path)
        return param


def _enum_values(annotation: Any) -> tuple[str, ...]:
    """The values of an enum annotation (or an optional one), else none."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return tuple(str(member.value) for member in annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            if values := _enum_values(arg):
                return values
    return ()


def _flat(dependant: Any, kind: str) -> list[Any]:
    fields = list(getattr(dependant, kind))
    for sub in dependant.dependencies:
        fields += _flat(sub, kind)
    return fields


def get_routes(app: FastAPI) -> list[Walked]:
    """The app's GET routes (static files excepted), each once."""
    found: dict[str, Walked] = {}
    for route in iter_route_contexts(app.routes):
        if "GET" not in (route.methods or ()) or route.path is None:
            continue
        dependant = getattr(route, "dependant", None)
        queries = _flat(dependant, "query_params") if dependant else []
        paths = _flat(dependant, "path_params") if dependant else []
        found[route.path] = Walked(
            path=route.path,
            enums={
                f.name: values for f in paths if (values := _enum_values(f.field_info.annotation))
            },
            id_queries=tuple(f.alias for f in queries if f.alias in ID_QUERIES),
            formats=next(
                (_enum_values(f.field_info.annotation) for f in queries if f.alias == "format"), ()
            ),
        )
    return list(found.values())


def urls(route: Walked, sides: Mapping[str, Mapping[str, int | str]]) -> Iterator[str]:
    """The addresses that walk ``route``: each side's records in its path (each value of an
    enum there), each download format, and each side's records in the queries naming one."""
    for side in sides.values():
        choices: list[dict[str, str]] = [{}]
        for param in route.params:
            if param in route.enums:
                choices = [c | {param: v} for c in choices for v in route.enums[param]]
                continue
            value = side.get(route.source_of(param))
            if value is None:
                choices = []
                break
            choices = [c | {param: str(value)} for c in choices]
        for values in choices:
            path = route.path.format(**values)
            yield path
            for download in route.formats:
                yield f"{path}?format={download}"
            for query in route.id_queries:
                value = side.get(ID_QUERIES[query])
                if value is not None:
                    yield f"{path}?{query}={value}"
