"""W3C Bitstring Status List v1.0: which of an issuer's credentials are revoked, published.

Every credential holds an index into its issuer's list; the bit at that index is 1 once it is
revoked. The list is a bitstring of at least 131,072 entries (so that one revoked bit does not
tell who it is: "herd privacy"), GZIP-compressed and written as multibase base64url (prefix
``u``). Index 0 is the left-most bit of the first byte. Indexes are handed out at random for the
same reason the list is long: a sequential index would tell the order of issue.
"""

from __future__ import annotations

import base64
import gzip
import secrets
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from hamkor.training.credentials.standards import VC_CONTEXT

#: The size the specification asks for at the least: 16 KiB of bits.
MIN_LENGTH = 131_072
PURPOSE = "revocation"
MULTIBASE_BASE64URL = "u"


class StatusListFull(Exception):
    """Every index of the issuer's list is taken."""


class BadStatusList(Exception):
    """An encoded list that is not multibase base64url GZIP, or is too short."""


def encode(revoked: Iterable[int], length: int = MIN_LENGTH) -> str:
    """The ``encodedList`` of a list of ``length`` bits with the ``revoked`` ones set."""
    bits = bytearray(length // 8)
    for index in revoked:
        if not 0 <= index < length:
            raise ValueError(f"index {index} outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same revocations always give the same text (cacheable, comparable).
    compressed = gzip.compress(bytes(bits), mtime=0)
    return MULTIBASE_BASE64URL + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")


def decode(encoded: str) -> bytes:
    """The bitstring of an ``encodedList``."""
    if not encoded.startswith(MULTIBASE_BASE64URL):
        raise BadStatusList("not multibase base64url")
    body = encoded[1:]
    try:
        bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, OSError, EOFError) as error:
        raise BadStatusList(str(error)) from error
    if len(bits) * 8 < MIN_LENGTH:
        raise BadStatusList("shorter than 131,072 entries")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    """Whether the entry at ``index`` is set (revoked); an index outside the list is an error."""
    if not 0 <= index < len(bits) * 8:
        raise BadStatusList(f"index {index} outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def allocate(taken: Collection[int], length: int = MIN_LENGTH) -> int:
    """A random index not yet ``taken`` (the database's unique index settles any race)."""
    if len(taken) >= length:
        raise StatusListFull
    while True:
        index = secrets.randbelow(length)
        if index not in taken:
            return index


def entry(list_url: str, index: int) -> dict[str, Any]:
    """The ``credentialStatus`` of a credential at ``index`` of the list at ``list_url``."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def list_credential(
    *, list_url: str, issuer: dict[str, Any], revoked: Iterable[int], valid_from: datetime
) -> dict[str, Any]:
    """The ``BitstringStatusListCredential`` the issuer signs and serves at ``list_url``."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode(revoked),
        },
    }
