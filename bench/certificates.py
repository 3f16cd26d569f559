"""Benchmark of certificates: issuing and verifying against OpenSSL, PDFs against bare ReportLab.

Run: ``.venv/bin/python bench/certificates.py [--count 2000] [--pdfs 200] [--seconds 3]``
(not part of the test suite). It measures, in this one process (one core):

- issuing: building, signing (EdDSA) and encoding N distinct Open Badges credentials;
- verifying: the full verification of each of the N (format, issuer key, signature, OB 3.0 JSON
  Schema, dates, status list; the status list is fetched and its signature checked once per
  verifier, as in a request), as verifications per second per core, against the verify/s of
  ``openssl speed -seconds S ed25519`` run in the same run on the same machine (one process,
  so one core), and their ratio: the issue's goal is at least 0.5;
- the JWS verification alone (``jose.verify`` of a token: joserfc reading it, checking the
  signature, orjson reading the payload), per second per core, against the same openssl rate;
- the time of each step of a verification in µs, each measured alone over the same N tokens,
  and the bare Ed25519 verify of ``cryptography`` (what joserfc calls) for reference;
- PDF certificates per second and peak memory (tracemalloc) against a minimal ReportLab canvas
  script that draws the same strings and QR code at fixed places (no wrapping, no translation).

Every rate is per second of CPU time of this process, as ``openssl speed`` counts (its user
time): on a shared machine, the time spent waiting for a core belongs to the others. The full
verification runs over the N credentials again and again for as long as openssl runs, and its
rate is the average over all of it; the other rates are the best of three runs. The load average
is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.training.credentials.issuing import HOLDER, MemoryIssuer

from hamkor.training.credentials import jose, pdf
from hamkor.training.credentials.keys import b64url_decode
from hamkor.training.credentials.standards import schema_errors
from hamkor.training.credentials.verify import Verifier

console = Console(width=132)


GOAL = 0.5  # verifications per core against openssl's Ed25519 verifies per core


def openssl_verifies_per_second(seconds: int) -> float:
    """Ed25519 verifications per second of ``openssl speed`` (one process, so one core), read
    from the last column of its ``253 bits EdDSA (Ed25519)`` line (sign, verify, sign/s,
    verify/s)."""
    output = subprocess.run(
        ["openssl", "speed", "-seconds", str(seconds), "ed25519"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", output)
    if found is None:
        raise RuntimeError(f"cannot read openssl's figures:\n{output}")
    return float(found.group(2))


def rate(count: int, work: Callable[[], object], rounds: int = 3) -> tuple[float, float]:
    """Operations per second and the CPU seconds ``work`` took for ``count`` operations: the
    best of ``rounds`` runs. CPU time, as ``openssl speed`` divides by (its user time, unless
    ``-elapsed``): on a shared machine, waiting for a core is not the code's time."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return count / best, best


def sustained_rate(count: int, work: Callable[[], object], seconds: float) -> tuple[float, float]:
    """Operations per CPU second of ``work`` (``count`` operations) repeated for ``seconds``:
    a long average like ``openssl speed``'s own, not a best run."""
    done, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        work()
        done += count
    spent = time.process_time() - start
    return done / spent, spent


def _message_and_signature(token: str) -> tuple[bytes, bytes]:
    """What EdDSA signs in a JWS (header.payload) and the signature, for the bare library call."""
    head, payload, signature = token.rsplit(".", 2)
    return f"{head}.{payload}".encode(), b64url_decode(signature)


