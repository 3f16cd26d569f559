"""Agreements, their parties, versions and roadmaps, a program's stands and awards: queries
and state changes.

Every function takes keyword arguments, the session and the acting user, and only flushes: the
request (or command) commits once. Reads go through ``core.access.restrict``; a write takes the
record its caller loaded with ``core.access.get_for(..., CHANGE)``. Records named inside the
data (a parent agreement, an institution, a ceremony) are checked here. A refusal names each
field to correct and leaves nothing written: the new rows are added in a savepoint.

Versions: an extension or amendment points at its parent and carries the validity that now
holds; ``chain`` reads the versions from the first agreement to the latest, and the validity of
the chain is the latest version's. The roadmap hangs on the first agreement of the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO

from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hamkor.agreements.access import may_create
from hamkor.agreements.models import (
    VERSION_KINDS,
    Agreement,
    AgreementParty,
    AgreementStatus,
    AgreementStatusChange,
    Award,
    ExhibitionStand,
    IndicatorLink,
    ItemStatus,
    Milestone,
    RoadmapItem,
)
from hamkor.agreements.schemas import (
    AgreementCreate,
    AgreementTerms,
    AwardCreate,
    IndicatorCreate,
    ItemCreate,
    ItemProgress,
    MilestoneCreate,
    MilestoneDone,
    PartyCreate,
    StandCreate,
    StatusChange,
)
from hamkor.core import files, filetypes
from hamkor.core.access import AccessDenied, Action, Actor, can, require, restrict
from hamkor.core.errors import FieldError, problem, refuse_any
from hamkor.core.i18n import N_
from hamkor.core.storage import Storage
from hamkor.directory.models import Institution, Person
from hamkor.programs.models import Activity, ActivityKind, Program

_CHOOSE = N_("Choose one of the offered values.")
#: The steps a person takes; "in force" and "expired" follow the dates (``due.mark_due``).
_NEXT: dict[AgreementStatus, tuple[AgreementStatus, ...]] = {
    AgreementStatus.DRAFT: (AgreementStatus.NEGOTIATING, AgreementStatus.SIGNED),
    AgreementStatus.NEGOTIATING: (AgreementStatus.DRAFT, AgreementStatus.SIGNED),
    AgreementStatus.SIGNED: (),
    AgreementStatus.IN_FORCE: (),
    AgreementStatus.EXPIRED: (),
    AgreementStatus.TERMINATED: (),
}
#: Statuses an agreement can still be terminated from.
_LIVE = (
    AgreementStatus.DRAFT,
    AgreementStatus.NEGOTIATING,
    AgreementStatus.SIGNED,
    AgreementStatus.IN_FORCE,
)


def _exists(db: Session, model: type[Any], record_id: int | None) -> bool:
    return record_id is None or db.get(model, record_id) is not None


# --- reading --------------------------------------------------------------------------------


def list_agreements(
    *,
    db: Session,
    actor: Actor,
    program_id: int | None = None,
    institution_id: int | None = None,
) -> list[Agreement]:
    """The agreements the actor may read, of a program or with an institution as a party."""
    stmt = restrict(select(Agreement), actor).order_by(Agreement.valid_from.desc(), Agreement.id)
    return list(db.scalars(scoped(stmt, program_id, institution_id)))


def scoped(stmt: Select[Any], program_id: int | None, institution_id: int | None) -> Select[Any]:
    """``stmt`` on agreements limited to one program's, or to those an institution is party to."""
    if program_id is not None:
        stmt = stmt.where(Agreement.program_id == program_id)
    if institution_id is not None:
        parties = select(AgreementParty.agreement_id).where(
            AgreementParty.institution_id == institution_id
        )
        stmt = stmt.where(Agreement.id.in_(parties))
    return stmt


def may_manage(db: Session, actor: Actor, agreement: Agreement) -> bool:
    """Whether the actor changes the agreement: pages show its forms only then."""
    return can(db, actor, Action.CHANGE, agreement)


def root_of(db: Session, agreement: Agreement) -> Agreement:
    """The first agreement of the chain the given version belongs to."""
    seen = {agreement.id}
    while agreement.parent_id is not None and agreement.parent_id not in seen:
        parent = db.get(Agreement, agreement.parent_id)
        if parent is None:
            break
        seen.add(parent.id)
        agreement = parent
    return agreement


