"""Who may see and revoke certificates, and who may rotate an institution's keys.

A certificate is seen by its holder, by those who manage its course (coordinators of the
course's program or issuing institution, coordinators of all programs) and by auditors, the
same people who see the enrolment it crowns; it is revoked by those who manage the course. The
public reaches certificates only through verification, which reads no row through this policy.
Signing keys are public in their public half; they are rotated by coordinators of the
institution they belong to.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from hamkor.core import access
from hamkor.core.access import Actor
from hamkor.core.models import Role
from hamkor.training.access import enrolment_managed, enrolment_visible
from hamkor.training.credentials.models import Credential, SigningKey
from hamkor.training.models import Enrolment


def credential_visible(actor: Actor) -> ColumnElement[bool]:
    return Credential.enrolment_id.in_(select(Enrolment.id).where(enrolment_visible(actor)))


def credential_revocable(actor: Actor) -> ColumnElement[bool]:
    return Credential.enrolment_id.in_(select(Enrolment.id).where(enrolment_managed(actor)))


def may_rotate(actor: Actor, institution_id: int) -> bool:
    """Keys are rotated by the coordinators of their institution (and platform admins)."""
    return actor.is_admin or institution_id in actor.institutions(Role.INSTITUTION_COORDINATOR)


def key_changeable(actor: Actor) -> ColumnElement[bool]:
    institutions = actor.institutions(Role.INSTITUTION_COORDINATOR)
    return SigningKey.institution_id.in_(institutions) if institutions else false()


def register() -> None:
    access.register(Credential, view=credential_visible, change=credential_revocable)
    access.register(SigningKey, view=lambda _actor: true(), change=key_changeable)