def peak_kib(work: Callable[[], object]) -> float:
    """The peak of Python allocations while ``work`` runs, in KiB (a separate, slower run)."""
    tracemalloc.start()
    work()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def verification_steps(issuer: MemoryIssuer, tokens: list[str]) -> dict[str, float]:
    """µs per credential of each step of a verification, each timed alone over all tokens."""
    count = len(tokens)
    key = issuer.key(issuer.active_kid)
    assert key is not None
    signed = [jose.parse(t) for t in tokens]
    documents = [jose.verify(s, key) for s in signed]
    steps = {
        "read the token (jose.parse: joserfc extract_compact, header checks)": lambda: [
            jose.parse(t) for t in tokens
        ],
        "signature and payload (jose.verify: joserfc validate_compact, orjson)": lambda: [
            jose.verify(s, key) for s in signed
        ],
        "OB 3.0 JSON Schema (jsonschema-rs)": lambda: [schema_errors(d) for d in documents],
    }
    return {name: 1e6 / rate(count, work)[0] for name, work in steps.items()}


def jws_verifies(issuer: MemoryIssuer, tokens: list[str]) -> dict[str, float]:
    """Verifications per second of the JWS alone (``jose.verify`` of each token, read from its
    text) and of the bare Ed25519 call under it, on the same tokens."""
    key = issuer.key(issuer.active_kid)
    assert key is not None
    signed = [_message_and_signature(t) for t in tokens]
    public = issuer.keys[issuer.active_kid].public_key()
    return {
        "JWS alone: jose.verify (joserfc, orjson)": rate(
            len(tokens), lambda: [jose.verify(t, key) for t in tokens]
        )[0],
        "Ed25519 verify alone (cryptography)": rate(
            len(tokens), lambda: [public.verify(sig, msg) for msg, sig in signed]
        )[0],
    }


def steps_table(steps: dict[str, float], verify_rate: float, openssl: float) -> Table:
    """Where the µs of one verification go, against the budget that the goal leaves."""
    table = Table(title="One verification, step by step (µs per credential)")
    table.add_column("step")
    table.add_column("µs", justify="right")
    total = 1e6 / verify_rate
    for name, micros in steps.items():
        table.add_row(name, f"{micros:.1f}")
    table.add_row(
        "the rest (issuer, key, dates, status bit, outcomes)", f"{total - sum(steps.values()):.1f}"
    )
    table.add_row("full verification", f"{total:.1f}")
    table.add_row(f"budget at {GOAL} × openssl", f"{1e6 / (GOAL * openssl):.1f}")
    table.add_row("openssl speed, one Ed25519 verify", f"{1e6 / openssl:.1f}")
    return table


SHEET = pdf.Sheet(
    sides=(
        pdf.Side(
            language="uz-Cyrl",
            holder=HOLDER[:40],
            course="Тизза артроскопияси: маҳорат дарси",
            description="Маҳорат дарси, Вахидов маркази, 2025-10-13 — 2025-10-17: 36 соат.",
            issuer="Республика ихтисослаштирилган хирургия маркази",
        ),
        pdf.Side(
            language="en",
            holder="Gulnora Karimova",
            course="Knee arthroscopy: a master class",
            description="Master class at the Vakhidov centre, 13 to 17 October 2025: 36 hours.",
            issuer="Republican Specialised Centre of Surgery",
        ),
    ),
    number="HMK-2025-000123",
    hours=36,
    cme_credits=36.0,
    issued_on=date(2025, 10, 17),
    valid_until=date(2030, 10, 17),
    verify_url="https://hamkor.example/verify/HMK-2025-000123",
)


