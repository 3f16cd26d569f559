"""The papers of a referral abroad: the invitation letter the centre issues for the visa, and
the discharge summary it sends home with the patient.

Both are core stored files attached to the referral, so ``/files/{id}`` shows them exactly to
the referral's people (its access policy), a refusal audited, every download in the trail.
Each is told apart by the name it is attached under, as the thumbnails of a case's files are.

The letter is printed by ``core.pdf`` from ``telemedicine/invitation.pdf.html``, in two
languages one after the other: **the patient's** (the first of their languages the platform
speaks, else the language of the referring institution's country) and **the host centre's**
(of its country). When the two are the same, English follows, which every consulate reads.
The patient's name is written in both as in a passport of the region: in Latin letters.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hamkor.care.models import IdentifierKind
from hamkor.core import files, filetypes, pdf
from hamkor.core.access import Actor
from hamkor.core.files import Attachment
from hamkor.core.i18n import N_, Translator, localized, match_language
from hamkor.core.models import User
from hamkor.core.storage import Storage
from hamkor.core.templating import Formatter
from hamkor.core.translit import cyrl_to_latn
from hamkor.telemedicine.attachments import Upload
from hamkor.telemedicine.models import AbroadReferral

TEMPLATE = "telemedicine/invitation.pdf.html"
LETTER = "invitation-letter"
SUMMARY = "discharge-summary"
#: What a discharge summary may be: a scan or a photograph of it, or the hospital's PDF.
SUMMARY_KINDS = frozenset({filetypes.PDF, filetypes.PNG, filetypes.JPEG})
#: The language of each country the platform works in, for a letter to its people.
COUNTRY_LANGUAGE = {"UZ": "uz", "KZ": "kk", "RU": "ru"}
FALLBACK_LANGUAGE = "en"

TITLE = N_("Invitation for treatment")
PURPOSE = N_("Treatment in %(specialty)s")
PURPOSE_ONLY = N_("Medical treatment")
PERIOD = N_("From %(start)s to %(end)s")
PERIOD_OPEN = N_("To be agreed with the patient")


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class Part:
    """The letter in one language: every text already translated and formatted."""

    language: str
    title: str
    centre: str
    place: str
    heading: Row
    rows: list[Row]
    body: str
    signed: list[Row]


@dataclass(frozen=True)
class Paper:
    """A paper of a referral as lists show it: which one, and the attachment to download."""

    kind: str
    file_id: int
    name: str


def letter_languages(referral: AbroadReferral) -> tuple[str, str]:
    """The patient's language, then the host centre's (English when they are the same)."""
    spoken = (match_language(code) for code in referral.patient.languages)
    home = COUNTRY_LANGUAGE.get(referral.referring_institution.country.code, FALLBACK_LANGUAGE)
    patient = next((language for language in spoken if language), home)
    host = COUNTRY_LANGUAGE.get(referral.centre.country.code, FALLBACK_LANGUAGE)
    if host == patient:
        host = FALLBACK_LANGUAGE if patient != FALLBACK_LANGUAGE else "ru"
    return patient, host


def passport_name(names: dict[str, str]) -> str:
    """The name in Latin letters: the English spelling, else the Uzbek, else transliterated."""
    return names.get("en") or names.get("uz") or cyrl_to_latn(localized(names, "ru"))


def _passport(referral: AbroadReferral) -> str:
    numbers = [i.value for i in referral.patient.identifiers if i.kind == IdentifierKind.PASSPORT]
    return numbers[0] if numbers else ""


def _part(
    referral: AbroadReferral, language: str, number: str, issued: datetime, signer: str
) -> Part:
    translator = Translator(language)
    _ = translator.gettext
    fmt = Formatter(translator)
    centre = referral.centre
    case = referral.case
    period = (
        _(
            PERIOD,
            start=fmt.date(referral.travel_from.date()),
            end=fmt.date(referral.travel_until.date()),
        )
        if referral.travel_from and referral.travel_until
        else _(PERIOD_OPEN)
    )
    purpose = (
        _(PURPOSE, specialty=translator.name(case.specialty.names)) if case else _(PURPOSE_ONLY)
    )
    patient_name = passport_name(referral.patient.names)
    rows = [
        Row(_("Patient (as in the passport)"), patient_name),
        Row(_("Date of birth"), fmt.date(referral.patient.birth_date, "long")),
    ]
    if passport := _passport(referral):
        rows.append(Row(_("Passport number"), passport))
    rows += [
        Row(_("Purpose of the visit"), purpose),
        Row(_("Planned period"), period),
        Row(_("Referred by"), translator.name(referral.referring_institution.names)),
    ]
    body = _(
        "%(centre)s has accepted %(patient)s for treatment and invites them for the period "
        "above. We ask the consular office to issue the visa the journey needs.",
        centre=translator.name(centre.names),
        patient=patient_name,
    )
    return Part(
        language=language,
        title=_(TITLE),
        centre=translator.name(centre.names),
        place=f"{translator.name(centre.city.names)}, {translator.name(centre.country.names)}",
        heading=Row(_("Reference %(number)s", number=number), fmt.date(issued.date(), "long")),
        rows=rows,
        body=body,
        signed=[
            Row(_("Coordinator of the centre"), signer),
            Row(_("Signature"), ""),
            Row(_("Stamp"), ""),
        ],
    )


def reference(referral: AbroadReferral, issued: datetime) -> str:
    """The letter's reference number: the year and the referral."""
    return f"TA-{issued.year}-{referral.id:05d}"


