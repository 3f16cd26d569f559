"""Resources that the modules built on care add to its FHIR export and CapabilityStatement.

Care may not import the modules that come after it (telemedicine asks about care's patients),
yet a FHIR export of a program should hold its teleconsultations too. So those modules hand
their resources in: ``hamkor.modules.install``, which already wires every module's access
policies and jobs, registers each module's :class:`Source` here, and ``export`` and
``capability`` read what was registered. A plain list, no discovery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hamkor.care.fhir.resources import Resource
from hamkor.core.access import Actor
from hamkor.directory.models import Institution

#: ``(db, actor, base, program_id, recipient)`` to the source's resources (unvalidated), read
#: through its own access policies and audited by it, as care's export does with its own.
Collect = Callable[[Session, Actor, str, int | None, Institution | None], list[Resource]]


@dataclass(frozen=True)
class Source:
    """What a module adds to the export: its resources, and for the CapabilityStatement, what
    each resource type it writes holds."""

    name: str
    collect: Collect
    documentation: dict[str, str]


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    """Add a module's source (again under its name: replaced, so wiring twice is harmless)."""
    _SOURCES[source.name] = source


def registered() -> tuple[Source, ...]:
    """The sources wired, in the order they were registered."""
    return tuple(_SOURCES.values())
