"""Headers every answer carries: patient data is never kept in a cache, assets may be."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fixtures.care import CareWorld
from tests.fixtures.core import log_in


def test_pages_and_api_answers_are_not_stored_and_assets_may_be(
    app_client: TestClient, care_world: CareWorld
) -> None:
    client = log_in(app_client, care_world.registrar.username)
    patients = client.get("/care/patients")
    api = client.get("/api/v1/me")
    asset = client.get("/static/hamkor.css")

    assert (patients.status_code, patients.headers["cache-control"]) == (200, "no-store")
    assert (api.status_code, api.headers["cache-control"]) == (200, "no-store")
    assert asset.status_code == 200
    assert "cache-control" not in asset.headers
    assert "default-src 'self'" in asset.headers["content-security-policy"]


def test_the_api_explorer_page_loads_its_scripts_from_the_app(app_client: TestClient) -> None:
    page = app_client.get("/api/docs")
    script = app_client.get("/vendor/swagger-ui/swagger-ui-bundle.js")

    assert page.status_code == 200
    assert '<script src="/vendor/swagger-ui/swagger-ui-bundle.js">' in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert script.status_code == 200
