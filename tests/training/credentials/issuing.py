"""An issuer in memory for the pure tests and the benchmark: keys, revocations, a resolver."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import OKPKey

from hamkor.training.credentials import jose, keys, status_list, vc
from hamkor.training.credentials.did import institution_did

PUBLIC_URL = "https://hamkor.example"
HOLDER = "Gʻulomjon Oʻroqov — Ғайрат Қодиров, Ҳусан Ўлмасов; Әсел Өмірбек, Үміт Ұлан, Іңкәр"


@dataclass
class MemoryIssuer:
    """An institution that signs certificates, keeping everything in dicts (no database)."""

    institution_id: int = 1
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    active_kid: str = ""
    revoked: dict[int, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    public: dict[str, OKPKey | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rotate()

    @cached_property
    def did(self) -> str:
        return institution_did(PUBLIC_URL, self.institution_id)

    @property
    def list_url(self) -> str:
        return f"{PUBLIC_URL}/institutions/{self.institution_id}/status/revocation"

    def rotate(self) -> str:
        key = keys.generate()
        self.active_kid = keys.key_id(self.did, key.public_key())
        self.keys[self.active_kid] = key
        return self.active_kid

    def award(self, index: int, **changes: object) -> vc.Award:
        values: dict[str, object] = {
            "credential_id": f"urn:uuid:{uuid.uuid4()}",
            "number": f"HMK-2025-{index:06d}",
            "issuer_did": self.did,
            "issuer_name": "Vakhidov Republican Specialised Centre of Surgery",
            "issuer_url": f"{PUBLIC_URL}/institutions/{self.institution_id}",
            "holder_name": HOLDER,
            "achievement_id": f"{PUBLIC_URL}/training/courses/7",
            "achievement_name": "Artroskopiya: amaliy mashgʻulot",
            "achievement_description": "Master class in arthroscopy of the knee.",
            "criteria": "Attendance of at least 80 % of the sessions.",
            "hours": 36,
            "cme_credits": 36.0,
            "language": "uz",
            "activity_start": date(2025, 10, 13),
            "activity_end": date(2025, 10, 17),
            "valid_from": datetime.now(UTC) - timedelta(days=1),
            "valid_until": datetime.now(UTC) + timedelta(days=365),
            "status_list_url": self.list_url,
            "status_index": index,
        }
        values.update(changes)
        return vc.Award(**values)  # type: ignore[arg-type]

    def issue(self, index: int = 1, **changes: object) -> str:
        award = self.award(index, **changes)
        self.ids[award.credential_id] = index
        return vc.sign(vc.credential(award), self.keys[self.active_kid], self.active_kid)

    def revoke(self, index: int, reason: str) -> None:
        self.revoked[index] = reason

    # --- the resolver ---

    def issuer_known(self, did: str) -> bool:
        return did == self.did

    def key(self, kid: str) -> OKPKey | None:
        if kid not in self.public:
            found = self.keys.get(kid)
            self.public[kid] = jose.public_okp(found.public_key()) if found else None
        return self.public[kid]

    def status_list(self, url: str) -> str | None:
        if url != self.list_url:
            return None
        document = status_list.list_credential(
            list_url=url,
            issuer={"id": self.did, "type": ["Profile"]},
            revoked=self.revoked,
            valid_from=datetime.now(UTC),
        )
        return jose.sign(document, self.keys[self.active_kid], kid=self.active_kid, typ=vc.JWT_TYPE)

    def revocation_reason(self, credential_id: str) -> str | None:
        index = self.ids.get(credential_id)
        return None if index is None else self.revoked.get(index)
