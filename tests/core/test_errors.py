"""Errors are translated, named and never a stack trace."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hamkor.core.models import Role, User
from tests.fixtures.core import ClientFactory, UserFactory


def test_unknown_page_is_a_translated_404(admin_client: TestClient) -> None:
    response = admin_client.get("/no/such/page", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert "This page does not exist." in response.text
    assert "Traceback" not in response.text


def test_unknown_api_route_answers_json(admin_client: TestClient) -> None:
    response = admin_client.get("/api/v1/nothing-here", headers={"accept-language": "en"})
    assert response.status_code == 404
    assert response.json()["detail"] == "This page does not exist."


def test_bad_query_parameter_names_the_field(admin_client: TestClient, admin: User) -> None:
    response = admin_client.get("/api/v1/audit?since=yesterday", headers={"accept-language": "en"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "since", "message": "Enter a date as YYYY-MM-DD."}
    ]


def test_pages_carry_security_headers(app_client: TestClient) -> None:
    response = app_client.get("/login")
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_openapi_describes_the_api(app_client: TestClient) -> None:
    document = app_client.get("/api/v1/openapi.json").json()
    assert "/api/v1/me" in document["paths"]
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_error_pages_keep_the_menu_the_user_and_the_language_switch(
    client_for: ClientFactory, admin: User, create_user: UserFactory
) -> None:
    registrar = create_user(Role.REGISTRAR, username="dilnoza.registrar")
    client = client_for(registrar)
    for address, status in (("/no/such/page", 404), ("/audit", 403), ("/programs/999999", 404)):
        response = client.get(address, headers={"accept-language": "en"})
        assert response.status_code == status, address
        header = response.text.split("</header>")[0]
        assert 'href="/programs"' in header, address
        assert "dilnoza.registrar" in header, address
        assert 'name="language" value="kk"' in header, address
        assert 'action="/logout"' in header, address


def test_a_visitors_error_page_offers_no_menu(app_client: TestClient) -> None:
    response = app_client.get("/no/such/page", headers={"accept-language": "en"})
    assert response.status_code == 404
    header = response.text.split("</header>")[0]
    assert 'href="/programs"' not in header
    assert 'name="language" value="kk"' in header