def chain(db: Session, agreement: Agreement) -> list[Agreement]:
    """The versions from the first agreement to the latest extension or amendment.

    A version may be followed by several (an amendment entered twice); the latest one entered
    is the one that holds, as a register reads it.
    """
    versions = [root_of(db, agreement)]
    while True:
        following = db.scalar(
            select(Agreement)
            .where(Agreement.parent_id == versions[-1].id, Agreement.kind.in_(VERSION_KINDS))
            .order_by(Agreement.id.desc())
            .limit(1)
        )
        if following is None or following in versions:
            return versions
        versions.append(following)


@dataclass(frozen=True)
class Validity:
    """The days an agreement holds: from ``starts`` to ``ends`` (either open when None)."""

    starts: date | None
    ends: date | None

    def holds(self, day: date) -> bool:
        return (self.starts is None or self.starts <= day) and (
            self.ends is None or day <= self.ends
        )


def validity(versions: Sequence[Agreement]) -> Validity:
    """The validity of a chain of versions: each version's dates replace the earlier ones."""
    starts: date | None = None
    ends: date | None = None
    for version in versions:
        starts = version.valid_from or starts
        ends = version.valid_until or ends
    return Validity(starts, ends)


def history(db: Session, agreement: Agreement) -> list[AgreementStatusChange]:
    return list(
        db.scalars(
            select(AgreementStatusChange)
            .where(AgreementStatusChange.agreement_id == agreement.id)
            .order_by(AgreementStatusChange.changed_at, AgreementStatusChange.id)
        )
    )


def documents(db: Session, agreement: Agreement) -> Sequence[files.Attachment]:
    return files.list_(db=db, owner=agreement)


# --- agreements -----------------------------------------------------------------------------


def _check_parties(db: Session, data: AgreementTerms, errors: list[FieldError]) -> None:
    if len(data.parties) < 2:
        errors.append(problem("parties", N_("An agreement binds at least two parties.")))
    seen: set[int] = set()
    for index, party in enumerate(data.parties):
        where = f"parties.{index}"
        if party.institution_id in seen:
            errors.append(
                problem(f"{where}.institution_id", N_("This institution is already a party."))
            )
        seen.add(party.institution_id)
        if not _exists(db, Institution, party.institution_id):
            errors.append(problem(f"{where}.institution_id", _CHOOSE))
        if not _exists(db, Person, party.signer_person_id):
            errors.append(problem(f"{where}.signer_person_id", _CHOOSE))


def _check_parent(
    db: Session, actor: Actor, data: AgreementCreate, errors: list[FieldError]
) -> Agreement | None:
    """The agreement a version changes, which the actor must be able to read."""
    versioned = data.kind in VERSION_KINDS
    if data.parent_id is None:
        if versioned:
            errors.append(
                problem(
                    "parent_id", N_("Choose the agreement this extension or amendment changes.")
                )
            )
        return None
    parent = db.get(Agreement, data.parent_id)
    if parent is None or not can(db, actor, Action.VIEW, parent):
        errors.append(problem("parent_id", _CHOOSE))
        return None
    if not versioned:
        errors.append(
            problem("kind", N_("Only an extension or amendment changes another agreement."))
        )
    if parent.status == AgreementStatus.TERMINATED:
        errors.append(
            problem("parent_id", N_("A terminated agreement cannot be extended or amended."))
        )
    return parent


def _check_ceremony(db: Session, data: AgreementTerms, errors: list[FieldError]) -> int | None:
    """The agreement's program: the given one, or the signing ceremony's."""
    if not _exists(db, Program, data.program_id):
        errors.append(problem("program_id", _CHOOSE))
    if data.ceremony_activity_id is None:
        return data.program_id
    activity = db.get(Activity, data.ceremony_activity_id)
    if activity is None:
        errors.append(problem("ceremony_activity_id", _CHOOSE))
        return data.program_id
    if activity.kind != ActivityKind.SIGNING_CEREMONY:
        errors.append(problem("ceremony_activity_id", N_("Choose a signing ceremony.")))
    if data.program_id is not None and activity.program_id != data.program_id:
        errors.append(
            problem("ceremony_activity_id", N_("The activity belongs to another program."))
        )
    return activity.program_id


def _check_terms(db: Session, data: AgreementTerms, errors: list[FieldError]) -> int | None:
    """The rules of an agreement's terms, new or edited; returns its program."""
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        errors.append(problem("valid_until", N_("The agreement cannot end before it starts.")))
    _check_parties(db, data, errors)
    return _check_ceremony(db, data, errors)


