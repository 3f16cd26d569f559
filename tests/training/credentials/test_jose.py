"""Signing and verifying on joserfc, with our checks on top, and agreeing with plain joserfc."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from hamkor.training.credentials import jose, keys
from hamkor.training.credentials.standards import json_path, schema_errors

SIGNER = keys.generate()
PUBLIC = jose.public_okp(SIGNER.public_key())


def _token(header: dict[str, object] | bytes, payload: bytes, key: object = SIGNER) -> str:
    """A compact JWS of any header (a dict, or its bytes) and payload, signed as EdDSA does."""
    head = keys.b64url(header if isinstance(header, bytes) else json.dumps(header).encode())
    body = keys.b64url(payload)
    signature = SIGNER.sign(f"{head}.{body}".encode()) if key is SIGNER else b"\0" * 64
    return f"{head}.{body}.{keys.b64url(signature)}"


def test_a_signed_token_verifies_and_joserfc_agrees() -> None:
    token = jose.sign({"n": "Oʻroqov — Қодиров"}, SIGNER, kid="did:web:h#k", typ="vc+jwt")
    assert jose.verify(token, PUBLIC) == {"n": "Oʻroqov — Қодиров"}
    with pytest.warns(SecurityWarning, match="RFC 9864"):  # joserfc's own reader, as a witness
        assert jws.deserialize_compact(token, PUBLIC, algorithms=["EdDSA"]).payload
    assert jose.header(token) == {"alg": "EdDSA", "kid": "did:web:h#k", "typ": "vc+jwt"}


def test_a_plain_joserfc_key_verifies_too() -> None:
    token = jose.sign({"a": 1}, SIGNER, kid="k", typ="JWT")
    assert jose.verify(token, OKPKey.import_key(SIGNER.public_key())) == {"a": 1}


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "kid": "k"},
        {"alg": "HS256", "kid": "k"},
        {"alg": "Ed25519", "kid": "k"},
        {"alg": "EdDSA", "kid": "k", "crit": ["b64"], "b64": False},
    ],
)
def test_another_algorithm_or_an_extension_is_malformed(header: dict[str, object]) -> None:
    with pytest.raises(jose.Malformed):
        jose.parse(_token(header, b'{"a":1}'))


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t + ".x",  # four parts
        lambda t: t.rsplit(".", 1)[0],  # two parts
        lambda t: t.replace(".", "..", 1),  # an empty part
        lambda t: t[:20] + " " + t[20:],  # a space
        lambda t: t[:20] + "+" + t[21:],  # base64, not base64url
        lambda t: t[:20] + "/" + t[21:],
        lambda t: t + "=",  # padding, which JWS omits
        lambda t: t + "AAA",  # a length no base64 has
        lambda t: t.split(".")[0] + ".." + t.split(".")[2],  # an empty payload
        lambda t: t[:20] + "ў" + t[21:],  # not ASCII
    ],
)
def test_a_token_out_of_the_compact_form_is_malformed(change: object) -> None:
    token = jose.sign({"a": 1}, SIGNER, kid="k", typ="JWT")
    assert callable(change)
    with pytest.raises(jose.Malformed):
        jose.parse(change(token))


def test_a_header_that_is_not_a_json_object_is_malformed() -> None:
    body = keys.b64url(b"{}")
    for header in (b"[1]", b"not json", b'"EdDSA"'):
        with pytest.raises(jose.Malformed):
            jose.parse(f"{keys.b64url(header)}.{body}.{keys.b64url(bytes(64))}")


@pytest.mark.parametrize(
    "header",
    [
        b'{"alg":"EdDSA","kid":NaN}',  # JSON has no NaN; Python's json reads it
        b'{"alg":"EdDSA","kid":"\\ud800"}',  # a lone surrogate, no character at all
        '{"alg":"EdDSA","kid":"k"}'.encode("utf-16"),  # JSON is UTF-8 between systems
        b'{"alg":"EdDSA","kid":"\xff"}',  # not UTF-8
    ],
)
def test_a_header_that_is_not_strict_json_is_malformed(header: bytes) -> None:
    with pytest.raises(jose.Malformed):
        jose.parse(_token(header, b'{"a":1}'))


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "EdDSA", "kid": 7},  # a registered member of the wrong type
        {"alg": "EdDSA", "kid": "k", "jku": "file:///etc/passwd"},
        {"alg": "EdDSA", "kid": "k", "b64": False},  # RFC 7797 without its crit
    ],
)
def test_a_header_member_against_its_registration_is_malformed(header: dict[str, object]) -> None:
    with pytest.raises(jose.Malformed):
        jose.parse(_token(header, b'{"a":1}'))


def test_a_header_member_nobody_registered_is_ignored_as_rfc_7515_says() -> None:
    token = _token({"alg": "EdDSA", "kid": "k", "x-note": "n"}, b'{"a":1}')
    assert jose.parse(token).header["x-note"] == "n"
    assert jose.verify(token, PUBLIC) == {"a": 1}


def test_a_payload_larger_than_any_credential_of_ours_is_malformed() -> None:
    with pytest.raises(jose.Malformed):
        jose.parse(_token({"alg": "EdDSA"}, b'{"a":"' + b"x" * 64_000 + b'"}'))


def test_a_signature_in_base64url_that_no_encoder_writes_is_malformed() -> None:
    head, body, signature = jose.sign({"a": 1}, SIGNER, kid="k", typ="JWT").split(".")
    # 64 bytes are 86 characters, the last one carrying 2 bits and 4 zero bits: A, Q, g or w
    assert len(signature) == 86
    assert signature[-1] in "AQgw"
    with pytest.raises(jose.Malformed):
        jose.parse(f"{head}.{body}.{signature[:-1]}B")


def test_a_changed_payload_or_a_foreign_signature_is_a_bad_signature() -> None:
    token = jose.sign({"hours": 36}, SIGNER, kid="k", typ="JWT")
    head, _body, signature = token.split(".")
    changed = ".".join((head, keys.b64url(b'{"hours":360}'), signature))
    with pytest.raises(jose.BadSignature):
        jose.verify(changed, PUBLIC)
    with pytest.raises(jose.BadSignature):
        jose.verify(token, jose.public_okp(keys.generate().public_key()))
    with pytest.raises(jose.BadSignature):
        jose.verify(_token({"alg": "EdDSA"}, b"{}", key=None), PUBLIC)


def test_a_signature_of_another_length_is_a_bad_signature() -> None:
    head, body, signature = jose.sign({"a": 1}, SIGNER, kid="k", typ="JWT").split(".")
    short = keys.b64url(keys.b64url_decode(signature)[:63])
    with pytest.raises(jose.BadSignature):
        jose.verify(f"{head}.{body}.{short}", PUBLIC)


def test_a_key_that_is_not_ed25519_verifies_nothing() -> None:
    token = jose.sign({"a": 1}, SIGNER, kid="k", typ="JWT")
    with pytest.raises(jose.BadSignature):
        jose.verify(token, OKPKey.import_key(X25519PrivateKey.generate().public_key()))


def test_an_ed448_key_and_signature_verify_nothing() -> None:
    """EdDSA names Ed448 too, and joserfc's EdDSA takes it; ours is Ed25519 alone."""
    ed448 = Ed448PrivateKey.generate()
    head = keys.b64url(json.dumps({"alg": "EdDSA", "kid": "k"}).encode())
    body = keys.b64url(b'{"a":1}')
    token = f"{head}.{body}.{keys.b64url(ed448.sign(f'{head}.{body}'.encode()))}"
    with pytest.raises(jose.BadSignature):
        jose.verify(token, OKPKey.import_key(ed448.public_key()))


