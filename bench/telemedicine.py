"""Benchmark of telemedicine: a centre's case list at 10,000 cases, and the memory an upload
of a large DICOM series takes (issue 18).

Run (not part of the test suite)::

    .venv/bin/python bench/telemedicine.py [--cases 10000] [--series-mb 200]

The database is a fresh SQLite file in a temporary directory unless ``HAMKOR_DATABASE_URL``
names one (a PostgreSQL database named there is wiped).

* **List**: the cases are inserted in bulk (waiting ones with deadlines, answered, closed); the
  centre's coordinator opens ``/telemedicine?centre=`` at pages 1, 50 and the last through the
  app, and the statements each page sends are counted: they must not grow with the page or
  the number of cases.
* **Upload**: a series of 512×512 16-bit instances of noise (incompressible, like real CT data)
  is written to a ZIP of about ``--series-mb`` MB (stored, not deflated), then handed to
  ``attachments.add_files`` as an upload is: every instance stored, de-identified, read back.
  The peak resident memory of the process above what it held before the upload (Linux's
  ``VmHWM``, reset through ``/proc/self/clear_refs``) is printed; the issue asks for less than
  100 MB however large the series.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, CTImageStorage, ExplicitVRLittleEndian, generate_uid
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event, insert, select, text
from sqlalchemy.orm import Session

from hamkor.app import create_app
from hamkor.core import migrate
from hamkor.core.access import Actor
from hamkor.core.db import make_engine, make_sessionmaker
from hamkor.core.models import Membership, Role
from hamkor.core.storage import storage_for
from hamkor.core.users import create_user
from hamkor.directory.models import City, Institution, InstitutionKind, Specialty
from hamkor.directory.service import ensure_country
from hamkor.settings import Settings
from hamkor.telemedicine import attachments, service
from hamkor.telemedicine.models import CaseStatus, TeleCase, Urgency
from hamkor.telemedicine.schemas import CaseCreate

console = Console()
PASSWORD = "bench-telemedicine-1"
NOW = datetime(2025, 11, 1, 9, 0, tzinfo=UTC)


def _engine(var_dir: Path) -> Engine:
    url = os.environ.get("HAMKOR_DATABASE_URL") or f"sqlite:///{var_dir / 'bench.sqlite3'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    with engine.begin() as connection:
        migrate.upgrade(connection)
    return engine


def _seed(db: Session, cases: int) -> dict[str, Any]:
    kz, uz = ensure_country(db, "KZ"), ensure_country(db, "UZ")
    tashkent = City(code="TAS", country_id=uz.id, names={"en": "Tashkent"},
                    latitude=41.3, longitude=69.2, timezone="Asia/Tashkent")  # fmt: skip
    almaty = City(code="ALA", country_id=kz.id, names={"en": "Almaty"},
                  latitude=43.2, longitude=76.9, timezone="Asia/Almaty")  # fmt: skip
    specialty = Specialty(code="paediatric_oncology", names={"en": "Paediatric oncology"})
    db.add_all([tashkent, almaty, specialty])
    db.flush()
    asking = Institution(code="NCMC", kind=InstitutionKind.HOSPITAL, country_id=uz.id,
                         city_id=tashkent.id, names={"en": "Children's centre"})  # fmt: skip
    centre = Institution(code="SCPPS", kind=InstitutionKind.RESEARCH_CENTRE, country_id=kz.id,
                         city_id=almaty.id, names={"en": "Paediatric centre"})  # fmt: skip
    db.add_all([asking, centre])
    db.flush()
    coordinator = create_user(db, username="coord", password=PASSWORD, display_name="C")
    asker = create_user(db, username="asker", password=PASSWORD, display_name="A")
    db.add(
        Membership(user=coordinator, role=Role.INSTITUTION_COORDINATOR, institution_id=centre.id)
    )
    db.add(Membership(user=asker, role=Role.SPECIALIST, institution_id=asking.id))
    db.flush()
    statuses = [CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, CaseStatus.ANSWERED, CaseStatus.CLOSED]
    db.execute(
        insert(TeleCase),
        [
            {
                "asking_institution_id": asking.id,
                "asked_by_id": asker.id,
                "centre_id": centre.id,
                "specialty_id": specialty.id,
                "urgency": Urgency.URGENT if n % 5 == 0 else Urgency.ROUTINE,
                "question": f"Question {n}",
                "clinical_summary": "Summary",
                "icd10": ["C91.0"],
                "status": statuses[n % 4],
                "assignee_id": coordinator.id if n % 4 else None,
                "submitted_at": NOW - timedelta(minutes=n),
                "due_at": NOW + timedelta(hours=72) - timedelta(minutes=n),
                "deid_seed": f"{n:064x}",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(cases)
        ],
    )
    db.commit()
    return {"centre": centre.id, "asking": asking.id, "specialty": specialty.id, "asker": asker}


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def bench_list(engine: Engine, var_dir: Path, cases: int, ids: dict[str, Any]) -> Table:
    settings = Settings(
        var_dir=var_dir, secret_key="bench", database_url=str(engine.url), job_workers=0
    )
    table = Table("page", "cases shown", "statements", "ms (median of 5)")
    with TestClient(create_app(settings, make_sessionmaker(engine))) as client:
        login = client.get("/login").text
        token = login.split('name="csrf_token" value="')[1].split('"')[0]
        client.post("/login", data={"username": "coord", "password": PASSWORD, "csrf_token": token})
        last = (cases + settings.page_size - 1) // settings.page_size
        for page in (1, 50, last):
            url = f"/telemedicine?centre={ids['centre']}&page={page}"
            times = []
            for _ in range(5):
                with _counting(engine) as statements:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text[:500]
            shown = len(re.findall(r'href="/telemedicine/\d+"', response.text))
            table.add_row(
                str(page), str(shown), str(len(statements)), f"{statistics.median(times):.0f}"
            )
    return table


def _instance(study: str, series: str, rng: np.random.Generator) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    sop = generate_uid()
    meta.MediaStorageSOPInstanceUID = UID(sop)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "BENCH^PATIENT", "BENCH-1", "20100101"
    ds.StudyDate, ds.Modality = "20251101", "CT"
    ds.Rows = ds.Columns = 512
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = rng.integers(0, 4096, size=(512, 512), dtype=np.uint16).tobytes()
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _series_zip(path: Path, megabytes: int) -> int:
    rng = np.random.default_rng(18)
    study, series = generate_uid(), generate_uid()
    count = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        while path.stat().st_size < megabytes * 2**20:
            archive.writestr(f"series/ct-{count:04d}.dcm", _instance(study, series, rng))
            count += 1
    return count


def _peak_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def bench_upload(engine: Engine, var_dir: Path, megabytes: int, ids: dict[str, Any]) -> Table:
    path = var_dir / "series.zip"
    instances = _series_zip(path, megabytes)
    settings = Settings(
        var_dir=var_dir, secret_key="bench", database_url=str(engine.url), job_workers=0
    )
    store = storage_for(settings)
    with make_sessionmaker(engine)() as db:
        user = db.merge(ids["asker"])
        actor = Actor.of(user)
        case = service.create_case(
            db=db,
            actor=actor,
            data=CaseCreate(
                asking_institution_id=ids["asking"],
                centre_id=ids["centre"],
                specialty_id=ids["specialty"],
                question="Bench",
                clinical_summary="Bench",
            ),
            now=NOW,
        )
        db.commit()
        Path("/proc/self/clear_refs").write_text("5")
        idle = _rss_kib()
        started = time.perf_counter()
        with path.open("rb") as stream:
            rows = attachments.add_files(
                db=db,
                actor=actor,
                case=case,
                uploads=[attachments.Upload("series.zip", stream)],
                store=store,
                max_bytes=(megabytes + 50) * 2**20,
            )
        db.commit()
        seconds = time.perf_counter() - started
        peak = _peak_kib()
        shared = db.scalars(
            select(text("count(distinct study_uid)")).select_from(text("telemedicine_files"))
        ).one()
    table = Table("series", "instances", "files kept", "seconds", "peak above idle (MB)")
    table.add_row(
        f"{path.stat().st_size / 2**20:.0f} MB",
        str(instances),
        str(len(rows)),
        f"{seconds:.1f}",
        f"{(peak - idle) / 1024:.0f}",
    )
    console.print(f"distinct study UIDs kept (original and remapped): {shared}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--series-mb", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tele-") as tmp:
        var_dir = Path(tmp)
        engine = _engine(var_dir)
        with make_sessionmaker(engine)() as db:
            ids = _seed(db, args.cases)
        console.print(bench_list(engine, var_dir, args.cases, ids))
        console.print(bench_upload(engine, var_dir, args.series_mb, ids))
        engine.dispose()


if __name__ == "__main__":
    main()