def _check_agreement(
    db: Session, actor: Actor, data: AgreementCreate
) -> tuple[Agreement | None, int | None]:
    """The parent and program of the new agreement once every rule holds, else a refusal."""
    errors: list[FieldError] = []
    if db.scalar(select(Agreement.id).where(Agreement.code == data.code)) is not None:
        errors.append(problem("code", N_("The code %(value)s is taken."), value=data.code))
    program_id = _check_terms(db, data, errors)
    parent = _check_parent(db, actor, data, errors)
    refuse_any(errors)
    return parent, program_id


def create_agreement(*, db: Session, actor: Actor, data: AgreementCreate) -> Agreement:
    """A new agreement with its parties, as a draft; an extension or amendment flags the
    roadmap items its validity leaves outside. The actor must manage what they create."""
    if not may_create(actor):
        raise AccessDenied(Agreement.__tablename__, None, Action.CHANGE)
    parent, program_id = _check_agreement(db, actor, data)
    values = data.model_dump(exclude={"parties"})
    values.update(summaries=values["summaries"] or {}, program_id=program_id)
    agreement = Agreement(
        **values,
        parties=[AgreementParty(**party.model_dump()) for party in data.parties],
    )
    with db.begin_nested():
        db.add(agreement)
        db.flush()
        require(db, actor, Action.CHANGE, agreement)
        _record_status(db, actor, agreement, None, AgreementStatus.DRAFT, "")
    if parent is not None:
        flag_outside_validity(db, agreement)
    return agreement


#: Terms that bind once signed: a signed agreement changes them by an amendment.
_BINDING = ("valid_from", "valid_until", "renewal_terms", "notice_days")


def _check_binding(agreement: Agreement, data: AgreementTerms, errors: list[FieldError]) -> None:
    """After signing, the parties and the validity stay as signed; signers and dates of
    signing, titles, summaries, topics and visibility may still be completed or corrected."""
    if agreement.status in (AgreementStatus.DRAFT, AgreementStatus.NEGOTIATING):
        return
    amend = N_("A signed agreement changes this by an amendment.")
    for name in _BINDING:
        if getattr(data, name) != getattr(agreement, name):
            errors.append(problem(name, amend))
    signed = {party.institution_id for party in agreement.parties}
    if {party.institution_id for party in data.parties} != signed:
        errors.append(problem("parties", amend))


def _replace_parties(db: Session, agreement: Agreement, parties: Sequence[PartyCreate]) -> None:
    """The parties as given, in their order: a party kept is the same row with its signer
    updated; those left out are deleted first, so an institution can leave and come back."""
    kept = {party.institution_id: party for party in agreement.parties}
    wanted = {party.institution_id for party in parties}
    for institution_id in kept.keys() - wanted:
        agreement.parties.remove(kept.pop(institution_id))
    db.flush()
    rows = []
    for party in parties:
        row = kept.get(party.institution_id) or AgreementParty()
        for name, value in party.model_dump().items():
            setattr(row, name, value)
        row.signer_name = party.signer_name or ""
        rows.append(row)
    agreement.parties = rows
    db.flush()


def update_agreement(
    *, db: Session, actor: Actor, agreement: Agreement, data: AgreementTerms
) -> Agreement:
    """New terms of an agreement the actor manages, which they must still manage afterwards
    (a coordinator cannot take their own institution off and lose it); a version's new
    validity flags the roadmap items then due outside it."""
    errors: list[FieldError] = []
    program_id = _check_terms(db, data, errors)
    _check_binding(agreement, data, errors)
    refuse_any(errors)
    values = data.model_dump(exclude={"parties"})
    values.update(summaries=values["summaries"] or {}, program_id=program_id)
    with db.begin_nested():
        for name, value in values.items():
            setattr(agreement, name, value)
        _replace_parties(db, agreement, data.parties)
        require(db, actor, Action.CHANGE, agreement)
    flag_outside_validity(db, agreement)
    return agreement


def _record_status(
    db: Session,
    actor: Actor | None,
    agreement: Agreement,
    old: AgreementStatus | None,
    new: AgreementStatus,
    note: str,
) -> None:
    agreement.status = new
    db.add(
        AgreementStatusChange(
            agreement_id=agreement.id,
            from_status=old,
            to_status=new,
            changed_by_id=actor.user_id if actor else None,
            note=note,
        )
    )
    db.flush()


