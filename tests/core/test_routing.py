"""Routers that rule themselves out by path: every route still answers, other paths skip."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Match

from hamkor.app import create_app
from hamkor.core.routing import Router
from hamkor.settings import Settings


def _scope(path: str, method: str = "GET") -> dict[str, object]:
    return {"type": "http", "path": path, "method": method, "root_path": "", "headers": []}


def _small_app() -> tuple[FastAPI, Router, Router]:
    api = Router(prefix="/api")

    @api.get("/items")
    def items() -> list[str]:
        return ["all"]

    @api.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    pages = Router()

    @pages.get("/")
    def home() -> str:
        return "home"

    @pages.get("/pages/{slug:path}")
    def page(slug: str) -> str:
        return slug

    app = FastAPI()
    app.include_router(api)
    app.include_router(pages)
    return app, api, pages


def test_a_router_rules_itself_out_only_for_paths_none_of_its_routes_takes() -> None:
    _app, api, pages = _small_app()

    assert api.matches(_scope("/pages/a"))[0] is Match.NONE
    assert api.matches(_scope("/"))[0] is Match.NONE
    assert pages.matches(_scope("/api/items"))[0] is Match.NONE
    assert pages.matches(_scope("/elsewhere"))[0] is Match.NONE


def test_every_route_still_answers_and_slashes_still_redirect() -> None:
    app, _api, _pages = _small_app()
    client = TestClient(app)

    assert client.get("/api/items").json() == ["all"]
    assert client.get("/api/items/7").json() == {"id": 7}
    assert client.get("/").json() == "home"
    assert client.get("/pages/a/b").json() == "a/b"
    redirect = client.get("/api/items/", follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"].endswith("/api/items")
    assert client.get("/nowhere").status_code == 404


def test_a_route_added_after_the_first_request_is_found() -> None:
    app, api, _pages = _small_app()
    client = TestClient(app)
    assert client.get("/api/late").status_code == 404

    @api.get("/late")
    def late() -> str:
        return "late"

    assert client.get("/api/late").json() == "late"


def _chosen(app: FastAPI, path: str, method: str) -> int | None:
    """Which of the app's top-level routes takes the request (its position), as FastAPI picks."""
    scope = _scope(path, method)
    partial = None
    for position, route in enumerate(app.routes):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return position
        if match is Match.PARTIAL and partial is None:
            partial = position
    return partial


def test_the_app_routes_every_path_of_its_own_as_it_would_without_the_skip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(Settings(database_url="sqlite://"))
    routers = [getattr(top, "original_router", None) for top in app.routes]
    requests = [
        (re.sub(r"\{[^}]+\}", "1", route.path), method)
        for router in routers
        if isinstance(router, Router)
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    ]
    assert len(requests) > 200
    chosen = [_chosen(app, path, method) for path, method in requests]
    monkeypatch.setattr(Router, "_may_take", lambda _self, _path: True)
    assert chosen == [_chosen(app, path, method) for path, method in requests]
    assert None not in chosen
