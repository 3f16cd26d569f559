"""Who reaches a certificate: generated per role, through the one access choke point."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hamkor.core.access import Action, Actor, can
from hamkor.core.models import Role, User
from hamkor.training.credentials import service
from tests.fixtures.core import UserFactory
from tests.fixtures.credentials import Certified
from tests.fixtures.programs import KzUzDays

Someone = Callable[[Certified, KzUzDays, UserFactory], User]

#: (who, may see, may revoke)
CASES: list[tuple[str, Someone, bool, bool]] = [
    ("holder", lambda c, _d, _u: c.holder, True, False),
    ("program coordinator", lambda c, _d, _u: c.coordinator, True, True),
    (
        "coordinator of the issuing institution",
        lambda _c, d, u: u(Role.INSTITUTION_COORDINATOR, institution_id=d.vakhidov.id),
        True,
        True,
    ),
    (
        "coordinator of another institution",
        lambda _c, d, u: u(Role.INSTITUTION_COORDINATOR, institution_id=d.samarkand_hospital.id),
        False,
        False,
    ),
    (
        "another trainee",
        lambda _c, d, u: u(Role.TRAINEE, institution_id=d.vakhidov.id),
        False,
        False,
    ),
    ("auditor", lambda _c, _d, u: u(Role.AUDITOR), True, False),
    ("platform admin", lambda _c, _d, u: u(Role.PLATFORM_ADMIN), True, True),
]


@pytest.mark.parametrize(("who", "someone", "sees", "revokes"), CASES, ids=[c[0] for c in CASES])
def test_access_by_role(
    db: Session,
    certificate: Certified,
    kz_uz_days: KzUzDays,
    create_user: UserFactory,
    who: str,
    someone: Someone,
    sees: bool,
    revokes: bool,
) -> None:
    actor = Actor.of(someone(certificate, kz_uz_days, create_user))
    credential = certificate.credential
    assert can(db, actor, Action.VIEW, credential) is sees
    assert can(db, actor, Action.CHANGE, credential) is revokes
    listed = [c.number for c in service.list_credentials(db=db, actor=actor)]
    assert listed == ([credential.number] if sees else [])


def test_anonymous_reaches_only_verification(
    app_client: TestClient, certificate: Certified
) -> None:
    number = certificate.credential.number
    assert app_client.get("/api/v1/credentials").status_code == 401
    page = app_client.get(f"/certificates/{number}", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")
    download = app_client.get(f"/certificates/{number}/download/jwt", follow_redirects=False)
    assert download.status_code == 303
    check_code = certificate.credential.check_code
    assert app_client.get(f"/verify/{number}/{check_code}").status_code == 200