def change_status(
    *, db: Session, actor: Actor, agreement: Agreement, data: StatusChange
) -> Agreement:
    """A step taken by a person: negotiating, signed, terminated; kept in the history."""
    current = AgreementStatus(agreement.status)
    allowed = _NEXT[current] + ((AgreementStatus.TERMINATED,) if current in _LIVE else ())
    if data.status not in allowed:
        refuse_any([problem("status", N_("The agreement cannot go to this status from its own."))])
    _record_status(db, actor, agreement, current, data.status, data.note or "")
    return agreement


def set_status_by_date(
    db: Session, agreement: Agreement, new: AgreementStatus, today: date
) -> None:
    """In force or expired, set by the daily check (no person acting)."""
    _record_status(db, None, agreement, AgreementStatus(agreement.status), new, today.isoformat())


def flag_outside_validity(db: Session, agreement: Agreement) -> list[RoadmapItem]:
    """Flag the open items of the chain now due outside its validity (an amendment that
    shortened it), and clear the flag of those inside it again; the flagged are returned."""
    versions = chain(db, agreement)
    holds = validity(versions)
    flagged = []
    for item in versions[0].items:
        item.outside_validity = not holds.holds(item.due_on) and item.status not in (
            ItemStatus.DONE,
            ItemStatus.CANCELLED,
        )
        if item.outside_validity:
            flagged.append(item)
    db.flush()
    return flagged


def add_document(
    *,
    db: Session,
    actor: Actor,
    agreement: Agreement,
    store: Storage,
    source: UploadFile | BinaryIO,
    max_bytes: int,
    filename: str | None = None,
) -> files.Attachment:
    """Keep a draft or the signed scan, judged by its content, not its name."""
    stored = files.put(
        db=db,
        store=store,
        actor=actor,
        source=source,
        allowed=filetypes.DOCUMENTS,
        max_bytes=max_bytes,
        filename=filename,
        field="document",
    )
    name = files.given_name(source, filename)
    return files.attach(db=db, actor=actor, owner=agreement, stored=stored, name=name)


# --- roadmap --------------------------------------------------------------------------------


def _check_due(db: Session, agreement: Agreement, due_on: date, errors: list[FieldError]) -> None:
    holds = validity(chain(db, agreement))
    if not holds.holds(due_on):
        errors.append(
            problem(
                "due_on",
                N_("The item must be due within the agreement's validity (%(starts)s – %(ends)s)."),
                starts=holds.starts.isoformat() if holds.starts else "…",
                ends=holds.ends.isoformat() if holds.ends else "…",
            )
        )


def add_item(*, db: Session, actor: Actor, agreement: Agreement, data: ItemCreate) -> RoadmapItem:
    """A roadmap item of the agreement's chain, due within its validity; after approval its
    baseline is its first due date."""
    root = root_of(db, agreement)
    errors: list[FieldError] = []
    _check_due(db, root, data.due_on, errors)
    if not _exists(db, Institution, data.owner_institution_id):
        errors.append(problem("owner_institution_id", _CHOOSE))
    if not _exists(db, Person, data.owner_person_id):
        errors.append(problem("owner_person_id", _CHOOSE))
    activities = [db.get(Activity, activity_id) for activity_id in data.activity_ids]
    # The activities that deliver an item are those of the agreement's program (a master class
    # given under the memorandum), when it has one.
    if any(
        activity is None or root.program_id not in (None, activity.program_id)
        for activity in activities
    ):
        errors.append(problem("activity_ids", _CHOOSE))
    refuse_any(errors)
    item = RoadmapItem(
        agreement_id=root.id,
        titles=data.titles,
        owner_institution_id=data.owner_institution_id,
        owner_person_id=data.owner_person_id,
        due_on=data.due_on,
        baseline_due_on=data.due_on if root.roadmap_approved_on else None,
        status=data.status,
        percent=100 if data.status == ItemStatus.DONE else data.percent,
        activities=[activity for activity in activities if activity is not None],
        milestones=[Milestone(**m.model_dump()) for m in data.milestones],
        indicators=[IndicatorLink(**i.model_dump()) for i in data.indicators],
    )
    db.add(item)
    db.flush()
    return item


