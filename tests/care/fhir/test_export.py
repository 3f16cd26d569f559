"""The FHIR export: a valid R4B collection whose references all resolve, scoped and audited."""

from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care.fhir.export import export_bundle
from hamkor.care.fhir.terms import ICD10, IIN_SYSTEM, PINFL_SYSTEM, sid
from hamkor.core.access import Actor
from hamkor.core.models import AuditEntry, Role
from tests.fixtures.care import CareWorld
from tests.fixtures.core import UserFactory
from tests.fixtures.fhir import CareData, Resource, VisitData, references, resources

BASE = "https://hamkor.test/fhir"


def test_the_export_of_a_visit_is_a_valid_bundle_whose_references_resolve(
    db: Session, care_world: CareWorld, fhir_visit: VisitData
) -> None:
    bundle = export_bundle(
        db=db, actor=care_world.admin, base=BASE, program_id=care_world.days.program.id
    )

    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    present = {f"{r['resourceType']}/{r['id']}" for r in resources(bundle)}
    assert set(references(bundle)) <= present
    assert {r["resourceType"] for r in resources(bundle)} == {
        "Organization",
        "Location",
        "Practitioner",
        "PractitionerRole",
        "Patient",
        "Consent",
        "ServiceRequest",
        "Schedule",
        "Slot",
        "Appointment",
        "Encounter",
        "Condition",
        "Procedure",
        "CarePlan",
    }
    assert all(
        e["fullUrl"] == f"{BASE}/{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle["entry"]
    )


def test_the_export_maps_the_visit_faithfully(
    db: Session, care_world: CareWorld, fhir_visit: VisitData
) -> None:
    bundle = export_bundle(db=db, actor=care_world.admin, base=BASE)
    karimov = fhir_visit.care.karimov

    (request,) = [
        r
        for r in resources(bundle, "ServiceRequest")
        if r["subject"]["reference"] == f"Patient/{karimov.id}"
    ]
    assert request["reasonCode"][0]["coding"][0]["system"] == ICD10
    assert request["reasonCode"][0]["coding"][0]["code"] == "I05.0"
    assert request["priority"] == "asap"
    assert request["status"] == "completed"  # operated
    assert request["occurrenceTiming"]["event"] == ["2025-10-13", "2025-10-14"]
    (appointment,) = resources(bundle, "Appointment")
    assert appointment["status"] == "fulfilled"
    assert appointment["slot"] == [{"reference": f"Slot/{care_world.session.id}-1"}]
    # 09:00 Tashkent is 04:00 UTC; slot 1 of 20 minutes starts 04:20.
    assert appointment["start"].startswith("2025-10-13T04:20:00")
    slots = {s["id"]: s["status"] for s in resources(bundle, "Slot")}
    assert slots == {f"{care_world.session.id}-{n}": "free" for n in (0, 2)} | {
        f"{care_world.session.id}-1": "busy"
    }
    (encounter,) = resources(bundle, "Encounter")
    assert [d["rank"] for d in encounter["diagnosis"]] == [1, 2]
    codes = sorted(c["code"]["coding"][0]["code"] for c in resources(bundle, "Condition"))
    assert codes == ["I05.0", "I48.9"]
    (procedure,) = resources(bundle, "Procedure")
    assert procedure["outcome"]["coding"][0]["code"] == "385669000"
    assert len(procedure["performer"]) == 2
    (plan,) = resources(bundle, "CarePlan")
    assert plan["activity"][0]["detail"]["scheduledPeriod"]["end"] == "2025-11-15"
    patient = next(p for p in resources(bundle, "Patient") if p["id"] == str(karimov.id))
    systems = [i["system"] for i in patient["identifier"]]
    assert systems == [PINFL_SYSTEM, "http://hl7.org/fhir/sid/passport-UZB", sid("patient")]
    languages = [n["extension"][0]["valueCode"] for n in patient["name"]]
    assert languages == ["ru", "uz", "uz-Cyrl"]
    assert patient["telecom"][0]["value"] == "+998901234567"


def test_a_withdrawn_consent_to_sharing_keeps_the_patient_out_of_an_export_abroad(
    db: Session, care_world: CareWorld, fhir_care: CareData
) -> None:
    days = care_world.days
    abroad = export_bundle(db=db, actor=care_world.admin, base=BASE, recipient=days.syzganov)
    at_home = export_bundle(db=db, actor=care_world.admin, base=BASE, recipient=days.vakhidov)

    def patients(bundle: Resource) -> set[str]:
        return {p["identifier"][0]["system"] for p in resources(bundle, "Patient")}

    assert patients(abroad) == {PINFL_SYSTEM}  # Serikova (IIN) withdrew her consent
    assert patients(at_home) == {PINFL_SYSTEM, IIN_SYSTEM}
    subjects = {r["subject"]["reference"] for r in resources(abroad, "ServiceRequest")}
    assert subjects == {f"Patient/{fhir_care.karimov.id}"}
    assert all(
        c["patient"]["reference"] == f"Patient/{fhir_care.karimov.id}"
        for c in resources(abroad, "Consent")
    )


def test_consents_in_force_are_active_and_superseded_ones_inactive(
    db: Session, care_world: CareWorld, fhir_care: CareData
) -> None:
    bundle = export_bundle(db=db, actor=care_world.admin, base=BASE)
    serikova = f"Patient/{fhir_care.serikova.id}"
    sharing = [
        (c["status"], c["provision"]["type"])
        for c in resources(bundle, "Consent")
        if c["patient"]["reference"] == serikova
        and c["scope"]["coding"][0]["code"] == "patient-privacy"
    ]
    assert sorted(sharing) == [("active", "deny"), ("inactive", "permit")]
    (by_mother,) = [
        c
        for c in resources(bundle, "Consent")
        if c["patient"]["reference"] == serikova and c["scope"]["coding"][0]["code"] == "treatment"
    ]
    assert by_mother["performer"][0]["display"] == "Serikova Gulnara"


def test_the_export_holds_only_the_patients_the_user_may_see_and_audits_them(
    db: Session, care_world: CareWorld, fhir_care: CareData, create_user: UserFactory
) -> None:
    other = create_user(Role.REGISTRAR, institution_id=care_world.days.samarkand_hospital.id)
    own = Actor.of(care_world.registrar)

    assert resources(export_bundle(db=db, actor=Actor.of(other), base=BASE), "Patient") == []
    bundle = export_bundle(db=db, actor=own, base=BASE)

    assert len(resources(bundle, "Patient")) == 2
    audited = db.scalars(
        select(AuditEntry.entity_id).where(
            AuditEntry.action == "view", AuditEntry.note == "FHIR export"
        )
    ).all()
    assert sorted(str(a) for a in audited) == sorted(
        str(p.id) for p in (fhir_care.karimov, fhir_care.serikova)
    )
