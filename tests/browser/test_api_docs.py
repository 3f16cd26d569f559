"""The API explorer works offline: Swagger UI from the installed assets, under the app's CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.browser.conftest import LiveServer, shot

pytestmark = pytest.mark.browser


def test_the_api_explorer_lists_the_operations_from_local_assets_only(
    page: Page, live_server: LiveServer
) -> None:
    hosts: set[str] = set()
    errors: list[str] = []

    def note_host(request: Request) -> None:
        hosts.add(urlsplit(request.url).netloc)

    def note_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    # FastAPI builds the OpenAPI document on its first request and keeps it: built here first,
    # since on a busy machine building it took longer than the page's wait for the operations.
    assert page.request.get(f"{live_server.url}/api/v1/openapi.json").ok
    page.on("request", note_host)
    page.on("console", note_error)
    page.goto(f"{live_server.url}/api/docs")

    paths = page.locator(".opblock-summary-path")
    expect(paths.filter(has_text="/api/v1/programs").first).to_be_visible()
    shot(page, "api-docs")
    assert hosts == {urlsplit(live_server.url).netloc}
    assert errors == []
