"""Access across every route (issue 22): each role GETs every route of the app with the records
of both institutions, and no response may carry a marker of a record out of the role's scope;
every response that shows a patient's data has written the read to the audit trail, naming the
reader and the patient.

The routes are read from the app, so a new route is walked without anyone adding it here, or
fails the walk until it is listed in ``routes.UNFILLED`` with its reason.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hamkor.app import create_app
from hamkor.core.models import AuditEntry
from hamkor.settings import Settings
from tests.access.routes import UNFILLED, get_routes, urls
from tests.access.world import ACTORS, Marker, World
from tests.fixtures.core import ClientFactory
from tests.fixtures.directory import bearer

#: The routes that show a patient's data to a reader allowed it: each must audit the read. A new
#: one fails the walk until it is listed here, once the walk has found its reads audited.
PATIENT_ROUTES = {
    "/",  # the workspaces: a specialist's day and a registrar's waitlist
    "/api/v1/care/follow-ups",
    "/api/v1/care/patients",
    "/api/v1/care/patients/{patient_id}",
    "/api/v1/care/patients/{patient_id}/record",
    "/api/v1/care/referrals",
    "/care/appointments/{appointment_id}/encounter",
    "/care/follow-ups",
    "/care/patients",
    "/care/patients/{patient_id}",
    "/care/patients/{patient_id}/record.json",
    "/care/referrals/{referral_id}/book",
    "/care/referrals/{referral_id}/outcomes",
    "/care/sessions/{activity_id}",
    "/care/waitlist",
    "/fhir/Patient",
    "/fhir/Patient/{record_id}",
    "/fhir/ServiceRequest",
    "/fhir/ServiceRequest/{record_id}",
    "/telemedicine/new",
    "/telemedicine/{case_id}",
}
_MARK = re.compile(r"MARK-[AB]-[A-Z]+-\d+(?!\d)")
_TOKEN_PATHS = ("/api/", "/fhir/")


def _text(body: bytes) -> str:
    """A response's text, an archive's (an XLSX download) read member by member."""
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "".join(
                archive.read(name).decode(errors="replace") for name in archive.namelist()
            )
    return body.decode(errors="replace")


@dataclass
class Findings:
    """What the walk saw: errors, leaks, reads of patients left out of the audit trail."""

    leaks: set[str] = field(default_factory=set)
    unaudited: set[str] = field(default_factory=set)
    errors: set[str] = field(default_factory=set)
    patient_routes: set[str] = field(default_factory=set)


def _last_audit(db: Session) -> int:
    return db.scalar(select(func.coalesce(func.max(AuditEntry.id), 0))) or 0


def _audited(db: Session, since: int, user_id: int, patient_id: int) -> bool:
    found = db.scalar(
        select(AuditEntry.id).where(
            AuditEntry.id > since,
            AuditEntry.actor_id == user_id,
            AuditEntry.entity == "patients",
            AuditEntry.entity_id == str(patient_id),
        )
    )
    return found is not None


def _walk(
    db: Session,
    world: World,
    clients: dict[str, TestClient],
    headers: dict[str, dict[str, str]],
) -> Findings:
    markers: dict[str, Marker] = {m.text: m for m in world.markers}
    findings = Findings()
    for route in get_routes(clients["anonymous"].app):  # type: ignore[arg-type]
        if route.path in UNFILLED:
            continue
        addresses = list(dict.fromkeys(urls(route, world.sides)))
        assert addresses, f"the walk cannot fill {route.path}: fill it or list it in UNFILLED"
        for actor in ACTORS:
            user = world.users.get(actor)
            for url in addresses:
                since = _last_audit(db)
                sent = headers[actor] if url.startswith(_TOKEN_PATHS) else {}
                response = clients[actor].get(url, headers=sent, follow_redirects=False)
                if response.status_code >= 500:
                    findings.errors.add(f"{actor} GET {url}: {response.status_code}")
                seen = {markers[text] for text in _MARK.findall(_text(response.content))}
                for marker in seen:
                    if actor not in marker.readers:
                        findings.leaks.add(f"{actor} GET {url} shows {marker.text}")
                    elif marker.patient_id is not None and user is not None:
                        findings.patient_routes.add(route.path)
                        if not _audited(db, since, user.id, marker.patient_id):
                            findings.unaudited.add(f"{actor} GET {url} (patient {marker.text})")
    return findings


def test_no_route_shows_a_record_out_of_scope_and_every_patient_read_is_audited(
    db: Session,
    world: World,
    settings: Settings,
    session_factory: sessionmaker[Session],
    client_for: ClientFactory,
) -> None:
    with TestClient(
        create_app(settings, session_factory), raise_server_exceptions=False
    ) as anonymous:
        clients = {"anonymous": anonymous}
        headers: dict[str, dict[str, str]] = {"anonymous": {"accept-language": "en"}}
        for actor, user in world.users.items():
            clients[actor] = client_for(user)
            headers[actor] = bearer(db, user, write=False)
        findings = _walk(db, world, clients, headers)
    for problems in (findings.errors, findings.leaks, findings.unaudited):
        assert not problems, "\n".join(sorted(problems))
    assert findings.patient_routes == PATIENT_ROUTES


def test_every_unfilled_route_exists_and_says_why(settings: Settings) -> None:
    app = create_app(Settings(var_dir=Path(settings.var_dir), secret_key="x"), sessionmaker())
    paths = {route.path for route in get_routes(app)}
    assert set(UNFILLED) <= paths
    assert all(reason for reason in UNFILLED.values())
