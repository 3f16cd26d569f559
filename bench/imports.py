"""Benchmark of imports: the hostile and large files of issue 15, posted to a served app.

Run (not part of the test suite)::

    .venv/bin/python bench/imports.py [--rows 20000] [--csv-mb 50] [--bundle-mb 8] \\
        [--only bomb csv rows fhir] [--database-url postgresql://...] [--memory-cap-gb 8]

It migrates a fresh SQLite database in a temporary directory (or wipes and migrates the
PostgreSQL database given: it is the benchmark's), seeds what a referral import names
(countries, a city, an institution, six specialties, a program) and a registrar, and then, for
each file, starts ``hamkor serve`` afresh (one process, one job worker) so that the server's
peak resident memory (``VmHWM``) is that file's alone, logs in as the registrar and posts:

* **bomb**: a 1.5 KB XLSX whose sheet declares ``<dimension ref="A1:XFD1048576"/>`` and holds
  a header, a referral on row 2 and one on row 1,048,576, to ``/care/import``;
* **csv**: a CSV of referrals of ``--csv-mb`` MB (every row naming an unknown program, so that
  code which reads it whole refuses it after reading, and writes nothing), to ``/care/import``;
* **rows**: a valid CSV of ``--rows`` referrals (one new patient each, a passport number), to
  ``/care/import``, and waits until they are written: by the request, or by the import job whose
  page it polls;
* **fhir**: a valid transaction Bundle of about ``--bundle-mb`` MB (a Patient and a
  ServiceRequest per referral), to ``/fhir``.

It prints, per file: the answer's status, the seconds until the answer and until the rows are
written, the referrals in the database afterwards, the server's peak resident memory while it
handled the file (``VmHWM``, reset through ``/proc/<pid>/clear_refs`` once the server has
started and the registrar has logged in: start-up alone peaks above what a small file costs)
and its resident memory then, and the load average before and after. The same script measures
any version of the code: it runs the ``hamkor`` of the Python that runs it, so run it with
another checkout's ``.venv/bin/python`` to measure that one. The server runs under an
address-space limit (``--memory-cap-gb``), so that code which pads a sheet to its declared size
fails with a MemoryError instead of taking the machine's memory.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx2 as httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select, text

from hamkor.care.fhir.terms import ICD10, code_system, sid
from hamkor.care.models import Referral
from hamkor.core import migrate
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.models import Membership, Role
from hamkor.core.users import create_user
from hamkor.directory.models import City, Country, Institution, InstitutionKind, Specialty
from hamkor.programs.models import Program, ProgramKind

console = Console(width=140)
PASSWORD = "bench-imports-password"
PROGRAM = "BENCH-2025"
FIRST_DAY = date(2025, 10, 13)
SPECIALTIES = {
    "spine_surgery": "M51.1",
    "traumatology_orthopaedics": "M17.1",
    "paediatric_oncology": "C91.0",
    "cardiology": "I25.1",
    "neurosurgery": "G40.9",
    "urology": "N20.0",
}
HEADER = [
    "names.uz",
    "names.ru",
    "birth_date",
    "sex",
    "identifier_kind",
    "identifier",
    "identifier_issuer",
    "languages",
    "home_city",
    "institution",
    "consents",
    "program",
    "specialty",
    "icd10",
    "reason",
    "priority",
    "referring_institution",
    "cities",
]


# --- the files ------------------------------------------------------------------------------


def referral_rows(count: int, program: str, seed: int = 7) -> Iterator[list[str]]:
    """Valid referral rows, each of its own patient (a Kazakh passport ``N`` + 8 digits)."""
    draw = random.Random(seed)
    specialties = list(SPECIALTIES.items())
    for number in range(count):
        specialty, icd10 = specialties[draw.randrange(len(specialties))]
        born = FIRST_DAY - timedelta(days=draw.randrange(365 * 5, 365 * 80))
        yield [
            f"Bench Patient {number}",
            f"Пациент Бенч {number}",
            born.isoformat(),
            draw.choice(["male", "female"]),
            "passport",
            f"N{number:08d}",
            "KZ",
            "uz;ru",
            "TAS",
            "VAKHIDOV",
            "treatment",
            program,
            specialty,
            icd10,
            "Referred for a consultation at the visit",
            str(draw.randint(1, 5)),
            "VAKHIDOV",
            "TAS",
        ]


def referral_csv(path: Path, rows: int, program: str = PROGRAM) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(referral_rows(rows, program))
    return path


def csv_of_size(path: Path, megabytes: int) -> Path:
    """A CSV of referrals of about ``megabytes`` MB, every row naming an unknown program."""
    row = io.StringIO()
    csv.writer(row).writerow(next(referral_rows(1, "NO-SUCH-PROGRAM")))
    rows = megabytes * 1024 * 1024 // len(row.getvalue().encode()) + 1
    return referral_csv(path, rows, "NO-SUCH-PROGRAM")


_SHEET_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def dimension_bomb(path: Path) -> Path:
    """The XLSX of issue 15, by hand: two referrals in a sheet declaring every cell there is."""
    first, last = referral_rows(2, PROGRAM, seed=11)
    rows = {1: HEADER, 2: first, 1_048_576: last}  # the last row of a worksheet
    body = "".join(
        f'<row r="{number}">'
        + "".join(
            f'<c r="{chr(65 + column)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
            for column, value in enumerate(values)
        )
        + "</row>"
        for number, values in rows.items()
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:XFD1048576"/><sheetData>{body}</sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in _SHEET_PARTS.items():
            archive.writestr(name, part)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def bundle_of_size(path: Path, megabytes: int) -> Path:
    """A transaction Bundle of about ``megabytes`` MB: a Patient and a ServiceRequest each."""
    draw = random.Random(3)
    entries = []
    size, number = 0, 0
    while size < megabytes * 1024 * 1024:
        patient_url = f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
        specialty, icd10 = list(SPECIALTIES.items())[number % len(SPECIALTIES)]
        pair = [
            {
                "fullUrl": patient_url,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [
                        {
                            "system": "http://hl7.org/fhir/sid/passport-KAZ",
                            "value": f"N{50_000_000 + number:08d}",
                        }
                    ],
                    "name": [{"family": f"Fhir{number}", "given": ["Bench", "Patient"]}],
                    "gender": draw.choice(["male", "female"]),
                    "birthDate": (
                        date(1950, 1, 1) + timedelta(days=draw.randrange(25_000))
                    ).isoformat(),
                    "telecom": [{"system": "phone", "value": "+998 71 123 45 67"}],
                    "managingOrganization": {
                        "identifier": {"system": sid("institution"), "value": "VAKHIDOV"}
                    },
                },
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": f"urn:uuid:10000000-0000-4000-8000-{number:012d}",
                "resource": {
                    "resourceType": "ServiceRequest",
                    "status": "active",
                    "intent": "order",
                    "priority": "urgent",
                    "subject": {"reference": patient_url},
                    "requester": {
                        "identifier": {"system": sid("institution"), "value": "VAKHIDOV"}
                    },
                    "performerType": {
                        "coding": [{"system": code_system("specialty"), "code": specialty}]
                    },
                    "reasonCode": [
                        {
                            "coding": [{"system": ICD10, "code": icd10}],
                            "text": "Referred for a consultation at the visit",
                        }
                    ],
                    "occurrenceTiming": {"event": [FIRST_DAY.isoformat()]},
                },
                "request": {"method": "POST", "url": "ServiceRequest"},
            },
        ]
        entries += pair
        size += len(json.dumps(pair))
        number += 1
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


# --- the database and the server ------------------------------------------------------------


def prepare(url: str) -> Engine:
    """The benchmark's database, empty at the latest schema, with what the files name."""
    engine = make_engine(url)
    if url.startswith("postgresql"):
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    with engine.begin() as connection:
        migrate.upgrade(connection)
    with transaction(make_sessionmaker(engine)) as db:
        uz = Country(code="UZ", names={"en": "Uzbekistan"})
        kz = Country(code="KZ", names={"en": "Kazakhstan"})
        tashkent = City(
            code="TAS",
            country=uz,
            names={"en": "Tashkent"},
            latitude=41.3,
            longitude=69.2,
            timezone="Asia/Tashkent",
        )
        vakhidov = Institution(
            code="VAKHIDOV",
            kind=InstitutionKind.RESEARCH_CENTRE,
            country=uz,
            city=tashkent,
            names={"en": "Vakhidov Centre"},
        )
        program = Program(
            code=PROGRAM,
            kind=ProgramKind.MEDICAL_DAYS,
            names={"en": "Bench days"},
            guest_country=kz,
            host_country=uz,
            starts_on=FIRST_DAY,
            ends_on=FIRST_DAY + timedelta(days=30),
        )
        specialties = [Specialty(code=code, names={"en": code}) for code in SPECIALTIES]
        db.add_all([uz, kz, tashkent, vakhidov, program, *specialties])
        db.flush()
        registrar = create_user(
            db, username="registrar", password=PASSWORD, display_name="Registrar"
        )
        db.add(Membership(user=registrar, role=Role.REGISTRAR, institution_id=vakhidov.id))
    return engine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cap(gigabytes: float) -> None:
    limit = int(gigabytes * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str

    def reset_peak(self) -> None:
        """Start the peak resident memory afresh: start-up (the imports of every module) peaks
        above what a small file costs, and would hide it."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def memory_kib(self, field: str) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        found = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) if found else 0

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def serve(url: str, var_dir: Path, memory_cap_gb: float) -> Server:
    """``hamkor serve`` of this Python's checkout on the database, once it answers."""
    port = free_port()
    env = {
        **os.environ,
        "HAMKOR_DATABASE_URL": url,
        "HAMKOR_VAR_DIR": str(var_dir),
        "HAMKOR_SECRET_KEY": "bench-imports-secret",
        "HAMKOR_JOB_WORKERS": "1",
        "HAMKOR_DEFAULT_LANGUAGE": "en",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "hamkor"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: _cap(memory_cap_gb),
    )
    server = Server(process, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"hamkor serve exited with {process.returncode}")
        try:
            if httpx.get(f"{server.base}/login", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.3)
    server.stop()
    raise SystemExit("hamkor serve did not answer within 180 s")


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def logged_in(server: Server) -> httpx.Client:
    client = httpx.Client(base_url=server.base, timeout=None, headers={"accept-language": "en"})
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "registrar", "password": PASSWORD, "csrf_token": csrf(page)},
    )
    assert response.status_code in (200, 303), response.status_code
    return client


