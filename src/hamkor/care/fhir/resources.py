"""Every resource we send passes the ``fhir.resources`` R4B model of its type.

Builders write plain dictionaries (easy to read next to the specification); :func:`validated`
runs them through the reference model and returns its JSON form, so a builder's mistake fails
the export, not the receiving hospital's system.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.fhirresourcemodel import FHIRResourceModel

Resource = dict[str, Any]


def model_class(resource_type: str) -> type[FHIRResourceModel]:
    """The R4B model of a resource type; ``ValueError`` for a name FHIR does not define."""
    found = get_fhir_model_class(resource_type)
    if not issubclass(found, FHIRResourceModel) or found.get_resource_type() != resource_type:
        raise ValueError(resource_type)
    return found


def pruned(value: Any) -> Any:
    """``value`` without empty lists, objects and ``None`` (FHIR forbids empty elements), its
    instants in UTC as they are stored (whatever zone a fresh row was given in)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, dict):
        kept = {key: pruned(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [item for item in (pruned(item) for item in value) if item not in (None, [], {})]
    return value


def validated(resource: Resource) -> Resource:
    """``resource`` checked by its R4B model, in the model's JSON form (empty values dropped)."""
    model = model_class(resource["resourceType"]).model_validate(pruned(resource))
    dumped: Resource = model.model_dump(mode="json", exclude_none=True)
    return dumped


def reference(resource_type: str, record_id: object, display: str | None = None) -> Resource:
    """A relative reference to one of our resources (``Patient/12``)."""
    found: Resource = {"reference": f"{resource_type}/{record_id}"}
    if display:
        found["display"] = display
    return found


def identifier(system: str, value: object, **more: Any) -> Resource:
    """An Identifier (``use``, ``type`` and the like given as keywords)."""
    return {**more, "system": system, "value": str(value)}
