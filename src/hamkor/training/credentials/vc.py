"""The certificate as an Open Badges 3.0 ``AchievementCredential``, secured as a VC-JWT.

The credential follows the W3C Verifiable Credentials Data Model 2.0 (``validFrom``,
``validUntil``), the form the OB 3.0 JSON Schema checks. It is secured by VC-JOSE-COSE: the JWT
payload *is* the credential, the header says ``typ: vc+jwt`` and ``cty: vc`` (VC-JOSE-COSE §3.1.1)
and names the signing key by its DID URL in ``kid``. In JSON it travels as the Data Model's
``EnvelopedVerifiableCredential`` (§4.13), whose ``id`` is the JWT as a ``data:`` URL, so a JSON
download verifies exactly like the JWT.

What OB 3.0 has no property for is documented in ``docs/certificates.md``: the course's hours
(``durationHours``, an issuer-dependent term under the Data Model's ``@vocab``); CME credits use
OB 3.0's own ``creditsAvailable`` (on the achievement) and ``creditsEarned`` (on the subject).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hamkor.training.credentials import jose, status_list
from hamkor.training.credentials.standards import OB_CONTEXT, VC_CONTEXT

JWT_TYPE = "vc+jwt"
CONTENT_TYPE = "vc"
ENVELOPE_PREFIX = f"data:application/{JWT_TYPE},"


@dataclass(frozen=True)
class Award:
    """What a certificate states: who, what, how much, by whom, from when to when."""

    credential_id: str
    number: str
    issuer_did: str
    issuer_name: str
    issuer_url: str
    holder_name: str
    achievement_id: str
    achievement_name: str
    achievement_description: str
    criteria: str
    hours: int
    cme_credits: float
    language: str
    activity_start: date
    activity_end: date
    valid_from: datetime
    valid_until: datetime | None
    status_list_url: str
    status_index: int


def timestamp(moment: datetime) -> str:
    """An instant as the Data Model writes it: UTC, whole seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_profile(*, did: str, name: str, url: str) -> dict[str, Any]:
    """The issuer as an OB 3.0 ``Profile`` whose ``id`` is the institution's did:web."""
    return {"id": did, "type": ["Profile"], "name": name, "url": url}


def credential(award: Award) -> dict[str, Any]:
    """The unsigned ``AchievementCredential`` of ``award``."""
    document: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": award.credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential", "AchievementCredential"],
        "name": award.achievement_name,
        "issuer": issuer_profile(
            did=award.issuer_did, name=award.issuer_name, url=award.issuer_url
        ),
        "validFrom": timestamp(award.valid_from),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": award.holder_name,
                }
            ],
            "activityStartDate": f"{award.activity_start.isoformat()}T00:00:00Z",
            "activityEndDate": f"{award.activity_end.isoformat()}T00:00:00Z",
            "creditsEarned": award.cme_credits,
            "licenseNumber": award.number,
            "achievement": {
                "id": award.achievement_id,
                "type": ["Achievement"],
                "achievementType": "CertificateOfCompletion",
                "name": award.achievement_name,
                "description": award.achievement_description,
                "criteria": {"narrative": award.criteria},
                "creditsAvailable": award.cme_credits,
                "durationHours": award.hours,
                "inLanguage": award.language,
            },
        },
        "credentialStatus": status_list.entry(award.status_list_url, award.status_index),
    }
    if award.valid_until is not None:
        document["validUntil"] = timestamp(award.valid_until)
    return document


def sign(document: dict[str, Any], key: Ed25519PrivateKey, kid: str) -> str:
    """The credential secured as a VC-JWT (EdDSA) by the issuer's key ``kid``."""
    return jose.sign(document, key, kid=kid, typ=JWT_TYPE, cty=CONTENT_TYPE)


def envelope(token: str) -> dict[str, Any]:
    """The JSON form of a VC-JWT: an ``EnvelopedVerifiableCredential`` (Data Model 2.0 §4.13)."""
    return {
        "@context": [VC_CONTEXT],
        "id": ENVELOPE_PREFIX + token,
        "type": "EnvelopedVerifiableCredential",
    }
