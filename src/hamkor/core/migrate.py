"""Running the migrations from code: the CLI, the app's first start and the tests share this."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from hamkor.settings import ROOT


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection | None = None, revision: str = "head") -> None:
    """Bring the database (of ``connection``, else of the settings) to ``revision``."""
    command.upgrade(alembic_config(connection), revision)
