"""The Open Badges 3.0 JSON Schemas and context, read from copies kept in the package.

The schemas' ``$id`` point at purl.imsglobal.org; a verifier offline (a clinic without internet)
must still validate, so every reference is resolved from these files and never fetched.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT201909

STANDARDS_DIR = Path(__file__).resolve().parent / "standards"
ACHIEVEMENT_CREDENTIAL_SCHEMA = "ob_v3p0_achievementcredential.schema.json"
PROFILE_SCHEMA = "ob_v3p0_profile.schema.json"
OB_CONTEXT_FILE = "context-3.0.3.json"

#: The contexts of every credential we issue (VC Data Model 2.0, Open Badges 3.0.3).
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def load(name: str) -> dict[str, Any]:
    """One of the standard files, parsed."""
    document = json.loads((STANDARDS_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def _retrieve(uri: str) -> Resource[Any]:
    # Anything not among our files is refused rather than fetched from the network.
    raise LookupError(f"no offline copy of {uri}")


@cache
def _registry() -> Registry[Any]:
    resources = [
        (load(name)["$id"], DRAFT201909.create_resource(load(name)))
        for name in (ACHIEVEMENT_CREDENTIAL_SCHEMA, PROFILE_SCHEMA)
    ]
    return Registry(retrieve=_retrieve).with_resources(resources)  # type: ignore[call-arg]


@cache
def achievement_credential_validator() -> Draft201909Validator:
    """The validator of ``AchievementCredential``, built once (building it is the slow part)."""
    schema = load(ACHIEVEMENT_CREDENTIAL_SCHEMA)
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema, registry=_registry())


def schema_errors(credential: object) -> list[str]:
    """What makes ``credential`` fail the Open Badges 3.0 schema, each as ``path: problem``."""
    errors = sorted(
        achievement_credential_validator().iter_errors(credential), key=lambda e: list(e.path)
    )
    return [f"{e.json_path}: {e.message}" for e in errors]
