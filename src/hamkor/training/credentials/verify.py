"""Verification of a certificate, with no database: the token and resolvers in, checks out.

The same function serves the public page, the API and ``hamkor cert verify``. It checks, in
order: that the input is a VC-JWT (or its JSON envelope), that its issuer and key are known, the
signature, the Open Badges 3.0 schema, the validity dates and the revocation status list. Each
failure is named plainly and carries its own translated message; the checks that could not run
after an earlier failure are reported as skipped rather than passed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from joserfc.jwk import OKPKey

from hamkor.core.db import utcnow
from hamkor.core.i18n import N_, Message
from hamkor.training.credentials import jose, status_list
from hamkor.training.credentials.did import did_of_kid
from hamkor.training.credentials.standards import schema_errors
from hamkor.training.credentials.vc import ENVELOPE_PREFIX, JWT_TYPE


class Check(StrEnum):
    FORMAT = "format"
    ISSUER = "issuer"
    SIGNATURE = "signature"
    SCHEMA = "schema"
    DATES = "dates"
    STATUS = "status"


class Failure(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN_ISSUER = "unknown_issuer"
    UNKNOWN_KEY = "unknown_key"
    TAMPERED = "tampered"
    SCHEMA_INVALID = "schema_invalid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    STATUS_UNAVAILABLE = "status_unavailable"


PASSED: dict[Check, str] = {
    Check.FORMAT: N_("A signed credential (VC-JWT)."),
    Check.ISSUER: N_("The issuer and its key are known."),
    Check.SIGNATURE: N_("The signature matches: nothing was changed since it was signed."),
    Check.SCHEMA: N_("The credential follows the Open Badges 3.0 schema."),
    Check.DATES: N_("The credential is within its validity dates."),
    Check.STATUS: N_("The credential has not been revoked."),
}

FAILED: dict[Failure, str] = {
    Failure.MALFORMED: N_("Malformed: this is not a signed credential (%(problem)s)."),
    Failure.UNKNOWN_ISSUER: N_("Unknown issuer: %(issuer)s does not issue certificates here."),
    Failure.UNKNOWN_KEY: N_("Unknown key: the issuer has not published the key %(kid)s."),
    Failure.TAMPERED: N_(
        "Tampered: the signature does not match, the credential was changed after signing."
    ),
    Failure.SCHEMA_INVALID: N_("Malformed: the credential breaks the Open Badges 3.0 schema."),
    Failure.EXPIRED: N_("Expired: the credential was valid until %(date)s."),
    Failure.NOT_YET_VALID: N_("Not yet valid: the credential is valid from %(date)s."),
    Failure.REVOKED: N_("Revoked by the issuer. Reason: %(reason)s"),
    Failure.STATUS_UNAVAILABLE: N_("The revocation status could not be checked (%(problem)s)."),
}
SKIPPED = N_("Not checked, because of an earlier failure.")
NO_REASON = N_("no reason given")

# Problems of the format, named for the reader of the message above.
NOT_TEXT = N_("the file is not text")
NOT_JWT = N_("not a JWT")
NOT_JSON = N_("not JSON")
NOT_ENVELOPED = N_("JSON without a signature; download the JSON or JWT file from Hamkor")
NOT_VC_JWT = N_("the token is not a verifiable credential")
NO_STATUS = N_("the credential names no status list")


class Resolver(Protocol):
    """Where verification looks things up: published keys, issuers, status lists, reasons."""

    def issuer_known(self, did: str) -> bool: ...

    def key(self, kid: str) -> OKPKey | None: ...

    def status_list(self, url: str) -> str | None: ...

    def revocation_reason(self, credential_id: str) -> str | None: ...


@dataclass(frozen=True)
class Outcome:
    """The result of one check: passed, failed (with the failure) or skipped (``None``)."""

    check: Check
    passed: bool | None
    message: Message
    failure: Failure | None = None
    details: tuple[str, ...] = ()

    def render(self, language: str) -> str:
        """The message in ``language``, its own parameters (such as a problem) translated too."""
        params = {
            name: value.render(language) if isinstance(value, Message) else value
            for name, value in self.message.params.items()
        }
        return Message(self.message.text, params).render(language)


# The outcomes that carry no parameter, made once: they are immutable and the same for all.
_PASSED_OUTCOMES = {check: Outcome(check, True, Message(PASSED[check])) for check in Check}
_SKIPPED_OUTCOMES = tuple(Outcome(check, None, Message(SKIPPED)) for check in Check)


@dataclass
class Verification:
    """Every check's outcome, and the credential when its payload could be read."""

    outcomes: list[Outcome] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    token: str | None = None

    @property
    def valid(self) -> bool:
        return bool(self.outcomes) and all(o.passed for o in self.outcomes)

    @property
    def failures(self) -> list[Failure]:
        return [o.failure for o in self.outcomes if o.failure is not None]

    def _add(self, check: Check, passed: bool | None, message: Message, **extra: Any) -> None:
        self.outcomes.append(Outcome(check, passed, message, **extra))

    def passed(self, check: Check) -> None:
        self.outcomes.append(_PASSED_OUTCOMES[check])

    def failed(
        self, check: Check, failure: Failure, details: tuple[str, ...] = (), **params: Any
    ) -> None:
        message = Message(FAILED[failure], params)
        self._add(check, False, message, failure=failure, details=details)

    def skip_rest(self) -> None:
        """Mark the checks after the last one run as skipped (checks run in the order of Check)."""
        self.outcomes.extend(_SKIPPED_OUTCOMES[len(self.outcomes) :])


