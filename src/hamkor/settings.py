"""Settings read once from the environment (``HAMKOR_*``); tests and commands override them."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hamkor.core import mail

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Everything an operator may change; every command and the app read the same values."""

    model_config = SettingsConfigDict(env_prefix="HAMKOR_", env_file=".env", extra="ignore")

    var_dir: Path = ROOT / "var"
    database_url: str = ""
    secret_key: str = ""
    default_language: str = "ru"
    secure_cookies: bool = False
    #: A log-in session ends after this many minutes without a request (issue 15).
    session_idle_minutes: int = Field(default=30, ge=1)
    #: ... and after this many hours however busy, so a stolen cookie is not good for ever.
    session_max_hours: int = Field(default=12, ge=1)
    #: Failed log-ins of one account, and from one address, before each further try waits a
    #: delay that doubles per failure up to ``login_max_delay_seconds``.
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_max_delay_seconds: int = Field(default=15 * 60, ge=1)
    #: Failures are forgotten after this many seconds without a delay in force.
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    #: Addresses or networks (comma-separated) of the reverse proxies whose X-Forwarded-For is
    #: believed; empty: the connecting address is the client's.
    trusted_proxies: str = ""
    #: Requests one address may make to the public routes (certificate verification, FHIR
    #: metadata) per window.
    public_rate_limit: int = Field(default=60, ge=1)
    public_rate_window_seconds: int = Field(default=60, ge=1)
    page_size: int = Field(default=25, ge=1, le=500)
    public_base_url: str = "http://127.0.0.1:8000"
    #: Threads of each app process that run long jobs (plan solves); 0 runs none here.
    job_workers: int = Field(default=1, ge=0, le=16)
    #: A running job whose heartbeat is older than this is taken for dead and taken up by
    #: another worker (issue 16). On SQLite keep it longer than the longest write transaction
    #: of a job (a large import), which holds back every heartbeat meanwhile.
    job_heartbeat_lapse_seconds: float = Field(default=120, gt=0)
    #: Seconds an idle worker waits before it looks for work again (on PostgreSQL, a new job
    #: wakes it at once).
    job_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    #: PostgreSQL connections each app process keeps open; as many again are opened in bursts.
    #: Workers × 2 × this must stay below the server's ``max_connections``.
    database_pool_size: int = Field(default=10, ge=1, le=100)
    #: Threads of each app process for requests: more than the requests it has in flight at
    #: once (see ``app.request_threads``).
    request_threads: int = Field(default=128, ge=4, le=1000)
    #: Seconds a request waits for a free connection before it is answered 503 (retry later).
    database_pool_timeout: float = Field(default=10, gt=0, le=300)
    #: Seconds a statement of the app waits for a row another transaction has locked (on
    #: PostgreSQL); past it the request is answered 503 (retry later) instead of waiting on.
    database_lock_timeout: float = Field(default=10, gt=0, le=300)
    #: Where stored files are kept, named by their SHA-256; by default ``var/files``.
    files_dir: Path | None = None
    #: The largest file an upload may be; reading stops as soon as an upload passes it.
    file_max_bytes: int = Field(default=20 * 2**20, ge=1)
    #: The mail server of notification e-mail (``smtp://``, ``smtp+starttls://`` or
    #: ``smtps://``, with ``user:password@`` if it wants a log-in); blank: no e-mail is sent.
    smtp_url: str = ""
    #: The sender of notification e-mail.
    mail_from: str = "Hamkor <hamkor@localhost>"
    #: Counts of patients below this (but above 0) are shown as "<5" on public pages and in
    #: exports, so that a rare case in a small district names no one (issue 19).
    report_small_count: int = Field(default=5, ge=2, le=100)
    #: The IATI organisation identifier of whoever publishes the programs (``KZ-BIN-...``):
    #: the first part of every exported ``iati-identifier``; blank: IATI export is refused.
    iati_reporting_org: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9._-]*$")
    #: Its name, and its IATI organisation type (10: government).
    iati_reporting_org_name: str = Field(default="", max_length=300)
    iati_reporting_org_type: str = Field(default="10", pattern=r"^[0-9]{2}$")
    #: Hours a specialist centre has to answer a teleconsultation, by its urgency, from its
    #: submission (issue 18: eConsult services answer within a day).
    telemedicine_urgent_hours: int = Field(default=24, ge=1, le=24 * 30)
    telemedicine_routine_hours: int = Field(default=72, ge=1, le=24 * 90)
    #: Hours before a teleconsultation's deadline its assignee is reminded of it.
    telemedicine_remind_hours: int = Field(default=4, ge=1, le=24 * 7)

    @field_validator("smtp_url")
    @classmethod
    def _known_mail_server(cls, value: str) -> str:
        # Refused at start-up rather than when the first e-mail is due, hours later.
        if value:
            mail.parse_url(value)
        return value

    def resolved_files_dir(self) -> Path:
        """Where stored files are kept: ``files_dir``, else ``var/files``."""
        return self.files_dir or self.var_dir / "files"

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in _items(value):
            ipaddress.ip_network(item, strict=False)  # a ValueError names the bad entry
        return value

    def trusted_proxy_list(self) -> list[str]:
        """The trusted proxies as uvicorn's ``ProxyHeadersMiddleware`` takes them."""
        return _items(self.trusted_proxies)

    #: Bytes an uploaded file (an import's spreadsheet, any form's file) may have; a larger
    #: one is refused (413) while it arrives, never read whole.
    import_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=1024**3)
    #: Rows (after the header) an import file may have.
    import_max_rows: int = Field(default=20_000, ge=1, le=1_000_000)
    #: Imports of more rows than this run as jobs, with progress, instead of in the request.
    import_job_rows: int = Field(default=2_000, ge=0)
    #: Bytes the body of any other request (JSON, a form without a file) may have; a larger
    #: one is refused (413) while it arrives.
    body_max_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    #: Bytes a FHIR Bundle posted for import may have; a larger one is refused (413).
    fhir_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=1024**3)

    def upload_max_bytes(self) -> int:
        """The largest file any form or API call may upload: an import's or a document's limit,
        whichever is larger. Each is still applied by its own consumer (the import refuses a
        file past ``import_max_bytes``, a document store one past ``file_max_bytes``)."""
        return max(self.import_max_bytes, self.file_max_bytes)

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an SQLite file under ``var/`` that needs no set-up."""
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.var_dir / 'hamkor.sqlite3'}"

    def resolved_secret_key(self) -> str:
        """The signing key; generated once and kept under ``var/`` so sessions survive restarts."""
        if self.secret_key:
            return self.secret_key
        key_file = self.var_dir / "secret_key"
        if not key_file.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use rather than at import time."""
    return Settings()
