"""The Open Badges 3.0 JSON Schemas and context, read from copies kept in the package.

The schemas' ``$id`` point at purl.imsglobal.org; a verifier offline (a clinic without internet)
must still validate, so every reference is resolved from these files and never fetched.

The schema is checked by ``jsonschema-rs``, compiled once: walking the schema's ``$ref``s and
``oneOf``s in Python (``jsonschema``) took about 500 µs of a 700 µs verification, the compiled
validator takes about 3 µs (``docs/benchmarks.md``). Formats are annotations only, as draft
2019-09 says by default.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

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


def _retrieve(uri: str) -> Any:
    # Anything not among our files is refused rather than fetched from the network.
    raise LookupError(f"no offline copy of {uri}")


@cache
def achievement_credential_validator() -> jsonschema_rs.Draft201909Validator:
    """The validator of ``AchievementCredential``, compiled once (compiling is the slow part)."""
    schema = load(ACHIEVEMENT_CREDENTIAL_SCHEMA)
    jsonschema_rs.meta.validate(schema)
    registry = jsonschema_rs.Registry(
        [
            (load(name)["$id"], load(name))
            for name in (ACHIEVEMENT_CREDENTIAL_SCHEMA, PROFILE_SCHEMA)
        ],
        retriever=_retrieve,
    )
    return jsonschema_rs.Draft201909Validator(
        schema, registry=registry, retriever=_retrieve, validate_formats=False
    )


# A property name written after a dot in a JSON path; any other is written as ['name'].
_PLAIN_NAME = re.compile("[a-zA-Z][a-zA-Z0-9_]*")


def json_path(parts: list[str | int]) -> str:
    """The JSONPath of a place in a document (``$.credentialSubject.achievement['@id']``)."""
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_NAME.fullmatch(part):
            path += f".{part}"
        else:
            path += "['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return path


def schema_errors(credential: object) -> list[str]:
    """What makes ``credential`` fail the Open Badges 3.0 schema, each as ``path: problem``."""
    validator = achievement_credential_validator()
    if validator.is_valid(credential):
        return []  # the common case, without building any error
    errors = sorted(
        validator.iter_errors(credential), key=lambda e: [str(p) for p in e.instance_path]
    )
    return [f"{json_path(e.instance_path)}: {e.message}" for e in errors]
