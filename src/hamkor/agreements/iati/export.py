"""A program as an IATI 2.03 activity: who took part in which role, when, where, in which DAC
sectors, what the agreements' roadmaps promised (results with indicators) and their documents.

Confidential agreements never leave: IATI is publication, so only agreements open to their
program, once signed, are written, with their parties, roadmap indicators and documents.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.agreements.iati.codelists import code
from hamkor.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementStatus,
    Confidentiality,
    IndicatorLink,
    RoadmapItem,
)
from hamkor.core import files
from hamkor.core.errors import UserError
from hamkor.core.i18n import N_
from hamkor.directory.models import City, Institution, InstitutionKind
from hamkor.programs.models import Activity, ActivityKind, ActivityStatus, Program, ProgramStatus
from hamkor.settings import Settings

VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: Coordinates in WGS 84, as IATI asks of a location's point.
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
#: The agreements IATI hears of: signed ones, whatever became of them since.
PUBLISHED = (
    AgreementStatus.SIGNED,
    AgreementStatus.IN_FORCE,
    AgreementStatus.EXPIRED,
    AgreementStatus.TERMINATED,
)
_PROGRAM_STATUS = {
    ProgramStatus.DRAFT: "1",
    ProgramStatus.PLANNED: "1",
    ProgramStatus.RUNNING: "2",
    ProgramStatus.COMPLETED: "3",
    ProgramStatus.CANCELLED: "5",
}
# Who is accountable (ministries) and who implements (the centres, hospitals, universities).
_ACCOUNTABLE = "2"
_IMPLEMENTING = "4"
_ORGANISATION_TYPE = {
    InstitutionKind.MINISTRY: "10",
    InstitutionKind.GOVERNMENT_AGENCY: "10",
    InstitutionKind.RESEARCH_CENTRE: "80",
    InstitutionKind.UNIVERSITY: "80",
    InstitutionKind.HOSPITAL: "15",
    InstitutionKind.CLINIC: "15",
    InstitutionKind.PHARMA: "70",
    InstitutionKind.IT_COMPANY: "70",
    InstitutionKind.COMPANY: "70",
    InstitutionKind.OTHER: "90",
}
# DAC purpose codes: teaching (master classes, lectures, trainings) and care (operations,
# interventions, consultations); the other activities count for neither.
_MEDICAL_EDUCATION = "12181"
_MEDICAL_SERVICES = "12191"
_SECTOR_OF_ACTIVITY = {
    ActivityKind.MASTER_CLASS: _MEDICAL_EDUCATION,
    ActivityKind.LECTURE: _MEDICAL_EDUCATION,
    ActivityKind.PRACTICAL_TRAINING: _MEDICAL_EDUCATION,
    ActivityKind.DEMONSTRATION_OPERATION: _MEDICAL_SERVICES,
    ActivityKind.HIGH_TECH_INTERVENTION: _MEDICAL_SERVICES,
    ActivityKind.CONSULTATION_SESSION: _MEDICAL_SERVICES,
}
_DOCUMENT_CATEGORY = {
    AgreementKind.MEMORANDUM: "A09",
    AgreementKind.COOPERATION_CONTRACT: "A11",
    AgreementKind.EXTENSION: "A11",
    AgreementKind.AMENDMENT: "A11",
}
_SUMMARY_OF_CONTRACT = "A06"
_OUTPUT = "1"
_UNITS = "1"


@dataclass(frozen=True)
class Source:
    """What one program's activity file is made of, read once from the database."""

    program: Program
    agreements: list[Agreement]
    activities: list[Activity]
    items: list[RoadmapItem]
    documents: list[tuple[Agreement, files.Attachment]]