def update_item(*, db: Session, actor: Actor, item: RoadmapItem, data: ItemProgress) -> RoadmapItem:
    """Progress of an item; a new due date must stay within the validity (the baseline stays)."""
    if data.due_on is not None and data.due_on != item.due_on:
        errors: list[FieldError] = []
        _check_due(db, item.agreement, data.due_on, errors)
        refuse_any(errors)
        item.due_on = data.due_on
        item.outside_validity = False
    item.status = data.status
    item.percent = 100 if data.status == ItemStatus.DONE else data.percent
    if data.status in (ItemStatus.DONE, ItemStatus.CANCELLED):
        item.alert = None
    db.flush()
    return item


def add_milestone(
    *, db: Session, actor: Actor, item: RoadmapItem, data: MilestoneCreate
) -> Milestone:
    """A step of an item, due within the agreement's validity."""
    errors: list[FieldError] = []
    _check_due(db, item.agreement, data.due_on, errors)
    refuse_any(errors)
    milestone = Milestone(**data.model_dump())
    item.milestones.append(milestone)
    db.flush()
    return milestone


def complete_milestone(
    *, db: Session, actor: Actor, milestone: Milestone, data: MilestoneDone
) -> Milestone:
    """A milestone reached on the day given (again to correct the day)."""
    milestone.done_on = data.done_on
    db.flush()
    return milestone


def record_indicator(
    *, db: Session, actor: Actor, item: RoadmapItem, data: IndicatorCreate
) -> IndicatorLink:
    """The target and actual of one indicator for one period, replacing what was recorded."""
    link = next(
        (
            found
            for found in item.indicators
            if (found.indicator_key, found.period) == (data.indicator_key, data.period)
        ),
        None,
    )
    if link is None:
        link = IndicatorLink(**data.model_dump())
        item.indicators.append(link)
    else:
        link.target, link.actual = data.target, data.actual
    db.flush()
    return link


def approve_roadmap(*, db: Session, actor: Actor, agreement: Agreement, today: date) -> Agreement:
    """Freeze each item's due date as its baseline: later moves show as slips against it."""
    root = root_of(db, agreement)
    root.roadmap_approved_on = today
    for item in root.items:
        if item.baseline_due_on is None:
            item.baseline_due_on = item.due_on
    db.flush()
    return root


# --- stands and awards ----------------------------------------------------------------------


def _check_program_activity(
    db: Session, program: Program, field: str, activity_id: int | None, errors: list[FieldError]
) -> None:
    if activity_id is None:
        return
    activity = db.get(Activity, activity_id)
    if activity is None or activity.program_id != program.id:
        errors.append(problem(field, _CHOOSE))


def add_stand(*, db: Session, actor: Actor, program: Program, data: StandCreate) -> ExhibitionStand:
    """A stand of the program's exhibition; stand numbers are unique within the program."""
    errors: list[FieldError] = []
    if not _exists(db, Institution, data.institution_id):
        errors.append(problem("institution_id", _CHOOSE))
    taken = select(ExhibitionStand.id).where(
        ExhibitionStand.program_id == program.id, ExhibitionStand.stand == data.stand
    )
    if db.scalar(taken) is not None:
        errors.append(problem("stand", N_("The code %(value)s is taken."), value=data.stand))
    _check_program_activity(db, program, "activity_id", data.activity_id, errors)
    refuse_any(errors)
    stand = ExhibitionStand(program_id=program.id, **data.model_dump())
    db.add(stand)
    db.flush()
    return stand


def add_award(*, db: Session, actor: Actor, program: Program, data: AwardCreate) -> Award:
    """An award conferred during the program, at its award ceremony when one is given."""
    errors: list[FieldError] = []
    if not _exists(db, Institution, data.conferred_by_institution_id):
        errors.append(problem("conferred_by_institution_id", _CHOOSE))
    if not _exists(db, Person, data.recipient_person_id):
        errors.append(problem("recipient_person_id", _CHOOSE))
    _check_program_activity(db, program, "ceremony_activity_id", data.ceremony_activity_id, errors)
    refuse_any(errors)
    award = Award(program_id=program.id, **data.model_dump())
    db.add(award)
    db.flush()
    return award


def stands(db: Session, program: Program) -> list[ExhibitionStand]:
    return list(
        db.scalars(
            select(ExhibitionStand)
            .where(ExhibitionStand.program_id == program.id)
            .order_by(ExhibitionStand.stand)
        )
    )


def awards(db: Session, program: Program) -> list[Award]:
    return list(
        db.scalars(select(Award).where(Award.program_id == program.id).order_by(Award.conferred_on))
    )