class _Refused(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def read_token(data: bytes | str) -> str:
    """The VC-JWT in an uploaded or pasted text: a compact JWT or its JSON envelope."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _Refused(NOT_TEXT) from error
    text = data.strip().lstrip("\ufeff")
    if text.startswith(("{", '"')):
        return _from_json(text)
    if text.count(".") != 2:
        raise _Refused(NOT_JWT)  # anything else not in a JWT's alphabet is refused by jose.parse
    return text


def _from_json(text: str) -> str:
    try:
        document = json.loads(text)
    except (
        ValueError,
        RecursionError,
    ) as error:  # nesting deeper than Python's stack: no credential
        raise _Refused(NOT_JSON) from error
    if isinstance(document, str):
        return read_token(document)
    envelope_id = document.get("id") if isinstance(document, dict) else None
    if not isinstance(envelope_id, str) or not envelope_id.startswith(ENVELOPE_PREFIX):
        raise _Refused(NOT_ENVELOPED)
    return read_token(envelope_id.removeprefix(ENVELOPE_PREFIX))


def _parse_instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class Verifier:
    """Verifies credentials against one resolver, remembering the status lists it decoded."""

    def __init__(self, resolver: Resolver, now: Callable[[], datetime] = utcnow) -> None:
        self.resolver = resolver
        self.now = now
        self._lists: dict[str, bytes] = {}

    def verify(self, data: bytes | str) -> Verification:
        """Every check of ``data`` (a JWT, its JSON envelope, or the bytes of such a file)."""
        result = Verification()
        try:
            token = read_token(data)
            signed = jose.parse(token)
        except _Refused as refused:
            result.failed(Check.FORMAT, Failure.MALFORMED, problem=Message(refused.problem))
            result.skip_rest()
            return result
        except jose.Malformed:
            result.failed(Check.FORMAT, Failure.MALFORMED, problem=Message(NOT_JWT))
            result.skip_rest()
            return result
        result.token = token
        header = signed.header
        if header.get("typ") != JWT_TYPE or not isinstance(header.get("kid"), str):
            result.failed(Check.FORMAT, Failure.MALFORMED, problem=Message(NOT_VC_JWT))
            result.skip_rest()
            return result
        result.passed(Check.FORMAT)
        self._signed_part(result, signed, header["kid"])
        result.skip_rest()
        return result

    def _signed_part(self, result: Verification, signed: jose.Signed, kid: str) -> None:
        key = self._key(result, kid)
        if key is None:
            return
        try:
            document = jose.verify(signed, key)
        except jose.BadSignature:
            result.failed(Check.SIGNATURE, Failure.TAMPERED)
            return
        except jose.Malformed:
            result.failed(Check.SIGNATURE, Failure.MALFORMED, problem=Message(NOT_JSON))
            return
        result.credential = document
        result.passed(Check.SIGNATURE)
        errors = schema_errors(document)
        if errors:
            result.failed(Check.SCHEMA, Failure.SCHEMA_INVALID, details=tuple(errors))
            return
        if _issuer_id(document) != did_of_kid(kid):
            # Signed by a real key of another issuer than the one the credential names.
            result.failed(Check.SCHEMA, Failure.UNKNOWN_KEY, kid=kid)
            return
        result.passed(Check.SCHEMA)
        self._dates(result, document)
        self._status(result, document)

    def _key(self, result: Verification, kid: str) -> OKPKey | None:
        issuer = did_of_kid(kid)
        if not self.resolver.issuer_known(issuer):
            result.failed(Check.ISSUER, Failure.UNKNOWN_ISSUER, issuer=issuer)
            return None
        key = self.resolver.key(kid)
        if key is None:
            result.failed(Check.ISSUER, Failure.UNKNOWN_KEY, kid=kid)
            return None
        result.passed(Check.ISSUER)
        return key

    def _dates(self, result: Verification, document: dict[str, Any]) -> None:
        now = self.now()
        valid_from = _parse_instant(document.get("validFrom"))
        valid_until = _parse_instant(document.get("validUntil"))
        if valid_from is None or ("validUntil" in document and valid_until is None):
            result.failed(Check.DATES, Failure.MALFORMED, problem="validFrom / validUntil")
        elif now < valid_from:
            result.failed(Check.DATES, Failure.NOT_YET_VALID, date=document["validFrom"])
        elif valid_until is not None and now >= valid_until:
            result.failed(Check.DATES, Failure.EXPIRED, date=document["validUntil"])
        else:
            result.passed(Check.DATES)

    def _status(self, result: Verification, document: dict[str, Any]) -> None:
        status = document.get("credentialStatus")
        try:
            if not isinstance(status, dict) or status.get("type") != "BitstringStatusListEntry":
                raise _Refused(NO_STATUS)
            bits = self._list(str(status.get("statusListCredential")))
            revoked = status_list.is_set(bits, int(status.get("statusListIndex", "")))
        except _Refused as refused:
            result.failed(
                Check.STATUS, Failure.STATUS_UNAVAILABLE, problem=Message(refused.problem)
            )
            return
        except (ValueError, status_list.BadStatusList) as error:
            result.failed(Check.STATUS, Failure.STATUS_UNAVAILABLE, problem=str(error))
            return
        if revoked:
            reason = self.resolver.revocation_reason(str(document.get("id")))
            result.failed(
                Check.STATUS,
                Failure.REVOKED,
                reason=reason if reason else Message(NO_REASON),
            )
        else:
            result.passed(Check.STATUS)

    def _list(self, url: str) -> bytes:
        """The bits of the status list at ``url``, once its own signature checked out.

        Fetched once per verifier, as a verifier caches a list it downloaded: a verifier lives
        for one request or one command, so a revocation shows in the next one.
        """
        if url not in self._lists:
            token = self.resolver.status_list(url)
            if token is None:
                raise _Refused(NO_STATUS)
            self._lists[url] = self._list_bits(token, url)
        return self._lists[url]

    def _list_bits(self, token: str, url: str) -> bytes:
        try:
            signed = jose.parse(token)
            kid = signed.header.get("kid")
            key = self.resolver.key(kid) if isinstance(kid, str) else None
            if key is None:
                raise _Refused(NO_STATUS)
            document = jose.verify(signed, key)
        except (jose.Malformed, jose.BadSignature) as error:
            raise _Refused(NO_STATUS) from error
        subject = document.get("credentialSubject")
        if document.get("id") != url or not isinstance(subject, dict):
            raise _Refused(NO_STATUS)
        return status_list.decode(str(subject.get("encodedList")))


def _issuer_id(document: dict[str, Any]) -> object:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer
