"""Who may see and change agreements, their roadmaps, and a program's stands and awards.

An agreement is read by the people of its parties (anyone holding a role at a party
institution); one that is not confidential also by every user of its program, by those with a
role everywhere (coordinators of all programs, auditors), and, when it belongs to no program, by
every logged-in user. A confidential one is read by its parties' people only: a direct address
is a 403 written in the audit trail, the choke point's own refusal.

An agreement is changed by the coordinators of its party institutions, by the coordinators of
its program and by the coordinators of all programs, each only where they may read it. Roadmap
items, milestones and indicators follow their agreement. Stands and awards are public within
the platform and kept by the program's coordinators.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from hamkor.agreements.models import (
    Agreement,
    AgreementParty,
    AgreementStatusChange,
    Award,
    Confidentiality,
    ExhibitionStand,
    IndicatorLink,
    Milestone,
    RoadmapItem,
)
from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.models import Role


def _parties_of(institutions: set[int]) -> ColumnElement[bool]:
    """Agreements one of ``institutions`` is a party to."""
    if not institutions:
        return false()
    return Agreement.id.in_(
        select(AgreementParty.agreement_id).where(AgreementParty.institution_id.in_(institutions))
    )


def agreement_visible(actor: Actor) -> ColumnElement[bool]:
    party = _parties_of(actor.institutions())
    if any(grant.is_global for grant in actor.grants):
        open_to_actor: ColumnElement[bool] = true()
    else:
        open_to_actor = or_(
            Agreement.program_id.is_(None), Agreement.program_id.in_(actor.programs())
        )
    return or_(party, and_(Agreement.confidentiality == Confidentiality.PROGRAM, open_to_actor))


def agreement_managed(actor: Actor) -> ColumnElement[bool]:
    managers: list[ColumnElement[bool]] = [
        _parties_of(actor.institutions(Role.INSTITUTION_COORDINATOR))
    ]
    if actor.has_global(Role.PROGRAM_COORDINATOR):
        managers.append(true())
    elif programs := actor.programs(Role.PROGRAM_COORDINATOR):
        managers.append(Agreement.program_id.in_(programs))
    return and_(agreement_visible(actor), or_(*managers))


def may_create(actor: Actor) -> bool:
    """Agreements are entered by program and institution coordinators."""
    return actor.is_admin or actor.has_role(Role.PROGRAM_COORDINATOR, Role.INSTITUTION_COORDINATOR)


def _of_agreements(
    column: InstrumentedAttribute[int], condition: access.Condition
) -> access.Condition:
    """Rows that follow their agreement's visibility or management."""

    def follows(actor: Actor) -> ColumnElement[bool]:
        return column.in_(select(Agreement.id).where(condition(actor)))

    return follows


def _of_items(column: InstrumentedAttribute[int], condition: access.Condition) -> access.Condition:
    def follows(actor: Actor) -> ColumnElement[bool]:
        return column.in_(
            select(RoadmapItem.id).where(
                RoadmapItem.agreement_id.in_(select(Agreement.id).where(condition(actor)))
            )
        )

    return follows


def program_managed(program_column: InstrumentedAttribute[int]) -> access.Condition:
    """A program's stands and awards are kept by its coordinators."""

    def managed(actor: Actor) -> ColumnElement[bool]:
        if actor.has_global(Role.PROGRAM_COORDINATOR):
            return true()
        return program_column.in_(actor.programs(Role.PROGRAM_COORDINATOR))

    return managed


def register() -> None:
    access.register(Agreement, view=agreement_visible, change=agreement_managed)
    for model, column in (
        (AgreementParty, AgreementParty.agreement_id),
        (AgreementStatusChange, AgreementStatusChange.agreement_id),
        (RoadmapItem, RoadmapItem.agreement_id),
    ):
        access.register(
            model,
            view=_of_agreements(column, agreement_visible),
            change=_of_agreements(column, agreement_managed),
        )
    for item_model, column in (
        (Milestone, Milestone.item_id),
        (IndicatorLink, IndicatorLink.item_id),
    ):
        access.register(
            item_model,
            view=_of_items(column, agreement_visible),
            change=_of_items(column, agreement_managed),
        )
    access.register(
        ExhibitionStand, view=access.everyone, change=program_managed(ExhibitionStand.program_id)
    )
    access.register(Award, view=access.everyone, change=program_managed(Award.program_id))
