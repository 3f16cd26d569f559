"""Booking: a referral into a slot of a consultation session, and the appointment's steps.

The booking is written with SQL statements over the columns it needs rather than with loaded
objects and a flush: it is what registrars' desks and accepted plans do most, under
concurrency (``bench/booking.py``), and the objects cost most of a request's time. Its writes
are audited by ``audit.statement_entry``, in the rows the flush hook would have written. As in
``care.service``, functions take keyword arguments and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Exists,
    RowMapping,
    Select,
    bindparam,
    exists,
    false,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from hamkor.care.models import (
    Appointment,
    AppointmentStatus,
    ConsentKind,
    ConsultationSetting,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
)
from hamkor.care.schemas import BookingCreate
from hamkor.care.service import (
    ACTIVE,
    DEFAULT_SLOT_MINUTES,
    as_actor,
    author_id,
    latest_decision,
    move_referral,
    problem,
    refuse_any,
    refuse_unless_given,
    slots_between,
)
from hamkor.core import audit
from hamkor.core.access import Action, Actor, NotFound, condition, get_for
from hamkor.core.db import Base, utcnow
from hamkor.core.errors import FieldError, UserError
from hamkor.core.i18n import N_
from hamkor.core.models import User
from hamkor.programs.models import Activity, ActivityKind

_SLOT_TAKEN = N_("This slot was just taken by another booking; choose another slot.")
_REFERRAL_BOOKED = N_("This referral already holds a slot; cancel that booking first.")
_FULL = N_("This consultation session is full; choose another session.")


@dataclass(frozen=True)
class _Parties:
    """The referral's and the session's own columns, and the facts the checks need."""

    referral: Mapping[str, Any]
    session: RowMapping


def _booking_parties(
    db: Session, actor: Actor, referral_id: int, activity_id: int, slot: int | None
) -> _Parties:
    """The referral (to change) and the session (to see), with the booking's facts.

    One statement reads the columns of both, under both access conditions, rather than loading
    the records and then asking whether the actor may: the path registrars and plans take most.
    When it finds nothing, ``get_for`` of each in turn gives the refusal that names which (404,
    or an audited 403).
    """
    db.flush()  # what the session holds unwritten is read too, as by its own queries
    params = {"referral_id": referral_id, "activity_id": activity_id, "slot": slot}
    statement = _parties_statement(actor, slot is not None)
    found = db.connection().execute(statement, params).mappings().first()
    if found is None:
        get_for(db, actor, Referral, referral_id, Action.CHANGE)
        get_for(db, actor, Activity, activity_id)
        # Both readable now, not a moment ago: they appeared meanwhile; not there yet.
        raise NotFound("consultation_sessions", activity_id)
    if found["kind"] != ActivityKind.CONSULTATION_SESSION:
        raise NotFound("consultation_sessions", activity_id)
    referral = {name: found[f"referral_{name}"] for name in _REFERRAL_COLUMNS}
    return _Parties(referral, found)


_REFERRAL_COLUMNS = ("id", "patient_id", "program_id", "specialty_id", "status")
_SESSION_COLUMNS = ("id", "kind", "program_id", "specialty_id", "starts_at", "ends_at")


def _holds_slot(referral_id: int | BindParameter[int]) -> Exists:
    return exists().where(Appointment.referral_id == referral_id, ACTIVE)


@lru_cache(maxsize=1024)
def _parties_statement(actor: Actor, slot_asked: bool) -> Select[Any]:
    """The referral's and the session's columns, whether the referral holds a slot, the consent
    in force, the slot length and whether the slot asked for (if one is) is taken: built once
    per actor and grants.

    Building a statement with its access conditions, and deriving its cache key, cost more than
    running it; a statement kept is also one whose compiled form SQLAlchemy finds at once.
    """
    taken = (
        exists().where(
            Appointment.activity_id == bindparam("activity_id"),
            Appointment.slot == bindparam("slot"),
            ACTIVE,
        )
        if slot_asked
        else false()
    )
    minutes = (
        select(ConsultationSetting.slot_minutes)
        .where(ConsultationSetting.activity_id == bindparam("activity_id"))
        .scalar_subquery()
    )
    return (
        select(
            _holds_slot(bindparam("referral_id")).label("held"),
            latest_decision(Referral.patient_id, ConsentKind.TREATMENT).label("consent"),
            minutes.label("minutes"),
            taken.label("taken"),
            *(getattr(Referral, name).label(f"referral_{name}") for name in _REFERRAL_COLUMNS),
            *(getattr(Activity, name) for name in _SESSION_COLUMNS),
        )
        # Two rows, one of each, side by side: the join says so to SQLAlchemy's linting.
        .select_from(Referral)
        .join(Activity, Activity.id == bindparam("activity_id"))
        .where(
            Referral.id == bindparam("referral_id"),
            condition(Referral, actor, Action.CHANGE),
            condition(Activity, actor, Action.VIEW),
        )
    )


def _check_booking(parties: _Parties, slot: int | None) -> int:
    """The number of slots of the session, after refusing what may not be booked.

    These checks give the clear refusals; the partial unique indexes, not they, keep two
    concurrent bookings out of one slot.
    """
    referral, session = parties.referral, parties.session
    errors: list[FieldError] = []
    if referral["status"] not in (ReferralStatus.WAITING, ReferralStatus.BOOKED):
        errors.append(problem("referral_id", N_("Only a waiting referral can be booked.")))
    elif session["held"]:
        errors.append(problem("referral_id", _REFERRAL_BOOKED))
    if session["program_id"] != referral["program_id"]:
        errors.append(problem("activity_id", N_("This session belongs to another program.")))
    if session["specialty_id"] != referral["specialty_id"]:
        errors.append(
            problem(
                "activity_id",
                N_(
                    "This session is of another specialty than the referral's; choose a session "
                    "of the referral's specialty."
                ),
            )
        )
    refuse_any(errors)
    refuse_unless_given(session["consent"], ConsentKind.TREATMENT, "referral_id")
    count = slots_between(
        session["starts_at"], session["ends_at"], session["minutes"] or DEFAULT_SLOT_MINUTES
    )
    if slot is not None and slot >= count:
        raise UserError.one("slot", N_("This session has no such slot."))
    if session["taken"]:
        raise UserError.one("slot", _SLOT_TAKEN)
    return count


def _candidates(db: Session, session_id: int, slot: int | None, count: int) -> list[int]:
    """The slots to try: the one asked for, or every free one in order (taken indexes only)."""
    if slot is not None:
        return [slot]
    taken = set(
        db.scalars(select(Appointment.slot).where(Appointment.activity_id == session_id, ACTIVE))
    )
    free = [index for index in range(count) if index not in taken]
    if not free:
        raise UserError.one("activity_id", _FULL)
    return free


def _insert_unless_taken(db: Session, values: dict[str, Any]) -> int | None:
    """Insert the appointment unless a partial unique index refuses it: its id, or None.

    ``ON CONFLICT DO NOTHING`` (PostgreSQL and SQLite) lets the refusal be an answer rather than
    an error, so no savepoint is needed around it.
    """
    statement = _INSERT_UNLESS_TAKEN[db.get_bind().dialect.name]
    new_id: int | None = db.connection().execute(statement, values).scalar()
    return new_id


_INSERT_UNLESS_TAKEN = {
    name: dialect_insert(Appointment).on_conflict_do_nothing().returning(Appointment.id)
    for name, dialect_insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_MARK_BOOKED = (
    update(Referral)
    .where(Referral.id == bindparam("referral_id"))
    .values(status=ReferralStatus.BOOKED, updated_at=bindparam("now"))
)
_INSERT_STATUS_CHANGE = insert(ReferralStatusChange).returning(ReferralStatusChange.id)


def _record_booking(
    db: Session,
    actor: Actor,
    referral: Mapping[str, Any],
    appointment_id: int,
    values: dict[str, Any],
) -> None:
    """Move the referral to 'booked' with its history row, and audit the three writes."""
    now = values["created_at"]
    entries = [_created(db, Appointment, appointment_id, values)]
    if referral["status"] != ReferralStatus.BOOKED:
        connection = db.connection()
        connection.execute(_MARK_BOOKED, {"referral_id": referral["id"], "now": now})
        loaded = db.identity_map.get(db.identity_key(Referral, referral["id"]))
        if loaded is not None:  # a page or a plan holds the referral: let it read the change
            db.expire(loaded, ["status", "updated_at", "history"])
        change = {
            "referral_id": referral["id"],
            "at": now,
            "by_id": author_id(actor),
            "from_status": referral["status"],
            "to_status": ReferralStatus.BOOKED,
        }
        change_id = connection.execute(_INSERT_STATUS_CHANGE, change).scalar_one()
        entries.append(_created(db, ReferralStatusChange, change_id, change))
        moved = {"status": (referral["status"], ReferralStatus.BOOKED), "updated_at": (None, now)}
        entries.append(audit.statement_entry(db, Referral, "update", referral["id"], moved))
    audit.write(db, entries)


def _created(db: Session, model: type[Base], new_id: int, values: dict[str, Any]) -> dict[str, Any]:
    written = {"id": (None, new_id), **{key: (None, value) for key, value in values.items()}}
    return audit.statement_entry(db, model, "create", new_id, written)


def _as_loaded(db: Session, appointment: Appointment) -> Appointment:
    """The inserted appointment as a row of the session, as if loaded (no query is sent)."""
    make_transient_to_detached(appointment)
    db.add(appointment)
    return appointment


def _book(db: Session, actor: Actor, parties: _Parties, slot: int | None) -> Appointment:
    referral, session = parties.referral, parties.session
    count = _check_booking(parties, slot)
    for index in _candidates(db, session["id"], slot, count):
        now = utcnow()
        values: dict[str, Any] = {
            "activity_id": session["id"],
            "slot": index,
            "referral_id": referral["id"],
            "status": AppointmentStatus.BOOKED,
            "booked_by_id": author_id(actor),
            "checked_in_at": None,
            "created_at": now,
            "updated_at": now,
        }
        appointment_id = _insert_unless_taken(db, values)
        if appointment_id is not None:
            _record_booking(db, actor, referral, appointment_id, values)
            return _as_loaded(db, Appointment(id=appointment_id, **values))
        if db.scalar(select(_holds_slot(referral["id"]))):
            raise UserError.one("referral_id", _REFERRAL_BOOKED)
    # Every free slot went to concurrent bookings while we tried.
    raise UserError.one(
        "slot" if slot is not None else "activity_id", _SLOT_TAKEN if slot is not None else _FULL
    )


def book(*, db: Session, actor: Actor, data: BookingCreate) -> Appointment:
    """Give a slot of a consultation session to a referral.

    The partial unique indexes make a double booking impossible even between concurrent
    requests: the loser's insert is refused, and becomes a translated 'slot already taken'.
    """
    parties = _booking_parties(db, actor, data.referral_id, data.activity_id, data.slot)
    return _book(db, actor, parties, data.slot)


def book_planned(*, db: Session, actor: Actor | User, placements: Sequence[tuple[int, int]]) -> int:
    """Book an accepted plan: each (referral id, session id) into the session's first free slot.

    Raises a :class:`UserError` naming the referral that cannot be booked; writes in the
    caller's transaction, so it keeps all of the plan or none of it.
    """
    actor = as_actor(actor)
    for referral_id, activity_id in placements:
        try:
            _book(db, actor, _booking_parties(db, actor, referral_id, activity_id, None), None)
        except (UserError, NotFound) as error:
            reasons = error.errors if isinstance(error, UserError) else []
            which = problem(
                "placements",
                N_("Referral %(referral)s cannot be booked into session %(session)s."),
                referral=referral_id,
                session=activity_id,
            )
            raise UserError([which, *reasons]) from error
    return len(placements)


@dataclass(frozen=True)
class _Step:
    """A step of an appointment: from which statuses, to which, and where the referral goes."""

    allowed: tuple[AppointmentStatus, ...]
    to: AppointmentStatus
    referral: ReferralStatus | None
    refusal: str


_CANCEL = _Step(
    (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
    AppointmentStatus.CANCELLED,
    ReferralStatus.WAITING,
    N_("Only a booked appointment can be cancelled."),
)
_CHECK_IN = _Step(
    (AppointmentStatus.BOOKED,),
    AppointmentStatus.CHECKED_IN,
    None,
    N_("Only a booked appointment can be checked in."),
)
_NO_SHOW = _Step(
    (AppointmentStatus.BOOKED,),
    AppointmentStatus.NO_SHOW,
    ReferralStatus.WAITING,
    N_("Only a booked appointment can be marked as missed."),
)


def _take_step(db: Session, actor: Actor, appointment_id: int, step: _Step) -> Appointment:
    appointment = get_for(db, actor, Appointment, appointment_id, Action.CHANGE)
    if appointment.status not in step.allowed:
        raise UserError.one("status", step.refusal)
    appointment.status = step.to
    if step.to == AppointmentStatus.CHECKED_IN:
        appointment.checked_in_at = utcnow()
    if step.referral is not None:
        move_referral(db, actor, appointment.referral, step.referral)
    db.flush()
    return appointment


def cancel_appointment(*, db: Session, actor: Actor, appointment_id: int) -> Appointment:
    """Cancel a booking: the slot is free again and the referral waits again."""
    return _take_step(db, actor, appointment_id, _CANCEL)


def check_in(*, db: Session, actor: Actor, appointment_id: int) -> Appointment:
    """The patient has arrived for their consultation."""
    return _take_step(db, actor, appointment_id, _CHECK_IN)


def mark_no_show(*, db: Session, actor: Actor, appointment_id: int) -> Appointment:
    """The patient did not come: the referral waits again for another slot."""
    return _take_step(db, actor, appointment_id, _NO_SHOW)
