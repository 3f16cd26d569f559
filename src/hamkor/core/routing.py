"""The routers every module declares its pages and API on."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import Scope

from hamkor.core.web import Route


class Router(APIRouter):
    """An ``APIRouter`` that turns a request away at once when no route of its can take the path.

    Its routes are ``web.Route``: one hop to the thread pool per request.

    Since 0.137, FastAPI keeps an included router as one node and, for every request, asks each
    route of each included router in turn, twice (once to find the router, once to find the
    route in it), at about 2 µs a route. With the app's ~250 routes a request to a route near
    the end (the booking API, the FHIR endpoints) paid about a millisecond before any of its own
    work. A path a route here can take is either the route's own path (no parameters) or starts
    with the literal part of its pattern, so a set look-up and one ``str.startswith`` rule a
    router out (fastapi/fastapi#16159 proposes the same skip, by prefix, upstream). When the
    answer is not "no", FastAPI matches as always.
    """

    _paths: frozenset[str] = frozenset()
    _heads: tuple[str, ...] = ()
    _indexed: int = -1

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(route_class=Route, **kwargs)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not self._may_take(get_route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)

    def _may_take(self, path: str) -> bool:
        if self._indexed != len(self.routes):
            self._index()
        return path in self._paths or path.startswith(self._heads)

    def _index(self) -> None:
        paths: set[str] = set()
        heads: list[str] = []
        for route in self.routes:
            pattern = _pattern(route)
            if "{" in pattern or isinstance(route, Mount):
                heads.append(pattern.split("{", 1)[0])
            else:
                paths.add(pattern)
        self._paths, self._heads, self._indexed = frozenset(paths), tuple(heads), len(self.routes)


def _pattern(route: BaseRoute) -> str:
    """The route's path pattern; a route of a kind without one may take any path."""
    pattern = getattr(route, "path", None)
    return pattern if isinstance(pattern, str) else "{"
