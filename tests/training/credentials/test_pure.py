"""The pure parts: sealed keys, did:web names, the status list, the schema copies."""

from __future__ import annotations

import filecmp

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hamkor.settings import ROOT
from hamkor.training.credentials import did, keys, status_list, vc
from hamkor.training.credentials.standards import STANDARDS_DIR, schema_errors
from tests.training.credentials.issuing import MemoryIssuer

SHARED = ROOT.parent / "shared" / "standards" / "openbadges"


@pytest.mark.skipif(not SHARED.exists(), reason="the shared standards folder is not beside us")
@pytest.mark.parametrize("name", sorted(p.name for p in STANDARDS_DIR.glob("*.json")))
def test_the_packaged_standards_equal_the_published_files(name: str) -> None:
    assert filecmp.cmp(STANDARDS_DIR / name, SHARED / name, shallow=False)


def test_the_packaged_standards_are_all_there() -> None:
    assert {p.name for p in STANDARDS_DIR.glob("*.json")} == {
        "context-3.0.3.json",
        "ob_v3p0_achievementcredential.schema.json",
        "ob_v3p0_profile.schema.json",
    }


def test_an_issued_credential_follows_the_open_badges_schema() -> None:
    document = vc.credential(MemoryIssuer().award(1))
    assert schema_errors(document) == []
    assert document["@context"][1] == "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    assert document["credentialStatus"]["type"] == "BitstringStatusListEntry"


def test_the_schema_refuses_what_open_badges_refuses() -> None:
    document = vc.credential(MemoryIssuer().award(1))
    document["@context"] = ["https://www.w3.org/2018/credentials/v1"]
    del document["validFrom"]
    errors = schema_errors(document)
    assert any("validFrom" in e for e in errors)
    assert any("@context" in e for e in errors)


def test_a_sealed_key_opens_only_with_its_secret_and_id() -> None:
    key = keys.generate()
    sealed = keys.seal(key, secret="s3cret", kid="did:web:x#a")
    raw = key.public_key()
    assert keys.public_raw(
        keys.unseal(sealed, secret="s3cret", kid="did:web:x#a").public_key()
    ) == (keys.public_raw(raw))
    assert keys.public_raw(raw) not in sealed
    with pytest.raises(keys.SealBroken):
        keys.unseal(sealed, secret="other", kid="did:web:x#a")
    with pytest.raises(keys.SealBroken):
        keys.unseal(sealed, secret="s3cret", kid="did:web:x#b")


def test_a_public_jwk_round_trips_and_names_its_key() -> None:
    key = keys.generate().public_key()
    jwk = keys.public_jwk(key)
    assert jwk["kty"] == "OKP"
    assert jwk["crv"] == "Ed25519"
    assert keys.public_raw(keys.public_key_from_jwk(jwk)) == keys.public_raw(key)
    assert keys.key_id("did:web:h", key) == f"did:web:h#{keys.thumbprint(jwk)}"
    with pytest.raises(ValueError, match="Ed25519"):
        keys.public_key_from_jwk({"kty": "RSA", "n": "x"})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000", "did:web:127.0.0.1%3A8000:institutions:3"),
        ("https://hamkor.uz", "did:web:hamkor.uz:institutions:3"),
        ("https://moh.uz/hamkor/", "did:web:moh.uz:hamkor:institutions:3"),
    ],
)
def test_did_web_names_percent_encode_the_port(url: str, expected: str) -> None:
    assert did.institution_did(url, 3) == expected


def test_the_did_document_lists_retired_keys_but_asserts_with_active_ones() -> None:
    old = did.PublishedKey("did:web:h#old", {"kty": "OKP", "crv": "Ed25519", "x": "a"}, False)
    new = did.PublishedKey("did:web:h#new", {"kty": "OKP", "crv": "Ed25519", "x": "b"}, True)
    document = did.did_document("did:web:h", [old, new])
    assert [m["id"] for m in document["verificationMethod"]] == ["did:web:h#old", "did:web:h#new"]
    assert document["verificationMethod"][0]["publicKeyJwk"]["x"] == "a"
    assert document["assertionMethod"] == ["did:web:h#new"]
    assert [k["kid"] for k in did.jwks([old, new])["keys"]] == ["did:web:h#old", "did:web:h#new"]


@given(st.sets(st.integers(min_value=0, max_value=status_list.MIN_LENGTH - 1), max_size=60))
def test_the_status_list_round_trips(revoked: set[int]) -> None:
    encoded = status_list.encode(revoked)
    assert encoded.startswith("u")
    bits = status_list.decode(encoded)
    assert len(bits) * 8 == status_list.MIN_LENGTH
    probes = revoked | {0, 1, 7, 8, status_list.MIN_LENGTH - 1}
    assert {i for i in probes if status_list.is_set(bits, i)} == revoked


def test_the_status_list_puts_index_zero_in_the_leftmost_bit() -> None:
    bits = status_list.decode(status_list.encode([0, 9]))
    assert bits[:2] == bytes([0b1000_0000, 0b0100_0000])


def test_a_status_list_too_short_or_not_multibase_is_refused() -> None:
    short = status_list.encode([1], length=8 * 1024)
    with pytest.raises(status_list.BadStatusList):
        status_list.decode(short)
    with pytest.raises(status_list.BadStatusList):
        status_list.decode("z" + short[1:])


def test_allocation_avoids_taken_indexes_and_knows_when_full() -> None:
    taken = set(range(15))
    assert status_list.allocate(taken, length=16) == 15
    with pytest.raises(status_list.StatusListFull):
        status_list.allocate(set(range(16)), length=16)
