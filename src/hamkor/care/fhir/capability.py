"""The CapabilityStatement at /fhir/metadata, made from the same declarations as the routes.

It names the FHIR version we really validate against (4.3.0, R4B: the R4 line that
``fhir.resources`` 8 ships) and lists only the resources, interactions and search parameters
``served.py`` declares, which the routes and searches are built from. The resource types the
modules built on care add to the export (``sources``) are listed too, with what they hold and
no interaction, since they are exported, not served; for a type that is served as well, the
source's words are added to its documentation.
"""

from __future__ import annotations

from importlib.metadata import version

from hamkor.care.fhir import sources
from hamkor.care.fhir.resources import Resource, validated
from hamkor.care.fhir.search import MAX_COUNT, PAGE_OFFSET, PAGE_SIZE
from hamkor.care.fhir.served import SERVED
from hamkor.care.fhir.terms import FHIR_JSON, FHIR_VERSION

#: The statement's own date: when this capability last changed.
RELEASED = "2026-11-29"
READ = "read"
SEARCH = "search-type"
#: The interactions served for every resource of ``SERVED``; the routes are made from these.
INTERACTIONS = (READ, SEARCH)


def _resource(resource_type: str) -> Resource:
    served = SERVED[resource_type]
    return {
        "type": resource_type,
        "documentation": served.documentation,
        "interaction": [{"code": code} for code in INTERACTIONS],
        "searchParam": [
            {"name": param.name, "type": param.type, "documentation": param.documentation}
            for param in served.params
        ]
        + [
            {
                "name": PAGE_SIZE,
                "type": "number",
                "documentation": f"Results per page, at most {MAX_COUNT}.",
            },
            {"name": PAGE_OFFSET, "type": "number", "documentation": "Results to skip."},
        ],
    }


def _resources() -> list[Resource]:
    """The served resources, then the types only the sources export, each type once."""
    listed = {resource_type: _resource(resource_type) for resource_type in SERVED}
    for source in sources.registered():
        for resource_type, documentation in source.documentation.items():
            entry = listed.setdefault(resource_type, {"type": resource_type})
            entry["documentation"] = " ".join(
                text for text in (entry.get("documentation"), documentation) if text
            )
    return list(listed.values())


def statement(base: str) -> Resource:
    """The CapabilityStatement of the server at ``base``."""
    return validated(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": RELEASED,
            "publisher": "Hamkor",
            "kind": "instance",
            "software": {"name": "Hamkor", "version": version("hamkor")},
            "implementation": {"description": "Hamkor FHIR API", "url": base},
            "fhirVersion": FHIR_VERSION,
            "format": [FHIR_JSON, "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Unknown search parameters are refused (400) rather than ignored."
                    ),
                    "security": {
                        "cors": False,
                        "description": (
                            "A bearer API token (Authorization: Bearer ...) made on the API "
                            "tokens page, or a logged-in session with its CSRF header."
                        ),
                    },
                    "resource": _resources(),
                    "interaction": [
                        {
                            "code": "transaction",
                            "documentation": (
                                "POST a transaction or collection Bundle of referrals "
                                "(ServiceRequest) and their patients: all or nothing. "
                                "With Prefer: respond-async (needed for large Bundles) a "
                                "job imports it; poll /fhir/_async/{id} (the async pattern)."
                            ),
                        }
                    ],
                }
            ],
        }
    )
