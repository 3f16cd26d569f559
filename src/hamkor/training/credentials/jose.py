"""JWS compact signatures with EdDSA over Ed25519 (RFC 7515, RFC 8037), by joserfc.

RFC 9864 registers the fully specified ``Ed25519`` algorithm and deprecates the polymorphic
``EdDSA``, and joserfc warns about it. We still sign with ``EdDSA``: it is what the issue asks
for and what the deployed VC-JWT verifiers read today. The registry below admits exactly that one
algorithm, restricted to Ed25519 keys, so no other ``alg`` (``none``, HS256 with the public key
as secret...) can ever be accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import OKPKey
from joserfc.jws import CompactSignature, JWSRegistry

ALGORITHM = "EdDSA"


class _Ed25519Only(EdDSAAlgorithm):
    security_warning = ""  # an empty warning is none (joserfc tests its truth)


class _Registry(JWSRegistry):
    algorithms = {ALGORITHM: _Ed25519Only()}  # noqa: RUF012 - joserfc's own class attribute
    recommended = [ALGORITHM]  # noqa: RUF012
    # A status list credential of 131,072 entries is about 300 bytes compressed; certificates
    # are a few kilobytes. Anything far larger is no credential of ours.
    max_payload_length = 64_000


_REGISTRY = _Registry()


class Malformed(Exception):
    """Not a JWS compact serialization, or a header or payload that is not JSON."""


class BadSignature(Exception):
    """The signature does not match the header and payload with this key."""


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(
    payload: dict[str, Any], key: Ed25519PrivateKey, *, kid: str, typ: str, cty: str | None = None
) -> str:
    """``payload`` as a JWS compact serialization, signed with ``key`` named ``kid``."""
    header = {"alg": ALGORITHM, "kid": kid, "typ": typ}
    if cty is not None:
        header["cty"] = cty
    return jws.serialize_compact(
        header, _canonical(payload), OKPKey.import_key(key), registry=_REGISTRY
    )


@dataclass(frozen=True)
class Signed:
    """A token split and its header read, before its key is known (to find the key)."""

    header: dict[str, Any]
    compact: CompactSignature


def parse(token: str) -> Signed:
    """The parts of a JWS compact serialization signed with our one algorithm."""
    try:
        extracted = jws.extract_compact(token.encode("ascii"))
    except (JoseError, ValueError, UnicodeError) as error:
        raise Malformed(str(error)) from error
    headers = extracted.headers()
    if not isinstance(headers, dict) or headers.get("alg") != ALGORITHM:
        raise Malformed("alg")
    return Signed(headers, extracted)


def header(token: str) -> dict[str, Any]:
    """The protected header of a token."""
    return parse(token).header


def public_okp(key: Ed25519PublicKey) -> OKPKey:
    """The joserfc key object of a public key (imported once, verified with many times)."""
    return OKPKey.import_key(key)


def verify(token: str | Signed, key: OKPKey) -> dict[str, Any]:
    """The payload of ``token`` once its signature checks out with ``key``."""
    signed = parse(token) if isinstance(token, str) else token
    try:
        valid = jws.validate_compact(signed.compact, key, registry=_REGISTRY)
    except JoseError as error:
        raise BadSignature(str(error)) from error
    if not valid:
        raise BadSignature("signature")
    try:
        payload = json.loads(signed.compact.payload)
    except (ValueError, UnicodeError) as error:
        raise Malformed("payload") from error
    if not isinstance(payload, dict):
        raise Malformed("payload")
    return payload
