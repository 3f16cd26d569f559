"""The figures and targets through the JSON API: shapes, filters, refusals that write nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hamkor.core.access import Actor
from hamkor.core.i18n import Translator
from hamkor.core.models import AuditEntry, Role, User
from hamkor.reports import service
from hamkor.reports.models import Target
from hamkor.reports.schemas import FigureFilter
from tests.fixtures.core import UserFactory
from tests.fixtures.directory import bearer
from tests.fixtures.reports import EXPECTED, TODAY, ReportWorld


def _targets(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Target)) or 0


def test_a_programs_indicators_with_target_and_breakdowns(
    app_client: TestClient, db: Session, report_world: ReportWorld, admin: User
) -> None:
    program = report_world.care.days.program
    headers = bearer(db, admin)
    put = app_client.put(
        f"/api/v1/programs/{program.id}/targets",
        headers=headers,
        json={"indicator_key": "interventions_performed", "value": 17},
    )
    assert put.status_code == 200, put.text
    assert put.json() == {
        "program_id": program.id,
        "indicator_key": "interventions_performed",
        "value": 17,
    }
    body = app_client.get(f"/api/v1/programs/{program.id}/indicators", headers=headers).json()
    assert {row["key"]: row["value"] for row in body} == EXPECTED
    interventions = next(row for row in body if row["key"] == "interventions_performed")
    assert interventions["target"] == 17
    assert interventions["breakdowns"]["city"] == [
        {"value": report_world.care.days.tashkent.id, "label": "Tashkent", "count": 1},
        {"value": report_world.care.days.samarkand.id, "label": "Samarkand", "count": 1},
    ]


def test_indicators_across_programs_filtered_by_dates(
    app_client: TestClient, db: Session, report_world: ReportWorld, admin: User
) -> None:
    body = app_client.get(
        "/api/v1/indicators?from=2025-10-14&to=2025-10-17", headers=bearer(db, admin)
    ).json()
    figures = {row["key"]: row for row in body}
    # The other program's intervention is on the 13th, like the Tashkent one: left out.
    assert figures["interventions_performed"]["value"] == 1
    assert [item["value"] for item in figures["activities"]["breakdowns"]["program"]] == [
        report_world.care.days.program.id
    ]


def test_a_range_that_ends_before_it_starts_is_refused_naming_to(
    app_client: TestClient, db: Session, report_world: ReportWorld, admin: User
) -> None:
    response = app_client.get(
        "/api/v1/indicators?from=2025-10-17&to=2025-10-13", headers=bearer(db, admin)
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "to", "message": "The range cannot end before it starts."}
    ]


def test_an_unknown_key_or_a_negative_target_is_refused_and_nothing_written(
    app_client: TestClient, db: Session, report_world: ReportWorld, admin: User
) -> None:
    url = f"/api/v1/programs/{report_world.care.days.program.id}/targets"
    headers = bearer(db, admin)
    unknown = app_client.put(url, headers=headers, json={"indicator_key": "smiles", "value": 3})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"field": "indicator_key", "message": "There is no indicator smiles."}
    ]
    negative = app_client.put(
        url, headers=headers, json={"indicator_key": "delegates", "value": -1}
    )
    assert negative.status_code == 422
    assert [error["field"] for error in negative.json()["errors"]] == ["value"]
    assert _targets(db) == 0


def test_a_target_on_another_coordinators_program_is_refused_and_audited(
    app_client: TestClient, db: Session, report_world: ReportWorld, create_user: UserFactory
) -> None:
    other = report_world.other_program
    coordinator = report_world.care.days.coordinator
    response = app_client.put(
        f"/api/v1/programs/{other.id}/targets",
        headers=bearer(db, coordinator),
        json={"indicator_key": "delegates", "value": 10},
    )
    assert response.status_code == 403
    assert _targets(db) == 0
    denied = select(AuditEntry).where(
        AuditEntry.action == "denied", AuditEntry.entity == "programs"
    )
    assert db.scalars(denied).first() is not None
    registrar = create_user(Role.REGISTRAR, institution_id=report_world.care.days.vakhidov.id)
    assert app_client.get("/api/v1/indicators", headers=bearer(db, registrar)).status_code == 200


def test_the_routes_are_in_the_openapi(app_client: TestClient) -> None:
    paths = app_client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/programs/{program_id}/indicators", "/api/v1/indicators"} <= set(paths)
    assert "put" in paths["/api/v1/programs/{program_id}/targets"]


def test_an_auditor_reads_no_counts_of_patients(
    app_client: TestClient, db: Session, report_world: ReportWorld, create_user: UserFactory
) -> None:
    """An auditor reads no patient data (issue 4): counts of patients are withheld (null), not
    a misleading 0; the other figures are there."""
    auditor = create_user(Role.AUDITOR)
    body = app_client.get("/api/v1/indicators", headers=bearer(db, auditor)).json()
    figures = {row["key"]: row for row in body}
    assert figures["patients_consulted"]["value"] is None
    assert figures["patients_consulted"]["breakdowns"] == {}
    assert figures["activities"]["value"] == EXPECTED["activities"] + 1  # and the other program
    assert figures["trainees_completed"]["value"] == EXPECTED["trainees_completed"]


def test_across_programs_counts_add_their_targets_and_medians_take_the_strictest(
    db: Session, report_world: ReportWorld, admin: User
) -> None:
    days, other = report_world.care.days.program, report_world.other_program
    for program, interventions, hours, in_time in ((days, 17, 24, 80), (other, 3, 48, 90)):
        db.add_all(
            [
                Target(
                    program_id=program.id,
                    indicator_key="interventions_performed",
                    value=interventions,
                ),
                Target(program_id=program.id, indicator_key="teleconsultation_hours", value=hours),
                Target(
                    program_id=program.id, indicator_key="teleconsultations_in_time", value=in_time
                ),
            ]
        )
    db.flush()
    targets = {
        figure.key: figure.target
        for figure in service.figures(
            db=db,
            actor=Actor.of(admin),
            today=TODAY,
            program_ids=None,
            filters=FigureFilter(),
            translator=Translator("en"),
        )
    }
    assert targets["interventions_performed"] == 20
    assert targets["teleconsultation_hours"] == 24
    assert targets["teleconsultations_in_time"] == 90
