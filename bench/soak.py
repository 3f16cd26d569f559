"""Soak: a busy day's mixed traffic against two app processes on one PostgreSQL (issue 22).

Run (not part of the test suite; the database named is wiped)::

    createdb -h 127.0.0.1 -U postgres bench_soak
    HAMKOR_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_soak \\
        .venv/bin/python bench/soak.py [--minutes 30] [--clients 64]

It empties and migrates the database, loads the demo (``hamkor demo``'s data: the programs of
October–November 2025, their patients, referrals and certificates; ``--keep-data`` soaks what
an earlier run left instead: the load takes minutes), gives the demo's registrar and
coordinator API tokens, adds ``--waiting`` waiting referrals (300) to the registrar's centre so
that bookings succeed until the sessions fill, and starts two ``hamkor serve`` processes on
two ports (one job worker thread each) and one ``hamkor worker``, each logging to its own file.
Then
``--clients`` asyncio clients (httpx, each on its own keep-alive connection, alternating
between the two servers) send for ``--minutes`` a mix of:

* **page**: the registrar's and coordinator's pages (dashboard, patients, waiting list,
  sessions, today's list, certificates), logged in through the login form once per user;
* **api**: JSON reads (``/api/v1/me``, patients, referrals, certificates);
* **book**: the registrar's ``POST /api/v1/care/appointments`` of a referral into a session of
  its specialty (refusals are answers too: a referral booked already or another centre's, a
  slot taken meanwhile);
* **check-in**: ``POST /api/v1/care/appointments/{id}/check-in`` of one booked in the soak;
* **verify**: ``GET /verify?token=`` and ``POST /api/v1/credentials/verify`` of demo certificates;
* **report**: the coordinator asks for the program's report (the form on its page), follows
  the job's progress and downloads the file.

Every client comes from 127.0.0.1, so the public routes' limit per address is raised for the
soak (``HAMKOR_PUBLIC_RATE_LIMIT``): behind a proxy each visitor has its own.

It prints the requests by kind and status, p50/p99 latency, each process's resident memory
sampled every ``--sample-seconds`` (from ``/proc``) with the mean of the first and last
windows (ten minutes each, or a third of a shorter run), the load average before and after,
and how many times the logs name a patient (their names and identifier numbers, searched in
every process's log). Goal: no 5xx but the translated 503 with ``Retry-After``, memory flat
(the last window within 10 % of the first), no patient named in the logs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select

from booking import free_port, referrals_waiting, reset
from hamkor.care.models import Patient, PatientIdentifier, Referral, ReferralStatus
from hamkor.core.db import make_engine, make_sessionmaker, transaction
from hamkor.core.demo import DEMO_PASSWORD
from hamkor.core.models import Membership, User
from hamkor.core.security import new_api_token
from hamkor.demo.loader import load_demo
from hamkor.directory.models import Institution, Specialty
from hamkor.modules import install
from hamkor.programs.models import Activity, ActivityKind, Program
from hamkor.training.credentials.models import Credential

ROOT = Path(__file__).resolve().parents[1]
HAMKOR = ROOT / ".venv" / "bin" / "hamkor"
console = Console(width=140)
#: The share of each kind of request in the mix.
MIX = {"page": 30, "api": 25, "book": 12, "check-in": 8, "verify": 20, "report": 5}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    """What the clients ask about, read from the demo once loaded."""

    program_id: int
    registrar_token: str
    coordinator_token: str
    #: (referral id, session id) pairs of the same specialty and program.
    bookable: list[tuple[int, int]]
    credentials: list[str]
    patient_words: list[str]
    #: The page session of each user, once logged in (:func:`log_in`).
    cookies: dict[str, httpx.Cookies] = field(default_factory=dict)


def seed(engine: Engine, waiting: int) -> World:
    """Tokens for the demo's registrar and coordinator, and what the clients ask about: the
    demo leaves the registrar's centre few waiting referrals, so ``waiting`` more are added,
    spread over the specialties of the program's consultation sessions."""
    with transaction(make_sessionmaker(engine)) as db:
        users = {u.username: u for u in db.scalars(select(User))}
        tokens = {
            name: new_api_token(db, user=users[name], name="soak", scopes=["read", "write"])[1]
            for name in ("registrar", "coordinator")
        }
        program = db.scalars(select(Program).where(Program.code == "KZ-UZ-2025")).one()
        activities = db.execute(
            select(Activity.id, Activity.specialty_id).where(
                Activity.program_id == program.id,
                Activity.kind == ActivityKind.CONSULTATION_SESSION,
            )
        ).all()
        # The registrar's own centre's waiting referrals: others' are refused (403).
        centre = select(Membership.institution_id).where(
            Membership.user_id == users["registrar"].id
        )
        institution = db.scalars(select(Institution).where(Institution.id.in_(centre))).one()
        specialties = sorted({specialty for _, specialty in activities if specialty is not None})
        for specialty_id in specialties:
            specialty = db.get_one(Specialty, specialty_id)
            referrals_waiting(db, waiting // len(specialties), program, specialty, institution)
        referrals = db.execute(
            select(Referral.id, Referral.specialty_id)
            .join(Patient, Patient.id == Referral.patient_id)
            .where(
                Referral.program_id == program.id,
                Referral.status == ReferralStatus.WAITING,
                Patient.institution_id.in_(centre),
            )
        ).all()
        bookable = [
            (referral, activity)
            for referral, specialty in referrals
            for activity, session_specialty in activities
            if specialty == session_specialty
        ]
        names = [name for each in db.scalars(select(Patient.names)) for name in each.values()]
        words = names + list(db.scalars(select(PatientIdentifier.value)))
        return World(
            program_id=program.id,
            registrar_token=tokens["registrar"],
            coordinator_token=tokens["coordinator"],
            bookable=bookable,
            credentials=list(db.scalars(select(Credential.token))),
            patient_words=[w for w in words if len(w) >= 6],
        )


# --- the processes --------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    rss_mib: list[float] = field(default_factory=list)

    def sample(self) -> None:
        """The resident memory now (VmRSS), in MiB; nothing once the process ended."""
        try:
            status = Path(f"/proc/{self.popen.pid}/status").read_text()
        except FileNotFoundError:
            return
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        if found:
            self.rss_mib.append(int(found.group(1)) / 1024)


def start(name: str, args: Sequence[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    popen = subprocess.Popen(
        [str(HAMKOR), *args], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    return Process(name, popen, log)


def wait_until_served(port: int, process: Process) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise SystemExit(f"{process.name} exited; see {process.log}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise SystemExit(f"{process.name} did not answer within 180 s")


# --- the clients ----------------------------------------------------------------------------


@dataclass
class Tally:
    """Every answer: its kind, status (0: none) and latency; the 5xx that were not the busy
    503 with Retry-After."""

    answers: list[tuple[str, int, float]] = field(default_factory=list)
    bad_5xx: Counter[str] = field(default_factory=Counter)
    #: Requests without an answer (a connection dropped: a keep-alive connection the server
    #: closed as the client reused it, or a server gone), by kind and error.
    unanswered: Counter[str] = field(default_factory=Counter)
    booked: list[int] = field(default_factory=list)


async def _call(
    tally: Tally, kind: str, client: httpx.AsyncClient, method: str, url: str, **kw: object
) -> httpx.Response | None:
    began = time.monotonic()
    try:
        response = await client.request(method, url, **kw)  # type: ignore[arg-type]
    except httpx.TransportError as lost:
        tally.answers.append((kind, 0, time.monotonic() - began))
        tally.unanswered[f"{kind}: {type(lost).__name__}"] += 1
        return None
    tally.answers.append((kind, response.status_code, time.monotonic() - began))
    if response.status_code >= 500 and not (
        response.status_code == 503 and "retry-after" in response.headers
    ):
        tally.bad_5xx[f"{kind} {method} {url.split('?')[0]}: {response.status_code}"] += 1
    return response


def log_in(address: str, username: str) -> httpx.Cookies:
    """The cookies of a session of ``username``, logged in through the form once: log-ins are
    throttled per address, and every client comes from one (the session serves both servers,
    which share the database)."""
    with httpx.Client(base_url=address, timeout=60) as client:
        page = client.get("/login")
        found = CSRF.search(page.text)
        assert found, "no CSRF token on the login page"
        data = {"username": username, "password": DEMO_PASSWORD, "csrf_token": found.group(1)}
        answer = client.post("/login", data=data)
        assert answer.status_code == 303, f"log-in of {username}: {answer.status_code}"
        return client.cookies


PAGES = {
    "registrar": ["/care/patients", "/care/waitlist", "/care/sessions", "/care/today"],
    "coordinator": ["/dashboard", "/certificates", "/care/waitlist", "/care/sessions"],
}


async def _report(tally: Tally, client: httpx.AsyncClient, program_id: int) -> None:
    page = await _call(tally, "report", client, "GET", f"/programs/{program_id}")
    found = CSRF.search(page.text) if page is not None else None
    if found is None:
        return
    data = {"format": "xlsx", "lang": "ru", "csrf_token": found.group(1)}
    asked = await _call(
        tally, "report", client, "POST", f"/programs/{program_id}/report", data=data
    )
    if asked is None or asked.status_code != 303:
        return
    job = asked.headers["location"]
    for _ in range(120):
        panel = await _call(tally, "report", client, "GET", f"{job}/progress")
        if panel is None or f"{job}/file" in panel.text:
            break
        await asyncio.sleep(0.5)
    await _call(tally, "report", client, "GET", f"{job}/file")


async def client_loop(
    number: int, address: str, world: World, tally: Tally, until: float, seed: int
) -> None:
    draw = random.Random(seed)
    user = "registrar" if number % 2 else "coordinator"
    token = world.registrar_token if user == "registrar" else world.coordinator_token
    api = {"authorization": f"Bearer {token}", "accept-language": "ru"}
    page_headers = {"accept-language": "uz"}
    cookies = world.cookies[user]
    async with (
        httpx.AsyncClient(
            base_url=address, timeout=60, headers=page_headers, cookies=cookies
        ) as web,
        httpx.AsyncClient(base_url=address, timeout=60, headers=api) as rest,
    ):
        kinds, weights = zip(*MIX.items(), strict=True)
        while time.monotonic() < until:
            kind = draw.choices(kinds, weights)[0]
            if kind == "page":
                await _call(tally, kind, web, "GET", draw.choice(PAGES[user]))
            elif kind == "api":
                path = draw.choice(
                    ["/api/v1/me", "/api/v1/care/referrals", "/api/v1/care/patients"]
                    if user == "registrar"
                    else ["/api/v1/me", "/api/v1/credentials", "/api/v1/care/referrals"]
                )
                await _call(tally, kind, rest, "GET", path)
            elif kind == "book" and user == "registrar":
                referral, session = draw.choice(world.bookable)
                body = {"referral_id": referral, "activity_id": session}
                answer = await _call(
                    tally, kind, rest, "POST", "/api/v1/care/appointments", json=body
                )
                if answer is not None and answer.status_code == 201:
                    tally.booked.append(answer.json()["id"])
            elif kind == "check-in" and user == "registrar" and tally.booked:
                appointment = tally.booked.pop(draw.randrange(len(tally.booked)))
                url = f"/api/v1/care/appointments/{appointment}/check-in"
                await _call(tally, kind, rest, "POST", url)
            elif kind == "verify" and world.credentials:
                token_ = draw.choice(world.credentials)
                if draw.random() < 0.5:
                    await _call(tally, kind, web, "GET", "/verify", params={"token": token_})
                else:
                    verify = {"credential": token_}
                    await _call(
                        tally, kind, rest, "POST", "/api/v1/credentials/verify", json=verify
                    )
            elif kind == "report" and user == "coordinator":
                await _report(tally, web, world.program_id)


async def load(addresses: Sequence[str], world: World, clients: int, seconds: float) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    await asyncio.gather(
        *(
            client_loop(n, addresses[n % len(addresses)], world, tally, until, seed=n)
            for n in range(clients)
        )
    )
    return tally


async def sample_memory(processes: Sequence[Process], every: float, until: float) -> None:
    while time.monotonic() < until:
        for process in processes:
            process.sample()
        await asyncio.sleep(every)


# --- the report -----------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def print_answers(tally: Tally, seconds: float) -> None:
    table = Table(title=f"Requests in {seconds / 60:.1f} min")
    for column in ("kind", "requests", "by status", "p50 ms", "p99 ms"):
        table.add_column(column)
    by_kind: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for kind, status, latency in tally.answers:
        by_kind[kind].append((status, latency))
    for kind, rows in [*sorted(by_kind.items()), ("all", [(s, t) for _, s, t in tally.answers])]:
        statuses = Counter(status for status, _ in rows)
        latencies = [latency for _, latency in rows]
        table.add_row(
            kind,
            str(len(rows)),
            " ".join(f"{status}:{n}" for status, n in sorted(statuses.items())),
            f"{1000 * percentile(latencies, 0.5):.0f}",
            f"{1000 * percentile(latencies, 0.99):.0f}",
        )
    console.print(table)
    console.print(f"{len(tally.answers) / seconds:.1f} requests/s")
    console.print(f"5xx other than the busy 503 with Retry-After: {dict(tally.bad_5xx) or 'none'}")
    console.print(f"no answer: {dict(tally.unanswered) or 'none'}")


def print_memory(processes: Sequence[Process], every: float, seconds: float) -> None:
    window = max(1, int(min(600.0, seconds / 3) / every))
    table = Table(title=f"Resident memory (MiB), sampled every {every:.0f} s")
    for column in ("process", "samples", "first window", "last window", "change", "max"):
        table.add_column(column)
    for process in processes:
        samples = process.rss_mib
        if not samples:
            continue
        first = statistics.mean(samples[:window])
        last = statistics.mean(samples[-window:])
        table.add_row(
            process.name,
            str(len(samples)),
            f"{first:.0f}",
            f"{last:.0f}",
            f"{100 * (last - first) / first:+.1f} %",
            f"{max(samples):.0f}",
        )
    console.print(table)
    console.print(f"(windows of {window * every / 60:.1f} min)")


def patients_in_logs(processes: Sequence[Process], words: Sequence[str]) -> int:
    """How many times any log names a patient (a name or an identifier number)."""
    found = 0
    for process in processes:
        text = process.log.read_text(encoding="utf-8", errors="replace")
        found += sum(text.count(word) for word in words)
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--sample-seconds", type=float, default=10)
    parser.add_argument("--database-url", default=os.environ.get("HAMKOR_DATABASE_URL"))
    parser.add_argument(
        "--keep-data", action="store_true", help="soak the demo a run before loaded again"
    )
    parser.add_argument(
        "--waiting", type=int, default=300, help="waiting referrals added for the registrar"
    )
    options = parser.parse_args(argv)
    url = options.database_url
    if not url or not url.startswith("postgresql"):
        raise SystemExit(
            "give a PostgreSQL database to wipe: --database-url or HAMKOR_DATABASE_URL"
        )
    install()
    engine = make_engine(url)
    console.print(f"load average before: {os.getloadavg()}")
    started = time.monotonic()
    if not options.keep_data:
        reset(engine)
        with transaction(make_sessionmaker(engine)) as db:
            load_demo(db)
    world = seed(engine, options.waiting)
    console.print(
        f"data ready in {time.monotonic() - started:.0f} s: {len(world.bookable)} bookable "
        f"pairs, {len(world.credentials)} certificates, {len(world.patient_words)} patient words"
    )
    logs = Path(tempfile.mkdtemp(prefix="hamkor-soak-"))
    env = os.environ | {
        "HAMKOR_DATABASE_URL": url,
        "HAMKOR_VAR_DIR": str(logs),
        "HAMKOR_JOB_WORKERS": "1",
        "HAMKOR_PUBLIC_RATE_LIMIT": "1000000",
    }
    ports = [free_port(), free_port()]
    processes = [
        start(f"serve-{port}", ["serve", "--port", str(port)], env, logs) for port in ports
    ]
    processes.append(start("worker", ["worker", "--threads", "1"], env, logs))
    try:
        for port, process in zip(ports, processes, strict=False):
            wait_until_served(port, process)
        seconds = options.minutes * 60
        addresses = [f"http://127.0.0.1:{port}" for port in ports]
        world.cookies = {user: log_in(addresses[0], user) for user in ("registrar", "coordinator")}

        async def soak() -> Tally:
            until = time.monotonic() + seconds
            sampling = asyncio.ensure_future(
                sample_memory(processes, options.sample_seconds, until)
            )
            tally = await load(addresses, world, options.clients, seconds)
            await sampling
            return tally

        tally = asyncio.run(soak())
    finally:
        for process in processes:
            process.popen.terminate()
        for process in processes:
            process.popen.wait(timeout=60)
    print_answers(tally, seconds)
    print_memory(processes, options.sample_seconds, seconds)
    named = patients_in_logs(processes, world.patient_words)
    console.print(f"patients named in the logs ({logs}): {named}")
    console.print(f"load average after: {os.getloadavg()}")
    if tally.bad_5xx or named:
        sys.exit(1)


if __name__ == "__main__":
    main()