def gather(db: Session, program: Program) -> Source:
    """The program's published agreements, its activities and roadmap items."""
    agreements = list(
        db.scalars(
            select(Agreement)
            .where(
                Agreement.program_id == program.id,
                Agreement.confidentiality == Confidentiality.PROGRAM,
                Agreement.status.in_(PUBLISHED),
            )
            .order_by(Agreement.id)
        )
    )
    ids = [agreement.id for agreement in agreements]
    activities = list(
        db.scalars(
            select(Activity)
            .where(Activity.program_id == program.id, Activity.status != ActivityStatus.CANCELLED)
            .order_by(Activity.starts_at, Activity.id)
        )
    )
    items = list(
        db.scalars(
            select(RoadmapItem)
            .where(RoadmapItem.agreement_id.in_(ids), RoadmapItem.indicators.any())
            .order_by(RoadmapItem.due_on, RoadmapItem.id)
        )
    )
    documents = [(a, attachment) for a in agreements for attachment in files.list_(db=db, owner=a)]
    return Source(program, agreements, activities, items, documents)


def _narratives(parent: etree._Element, names: dict[str, str]) -> None:
    for language, text in names.items():
        etree.SubElement(parent, "narrative", {XML_LANG: language}).text = text


def _named(parent: etree._Element, tag: str, names: dict[str, str], **attributes: str) -> None:
    _narratives(etree.SubElement(parent, tag, attributes), names)


def _institutions(source: Source) -> list[Institution]:
    found: dict[int, Institution] = {}
    for agreement in source.agreements:
        for party in agreement.parties:
            found.setdefault(party.institution_id, party.institution)
    for activity in source.activities:
        if activity.institution is not None:
            found.setdefault(activity.institution.id, activity.institution)
    return sorted(found.values(), key=lambda institution: institution.code)


def _participants(activity: etree._Element, institutions: Iterable[Institution]) -> None:
    for institution in institutions:
        role = _ACCOUNTABLE if institution.kind == InstitutionKind.MINISTRY else _IMPLEMENTING
        identifier = {"ref": institution.org_identifier} if institution.org_identifier else {}
        _named(
            activity,
            "participating-org",
            institution.names,
            role=code("OrganisationRole", role),
            type=code("OrganisationType", _ORGANISATION_TYPE[InstitutionKind(institution.kind)]),
            **identifier,
        )


def _dates(activity: etree._Element, program: Program) -> None:
    status = ProgramStatus(program.status)
    dates = [("1", program.starts_on), ("3", program.ends_on)]
    if status in (ProgramStatus.RUNNING, ProgramStatus.COMPLETED):
        dates.append(("2", program.starts_on))
    if status == ProgramStatus.COMPLETED:
        dates.append(("4", program.ends_on))
    for kind, day in sorted(dates):
        etree.SubElement(
            activity,
            "activity-date",
            {"type": code("ActivityDateType", kind), "iso-date": day.isoformat()},
        )


def _locations(activity: etree._Element, activities: list[Activity]) -> None:
    cities: dict[int, City] = {}
    for item in activities:
        cities.setdefault(item.city.id, item.city)
    for city in cities.values():
        location = etree.SubElement(activity, "location", ref=city.code)
        _named(location, "name", city.names)
        point = etree.SubElement(location, "point", srsName=WGS84)
        etree.SubElement(point, "pos").text = f"{city.latitude:.5f} {city.longitude:.5f}"


def _sectors(activity: etree._Element, activities: list[Activity]) -> None:
    """The DAC sectors by the share of the program's activities in each, summing to 100."""
    counts = Counter(
        _SECTOR_OF_ACTIVITY[ActivityKind(item.kind)]
        for item in activities
        if ActivityKind(item.kind) in _SECTOR_OF_ACTIVITY
    )
    total = sum(counts.values())
    if not total:
        return
    shares = {sector: round(100 * count / total, 2) for sector, count in sorted(counts.items())}
    # The last share takes what rounding left, so that the sector percentages add up to 100.
    last = max(shares)
    shares[last] = round(100 - sum(v for k, v in shares.items() if k != last), 2)
    for sector, share in shares.items():
        etree.SubElement(
            activity,
            "sector",
            vocabulary=code("SectorVocabulary", "1"),
            code=code("Sector", sector),
            percentage=f"{share:g}",
        )