@pytest.mark.parametrize(
    "payload",
    [
        b"[1, 2]",
        b'"text"',
        b"{not json",
        b'{"a": NaN}',
        b'{"a": "\xff"}',  # not UTF-8
        b'{"a":' + b"[" * 1025 + b"]" * 1025 + b"}",  # deeper than orjson's 1,024
    ],
)
def test_a_signed_payload_that_is_not_a_json_object_is_malformed(payload: bytes) -> None:
    with pytest.raises(jose.Malformed):
        jose.verify(_token({"alg": "EdDSA"}, payload), PUBLIC)


def test_json_paths_are_written_as_jsonschema_writes_them() -> None:
    assert json_path([]) == "$"
    assert json_path(["credentialSubject", "achievement", "criteria"]) == (
        "$.credentialSubject.achievement.criteria"
    )
    assert json_path(["type", 0]) == "$.type[0]"
    assert json_path(["@context", "it's"]) == "$['@context']['it\\'s']"


def test_schema_errors_name_each_place_in_order() -> None:
    errors = schema_errors({"type": ["VerifiableCredential"], "issuer": 7})
    places = [e.split(": ", 1)[0] for e in errors]
    assert any(e.startswith("$: ") and "@context" in e for e in errors)
    assert places.index("$") < places.index("$.issuer") < places.index("$.type")
