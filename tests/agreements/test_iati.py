"""The IATI export: valid against IATI's 2.03 schema, refused by it when a required element is
missing (so that the check can fail), codes from the codelists, confidential agreements left out."""

from __future__ import annotations

import filecmp
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from hamkor.agreements import service
from hamkor.agreements.iati import codelists, export, schema
from hamkor.agreements.iati.schema import SCHEMA_DIR
from hamkor.agreements.models import Agreement, AgreementStatus, Confidentiality
from hamkor.agreements.schemas import ItemCreate
from hamkor.core.access import Actor
from hamkor.core.errors import UserError
from hamkor.core.models import User
from hamkor.core.storage import Storage
from hamkor.programs.models import ActivityKind
from hamkor.settings import Settings
from tests.fixtures.agreements import AgreementFactory
from tests.fixtures.files import PDF
from tests.fixtures.programs import ActivityFactory, KzUzDays

SHARED_IATI = Path(__file__).resolve().parents[3] / "shared" / "standards" / "iati"
NOW = datetime(2025, 10, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def reporting(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "iati_reporting_org": "KZ-BIN-000000000000",
            "iati_reporting_org_name": "Ministry of Health of the Republic of Kazakhstan",
        }
    )


@pytest.fixture
def published(
    db: Session,
    admin: User,
    kz_uz_days: KzUzDays,
    create_agreement: AgreementFactory,
    create_activity: ActivityFactory,
    store: Storage,
) -> Agreement:
    """An open memorandum with a roadmap indicator and its signed scan, and two activities."""
    days = kz_uz_days
    create_activity(days.program, city=days.tashkent, institution=days.vakhidov)
    create_activity(
        days.program,
        city=days.tashkent,
        institution=days.vakhidov,
        kind=ActivityKind.DEMONSTRATION_OPERATION,
    )
    memorandum = create_agreement(confidentiality=Confidentiality.PROGRAM)
    service.add_item(
        db=db,
        actor=Actor.of(admin),
        agreement=memorandum,
        data=ItemCreate.model_validate(
            {
                "titles": {"en": "Training of surgeons", "ru": "Обучение хирургов"},
                "owner_institution_id": days.syzganov.id,
                "due_on": date(2026, 6, 30),
                "indicators": [
                    {"indicator_key": "doctors_trained", "period": "2025", "target": 45},
                    {"indicator_key": "doctors_trained", "period": "2026-Q1", "target": 20},
                ],
            }
        ),
    )
    service.add_document(
        db=db,
        actor=Actor.of(admin),
        agreement=memorandum,
        store=store,
        source=io.BytesIO(PDF),
        max_bytes=10**6,
        filename="memorandum-signed.pdf",
    )
    db.commit()
    return memorandum


def _document(db: Session, days: KzUzDays, settings: Settings) -> bytes:
    return export.activity_file(export.gather(db, days.program), settings, NOW)


def test_the_program_is_a_valid_iati_activity(
    db: Session, kz_uz_days: KzUzDays, published: Agreement, reporting: Settings
) -> None:
    document = _document(db, kz_uz_days, reporting)
    assert schema.problems(document) == []
    tree = etree.fromstring(document)
    assert tree.findtext("iati-activity/iati-identifier") == "KZ-BIN-000000000000-KZ-UZ-2025"
    sectors = {s.get("code"): s.get("percentage") for s in tree.iter("sector")}
    assert sectors == {"12181": "50", "12191": "50"}
    assert [p.get("value") for p in tree.iter("target")] == ["45", "20"]
    assert [c.get("code") for c in tree.iter("category")] == ["A09"]


def test_every_code_written_is_in_its_codelist(
    db: Session, kz_uz_days: KzUzDays, published: Agreement, reporting: Settings
) -> None:
    tree = etree.fromstring(_document(db, kz_uz_days, reporting))
    coded = {
        "participating-org": ("role", "OrganisationRole"),
        "activity-status": ("code", "ActivityStatus"),
        "activity-date": ("type", "ActivityDateType"),
        "sector": ("code", "Sector"),
        "category": ("code", "DocumentCategory"),
        "result": ("type", "ResultType"),
        "indicator": ("measure", "IndicatorMeasure"),
    }
    for tag, (attribute, name) in coded.items():
        values = {element.get(attribute) for element in tree.iter(tag)}
        assert values, tag
        assert values <= set(codelists.codelist(name)), tag


@pytest.mark.parametrize("required", ["reporting-org", "activity-status", "title"])
def test_the_schema_refuses_the_file_without_a_required_element(
    db: Session, kz_uz_days: KzUzDays, published: Agreement, reporting: Settings, required: str
) -> None:
    tree = etree.fromstring(_document(db, kz_uz_days, reporting))
    (activity,) = tree.iter("iati-activity")
    (element,) = activity.iterchildren(required)
    activity.remove(element)
    assert schema.problems(etree.tostring(tree)) != []


def test_confidential_agreements_are_not_published(
    db: Session,
    kz_uz_days: KzUzDays,
    published: Agreement,
    create_agreement: AgreementFactory,
    reporting: Settings,
) -> None:
    create_agreement(code="SECRET", confidentiality=Confidentiality.PARTIES)
    source = export.gather(db, kz_uz_days.program)
    assert [agreement.code for agreement in source.agreements] == [published.code]


def test_drafts_are_not_published(
    db: Session, kz_uz_days: KzUzDays, create_agreement: AgreementFactory
) -> None:
    create_agreement(status=AgreementStatus.DRAFT)
    assert export.gather(db, kz_uz_days.program).agreements == []


def test_without_a_reporting_organisation_the_export_is_refused(
    db: Session, kz_uz_days: KzUzDays, published: Agreement, settings: Settings
) -> None:
    with pytest.raises(UserError) as refused:
        _document(db, kz_uz_days, settings)
    assert refused.value.errors[0].field == "iati_reporting_org"


@pytest.mark.parametrize(
    ("period", "days"),
    [
        ("2025", (date(2025, 1, 1), date(2025, 12, 31))),
        ("2024-Q1", (date(2024, 1, 1), date(2024, 3, 31))),
        ("2024-02", (date(2024, 2, 1), date(2024, 2, 29))),
        ("2024-13", None),
        ("soon", None),
    ],
)
def test_periods_are_read_as_days(period: str, days: tuple[date, date] | None) -> None:
    assert export.period_days(period) == days


@pytest.mark.skipif(not SHARED_IATI.is_dir(), reason="the shared standards folder is not beside")
def test_the_kept_schema_is_iatis() -> None:
    names = ["iati-activities-schema.xsd", "iati-common.xsd", "xml.xsd"]
    _match, mismatch, errors = filecmp.cmpfiles(SHARED_IATI, SCHEMA_DIR, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_participating_organisations_are_named_by_their_identifiers(
    db: Session, kz_uz_days: KzUzDays, published: Agreement, reporting: Settings
) -> None:
    kz_uz_days.syzganov.org_identifier = "KZ-BIN-990540002276"
    db.commit()
    tree = etree.fromstring(_document(db, kz_uz_days, reporting))
    refs = {org.findtext("narrative"): org.get("ref") for org in tree.iter("participating-org")}
    syzganov = kz_uz_days.syzganov.names["en"]
    assert refs[syzganov] == "KZ-BIN-990540002276"
    assert refs[kz_uz_days.vakhidov.names["en"]] is None
    assert schema.problems(etree.tostring(tree)) == []
