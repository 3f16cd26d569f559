"""Pure verification: each kind of bad certificate is refused with its own message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hamkor.training.credentials import jose, keys, status_list, vc
from hamkor.training.credentials.verify import Check, Failure, Verification, Verifier
from tests.training.credentials.issuing import MemoryIssuer


@pytest.fixture
def issuer() -> MemoryIssuer:
    return MemoryIssuer()


def verify(issuer: MemoryIssuer, data: str | bytes) -> Verification:
    return Verifier(issuer).verify(data)


def messages(result: Verification, language: str = "en") -> list[str]:
    return [o.render(language) for o in result.outcomes if o.passed is False]


def test_a_fresh_credential_passes_every_check(issuer: MemoryIssuer) -> None:
    result = verify(issuer, issuer.issue())
    assert result.valid, messages(result)
    assert [o.check for o in result.outcomes] == list(Check)
    assert result.credential is not None
    assert result.credential["credentialSubject"]["achievement"]["durationHours"] == 36


def test_the_json_envelope_verifies_like_the_jwt(issuer: MemoryIssuer) -> None:
    token = issuer.issue()
    assert verify(issuer, json.dumps(vc.envelope(token)).encode()).valid


def _tamper(token: str, change: str, into: str) -> str:
    header, payload, signature = token.split(".")
    text = keys.b64url_decode(payload).decode()
    assert change in text
    changed = keys.b64url(text.replace(change, into).encode())
    return f"{header}.{changed}.{signature}"


def test_a_changed_payload_is_tampered(issuer: MemoryIssuer) -> None:
    token = _tamper(issuer.issue(), '"durationHours":36', '"durationHours":360')
    result = verify(issuer, token)
    assert result.failures == [Failure.TAMPERED]
    assert messages(result) == [
        "Tampered: the signature does not match, the credential was changed after signing."
    ]
    skipped = [o.check for o in result.outcomes if o.passed is None]
    assert skipped == [Check.SCHEMA, Check.DATES, Check.STATUS]


def test_a_key_the_issuer_never_published_is_unknown(issuer: MemoryIssuer) -> None:
    foreign = keys.generate()
    kid = keys.key_id(issuer.did, foreign.public_key())
    token = vc.sign(vc.credential(issuer.award(1)), foreign, kid)
    result = verify(issuer, token)
    assert result.failures == [Failure.UNKNOWN_KEY]
    assert messages(result) == [f"Unknown key: the issuer has not published the key {kid}."]


def test_a_foreign_key_under_a_published_key_id_is_tampered(issuer: MemoryIssuer) -> None:
    token = vc.sign(vc.credential(issuer.award(1)), keys.generate(), issuer.active_kid)
    assert verify(issuer, token).failures == [Failure.TAMPERED]


def test_an_issuer_that_is_not_ours_is_unknown(issuer: MemoryIssuer) -> None:
    stranger = MemoryIssuer(institution_id=99)
    result = verify(issuer, stranger.issue())
    assert result.failures == [Failure.UNKNOWN_ISSUER]
    assert messages(result) == [f"Unknown issuer: {stranger.did} does not issue certificates here."]


def test_a_revoked_credential_shows_the_reason(issuer: MemoryIssuer) -> None:
    token = issuer.issue(index=4242)
    issuer.revoke(4242, "Issued to the wrong person")
    result = verify(issuer, token)
    assert result.failures == [Failure.REVOKED]
    assert messages(result) == ["Revoked by the issuer. Reason: Issued to the wrong person"]
    assert "Отозван" in messages(result, "ru")[0]


def test_other_revocations_leave_a_credential_valid(issuer: MemoryIssuer) -> None:
    token = issuer.issue(index=10)
    issuer.revoke(11, "another")
    assert verify(issuer, token).valid


def test_an_expired_credential_is_expired(issuer: MemoryIssuer) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    token = issuer.issue(valid_from=past - timedelta(days=700), valid_until=past)
    result = verify(issuer, token)
    assert result.failures == [Failure.EXPIRED]
    assert messages(result) == [f"Expired: the credential was valid until {vc.timestamp(past)}."]


def test_a_credential_from_the_future_is_not_yet_valid(issuer: MemoryIssuer) -> None:
    token = issuer.issue(valid_from=datetime.now(UTC) + timedelta(days=3))
    assert verify(issuer, token).failures == [Failure.NOT_YET_VALID]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"%PDF-1.7\n\xff\xfe\x00", "the file is not text"),
        ("hello world", "not a JWT"),
        ("{not json", "not JSON"),
        ('{"@context": [], "type": ["VerifiableCredential"]}', "JSON without a signature"),
        ("a.b.c", "not a JWT"),
        ('{"a":' * 50_000, "not JSON"),
        ('"' + "{" * 10 + '"', "not JSON"),
    ],
)
def test_a_malformed_file_is_malformed(
    issuer: MemoryIssuer, data: str | bytes, problem: str
) -> None:
    result = verify(issuer, data)
    assert result.failures == [Failure.MALFORMED]
    assert messages(result)[0].startswith("Malformed: this is not a signed credential (")
    assert problem in messages(result)[0]
    assert [o.passed for o in result.outcomes[1:]] == [None] * 5


def test_a_signed_document_that_breaks_the_schema_lists_the_errors(issuer: MemoryIssuer) -> None:
    document = vc.credential(issuer.award(1))
    del document["credentialSubject"]["achievement"]["criteria"]
    document["type"] = ["VerifiableCredential"]
    token = vc.sign(document, issuer.keys[issuer.active_kid], issuer.active_kid)
    result = verify(issuer, token)
    assert result.failures == [Failure.SCHEMA_INVALID]
    details = next(o.details for o in result.outcomes if o.check == Check.SCHEMA)
    assert any("criteria" in line for line in details)
    assert any("$.type" in line for line in details)


def test_a_token_of_another_kind_is_malformed(issuer: MemoryIssuer) -> None:
    token = jose.sign({"sub": "x"}, issuer.keys[issuer.active_kid], kid="k", typ="JWT")
    assert verify(issuer, token).failures == [Failure.MALFORMED]


def test_a_credential_issued_before_a_key_rotation_still_verifies(issuer: MemoryIssuer) -> None:
    old_kid = issuer.active_kid
    before = issuer.issue(index=1)
    new_kid = issuer.rotate()
    after = issuer.issue(index=2)
    assert new_kid != old_kid
    assert jose.header(before)["kid"] == old_kid
    assert verify(issuer, before).valid
    assert verify(issuer, after).valid


@pytest.mark.parametrize("inside", [" ", "\n", "\t", "=", "+"])
def test_a_token_with_a_character_out_of_base64url_is_not_a_jwt(
    issuer: MemoryIssuer, inside: str
) -> None:
    token = issuer.issue()
    result = verify(issuer, token[:40] + inside + token[40:])
    assert result.failures == [Failure.MALFORMED]
    assert "not a JWT" in messages(result)[0]
    assert [o.passed for o in result.outcomes[1:]] == [None] * 5


class _ForgedLists(MemoryIssuer):
    """An issuer whose status list is replaced by what an attacker or a broken server sends."""

    forged: str | None = None

    def status_list(self, url: str) -> str | None:
        return self.forged


def _list_token(
    issuer: MemoryIssuer, *, signer: Ed25519PrivateKey | None = None, list_url: str = ""
) -> str:
    document = status_list.list_credential(
        list_url=list_url or issuer.list_url,
        issuer={"id": issuer.did, "type": ["Profile"]},
        revoked={},
        valid_from=datetime.now(UTC),
    )
    key = issuer.keys[issuer.active_kid] if signer is None else signer
    return jose.sign(document, key, kid=issuer.active_kid, typ=vc.JWT_TYPE)


@pytest.mark.parametrize("forgery", ["missing", "foreign key", "another list", "not a JWT"])
def test_a_status_list_that_does_not_check_out_leaves_the_status_unknown(forgery: str) -> None:
    issuer = _ForgedLists()
    issuer.forged = {
        "missing": None,
        "foreign key": _list_token(issuer, signer=keys.generate()),
        "another list": _list_token(issuer, list_url="https://elsewhere.example/list"),
        "not a JWT": "a.b.c",
    }[forgery]
    result = verify(issuer, issuer.issue())
    assert result.failures == [Failure.STATUS_UNAVAILABLE]
    assert messages(result) == [
        "The revocation status could not be checked (the credential names no status list)."
    ]