# --- the measures ---------------------------------------------------------------------------


@dataclass
class Measure:
    name: str
    size: int
    status: str = ""
    answer_seconds: float = 0.0
    done_seconds: float | None = None
    referrals: int = 0
    peak_mib: float = 0.0
    before_mib: float = 0.0
    load: str = ""
    note: str = ""


def _referrals(engine: Engine) -> int:
    with make_sessionmaker(engine)() as db:
        return db.scalar(select(func.count()).select_from(Referral)) or 0


def _summary(text: str) -> str:
    """What a page says of the import: its notice or the first error shown."""
    for pattern in (
        r'<div class="notice" role="status">\s*<p>(.*?)</p>',
        r'<div class="alert" role="alert">\s*<p>(.*?)</p>',
        r'<p class="error" id="e-file">(.*?)</p>',
        r"<li><code>file</code>: (.*?)</li>",
        r'"diagnostics":\s*"(.*?)"',
        r"<h1>(.*?)</h1>",
    ):
        found = re.search(pattern, text, re.DOTALL)
        if found:
            return re.sub(r"\s+", " ", found.group(1))[:110]
    return text[:110]


def _wait_for_job(client: httpx.Client, location: str) -> str:
    """Poll an import job's page until it has ended; what it says then. On SQLite the job holds
    the one write lock while it writes, and a page that must write meanwhile (its session's
    renewal) is answered 503: the page's own poll waits and asks again, and so does this."""
    while True:
        page = client.get(location)
        if page.status_code != 503 and "hx-get" not in page.text:
            return _summary(page.text)
        time.sleep(1)


