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
    document = page.request.get(f"{live_server.url}/api/v1/openapi.json").json()
    every_tag = {
        tag for path in document["paths"].values() for op in path.values() for tag in op["tags"]
    }
    page.on("request", note_host)
    page.on("console", note_error)
    page.goto(f"{live_server.url}/api/docs")

    tags = page.locator("h3.opblock-tag")
    expect(tags).to_have_count(len(every_tag))
    tags.filter(has_text="programs").first.click()
    paths = page.locator(".opblock-summary-path")
    expect(paths.filter(has_text="/api/v1/programs").first).to_be_visible()
    shot(page, "api-docs")
    assert hosts == {urlsplit(live_server.url).netloc}
    assert errors == []
