"""did:web identifiers of issuing institutions, their DID documents and JWK sets.

An institution's DID is ``did:web:HOST:institutions:ID``; by the did:web method it resolves to
``https://HOST/institutions/ID/did.json``, which the app serves. A port in the host is
percent-encoded (``127.0.0.1%3A8000``), as the method requires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from hamkor.training.credentials.keys import Jwk

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
JWK_CONTEXT = "https://w3id.org/security/suites/jws-2020/v1"


@dataclass(frozen=True)
class PublishedKey:
    """A public key as it is published: its DID URL, JWK and whether it still signs."""

    kid: str
    jwk: Jwk
    active: bool


def institution_did(public_url: str, institution_id: int) -> str:
    """The did:web identifier of an institution on the platform at ``public_url``."""
    parts = urlsplit(public_url)
    host = quote(parts.netloc, safe="")
    path = [segment for segment in parts.path.split("/") if segment]
    return ":".join(["did", "web", host, *path, "institutions", str(institution_id)])


def did_document(did: str, keys: Iterable[PublishedKey]) -> dict[str, Any]:
    """The DID document: every key, retired ones too, so older certificates still verify.

    Only active keys are listed under ``assertionMethod``; a retired key is kept to verify
    what it signed before, not to sign anything new.
    """
    keys = list(keys)
    return {
        "@context": [DID_CONTEXT, JWK_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": key.kid, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": key.jwk}
            for key in keys
        ],
        "assertionMethod": [key.kid for key in keys if key.active],
    }


def jwks(keys: Iterable[PublishedKey]) -> dict[str, Any]:
    """The JWK set (RFC 7517) of the same keys, each named by its DID URL as ``kid``."""
    return {"keys": [{**key.jwk, "kid": key.kid, "use": "sig", "alg": "EdDSA"} for key in keys]}


def did_of_kid(kid: str) -> str:
    """The DID a key id belongs to (the part before ``#``)."""
    return kid.partition("#")[0]