def _wait_for_bundle(client: httpx.Client, location: str, token: str) -> str:
    """Poll the status address of a Bundle posted with ``Prefer: respond-async`` until it
    has ended; the status of its answer."""
    while True:
        status = client.get(location, headers={"x-csrf-token": token})
        if status.status_code != 202:
            entry = status.json()["entry"][0]
            return f"{entry['response']['status']}: {_summary(status.text)}"
        time.sleep(1)


def measure(
    name: str,
    file: Path,
    engine: Engine,
    url: str,
    var_dir: Path,
    cap: float,
) -> Measure:
    server = serve(url, var_dir, cap)
    try:
        client = logged_in(server)
        result = Measure(name, file.stat().st_size)
        load = os.getloadavg()[0]
        if name == "fhir":
            token = csrf(client.get("/care/import"))
            result.before_mib = server.memory_kib("VmRSS") / 1024
            server.reset_peak()
            start = time.perf_counter()
            with file.open("rb") as body:
                response = client.post(
                    f"/fhir?program={PROGRAM}",
                    content=body,
                    headers={
                        "content-type": "application/fhir+json",
                        "prefer": "respond-async",
                        "x-csrf-token": token,
                        "content-length": str(result.size),
                    },
                )
        else:
            token = csrf(client.get("/care/import"))
            result.before_mib = server.memory_kib("VmRSS") / 1024
            server.reset_peak()
            start = time.perf_counter()
            with file.open("rb") as upload:
                response = client.post(
                    "/care/import",
                    data={"csrf_token": token},
                    files={"file": (file.name, upload, "application/octet-stream")},
                    follow_redirects=False,
                )
        result.answer_seconds = time.perf_counter() - start
        result.status = str(response.status_code)
        result.note = _summary(response.text)
        if response.status_code == 303:
            result.note = _wait_for_job(client, response.headers["location"])
            result.status += " → job"
        if response.status_code == 202:
            result.note = _wait_for_bundle(client, response.headers["content-location"], token)
            result.status += " → job"
        result.done_seconds = time.perf_counter() - start
        result.peak_mib = server.memory_kib("VmHWM") / 1024
        result.referrals = _referrals(engine)
        result.load = f"{load:.1f} → {os.getloadavg()[0]:.1f}"
        return result
    except httpx.TransportError as error:
        return Measure(name, file.stat().st_size, status=type(error).__name__)
    finally:
        server.stop()


