"""The ``hamkor demo`` command."""

from __future__ import annotations


def demo() -> None:
    """Load the demo program (idempotent: a second run adds nothing)."""
