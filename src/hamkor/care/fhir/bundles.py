"""Reading a Bundle sent to us: its entries, their resources checked by the R4B models, and
the references between them.

Problems are reported where they are, as FHIRPath-like locations
(``entry[3].resource.identifier[0].value``), so a hospital's integrator can find them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from hamkor.care.fhir.resources import Resource, model_class
from hamkor.core.errors import FieldError, UserError, from_validation, problem
from hamkor.core.i18n import N_

#: The Bundle types we import: a hospital's transaction, or a collection such as our exports.
IMPORTED_TYPES = ("transaction", "collection")


def fhir_path(field: str) -> str:
    """``identifier.0.value`` (Pydantic's location) as ``identifier[0].value``."""
    path = ""
    for part in field.split("."):
        if part.isdigit():
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def joined(prefix: str, path: str) -> str:
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


@dataclass(frozen=True)
class Entry:
    """One entry of the Bundle: where it is, its resource, and how it may be referred to."""

    index: int
    resource: Resource
    full_url: str | None

    @property
    def path(self) -> str:
        return f"entry[{self.index}].resource"

    @property
    def resource_type(self) -> str:
        return str(self.resource["resourceType"])

    def at(self, path: str) -> str:
        """The location of an element of the resource."""
        return joined(self.path, path)

    @property
    def keys(self) -> list[str]:
        """What a reference to this entry may say: its ``fullUrl``, or ``Type/id``."""
        found = [self.full_url] if self.full_url else []
        if self.resource.get("id"):
            found.append(f"{self.resource_type}/{self.resource['id']}")
        return found


def _validation_errors(entry_path: str, error: ValidationError) -> list[FieldError]:
    return [
        FieldError(joined(entry_path, fhir_path(item.field)), item.message)
        for item in from_validation(error).errors
    ]


def _entry(
    index: int, raw: Any, transaction: bool, allowed: Sequence[str]
) -> Entry | list[FieldError]:
    """The entry, or what is wrong with it."""
    where = f"entry[{index}]"
    if not isinstance(raw, dict):
        return [problem(where, N_("Each entry must be a JSON object."))]
    errors: list[FieldError] = []
    if transaction:
        method = (
            (raw.get("request") or {}).get("method")
            if isinstance(raw.get("request"), dict)
            else None
        )
        if method != "POST":
            errors.append(
                problem(f"{where}.request.method", N_("Only POST (create) entries are accepted."))
            )
    resource = raw.get("resource")
    if not isinstance(resource, dict):
        return [*errors, problem(f"{where}.resource", N_("This entry has no resource."))]
    kind = resource.get("resourceType")
    try:
        model = model_class(str(kind))
    except ValueError:
        return [
            *errors,
            problem(
                f"{where}.resource.resourceType",
                N_("%(type)s is not a FHIR resource type."),
                type=str(kind)[:60],
            ),
        ]
    if kind not in allowed:
        return [
            *errors,
            problem(
                f"{where}.resource.resourceType",
                N_("%(type)s resources are not imported; a bundle of referrals holds %(types)s."),
                type=kind,
                types=", ".join(allowed),
            ),
        ]
    try:
        model.model_validate(resource)
    except ValidationError as error:
        errors += _validation_errors(f"{where}.resource", error)
    full_url = raw.get("fullUrl")
    if errors:
        return errors
    return Entry(index, resource, full_url if isinstance(full_url, str) else None)


def read_entries(
    bundle: Any, allowed: Sequence[str], max_entries: int
) -> tuple[list[Entry], list[FieldError]]:
    """The good entries of a transaction or collection Bundle (each resource checked by its R4B
    model) and the problems of the others; a Bundle that is not one, or has more than
    ``max_entries`` entries, is refused at once."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise UserError.one("resourceType", N_("Send a FHIR Bundle (resourceType Bundle)."))
    if bundle.get("type") not in IMPORTED_TYPES:
        raise UserError.one("type", N_("Send a Bundle of type transaction or collection."))
    raw_entries = bundle.get("entry")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise UserError.one("entry", N_("This Bundle has no entries."))
    if len(raw_entries) > max_entries:
        raise UserError.one(
            "entry",
            N_("This Bundle has more than %(max)s entries; send it in several."),
            max=max_entries,
        )
    transaction = bundle["type"] == "transaction"
    entries: list[Entry] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(raw_entries):
        found = _entry(index, raw, transaction, allowed)
        if isinstance(found, Entry):
            entries.append(found)
        else:
            errors += found
    return entries, errors


class Index:
    """The entries of a Bundle by what references to them may say."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._by_key = {key: entry for entry in entries for key in entry.keys}

    def target(self, reference: Any) -> Entry | None:
        """The entry a Reference points to, if it is in the Bundle."""
        if not isinstance(reference, dict):
            return None
        text = reference.get("reference")
        return self._by_key.get(text) if isinstance(text, str) else None
