"""The pages: the asker submits a case from the form, the centre assigns it, the assignee
answers, the asker closes it; the list of a centre asks the database a constant number of
times; a refused form writes nothing; a case out of reach is an audited 403 (issue 18)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session

from hamkor.core.models import AuditEntry
from hamkor.telemedicine.models import CaseStatus, TeleCase
from tests.fixtures.core import ClientFactory, csrf_of
from tests.fixtures.programs import submit
from tests.fixtures.telemedicine import CaseFactory, TeleWorld


def _form(world: TeleWorld, **changes: str) -> dict[str, str]:
    days = world.care.days
    return {
        "asking_institution_id": str(days.vakhidov.id),
        "centre_id": str(days.syzganov.id),
        "specialty_id": str(days.cardiac_surgery.id),
        "urgency": "urgent",
        "question": "Reoperation now or in a year?",
        "clinical_summary": "Mitral stenosis operated in October 2025; dyspnoea again.",
        "icd10": "I05.0, I50.0",
        "then": "submit",
        **changes,
    }


def _count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(TeleCase)) or 0


def _post(client: Any, page: str, action: str, data: dict[str, str]) -> Any:
    token = csrf_of(client.get(page).text)
    return client.post(
        action,
        data={**data, "csrf_token": token},
        headers={"accept-language": "en"},
        follow_redirects=False,
    )


def test_asked_assigned_answered_and_closed_through_the_pages(
    client_for: ClientFactory, db: Session, tele_world: TeleWorld
) -> None:
    asker = client_for(tele_world.asker)
    saved = submit(asker, "/telemedicine/new", "/telemedicine", _form(tele_world))
    assert saved.status_code == 303, saved.text
    page = saved.headers["location"]
    case = db.scalar(select(TeleCase))
    assert case is not None
    assert page == f"/telemedicine/{case.id}"
    assert (case.status, case.icd10) == (CaseStatus.SUBMITTED, ["I05.0", "I50.0"])

    centre = client_for(tele_world.coordinator)
    listed = centre.get(f"/telemedicine?centre={tele_world.care.days.syzganov.id}")
    assert f'href="/telemedicine/{case.id}"' in listed.text
    accepted = _post(centre, page, f"{page}/accept", {"assignee_id": str(tele_world.assignee.id)})
    assert accepted.status_code == 303, accepted.text

    surgeon = client_for(tele_world.assignee)
    answer = {"answer": "Reoperate within a month.", "recommendation": "refer_abroad"}
    assert _post(surgeon, page, f"{page}/answer", answer).status_code == 303
    question = {"body": "Which prosthesis do you advise?"}
    assert _post(asker, page, f"{page}/messages", question).status_code == 303
    assert _post(asker, page, f"{page}/close", {"visit_avoided": "true"}).status_code == 303

    db.expire_all()
    done = db.get(TeleCase, case.id)
    assert done is not None
    assert (done.status, done.visit_avoided) == (CaseStatus.CLOSED, True)
    shown = asker.get(page).text
    assert "Reoperate within a month." in shown
    assert "Which prosthesis do you advise?" in shown


def test_a_refused_form_shows_each_error_and_writes_nothing(
    client_for: ClientFactory, db: Session, tele_world: TeleWorld
) -> None:
    asker = client_for(tele_world.asker)
    form = _form(tele_world, question="", icd10="I05.0, XYZ")
    refused = submit(asker, "/telemedicine/new", "/telemedicine", form)
    assert refused.status_code == 422
    assert 'id="e-question"' in refused.text
    assert "XYZ is not an ICD-10 code." in refused.text
    assert _count(db) == 0


def test_a_step_out_of_turn_comes_back_with_its_reason(
    client_for: ClientFactory, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.ANSWERED)
    page = f"/telemedicine/{case.id}"
    asker = client_for(tele_world.asker)
    again = _post(asker, page, f"{page}/submit", {})
    assert again.status_code == 422
    assert "Only a draft can be submitted." in again.text


def test_a_case_out_of_reach_is_an_audited_403(
    client_for: ClientFactory, db: Session, tele_world: TeleWorld, create_case: CaseFactory
) -> None:
    case = create_case(CaseStatus.SUBMITTED)
    outsider = client_for(tele_world.outsider)
    assert outsider.get(f"/telemedicine/{case.id}").status_code == 403
    denied = db.scalars(
        select(AuditEntry.entity_id).where(
            AuditEntry.action == "denied", AuditEntry.entity == "telemedicine_cases"
        )
    )
    assert list(denied) == [str(case.id)]


def test_the_list_of_a_centre_asks_a_constant_number_of_queries(
    client_for: ClientFactory,
    connection: Connection,
    tele_world: TeleWorld,
    create_case: CaseFactory,
) -> None:
    client = client_for(tele_world.coordinator)
    url = f"/telemedicine?centre={tele_world.care.days.syzganov.id}"

    def queries() -> int:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        event.listen(connection, "before_cursor_execute", record)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(connection, "before_cursor_execute", record)
        return len(statements)

    for _ in range(3):
        create_case(CaseStatus.SUBMITTED)
    few = queries()
    for _ in range(30):
        create_case(CaseStatus.ACCEPTED, urgency="urgent")
    assert queries() == few, few
