"""The audit trail in the reader's language (issue 20): tables and fields by the forms' words,
before and after, a link to the record, a range that ends before it starts refused, pages
read in a constant number of queries, and the file in the same words."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from hamkor.core.i18n import Translator
from hamkor.core.models import AuditEntry, Role
from tests.fixtures.core import ClientFactory, UserFactory


@pytest.fixture
def auditor(client_for: ClientFactory, create_user: UserFactory) -> TestClient:
    return client_for(create_user(Role.AUDITOR, username="aud"))


def changed_program(db: Session, entity_id: str = "7") -> None:
    db.add(
        AuditEntry(
            actor_name="coord",
            action="update",
            entity="programs",
            entity_id=entity_id,
            changes={"starts_on": ["2025-10-13", "2025-10-14"], "password_hash": "hidden"},
        )
    )
    db.commit()


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_tables_and_fields_are_named_in_the_readers_language(
    auditor: TestClient, db: Session, language: str
) -> None:
    changed_program(db)
    words = Translator(language)
    program, starts_on = words.gettext("Program"), words.gettext("Starts on")
    assert program != "Program"
    assert starts_on != "Starts on"

    page = auditor.get("/audit?entity=programs", headers={"accept-language": language}).text

    assert f'<a href="/programs/7">{program} #7</a>' in page
    assert f"<b>{starts_on}</b>: 2025-10-13 → 2025-10-14" in page
    assert f"<b>{words.gettext('Password')}</b></span>" in page  # named, its value hidden
    assert "password_hash" not in page
    assert "starts_on" not in page


def test_a_row_without_a_page_of_its_own_is_not_linked(auditor: TestClient, db: Session) -> None:
    db.add(AuditEntry(actor_name="x", action="login", entity="users", entity_id="3"))
    db.add(AuditEntry(actor_name="x", action="create", entity="odd_table", entity_id="4"))
    db.commit()

    page = auditor.get("/audit", headers={"accept-language": "en"}).text

    assert "<td>User #3</td>" in page
    assert "<td>odd_table #4</td>" in page


def test_a_range_that_ends_before_it_starts_is_refused_naming_the_field(
    auditor: TestClient,
) -> None:
    response = auditor.get(
        "/audit?since=2025-10-14&until=2025-10-13", headers={"accept-language": "kk"}
    )

    assert response.status_code == 422
    expected = Translator("kk").gettext("The range cannot end before it starts.")
    assert f'<p class="error" id="e-until">{expected}</p>' in response.text
    assert 'aria-describedby="e-until"' in response.text


def test_the_file_names_tables_and_fields_like_the_page(auditor: TestClient, db: Session) -> None:
    changed_program(db)

    csv = auditor.get("/audit?format=csv&entity=programs", headers={"accept-language": "ru"})

    assert csv.status_code == 200
    words = Translator("ru")
    assert words.gettext("Program") in csv.text
    assert f"{words.gettext('Starts on')}: 2025-10-13 → 2025-10-14" in csv.text


def test_a_page_of_the_trail_takes_as_many_queries_however_many_entries(
    auditor: TestClient, db: Session, connection: Connection
) -> None:
    def queries(url: str) -> int:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        event.listen(connection, "before_cursor_execute", record)
        try:
            page = auditor.get(url)
        finally:
            event.remove(connection, "before_cursor_execute", record)
        assert page.status_code == 200
        return len(statements)

    for n in range(30):
        changed_program(db, str(n + 1))
    first = queries("/audit?entity=programs")
    for n in range(60):
        changed_program(db, str(n + 100))
    assert queries("/audit?entity=programs") == first
    assert queries("/audit?entity=programs&page=3") == first
    page = auditor.get("/audit?entity=programs&page=3", headers={"accept-language": "en"}).text
    assert re.search(r"Page 3 of 4", page)
