"""JWS compact signatures with EdDSA over Ed25519 (RFC 7515, RFC 8037), signed and verified
with one library: joserfc.

Why one library: verification used to read the compact form by hand and check signatures with
libsodium (PyNaCl), which was quicker, but it was a JWS reader of our own to keep as strict as
the RFCs, and a second cryptographic library beside ``cryptography``, which joserfc already
uses to sign. On joserfc, the Ed25519 verify is OpenSSL's (through ``cryptography``), so a full
verification costs one OpenSSL verify plus the Python reading of the token and the checks
around it; ``docs/benchmarks.md`` sets it against ``openssl speed ed25519``.

Verification is joserfc's ``deserialize_compact`` in its two halves, split where the key is
looked up: ``parse`` is ``extract_compact`` (the token split into exactly three base64url parts,
each decoded strictly, the header read) followed by our checks of the header, so that the
header's ``kid`` can name the key, and ``verify`` is ``validate_compact`` with that key. Each
token is thus read once, not once to find its key and again to check it. Both go through
``_REGISTRY``, which knows ``EdDSA`` on Ed25519 keys and nothing else. The public keys are
joserfc ``OKPKey`` objects, imported once per resolver and kept (the resolvers cache them by
``kid``).

The checks are those of the hand-written reader this replaces (RFC 7515 allows more than we
take): exactly three non-empty parts in the base64url alphabet without padding; a header that is
a JSON object with ``alg`` ``EdDSA`` and no ``crit`` extension, so that any other ``alg``
(``none``, HS256 with the public key as secret...) is refused before a key is even looked up;
a 64-byte signature over the ASCII ``header.payload``, checked with an Ed25519 key only; a
payload that is a JSON object. joserfc reads JSON with the standard library, which takes what
JSON does not (NaN, lone surrogates, UTF-16): the header is therefore read again by orjson
before we use anything of it, and the payload is read by orjson alone, which also refuses
invalid UTF-8 and nesting deeper than 1,024. Beyond those checks, joserfc adds its own: a
base64url character no encoder writes (non-zero trailing bits), a registered header member of
the wrong type (a ``kid`` that is no string, a ``jku`` that is no URL), ``b64`` without ``crit``.

RFC 9864 registers the fully specified ``Ed25519`` algorithm and deprecates the polymorphic
``EdDSA``, and joserfc warns about it. We still sign with ``EdDSA``: it is what the issue asks
for and what the deployed VC-JWT verifiers read today, and we verify nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import InvalidKeyTypeError, JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import OKPKey
from joserfc.jws import CompactSignature, JWSRegistry
from joserfc.util import urlsafe_b64decode

ALGORITHM = "EdDSA"
_SIGNATURE_BYTES = 64


class _Ed25519Only(EdDSAAlgorithm):
    """joserfc's EdDSA, which also takes Ed448 keys, narrowed to Ed25519 and its 64 bytes."""

    security_warning = ""  # an empty warning is none (joserfc tests its truth)

    def verify(self, msg: bytes, sig: bytes, key: OKPKey) -> bool:
        if not isinstance(key.get_op_key("verify"), Ed25519PublicKey):
            raise InvalidKeyTypeError("not an Ed25519 key")
        return len(sig) == _SIGNATURE_BYTES and super().verify(msg, sig, key)


class _Registry(JWSRegistry):
    algorithms = {ALGORITHM: _Ed25519Only()}  # noqa: RUF012 - joserfc's own class attribute
    recommended = [ALGORITHM]  # noqa: RUF012
    # A status list credential of 131,072 entries is about 300 bytes compressed; certificates
    # are a few kilobytes. Anything far larger is no credential of ours.
    max_payload_length = 64_000


# Header members it does not know are ignored, as RFC 7515 says (only ``crit`` makes one
# binding, and ``crit`` is refused); those it knows must have their types (``kid`` a string...).
_REGISTRY = _Registry(algorithms=[ALGORITHM], strict_check_header=False)


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


def public_okp(key: Ed25519PublicKey) -> OKPKey:
    """The key object of a public key (imported once, verified with many times)."""
    return OKPKey.import_key(key)


@dataclass(frozen=True)
class Signed:
    """A token read and its header checked, before its key is known (to find the key)."""

    header: dict[str, Any]
    compact: CompactSignature


def parse(token: str) -> Signed:
    """The parts of a JWS compact serialization signed with our one algorithm."""
    try:
        data = token.encode("ascii")
    except UnicodeError as error:
        raise Malformed("not ASCII") from error
    try:
        compact = jws.extract_compact(data, registry=_REGISTRY)
        segments = compact.segments
        if not (segments["payload"] and segments["signature"]):
            raise Malformed("an empty part")
        urlsafe_b64decode(segments["signature"])  # a signature out of base64url is no JWS
        orjson.loads(urlsafe_b64decode(segments["header"]))  # strict JSON, or nothing
        header = compact.headers()
        if not isinstance(header, dict) or header.get("alg") != ALGORITHM or "crit" in header:
            raise Malformed("alg")
        _REGISTRY.check_header(header)
    except (JoseError, ValueError, RecursionError) as error:
        raise Malformed(str(error)) from error
    return Signed(header, compact)


def header(token: str) -> dict[str, Any]:
    """The protected header of a token."""
    return parse(token).header


def verify(token: str | Signed, key: OKPKey) -> dict[str, Any]:
    """The payload of ``token`` once its signature checks out with ``key``."""
    signed = parse(token) if isinstance(token, str) else token
    try:
        valid = jws.validate_compact(signed.compact, key, registry=_REGISTRY)
    except JoseError as error:  # a key of another type or use: the header was checked in parse
        raise BadSignature(str(error)) from error
    if not valid:
        raise BadSignature("signature")
    try:
        payload = orjson.loads(signed.compact.payload)
    except (ValueError, RecursionError) as error:
        raise Malformed("payload") from error
    if not isinstance(payload, dict):
        raise Malformed("payload")
    return payload
