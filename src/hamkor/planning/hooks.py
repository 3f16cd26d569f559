"""What planning needs from care and training, asked through their service functions only.

Planning reads no table of theirs (DESIGN: modules talk through each other's services). Care
provides the patients waiting for a program's consultations and books the consultations of an
accepted plan; training places trainees in the activities of an accepted plan. They register
their functions from ``hamkor.modules``; with none registered, an instance has no patients
and an accepted plan books no one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from hamkor.core.access import Actor


class WaitingPatient(Protocol):
    """A referral waiting for a consultation (care's ``hamkor.care.schemas.WaitingPatient``)."""

    @property
    def referral_id(self) -> int: ...
    @property
    def specialty(self) -> str: ...
    #: 1–5, 5 the most urgent.
    @property
    def priority(self) -> int: ...
    @property
    def city_ids(self) -> tuple[int, ...]: ...
    #: Days the patient can come (empty: any day of the program).
    @property
    def days(self) -> tuple[date, ...]: ...


class WaitingForProgram(Protocol):
    def __call__(
        self, *, db: Session, actor: Actor, program_id: int
    ) -> Sequence[WaitingPatient]: ...


class BookPlanned(Protocol):
    """Book each (referral id, activity id) consultation; the number booked."""

    def __call__(
        self, *, db: Session, actor: Actor, placements: Sequence[tuple[int, int]]
    ) -> int: ...


class PlacePlanned(Protocol):
    """Place each (person id, activity id) trainee; the number placed."""

    def __call__(
        self, *, db: Session, actor: Actor, placements: Sequence[tuple[int, int]]
    ) -> int: ...


@dataclass
class Providers:
    waiting_for_program: WaitingForProgram | None = None
    book_planned: BookPlanned | None = None
    place_planned: PlacePlanned | None = None


_providers = Providers()


def register_patients(*, waiting_for_program: WaitingForProgram, book_planned: BookPlanned) -> None:
    """Care's functions: the patients waiting for a program, and booking planned consultations."""
    _providers.waiting_for_program = waiting_for_program
    _providers.book_planned = book_planned


def register_trainees(*, place_planned: PlacePlanned) -> None:
    """Training's function: placing trainees in planned activities."""
    _providers.place_planned = place_planned


def providers() -> Providers:
    return _providers


def use(replacement: Providers) -> Providers:
    """Put ``replacement`` in place of the registered providers; the ones it replaced.

    Tests stand doubles of care and training in for one test and put the real ones back.
    """
    global _providers
    replaced, _providers = _providers, replacement
    return replaced
