"""The pages: a coordinator enters an agreement with two parties, uploads its scan, adds a
roadmap item, and sees it late on the institution's page; a refused form writes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.agreements.iati import schema
from hamkor.agreements.models import Agreement, Award, RoadmapItem
from hamkor.core import files
from hamkor.settings import Settings
from tests.fixtures.agreements import AgreementPeople
from tests.fixtures.core import ClientFactory, csrf_of
from tests.fixtures.files import PDF, PNG
from tests.fixtures.programs import ActivityFactory, KzUzDays, submit


def _form(days: KzUzDays, **changes: str) -> dict[str, str]:
    return {
        "code": "MOU-2025",
        "kind": "memorandum",
        "titles.en": "Memorandum of cooperation in surgery",
        "titles.ru": "Меморандум о сотрудничестве",
        "topics": "joint research, exchange of specialists, training",
        "parties.0.institution_id": str(days.vakhidov.id),
        "parties.0.signer_name": "F. Nazyrov",
        "parties.0.signed_on": "2025-10-14",
        "parties.1.institution_id": str(days.syzganov.id),
        "parties.1.signed_on": "2025-10-14",
        "valid_from": "2024-10-14",
        "valid_until": "2028-10-13",
        "confidentiality": "parties",
        "program_id": str(days.program.id),
        **changes,
    }


def _count(db: Session, model: type[object]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_an_agreement_from_form_to_late_item_on_the_institutions_page(
    client_for: ClientFactory,
    db: Session,
    kz_uz_days: KzUzDays,
    agreement_people: AgreementPeople,
) -> None:
    client = client_for(agreement_people.vakhidov_coordinator)
    saved = submit(client, "/agreements/new", "/agreements", _form(kz_uz_days))
    assert saved.status_code == 303, saved.text
    page = saved.headers["location"]
    agreement = db.scalar(select(Agreement))
    assert agreement is not None
    assert page == f"/agreements/{agreement.id}"

    scan = client.post(
        f"{page}/documents",
        data={"csrf_token": _csrf(client, page)},
        files={"document": ("memorandum.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert scan.status_code == 303
    assert [a.name for a in files.list_(db=db, owner=agreement)] == ["memorandum.pdf"]

    item = submit(
        client,
        page,
        f"{page}/items",
        {
            "titles.en": "First joint research paper",
            "owner_institution_id": str(kz_uz_days.vakhidov.id),
            "due_on": "2025-01-15",
        },
    )
    assert item.status_code == 303, item.text
    institution = client.get(f"/agreements/institutions/{kz_uz_days.vakhidov.id}").text
    late = institution.split('id="late"')[1].split("</section>")[0]
    assert "First joint research paper" in late
    assert "memorandum.pdf" in client.get(page).text
    # Not a party: the page is refused.
    outsider = client_for(agreement_people.outsider_coordinator)
    assert outsider.get(page, follow_redirects=False).status_code == 403


def _csrf(client: TestClient, page: str) -> str:
    return csrf_of(client.get(page).text)


def test_a_refused_form_names_its_fields_and_writes_nothing(
    client_for: ClientFactory, db: Session, kz_uz_days: KzUzDays, agreement_people: AgreementPeople
) -> None:
    client = client_for(agreement_people.vakhidov_coordinator)
    form = _form(kz_uz_days, valid_until="2020-01-01")
    form["parties.1.institution_id"] = str(kz_uz_days.vakhidov.id)
    refused = submit(client, "/agreements/new", "/agreements", form)
    assert refused.status_code == 422
    assert 'id="e-valid_until"' in refused.text
    assert 'id="e-parties.1.institution_id"' in refused.text
    assert _count(db, Agreement) == 0


def test_a_scan_that_is_not_what_its_name_says_is_refused_on_the_page(
    client_for: ClientFactory,
    db: Session,
    kz_uz_days: KzUzDays,
    agreement_people: AgreementPeople,
    memorandum: Agreement,
) -> None:
    client = client_for(agreement_people.vakhidov_coordinator)
    page = f"/agreements/{memorandum.id}"
    refused = client.post(
        f"{page}/documents",
        data={"csrf_token": _csrf(client, page)},
        files={"document": ("scan.pdf", PNG, "application/pdf")},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert 'id="e-document"' in refused.text
    assert files.list_(db=db, owner=memorandum) == []
    assert _count(db, RoadmapItem) == 0


def test_the_program_page_links_agreements_and_its_iati_file(
    client_for: ClientFactory, kz_uz_days: KzUzDays, agreement_people: AgreementPeople
) -> None:
    client = client_for(agreement_people.program_coordinator)
    page = client.get(f"/programs/{kz_uz_days.program.id}/agreements")
    assert page.status_code == 200
    assert f"/programs/{kz_uz_days.program.id}/iati.xml" in page.text


def test_the_programs_coordinators_keep_its_stands_and_awards(
    client_for: ClientFactory,
    db: Session,
    kz_uz_days: KzUzDays,
    agreement_people: AgreementPeople,
) -> None:
    days = kz_uz_days
    page = f"/programs/{days.program.id}/agreements"
    client = client_for(agreement_people.program_coordinator)
    stand = submit(
        client,
        page,
        f"/programs/{days.program.id}/stands",
        {
            "stand": "A-1",
            "institution_id": str(days.syzganov.id),
            "exhibits.en": 'The "KazNIITO" cementless hip endoprosthesis model',
        },
    )
    assert stand.status_code == 303, stand.text
    award = {
        "titles.en": "Honorary Professor of the Tashkent Medical Academy",
        "recipient_name": "",
        "conferred_by_institution_id": str(days.vakhidov.id),
        "conferred_on": "2025-10-17",
    }
    refused = submit(client, page, f"/programs/{days.program.id}/awards", award)
    assert refused.status_code == 422
    assert 'id="e-recipient_name"' in refused.text
    award["recipient_name"] = "Yelzhan Birtanov"
    assert submit(client, page, f"/programs/{days.program.id}/awards", award).status_code == 303
    shown = client.get(page).text
    assert "KazNIITO" in shown
    assert "Yelzhan Birtanov" in shown
    assert _count(db, Award) == 1

    outsider = client_for(agreement_people.outsider_coordinator)
    # Not of the program: the outsider cannot even read its page; a post is refused too.
    denied = submit(outsider, "/agreements", f"/programs/{days.program.id}/awards", award)
    assert denied.status_code == 403
    assert _count(db, Award) == 1


def test_the_iati_download_is_refused_until_the_reporting_organisation_is_set(
    client_for: ClientFactory, kz_uz_days: KzUzDays, agreement_people: AgreementPeople
) -> None:
    client = client_for(agreement_people.program_coordinator)
    response = client.get(
        f"/programs/{kz_uz_days.program.id}/iati.xml", headers={"accept-language": "en"}
    )
    assert response.status_code == 422
    assert "HAMKOR_IATI_REPORTING_ORG" in response.text


def test_the_iati_download_is_a_valid_activity_file(
    client_for: ClientFactory,
    settings: Settings,
    kz_uz_days: KzUzDays,
    create_activity: ActivityFactory,
    agreement_people: AgreementPeople,
) -> None:
    settings.iati_reporting_org = "XM-EXAMPLE"
    create_activity(kz_uz_days.program, city=kz_uz_days.tashkent, institution=kz_uz_days.vakhidov)
    client = client_for(agreement_people.program_coordinator)
    response = client.get(f"/programs/{kz_uz_days.program.id}/iati.xml")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert schema.problems(response.content) == []
    assert b"<iati-identifier>XM-EXAMPLE-KZ-UZ-2025</iati-identifier>" in response.content


def test_the_edit_form_shows_the_terms_and_names_a_signer_from_the_directory(
    client_for: ClientFactory, db: Session, kz_uz_days: KzUzDays, agreement_people: AgreementPeople
) -> None:
    client = client_for(agreement_people.vakhidov_coordinator)
    created = submit(client, "/agreements/new", "/agreements", _form(kz_uz_days))
    page = created.headers["location"]
    edit = client.get(f"{page}/edit").text
    assert 'value="F. Nazyrov"' in edit
    assert 'value="joint research, exchange of specialists, training"' in edit

    form = _form(kz_uz_days, **{"parties.0.signer_person_id": str(kz_uz_days.surgeon.id)})
    form.pop("code")
    saved = submit(client, f"{page}/edit", f"{page}/edit", form)
    assert saved.status_code == 303, saved.text
    agreement = db.scalar(select(Agreement))
    assert agreement is not None
    db.refresh(agreement)
    assert agreement.parties[0].signer_person_id == kz_uz_days.surgeon.id

    refused = submit(client, f"{page}/edit", f"{page}/edit", {**form, "valid_until": "2020-01-01"})
    assert refused.status_code == 422
    assert 'id="e-valid_until"' in refused.text
    db.refresh(agreement)
    assert str(agreement.valid_until) == "2028-10-13"


def test_a_milestone_added_and_marked_reached_on_the_page(
    client_for: ClientFactory, db: Session, kz_uz_days: KzUzDays, agreement_people: AgreementPeople
) -> None:
    client = client_for(agreement_people.vakhidov_coordinator)
    page = submit(client, "/agreements/new", "/agreements", _form(kz_uz_days)).headers["location"]
    item_data = {
        "titles.en": "First joint research paper",
        "owner_institution_id": str(kz_uz_days.vakhidov.id),
        "due_on": "2026-06-01",
    }
    assert submit(client, page, f"{page}/items", item_data).status_code == 303
    item = db.scalar(select(RoadmapItem))
    assert item is not None
    milestone = {"titles.en": "Ethics committee approval", "due_on": "2026-02-01"}
    added = submit(client, page, f"/roadmap-items/{item.id}/milestones", milestone)
    assert added.status_code == 303
    db.refresh(item)
    reached = submit(
        client, page, f"/milestones/{item.milestones[0].id}/done", {"done_on": "2026-01-20"}
    )
    assert reached.status_code == 303
    text = client.get(page).text
    assert "Ethics committee approval" in text
    assert "✓" in text.split("Ethics committee approval")[1].split("</li>")[0]


def test_a_signer_and_an_owner_are_picked_by_a_name_typed_in_the_other_script(
    client_for: ClientFactory, db: Session, kz_uz_days: KzUzDays, agreement_people: AgreementPeople
) -> None:
    client = client_for(agreement_people.vakhidov_coordinator)
    new = client.get("/agreements/new").text
    assert 'list="dl-parties.0.signer_person_id"' in new
    unknown = _form(kz_uz_days, **{"parties.1.signer_person_id": "Зарипов"})
    refused = submit(client, "/agreements/new", "/agreements", unknown)
    assert refused.status_code == 422
    assert 'id="e-parties.1.signer_person_id"' in refused.text
    assert _count(db, Agreement) == 0

    typed = _form(kz_uz_days, **{"parties.1.signer_person_id": "Беков"})
    page = submit(client, "/agreements/new", "/agreements", typed).headers["location"]
    agreement = db.scalar(select(Agreement))
    assert agreement is not None
    assert agreement.parties[1].signer_person_id == kz_uz_days.surgeon.id
    assert "Dr Aidos Bekov (#" in client.get(f"{page}/edit").text

    item = {
        "titles.en": "First joint research paper",
        "owner_institution_id": str(kz_uz_days.vakhidov.id),
        "owner_person_id": "Беков",
        "due_on": "2026-06-01",
    }
    assert 'list="dl-owner_person_id"' in client.get(page).text
    assert submit(client, page, f"{page}/items", item).status_code == 303
    owned = db.scalar(select(RoadmapItem))
    assert owned is not None
    assert owned.owner_person_id == kz_uz_days.surgeon.id
