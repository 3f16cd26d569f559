"""The capability modules, wired once: their access policies now, their routes in the app."""

from __future__ import annotations

from functools import cache

from hamkor.care import access as care_access
from hamkor.directory import access as directory_access
from hamkor.programs import access as programs_access


@cache
def install() -> None:
    """Register every module's access policies (idempotent; the app, CLI and tests call it)."""
    directory_access.register()
    programs_access.register()
    care_access.register()
