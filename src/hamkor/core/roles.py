"""The roles of the platform, apart from the models so that the command line can name them
without loading the database layer."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a person may do on the platform; granted globally, per institution or per program."""

    PLATFORM_ADMIN = "platform_admin"
    PROGRAM_COORDINATOR = "program_coordinator"
    INSTITUTION_COORDINATOR = "institution_coordinator"
    SPECIALIST = "specialist"
    REGISTRAR = "registrar"
    TRAINEE = "trainee"
    AUDITOR = "auditor"
