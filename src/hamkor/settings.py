"""Settings read once from the environment (``HAMKOR_*``); tests and commands override them."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Everything an operator may change; every command and the app read the same values."""

    model_config = SettingsConfigDict(env_prefix="HAMKOR_", env_file=".env", extra="ignore")

    var_dir: Path = ROOT / "var"
    database_url: str = ""
    secret_key: str = ""
    default_language: str = "ru"
    secure_cookies: bool = False
    session_max_age_seconds: int = 12 * 3600
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    page_size: int = Field(default=25, ge=1, le=500)
    public_base_url: str = "http://127.0.0.1:8000"
    #: Threads of each app process that run long jobs (plan solves); 0 runs none here.
    job_workers: int = Field(default=1, ge=0, le=16)
    #: PostgreSQL connections each app process keeps open; as many again are opened in bursts.
    #: Workers × 2 × this must stay below the server's ``max_connections``.
    database_pool_size: int = Field(default=10, ge=1, le=100)
    #: Seconds a request waits for a free connection before it is answered 503 (retry later).
    database_pool_timeout: float = Field(default=10, gt=0, le=300)
    #: Bytes an uploaded file (an import's spreadsheet, any form's file) may have; a larger
    #: one is refused (413) while it arrives, never read whole.
    import_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=1024**3)
    #: Rows (after the header) an import file may have.
    import_max_rows: int = Field(default=20_000, ge=1, le=1_000_000)
    #: Imports of more rows than this run as jobs, with progress, instead of in the request.
    import_job_rows: int = Field(default=2_000, ge=0)
    #: Bytes a FHIR Bundle posted for import may have; a larger one is refused (413).
    fhir_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=1024**3)

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read on first use rather than at import time."""
    return Settings()
