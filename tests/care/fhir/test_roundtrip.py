"""The FHIR round trip: export a program, import the referrals into a database without any care
data, export again — the same content, but for the ids the server gives."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.care.fhir.export import export_bundle
from hamkor.care.fhir.importing import import_bundle
from hamkor.care.fhir.terms import sid
from hamkor.care.models import Consent, Patient, Referral
from tests.fixtures.care import CareWorld
from tests.fixtures.fhir import Resource, make_care, references, resources

BASE = "https://hamkor.test/fhir"
#: What the importer takes: referrals, their patients and consents, and the places they name.
IMPORTED = {"Patient", "Consent", "ServiceRequest", "Organization", "Location"}
#: Records the import makes anew, so their ids (and our identifiers holding them) differ.
NEW_RECORDS = {"Patient", "Consent", "ServiceRequest"}
SERVER_IDS = {sid("patient"), sid("referral"), sid("consent")}


def _replace(value: Any, keys: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            key: keys.get(item, item) if key == "reference" else _replace(item, keys)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_replace(item, keys) for item in value]
    return value


def normalised(bundle: Resource) -> dict[str, list[str]]:
    """Each type's resources as sorted JSON, with server-given ids replaced: a patient is named
    by its national identifier, and references to it follow; the time a referral entered our
    waitlist (``authoredOn``) is the import's."""
    keys = {
        f"Patient/{patient['id']}": "Patient/"
        + next(i["value"] for i in patient["identifier"] if i["system"] not in SERVER_IDS)
        for patient in resources(bundle, "Patient")
    }
    found: dict[str, list[str]] = {}
    for original in resources(bundle):
        resource = copy.deepcopy(original)
        if resource["resourceType"] in NEW_RECORDS:
            del resource["id"]
            resource.pop("authoredOn", None)
            resource["identifier"] = [
                i for i in resource["identifier"] if i["system"] not in SERVER_IDS
            ]
        found.setdefault(resource["resourceType"], []).append(
            json.dumps(_replace(resource, keys), sort_keys=True, ensure_ascii=False)
        )
    return {resource_type: sorted(items) for resource_type, items in found.items()}


def _count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_export_import_into_an_empty_database_and_export_again_gives_the_same_content(
    db: Session, care_world: CareWorld
) -> None:
    program_id = care_world.days.program.id
    made = db.begin_nested()
    make_care(db, care_world)
    first = export_bundle(db=db, actor=care_world.admin, base=BASE, program_id=program_id)
    made.rollback()
    assert [_count(db, model) for model in (Patient, Consent, Referral)] == [0, 0, 0]

    sent = {
        **first,
        "entry": [e for e in first["entry"] if e["resource"]["resourceType"] in IMPORTED],
    }
    outcomes = import_bundle(db=db, actor=care_world.admin, bundle=sent)
    second = export_bundle(db=db, actor=care_world.admin, base=BASE, program_id=program_id)

    assert [_count(db, model) for model in (Patient, Consent, Referral)] == [2, 5, 2]
    assert sum(o.status == "201 Created" for o in outcomes) == 9
    assert normalised(second) == normalised(first)
    # The comparison is not empty-handed: the first export did hold the care data.
    assert {t: len(v) for t, v in normalised(first).items() if t in NEW_RECORDS} == {
        "Patient": 2,
        "Consent": 5,
        "ServiceRequest": 2,
    }
    assert set(references(second)) <= {f"{r['resourceType']}/{r['id']}" for r in resources(second)}
