"""The due-date feed: read with the signed feed key, it carries a confidential agreement's items
to its parties' people only."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hamkor.agreements import service
from hamkor.agreements.models import Agreement, Confidentiality
from hamkor.agreements.schemas import ItemCreate
from hamkor.core import security
from hamkor.core.access import Actor
from hamkor.core.models import User
from hamkor.settings import Settings
from tests.fixtures.agreements import AgreementFactory, AgreementPeople


def _item(db: Session, admin: User, agreement: Agreement, title: str) -> None:
    data = ItemCreate.model_validate(
        {
            "titles": {"en": title},
            "owner_institution_id": agreement.parties[0].institution_id,
            "due_on": date(2026, 3, 1),
        }
    )
    service.add_item(db=db, actor=Actor.of(admin), agreement=agreement, data=data)
    db.commit()


def _feed(client: TestClient, settings: Settings, user: User) -> str:
    key = security.feed_key(settings.resolved_secret_key(), user)
    response = client.get(f"/agreements/due.ics?key={key}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    return response.text


def test_the_feed_carries_confidential_items_to_parties_only(
    app_client: TestClient,
    db: Session,
    settings: Settings,
    admin: User,
    agreement_people: AgreementPeople,
    create_agreement: AgreementFactory,
) -> None:
    secret = create_agreement(code="SECRET", confidentiality=Confidentiality.PARTIES)
    shared = create_agreement(code="SHARED", confidentiality=Confidentiality.PROGRAM)
    _item(db, admin, secret, "Confidential joint research")
    _item(db, admin, shared, "Open exchange of specialists")

    party = _feed(app_client, settings, agreement_people.syzganov_specialist)
    other = _feed(app_client, settings, agreement_people.program_coordinator)

    assert "Confidential joint research" in party
    assert "Open exchange of specialists" in party
    assert "Confidential joint research" not in other
    assert "Open exchange of specialists" in other
    assert "DTSTART;VALUE=DATE:20260301" in other


def test_a_forged_key_reads_nothing(app_client: TestClient) -> None:
    assert app_client.get("/agreements/due.ics?key=forged").status_code == 401
