"""The access walk's world, as a fixture of this package."""

from tests.access.world import world

__all__ = ["world"]
