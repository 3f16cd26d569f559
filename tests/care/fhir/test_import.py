"""Importing referrals from a hospital's Bundle: located errors, all or nothing, same rules."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.care.fhir.importing import import_bundle
from hamkor.care.fhir.terms import PINFL_SYSTEM
from hamkor.care.models import Consent, Patient, Referral, ReferralStatus
from hamkor.core.errors import UserError
from tests.fixtures.care import CareWorld
from tests.fixtures.fhir import PINFL, CareData, hospital_bundle


def _count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _refusal(db: Session, world: CareWorld, bundle: Any) -> list[tuple[str, str]]:
    with pytest.raises(UserError) as refused:
        import_bundle(db=db, actor=world.admin, bundle=bundle, program_code="KZ-UZ-2025")
    assert [_count(db, model) for model in (Patient, Referral, Consent)] == [0, 0, 0]
    return [(e.field, e.message.render("en")) for e in refused.value.errors]


def test_a_hospitals_transaction_is_imported_through_the_intake_rules(
    db: Session, care_world: CareWorld
) -> None:
    outcomes = import_bundle(
        db=db, actor=care_world.admin, bundle=hospital_bundle(), program_code="KZ-UZ-2025"
    )

    patient = db.scalars(select(Patient)).one()
    referral = db.scalars(select(Referral)).one()
    assert patient.names == {"uz": "Yusupova Malika"}
    assert patient.phone == "+998711234567"
    assert patient.institution_id == care_world.days.vakhidov.id
    assert referral.patient_id == patient.id
    assert referral.icd10 == "M51.1"
    assert referral.priority == 4
    assert referral.reason == "Disc herniation"
    assert referral.referring_institution_id == care_world.days.samarkand_hospital.id
    assert referral.specialty_id == care_world.days.neurosurgery.id
    assert referral.days == ["2025-10-14"]
    assert referral.status == ReferralStatus.WAITING
    assert [(o.status, o.location) for o in outcomes] == [
        ("201 Created", f"Patient/{patient.id}"),
        ("201 Created", f"ServiceRequest/{referral.id}"),
        ("200 OK", None),
    ]


def test_a_bad_pinfl_and_a_bad_icd10_code_are_located_and_nothing_is_written(
    db: Session, care_world: CareWorld
) -> None:
    bad_digit = PINFL[:-1] + str((int(PINFL[-1]) + 1) % 10)

    errors = _refusal(db, care_world, hospital_bundle(pinfl=bad_digit, icd10="X99.99"))

    assert errors[0][0] == "entry[0].resource.identifier[0].value"
    assert "not a valid PINFL" in errors[0][1]
    assert (
        "entry[1].resource.reasonCode[0].coding[0].code",
        "X99.99 is not an ICD-10 code.",
    ) in errors


def test_unknown_and_unimported_resource_types_and_missing_fields_are_reported_at_once(
    db: Session, care_world: CareWorld
) -> None:
    bundle = hospital_bundle()
    del bundle["entry"][0]["resource"]["birthDate"]
    del bundle["entry"][1]["resource"]["subject"]
    bundle["entry"].append({"resource": {"resourceType": "Foo"}, "request": {"method": "POST"}})
    bundle["entry"].append(
        {
            "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
            "request": {"method": "PUT"},
        }
    )

    errors = dict(_refusal(db, care_world, bundle))

    assert errors["entry[0].resource.birthDate"] == "This field is required."
    assert errors["entry[1].resource.subject"] == "This field is required."
    assert errors["entry[3].resource.resourceType"] == "Foo is not a FHIR resource type."
    assert errors["entry[4].resource.resourceType"].startswith(
        "Observation resources are not imported"
    )
    assert errors["entry[4].request.method"] == "Only POST (create) entries are accepted."


def test_an_unknown_institution_specialty_and_program_are_named(
    db: Session, care_world: CareWorld
) -> None:
    bundle = hospital_bundle()
    bundle["entry"][2]["resource"]["identifier"][0]["value"] = "NOWHERE"
    bundle["entry"][1]["resource"]["performerType"]["coding"][0]["code"] = "astrology"

    errors = dict(_refusal(db, care_world, bundle))
    with pytest.raises(UserError) as no_program:
        import_bundle(db=db, actor=care_world.admin, bundle=hospital_bundle())

    assert errors["entry[1].resource.requester"].startswith("No institution of the directory")
    assert errors["entry[1].resource.performerType.coding[0].code"] == (
        "No specialty has the code astrology."
    )
    assert [e.field for e in no_program.value.errors] == ["entry[1].resource.extension"]


@pytest.mark.parametrize(
    ("bundle", "field"),
    [
        ([], "resourceType"),
        ({"resourceType": "Patient"}, "resourceType"),
        ({"resourceType": "Bundle", "type": "searchset", "entry": []}, "type"),
        ({"resourceType": "Bundle", "type": "collection"}, "entry"),
    ],
)
def test_what_is_not_a_bundle_of_referrals_is_refused_as_a_whole(
    db: Session, care_world: CareWorld, bundle: Any, field: str
) -> None:
    assert [f for f, _message in _refusal(db, care_world, bundle)] == [field]


def test_a_registered_patient_is_matched_by_identifier_not_registered_twice(
    db: Session, care_world: CareWorld, fhir_care: CareData
) -> None:
    pinfl = fhir_care.karimov.identifiers[0].value
    bundle = hospital_bundle()
    patient = bundle["entry"][0]["resource"]
    patient.update(
        birthDate="1979-04-02", gender="male", identifier=[{"system": PINFL_SYSTEM, "value": pinfl}]
    )

    outcomes = import_bundle(
        db=db, actor=care_world.admin, bundle=copy.deepcopy(bundle), program_code="KZ-UZ-2025"
    )

    assert (outcomes[0].status, outcomes[0].location) == (
        "200 OK",
        f"Patient/{fhir_care.karimov.id}",
    )
    assert _count(db, Patient) == 2
    newest = db.scalars(select(Referral).order_by(Referral.id.desc())).first()
    assert newest is not None
    assert newest.patient_id == fhir_care.karimov.id


def test_the_progress_is_told_before_the_import_first_asks_the_database(
    session_factory: sessionmaker[Session], care_world: CareWorld
) -> None:
    """A job on SQLite writes its progress, then takes the one write lock for the import
    (``core.import_jobs``): a first report after the import's first statement found the lock
    taken, and the 8 MB Bundle's job failed."""
    told: list[tuple[int, int, bool]] = []
    with session_factory() as fresh:
        import_bundle(
            db=fresh,
            actor=care_world.admin,
            bundle=hospital_bundle(),
            program_code="KZ-UZ-2025",
            progress=lambda done, total: told.append((done, total, fresh.in_transaction())),
        )
    assert told[0] == (0, 3, False)
    assert told[-1][:2] == (3, 3)
