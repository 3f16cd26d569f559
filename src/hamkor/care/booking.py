"""Booking: a referral into a slot of a consultation session, and the appointment's steps.

Booking loads the referral and the session its data names through the access choke point and
writes through the ORM, so the one flush hook of ``core.audit`` records its writes as every
other. An appointment's steps take the appointment their caller loaded with
``core.access.get_for(..., CHANGE)``. As in ``care.service``, functions take keyword arguments
and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Exists, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from hamkor.care.models import (
    Appointment,
    AppointmentStatus,
    ConsentKind,
    Referral,
    ReferralStatus,
)
from hamkor.care.schemas import BookingCreate
from hamkor.care.service import (
    ACTIVE,
    author_id,
    consultation_session,
    latest_decision,
    move_referral,
    refuse_unless_given,
    slot_count,
)
from hamkor.core.access import Action, Actor, NotFound, get_for
from hamkor.core.db import utcnow
from hamkor.core.errors import FieldError, UserError, problem, refuse_any
from hamkor.core.i18n import N_, Message
from hamkor.programs.models import Activity

_SLOT_TAKEN = N_("This slot was just taken by another booking; choose another slot.")
_REFERRAL_BOOKED = N_("This referral already holds a slot; cancel that booking first.")
_FULL = N_("This consultation session is full; choose another session.")
_NO_FREE_SLOT = N_("No consultation session of this specialty has a free slot.")


#: Loader options of the records a booking loads: their columns, each relationship on use.
_BARE = (lazyload("*"),)


def _holds_slot(referral_id: int) -> Exists:
    return exists().where(Appointment.referral_id == referral_id, ACTIVE)


def _booking_parties(
    db: Session, actor: Actor, referral_id: int, activity_id: int
) -> tuple[Referral, Activity]:
    """The referral (to change) and the session (to see): 404, or an audited 403, if not.

    Loaded without the relationships a page shows (the patient with their identifiers, the
    cities, the session's leads): a booking reads none of them, and loading them was eight
    of a booking's twenty statements.
    """
    referral = get_for(db, actor, Referral, referral_id, Action.CHANGE, options=_BARE)
    session = consultation_session(get_for(db, actor, Activity, activity_id, options=_BARE))
    return referral, session


def _referral_problems(db: Session, referral: Referral) -> list[FieldError]:
    """What refuses the referral itself, whatever the session: it waits no more, or it holds a
    slot already."""
    if referral.status not in (ReferralStatus.WAITING, ReferralStatus.BOOKED):
        return [problem("referral_id", N_("Only a waiting referral can be booked."))]
    if db.scalar(select(_holds_slot(referral.id))):
        return [problem("referral_id", _REFERRAL_BOOKED)]
    return []


def _refuse_without_consent(db: Session, referral: Referral) -> None:
    consent = db.scalar(select(latest_decision(referral.patient_id, ConsentKind.TREATMENT)))
    refuse_unless_given(consent, ConsentKind.TREATMENT, "referral_id")


def obstacle(db: Session, referral: Referral, free_slots: int) -> Message | None:
    """What would refuse booking the referral, said before anyone tries (issue 20): the
    refusal :func:`book` would give (the referral's state, missing consent to treatment), or
    no free slot among the ``free_slots`` of its program's sessions of its specialty. Nothing
    is written."""
    try:
        refuse_any(_referral_problems(db, referral))
        _refuse_without_consent(db, referral)
    except UserError as refused:
        return refused.errors[0].message
    return None if free_slots else Message(_NO_FREE_SLOT)


def _candidates(db: Session, referral: Referral, session: Activity, slot: int | None) -> list[int]:
    """The slots to try, after refusing what may not be booked (nothing is written).

    These checks give the clear refusals; the partial unique indexes, not they, keep two
    concurrent bookings out of one slot (``_insert``).
    """
    errors = _referral_problems(db, referral)
    if session.program_id != referral.program_id:
        errors.append(problem("activity_id", N_("This session belongs to another program.")))
    if session.specialty_id != referral.specialty_id:
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
    _refuse_without_consent(db, referral)
    count = slot_count(db, session)
    if slot is not None and slot >= count:
        raise UserError.one("slot", N_("This session has no such slot."))
    taken = set(
        db.scalars(select(Appointment.slot).where(Appointment.activity_id == session.id, ACTIVE))
    )
    if slot is not None:
        if slot in taken:
            raise UserError.one("slot", _SLOT_TAKEN)
        return [slot]
    free = [index for index in range(count) if index not in taken]
    if not free:
        raise UserError.one("activity_id", _FULL)
    return free


def _insert(db: Session, appointment: Appointment) -> bool:
    """Insert the appointment unless a partial unique index refuses it (a concurrent booking
    took the slot, or the referral, first): whether it was inserted.

    The insert runs in a savepoint, so a refusal undoes only the insert and the request's
    transaction goes on to give a translated answer (or to try the next free slot).
    """
    try:
        with db.begin_nested():
            db.add(appointment)
            db.flush()
    except IntegrityError:
        return False
    return True


def _book(
    db: Session, actor: Actor, referral: Referral, session: Activity, slot: int | None
) -> Appointment:
    for index in _candidates(db, referral, session, slot):
        appointment = Appointment(
            activity_id=session.id,
            slot=index,
            referral_id=referral.id,
            status=AppointmentStatus.BOOKED,
            booked_by_id=author_id(actor),
        )
        if _insert(db, appointment):
            move_referral(db, actor, referral, ReferralStatus.BOOKED)
            db.flush()
            return appointment
        if db.scalar(select(_holds_slot(referral.id))):
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
    referral, session = _booking_parties(db, actor, data.referral_id, data.activity_id)
    return _book(db, actor, referral, session, data.slot)


def book_planned(*, db: Session, actor: Actor, placements: Sequence[tuple[int, int]]) -> int:
    """Book an accepted plan: each (referral id, session id) into the session's first free slot.

    Raises a :class:`UserError` naming the referral that cannot be booked; writes in the
    caller's transaction, so it keeps all of the plan or none of it.
    """
    for referral_id, activity_id in placements:
        try:
            referral, session = _booking_parties(db, actor, referral_id, activity_id)
            _book(db, actor, referral, session, None)
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


def _take_step(db: Session, actor: Actor, appointment: Appointment, step: _Step) -> Appointment:
    if appointment.status not in step.allowed:
        raise UserError.one("status", step.refusal)
    appointment.status = step.to
    if step.to == AppointmentStatus.CHECKED_IN:
        appointment.checked_in_at = utcnow()
    if step.referral is not None:
        move_referral(db, actor, appointment.referral, step.referral)
    db.flush()
    return appointment


def cancel_appointment(*, db: Session, actor: Actor, appointment: Appointment) -> Appointment:
    """Cancel a booking: the slot is free again and the referral waits again."""
    return _take_step(db, actor, appointment, _CANCEL)


def check_in(*, db: Session, actor: Actor, appointment: Appointment) -> Appointment:
    """The patient has arrived for their consultation."""
    return _take_step(db, actor, appointment, _CHECK_IN)


def mark_no_show(*, db: Session, actor: Actor, appointment: Appointment) -> Appointment:
    """The patient did not come: the referral waits again for another slot."""
    return _take_step(db, actor, appointment, _NO_SHOW)
