"""Every value a client sends has a bound (issue 15): each string a maximum length, each date
a range. FastAPI checks requests against the schemas of the OpenAPI document, so a walk of
what requests carry (parameters and bodies, with the schemas they refer to) finds any field or
parameter left without one, in every module, as soon as it is added."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient


def _walk(
    node: Any, where: str, document: dict[str, Any], seen: set[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema under ``node``, following references once each."""
    if isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}", document, seen)
        return
    if not isinstance(node, dict):
        return
    reference = node.get("$ref")
    if isinstance(reference, str):
        if reference not in seen:
            seen.add(reference)
            name = reference.removeprefix("#/components/schemas/")
            yield from _walk(document["components"]["schemas"][name], name, document, seen)
        return
    yield where, node
    for key, value in node.items():
        yield from _walk(value, f"{where}/{key}", document, seen)


def _sent(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The schemas of what requests carry: their parameters and bodies."""
    seen: set[str] = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            yield from _walk(operation.get("parameters", []), where, document, seen)
            yield from _walk(operation.get("requestBody", {}), where, document, seen)


def _strings(document: dict[str, Any], formats: set[str | None]) -> dict[str, dict[str, Any]]:
    """The string schemas of ``formats`` that requests carry, by where they are.

    An uploaded file (a string with a ``contentMediaType``) is left out: its bound is in bytes,
    the upload limit ``core.body_limit`` applies while it arrives, not a ``maxLength`` of
    characters."""
    return {
        where: schema
        for where, schema in _sent(document)
        if schema.get("type") == "string"
        and schema.get("format") in formats
        and not {"enum", "const", "contentMediaType"} & schema.keys()
    }


def test_every_text_a_client_sends_has_a_maximum_length(app_client: TestClient) -> None:
    texts = _strings(app_client.get("/api/v1/openapi.json").json(), {None})
    assert "PatientCreate/properties/phone/anyOf/0" in texts  # the walk reaches the bodies
    assert "GET /api/v1/countries/0/schema/anyOf/0" in texts  # and the parameters
    assert sorted(where for where, schema in texts.items() if "maxLength" not in schema) == []


def test_every_date_a_client_sends_has_a_plausible_range(app_client: TestClient) -> None:
    dates = _strings(app_client.get("/api/v1/openapi.json").json(), {"date", "date-time"})
    assert "ProgramCreate/properties/starts_on" in dates
    unranged = [
        where
        for where, schema in dates.items()
        if "formatMinimum" not in schema or not {"formatMaximum", "x-not-after"} & schema.keys()
    ]
    assert sorted(unranged) == []
