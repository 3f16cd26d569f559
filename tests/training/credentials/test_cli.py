"""``hamkor cert``: the commands on a database file, as an operator would run them."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hamkor.cli import app
from hamkor.core import migrate
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.settings import get_settings
from hamkor.training.credentials import keys
from tests.fixtures.credentials import HOLDER_NAMES, PUBLIC_URL, Certified


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated database file that the commands open on their own, as in production."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    for name, value in {
        "HAMKOR_DATABASE_URL": url,
        "HAMKOR_VAR_DIR": str(tmp_path),
        "HAMKOR_DEFAULT_LANGUAGE": "en",
        "HAMKOR_SECRET_KEY": "test-secret-key",
        "HAMKOR_PUBLIC_BASE_URL": PUBLIC_URL,
        "COLUMNS": "240",  # Rich wraps at the terminal's width; keep each row on one line
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    engine = make_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that really commit, so that the command sees what the fixtures wrote."""
    return make_sessionmaker(engine)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_list_shows_number_holder_course_and_status(certificate: Certified) -> None:
    code, output = run("cert", "list")
    assert code == 0, output
    assert certificate.credential.number in output
    assert HOLDER_NAMES["uz"] in output
    assert "Off-pump coronary bypass" in output
    assert "Revoked" in output


def test_a_listed_row_is_one_line_that_grep_finds_whole(
    certificate: Certified, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A narrow terminal, as a pipe to grep is given: the row still keeps every cell whole.
    monkeypatch.setenv("COLUMNS", "60")
    code, output = run("cert", "list")
    assert code == 0, output
    (row,) = [line for line in output.splitlines() if certificate.credential.number in line]
    assert HOLDER_NAMES["uz"] in row
    assert "Off-pump coronary bypass" in row


def test_list_prints_the_columns_of_the_page_as_csv_and_json(certificate: Certified) -> None:
    number = certificate.credential.number
    code, output = run("cert", "list", "--format", "csv")
    assert code == 0, output
    rows = list(csv.reader(io.StringIO(output)))
    assert rows[0] == [
        "Number",
        "Holder",
        "Course",
        "Issued by",
        "Issued on",
        "Valid until",
        "Revoked",
    ]
    assert rows[1][:3] == [number, HOLDER_NAMES["uz"], "Off-pump coronary bypass"]
    assert rows[1][6] == "no"

    code, output = run("cert", "list", "--format", "json")
    assert code == 0, output
    (item,) = json.loads(output)
    assert item["number"] == number
    assert item["revoked"] is False
    assert item["issued_on"] == certificate.credential.valid_from.date().isoformat()


def test_list_refuses_a_format_it_does_not_print(certificate: Certified) -> None:
    code, output = run("cert", "list", "--format", "xml")
    assert code == 2
    assert "xml" in output


@pytest.mark.parametrize("form", ["jwt", "json"])
def test_an_exported_certificate_verifies(
    certificate: Certified, tmp_path: Path, form: str
) -> None:
    out = tmp_path / f"cert.{form}"
    number = certificate.credential.number
    code, output = run("cert", "export", number, "--format", form, "--out", str(out))
    assert code == 0, output
    if form == "json":
        assert json.loads(out.read_text())["type"] == "EnvelopedVerifiableCredential"
    code, output = run("cert", "verify", str(out))
    assert code == 0, output
    assert "The signature matches" in output
    assert "NOT valid" not in output


def test_verify_fails_on_a_tampered_file_and_says_so(
    certificate: Certified, tmp_path: Path
) -> None:
    header, payload, signature = certificate.credential.token.split(".")
    text = keys.b64url_decode(payload).decode().replace('"durationHours":6', '"durationHours":60')
    forged = tmp_path / "forged.jwt"
    forged.write_text(f"{header}.{keys.b64url(text.encode())}.{signature}")
    code, output = run("cert", "verify", str(forged))
    assert code == 1
    assert "Tampered" in output
    assert "NOT valid" in output


def test_verify_fails_on_a_file_that_is_no_credential(tmp_path: Path, engine: Engine) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": "world"}')
    code, output = run("cert", "verify", str(junk))
    assert code == 1
    assert "Malformed" in output


def test_revoke_then_verify_reports_the_reason(certificate: Certified, tmp_path: Path) -> None:
    number = certificate.credential.number
    code, output = run("cert", "revoke", number, "--reason", "Issued by mistake")
    assert code == 0, output
    out = tmp_path / "cert.jwt"
    assert run("cert", "export", number, "--out", str(out))[0] == 0
    code, output = run("cert", "verify", str(out))
    assert code == 1
    assert "Issued by mistake" in output
    code, output = run("cert", "revoke", number, "--reason", "again")
    assert code == 1
    assert "already revoked" in output


def test_revoke_refuses_an_unknown_number_and_a_user_without_rights(
    certificate: Certified,
) -> None:
    code, output = run("cert", "revoke", "HMK-1999-000001", "--reason", "x")
    assert code == 1
    assert "No certificate" in output
    holder = certificate.holder.username
    code, output = run(
        "cert", "revoke", certificate.credential.number, "--reason", "x", "--user", holder
    )
    assert code == 1


def test_rotate_key_keeps_the_old_certificate_valid(certificate: Certified, tmp_path: Path) -> None:
    code, output = run("cert", "rotate-key", certificate.credential.issuer_institution.code)
    assert code == 0, output
    assert "New signing key did:web:testserver" in output
    out = tmp_path / "cert.jwt"
    run("cert", "export", certificate.credential.number, "--out", str(out))
    assert run("cert", "verify", str(out))[0] == 0
    code, output = run("cert", "rotate-key", "NO-SUCH")
    assert code == 1
