"""Ed25519 signing keys of issuing institutions: made, sealed at rest, published as JWK.

A private key is stored sealed with AES-256-GCM under a key derived (HKDF-SHA256, a fresh salt
per key) from the app's secret key. The database alone, a backup or a dump of it, then holds
nothing that can sign: the secret lives outside it (``HAMKOR_SECRET_KEY`` or ``var/secret_key``).
The key id is bound into the seal as associated data, so a sealed key moved onto another key's
row does not open. Keys are never deleted: a rotated one is retired and stays published, so the
certificates it signed still verify.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"k1"
_SALT_BYTES = 16
_NONCE_BYTES = 12
_HKDF_INFO = b"hamkor credentials signing key v1"

Jwk = dict[str, str]


class SealBroken(Exception):
    """A sealed private key that does not open with this secret (changed secret, moved row)."""


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE writes binary values."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_jwk(key: Ed25519PublicKey) -> Jwk:
    """The public key as a JWK (RFC 8037): ``{"kty": "OKP", "crv": "Ed25519", "x": ...}``."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(public_raw(key))}


def thumbprint(jwk: Jwk) -> str:
    """The RFC 7638 thumbprint of a public JWK: the same key always gets the same name."""
    canonical = json.dumps(
        {name: jwk[name] for name in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True
    )
    return b64url(hashlib.sha256(canonical.encode()).digest())


def key_id(did: str, key: Ed25519PublicKey) -> str:
    """The DID URL of a verification method: the issuer's DID and the key's thumbprint."""
    return f"{did}#{thumbprint(public_jwk(key))}"


def public_key_from_jwk(jwk: Jwk) -> Ed25519PublicKey:
    """The key of a published JWK; ValueError when it is no Ed25519 public key."""
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or "x" not in jwk:
        raise ValueError("not an Ed25519 public JWK")
    return Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))


def _wrapping_key(secret: str, salt: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO)
    return hkdf.derive(secret.encode("utf-8"))


def seal(key: Ed25519PrivateKey, *, secret: str, kid: str) -> bytes:
    """The private key encrypted for storage: version, salt, nonce, ciphertext with its tag."""
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    salt, nonce = os.urandom(_SALT_BYTES), os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_wrapping_key(secret, salt)).encrypt(nonce, raw, kid.encode("utf-8"))
    return _VERSION + salt + nonce + sealed


def unseal(blob: bytes, *, secret: str, kid: str) -> Ed25519PrivateKey:
    """The private key of a sealed blob; :class:`SealBroken` when it does not open."""
    if not blob.startswith(_VERSION):
        raise SealBroken(kid)
    body = blob[len(_VERSION) :]
    salt, nonce = body[:_SALT_BYTES], body[_SALT_BYTES : _SALT_BYTES + _NONCE_BYTES]
    sealed = body[_SALT_BYTES + _NONCE_BYTES :]
    try:
        raw = AESGCM(_wrapping_key(secret, salt)).decrypt(nonce, sealed, kid.encode("utf-8"))
    except InvalidTag as error:
        raise SealBroken(kid) from error
    return Ed25519PrivateKey.from_private_bytes(raw)