def baseline_pdf() -> bytes:
    """The same content drawn by a minimal ReportLab script: fixed places, no layout logic."""
    import io

    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.rect(24, 24, width - 48, height - 48)
    for column, side in enumerate(SHEET.sides):
        x, y = 56 + column * 380, height - 80
        for font, size, text in (
            (pdf.BOLD, 26, "Certificate"),
            (pdf.REGULAR, 11, "This is to certify that"),
            (pdf.BOLD, 20, side.holder),
            (pdf.REGULAR, 11, "has completed"),
            (pdf.BOLD, 15, side.course),
            (pdf.REGULAR, 10, side.description),
            (pdf.REGULAR, 11, f"Hours {SHEET.hours}  CME credits {SHEET.cme_credits:g}"),
            (pdf.REGULAR, 11, side.issuer),
            (pdf.REGULAR, 11, "17 October 2025 — 17 October 2030"),
            (pdf.REGULAR, 11, SHEET.number),
        ):
            canvas.setFont(font, size)
            canvas.drawString(x, y, text)
            y -= size * 1.6
    import segno

    matrix = segno.make_qr(SHEET.verify_url, error="m").matrix
    module = 96 / len(matrix)
    path = canvas.beginPath()
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                path.rect(width - 152 + column * module, 140 - (row + 1) * module, module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.setFont(pdf.REGULAR, 10)
    canvas.drawString(56, 44, SHEET.verify_url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="credentials to issue and verify")
    parser.add_argument("--pdfs", type=int, default=200, help="PDF certificates to draw")
    parser.add_argument(
        "--seconds", type=int, default=3, help="of openssl speed, and of the verification"
    )
    args = parser.parse_args()

    issuer = MemoryIssuer()
    tokens: list[str] = []
    issue_rate, issue_s = rate(
        args.count, lambda: tokens.extend(issuer.issue(i) for i in range(args.count)), rounds=1
    )
    assert len(set(tokens)) == args.count, "the credentials must all differ"
    verifier = Verifier(issuer)
    assert verifier.verify(tokens[0]).valid  # the status list fetched, as in any request

    def verify_all() -> None:
        if not all(verifier.verify(t).valid for t in tokens):
            raise SystemExit("a freshly issued credential did not verify")

    verify_rate, verify_s = sustained_rate(args.count, verify_all, args.seconds)
    steps = verification_steps(issuer, tokens)
    alone = jws_verifies(issuer, tokens)
    load = os.getloadavg()
    openssl = openssl_verifies_per_second(args.seconds)
    load_after = os.getloadavg()

    pdf.register_fonts()
    pdf.render(SHEET), baseline_pdf()  # warm the fonts' caches for both
    pdf_rate, pdf_s = rate(args.pdfs, lambda: [pdf.render(SHEET) for _ in range(args.pdfs)])
    base_rate, _base_s = rate(args.pdfs, lambda: [baseline_pdf() for _ in range(args.pdfs)])
    pdf_peak, base_peak = peak_kib(lambda: pdf.render(SHEET)), peak_kib(baseline_pdf)

    table = Table(title=f"Certificates: {args.count} credentials, {args.pdfs} PDFs, one core")
    for column in ("measure", "per second per core", "CPU seconds", "against", "ratio", "goal"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    table.add_row("issue (build + sign)", f"{issue_rate:,.0f}", f"{issue_s:.2f}", "", "", "")
    table.add_row(
        "verify, every check",
        f"{verify_rate:,.0f}",
        f"{verify_s:.2f}",
        f"openssl {openssl:,.0f}/s",
        f"{verify_rate / openssl:.2f}",
        f"≥ {GOAL:.2f}",
    )
    for name, per_second in alone.items():
        table.add_row(
            name,
            f"{per_second:,.0f}",
            "",
            f"openssl {openssl:,.0f}/s",
            f"{per_second / openssl:.2f}",
            "",
        )
    table.add_row(
        "PDF certificate",
        f"{pdf_rate:,.1f}",
        f"{pdf_s:.2f}",
        f"bare canvas {base_rate:,.1f}/s",
        f"{base_rate / pdf_rate:.2f}× its time",
        "≤ 2×",
    )
    table.add_row(
        "PDF peak memory (KiB)",
        f"{pdf_peak:,.0f}",
        "",
        f"bare canvas {base_peak:,.0f}",
        f"{pdf_peak / base_peak:.2f}",
        "",
    )
    console.print(table)
    console.print(steps_table(steps, verify_rate, openssl))
    console.print(
        f"verification, every check, with joserfc: {verify_rate:,.0f}/s per core; "
        f"openssl speed -seconds {args.seconds} ed25519: {openssl:,.0f} verify/s per core; "
        f"ratio {verify_rate / openssl:.2f} (goal ≥ {GOAL})"
    )
    console.print(
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before openssl speed, "
        f"{load_after[0]:.2f} after; {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