def _documents(activity: etree._Element, source: Source, base_url: str) -> None:
    for agreement, attachment in source.documents:
        category = _DOCUMENT_CATEGORY.get(AgreementKind(agreement.kind), _SUMMARY_OF_CONTRACT)
        link = etree.SubElement(
            activity,
            "document-link",
            url=f"{base_url.rstrip('/')}/files/{attachment.id}",
            format=attachment.stored.media_type,
        )
        _named(link, "title", {**agreement.titles, "en": attachment.name})
        etree.SubElement(link, "category", code=code("DocumentCategory", category))


_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|\d{2}))?$")


def period_days(period: str) -> tuple[date, date] | None:
    """The first and last day of a period written ``2025``, ``2025-Q3`` or ``2025-07``."""
    found = _PERIOD.match(period)
    if found is None:
        return None
    year, part = int(found.group(1)), found.group(2)
    if part is None:
        return date(year, 1, 1), date(year, 12, 31)
    if part.startswith("Q"):
        first = 3 * int(part[1]) - 2
        return date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    month = int(part)
    if not 1 <= month <= 12:
        return None
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _indicator(result: etree._Element, key: str, links: list[IndicatorLink]) -> None:
    indicator = etree.SubElement(result, "indicator", measure=code("IndicatorMeasure", _UNITS))
    _named(indicator, "title", {"en": key})
    for link in links:
        days = period_days(link.period)
        if days is None:
            continue
        period = etree.SubElement(indicator, "period")
        etree.SubElement(period, "period-start", {"iso-date": days[0].isoformat()})
        etree.SubElement(period, "period-end", {"iso-date": days[1].isoformat()})
        etree.SubElement(period, "target", value=f"{link.target:g}")
        if link.actual is not None:
            etree.SubElement(period, "actual", value=f"{link.actual:g}")


def _results(activity: etree._Element, items: list[RoadmapItem]) -> None:
    for item in items:
        result = etree.SubElement(activity, "result", type=code("ResultType", _OUTPUT))
        _named(result, "title", item.titles)
        by_key: dict[str, list[IndicatorLink]] = {}
        for link in item.indicators:
            by_key.setdefault(link.indicator_key, []).append(link)
        for key, links in by_key.items():
            _indicator(result, key, links)


def activity_file(source: Source, settings: Settings, now: datetime) -> bytes:
    """The program as an ``iati-activities`` document of one ``iati-activity``."""
    if not settings.iati_reporting_org:
        raise UserError.one(
            "iati_reporting_org",
            N_("Set HAMKOR_IATI_REPORTING_ORG to the reporting organisation's IATI identifier."),
        )
    program = source.program
    institutions = _institutions(source)
    if not institutions:
        raise UserError.one(
            "program", N_("The program has no participating institutions to report yet.")
        )
    root = etree.Element(
        "iati-activities", {"version": VERSION, "generated-datetime": now.isoformat()}
    )
    activity = etree.SubElement(
        root, "iati-activity", {"last-updated-datetime": now.isoformat(), XML_LANG: "en"}
    )
    identifier = f"{settings.iati_reporting_org}-{program.code}"
    etree.SubElement(activity, "iati-identifier").text = identifier
    reporting = etree.SubElement(
        activity,
        "reporting-org",
        ref=settings.iati_reporting_org,
        type=code("OrganisationType", settings.iati_reporting_org_type),
    )
    _narratives(reporting, {"en": settings.iati_reporting_org_name or settings.iati_reporting_org})
    _named(activity, "title", program.names)
    _named(activity, "description", program.descriptions or program.names, type="1")
    _participants(activity, institutions)
    etree.SubElement(
        activity, "activity-status", code=code("ActivityStatus", _PROGRAM_STATUS[program.status])
    )
    _dates(activity, program)
    etree.SubElement(activity, "recipient-country", code=program.host_country.code)
    _locations(activity, source.activities)
    _sectors(activity, source.activities)
    _documents(activity, source, settings.public_base_url)
    _results(activity, source.items)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