def invitation_letter(
    db: Session, referral: AbroadReferral, actor: Actor, issued: datetime
) -> bytes:
    """The letter as PDF bytes, signed by the actor (the centre's coordinator)."""
    user = db.get(User, actor.user_id) if actor.user_id else None
    signer = user.display_name if user is not None else ""
    number = reference(referral, issued)
    parts = [
        _part(referral, language, number, issued, signer) for language in letter_languages(referral)
    ]
    first = Translator(parts[0].language)
    return pdf.render_pdf(
        TEMPLATE,
        translator=first,
        title=" / ".join(part.title for part in parts),
        parts=parts,
    )


def issue_letter(
    *, db: Session, actor: Actor, referral: AbroadReferral, store: Storage, issued: datetime
) -> Attachment:
    """Print the letter and keep it on the referral, dated as issued."""
    letter = invitation_letter(db, referral, actor, issued)
    stored = files.put(
        db=db,
        store=store,
        actor=actor,
        source=io.BytesIO(letter),
        allowed=frozenset({filetypes.PDF}),
        max_bytes=len(letter) + 1,
        filename=f"{LETTER}.pdf",
    )
    attachment = files.attach(
        db=db,
        actor=actor,
        owner=referral,
        stored=stored,
        name=f"{LETTER}-{reference(referral, issued)}",
    )
    attachment.created_at = issued
    return attachment


def keep_summary(
    *,
    db: Session,
    actor: Actor,
    referral: AbroadReferral,
    store: Storage,
    upload: Upload | None,
    max_bytes: int,
    now: datetime,
) -> Attachment | None:
    """Keep the discharge summary's file (a PDF or an image) on the referral, dated ``now``."""
    if upload is None:
        return None
    stored = files.put(
        db=db,
        store=store,
        actor=actor,
        source=upload.stream,
        filename=upload.name,
        allowed=SUMMARY_KINDS,
        max_bytes=max_bytes,
        field="summary",
    )
    attachment = files.attach(db=db, actor=actor, owner=referral, stored=stored, name=SUMMARY)
    attachment.created_at = now
    return attachment


def _kind(attachment: Attachment) -> str:
    return LETTER if attachment.name.startswith(LETTER) else SUMMARY


def papers_of(db: Session, referrals: Sequence[AbroadReferral]) -> dict[int, list[Paper]]:
    """The papers of each referral, in one query (the caller has checked access to them)."""
    found: dict[int, list[Paper]] = {r.id: [] for r in referrals}
    if not found:
        return found
    stmt = (
        select(Attachment)
        .where(
            Attachment.owner_kind == AbroadReferral.__tablename__,
            Attachment.owner_id.in_(list(found)),
        )
        .order_by(Attachment.id)
    )
    for attachment in db.scalars(stmt):
        found[attachment.owner_id].append(Paper(_kind(attachment), attachment.id, attachment.name))
    return found
