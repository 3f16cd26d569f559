"""The jobs page: a platform admin sees every job, anyone else their own, and a job may be
cancelled by its owner or an admin, by a form with its CSRF token (issue 16)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from hamkor.core import jobs
from hamkor.core.jobs import Job, JobStatus
from hamkor.core.models import User
from tests.fixtures.core import ClientFactory, UserFactory, csrf_of


def _job(db: Session, owner: User) -> int:
    job = jobs.enqueue(db=db, kind=jobs.PROBE_JOB, payload={}, created_by=owner.id)
    db.commit()
    return job.id


def _status(db: Session, job_id: int) -> tuple[JobStatus, bool]:
    db.expire_all()
    job = db.get_one(Job, job_id)
    return JobStatus(job.status), job.cancel_requested


def test_an_admin_sees_every_job_and_a_user_their_own(
    db: Session, create_user: UserFactory, admin: User, client_for: ClientFactory
) -> None:
    alice, bob = create_user(username="alice"), create_user(username="bob")
    hers, his = _job(db, alice), _job(db, bob)

    everything = client_for(admin).get("/jobs")
    own = client_for(alice).get("/jobs", headers={"Accept-Language": "en"})

    assert everything.status_code == own.status_code == 200
    assert f'id="job-{hers}"' in everything.text
    assert f'id="job-{his}"' in everything.text
    assert f'id="job-{hers}"' in own.text
    assert f'id="job-{his}"' not in own.text
    assert f'action="/jobs/{hers}/cancel"' in own.text


def test_the_owner_cancels_a_queued_job(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    alice = create_user(username="alice", language="en")
    job_id = _job(db, alice)
    client = client_for(alice)

    answer = client.post(
        f"/jobs/{job_id}/cancel",
        data={"csrf_token": csrf_of(client.get("/jobs").text)},
        follow_redirects=False,
    )

    assert answer.status_code == 303
    assert _status(db, job_id) == (JobStatus.CANCELLED, True)
    page = client.get("/jobs").text
    assert f'action="/jobs/{job_id}/cancel"' not in page
    assert "cancelled" in page


def test_cancelling_needs_the_job_s_owner_or_an_admin(
    db: Session,
    session_factory: sessionmaker[Session],
    create_user: UserFactory,
    admin: User,
    client_for: ClientFactory,
) -> None:
    alice, mallory = create_user(username="alice"), create_user(username="mallory")
    job_id = _job(db, alice)
    assert jobs.claim(session_factory, "here:1") == job_id
    intruder = client_for(mallory)

    refused = intruder.post(
        f"/jobs/{job_id}/cancel", data={"csrf_token": csrf_of(intruder.get("/jobs").text)}
    )
    assert refused.status_code == 404
    assert _status(db, job_id) == (JobStatus.RUNNING, False)

    admin_client = client_for(admin)
    admin_client.post(
        f"/jobs/{job_id}/cancel", data={"csrf_token": csrf_of(admin_client.get("/jobs").text)}
    )
    assert _status(db, job_id) == (JobStatus.RUNNING, True)


def test_cancelling_needs_the_form_s_csrf_token(
    db: Session, create_user: UserFactory, client_for: ClientFactory
) -> None:
    alice = create_user(username="alice")
    job_id = _job(db, alice)

    refused = client_for(alice).post(f"/jobs/{job_id}/cancel", data={})

    assert refused.status_code == 400
    assert _status(db, job_id) == (JobStatus.QUEUED, False)