def table(results: list[Measure], title: str) -> Table:
    shown = Table(title=title)
    for column in (
        "file",
        "MB",
        "status",
        "answer s",
        "done s",
        "referrals",
        "peak RSS MiB",
        "RSS before MiB",
        "load",
        "what it said",
    ):
        shown.add_column(column, justify="left" if column in ("file", "what it said") else "right")
    for found in results:
        shown.add_row(
            found.name,
            f"{found.size / 1024 / 1024:.3f}",
            found.status,
            f"{found.answer_seconds:.1f}",
            "" if found.done_seconds is None else f"{found.done_seconds:.1f}",
            str(found.referrals),
            f"{found.peak_mib:.0f}",
            f"{found.before_mib:.0f}",
            found.load,
            found.note,
        )
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--csv-mb", type=int, default=50)
    parser.add_argument("--bundle-mb", type=int, default=8)
    parser.add_argument("--only", nargs="*", default=["bomb", "csv", "rows", "fhir"])
    parser.add_argument("--database-url", default=None, help="PostgreSQL (wiped); else SQLite")
    parser.add_argument("--memory-cap-gb", type=float, default=8.0)
    args = parser.parse_args()
    checkout = Path(sys.executable).parents[2]
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as scratch:
        work = Path(scratch)
        files = {
            "bomb": lambda: dimension_bomb(work / "bomb.xlsx"),
            "csv": lambda: csv_of_size(work / "large.csv", args.csv_mb),
            "rows": lambda: referral_csv(work / "referrals.csv", args.rows),
            "fhir": lambda: bundle_of_size(work / "bundle.json", args.bundle_mb),
        }
        results = []
        for name in args.only:
            url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
            if not args.database_url:
                for leftover in work.glob("bench.sqlite3*"):
                    leftover.unlink()
            engine = prepare(url)
            file = files[name]()
            console.print(f"{name}: {file.stat().st_size:,} bytes, posting…")
            results.append(measure(name, file, engine, url, work, args.memory_cap_gb))
            engine.dispose()
            console.print(table(results[-1:], name))
        backend = "PostgreSQL" if args.database_url else "SQLite"
        console.print(table(results, f"Imports of {checkout} on {backend}"))


if __name__ == "__main__":
    main()
