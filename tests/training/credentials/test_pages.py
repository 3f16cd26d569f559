"""The pages: public verification by QR link, upload or paste; the issuer's published keys and
list; the holder's and managers' certificate pages with downloads and revocation."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from hamkor.core.models import Role
from hamkor.training.credentials import jose, keys, status_list
from tests.fixtures.core import ClientFactory, UserFactory, csrf_of
from tests.fixtures.credentials import HOLDER_NAMES, Certified
from tests.fixtures.programs import KzUzDays
from tests.training.credentials.test_api import forged

EN = {"accept-language": "en"}


def verdict(html: str) -> str:
    found = re.search(r'data-verdict="(\w+)"', html)
    assert found, "no verdict on the page"
    return found.group(1)


def failures(html: str) -> list[str]:
    return re.findall(r'data-failure="(\w+)"', html)


def test_the_qr_link_shows_a_valid_certificate(
    app_client: TestClient, certificate: Certified
) -> None:
    response = app_client.get(_address(certificate), headers=EN)
    assert response.status_code == 200
    assert verdict(response.text) == "valid"
    assert "Valid certificate" in response.text
    assert HOLDER_NAMES["uz"] in response.text
    assert response.text.count('class="check passed"') == 6


def _address(certificate: Certified) -> str:
    credential = certificate.credential
    return f"/verify/{credential.number}/{credential.check_code}"


def test_the_number_alone_or_a_wrong_code_finds_no_certificate(
    app_client: TestClient, certificate: Certified
) -> None:
    number = certificate.credential.number
    for address in (f"/verify/{number}", f"/verify/{number}/ABCDEFGHJK"):
        response = app_client.get(address, headers=EN)
        assert response.status_code == 404
        assert f"No certificate with the number {number} was issued here." in response.text
        assert HOLDER_NAMES["uz"] not in response.text


def test_a_certificate_issued_before_check_codes_verifies_by_its_number(
    app_client: TestClient, db: Session, certificate: Certified
) -> None:
    certificate.credential.check_code = None
    db.commit()
    response = app_client.get(f"/verify/{certificate.credential.number}", headers=EN)
    assert (response.status_code, verdict(response.text)) == (200, "valid")


def test_an_unknown_number_says_so(app_client: TestClient, certificate: Certified) -> None:
    response = app_client.get("/verify/HMK-2020-000077", headers=EN)
    assert response.status_code == 404
    assert "No certificate with the number HMK-2020-000077 was issued here." in response.text


def test_a_pasted_forgery_and_an_uploaded_junk_file_are_named(
    app_client: TestClient, certificate: Certified
) -> None:
    page = app_client.get("/verify", headers=EN)
    token = csrf_of(page.text)
    pasted = app_client.post(
        "/verify",
        data={"csrf_token": token, "token": forged(certificate.credential.token)},
        headers=EN,
    )
    assert verdict(pasted.text) == "invalid"
    assert failures(pasted.text) == ["tampered"]
    uploaded = app_client.post(
        "/verify",
        data={"csrf_token": token},
        files={"file": ("certificate.pdf", b"%PDF-1.4 \xff\xfe binary")},
        headers=EN,
    )
    assert failures(uploaded.text) == ["malformed"]
    assert "the file is not text" in uploaded.text
    empty = app_client.post("/verify", data={"csrf_token": token, "token": " "}, headers=EN)
    assert empty.status_code == 422
    assert "Paste a certificate or choose its file." in empty.text


def test_the_token_in_the_address_is_verified(
    app_client: TestClient, certificate: Certified
) -> None:
    response = app_client.get("/verify", params={"token": certificate.credential.token})
    assert verdict(response.text) == "valid"


def test_the_issuer_publishes_its_did_document_jwks_and_status_list(
    app_client: TestClient, certificate: Certified, kz_uz_days: KzUzDays
) -> None:
    institution = kz_uz_days.vakhidov.id
    document = app_client.get(f"/institutions/{institution}/did.json")
    assert document.headers["content-type"].startswith("application/did+json")
    body = document.json()
    assert body["id"] == f"did:web:testserver:institutions:{institution}"
    method = body["verificationMethod"][0]
    assert method["id"] == certificate.credential.kid
    assert method["publicKeyJwk"]["crv"] == "Ed25519"
    jwks = app_client.get(f"/institutions/{institution}/jwks.json").json()
    assert [k["kid"] for k in jwks["keys"]] == [certificate.credential.kid]
    token = app_client.get(f"/institutions/{institution}/status-list").text
    key = jose.public_okp(keys.public_key_from_jwk(method["publicKeyJwk"]))
    listed = jose.verify(token, key)
    bits = status_list.decode(listed["credentialSubject"]["encodedList"])
    assert not status_list.is_set(bits, certificate.credential.status_index)
    assert app_client.get("/institutions/999999/did.json").status_code == 404


def test_the_holder_downloads_the_pdf_json_and_jwt(
    client_for: ClientFactory, certificate: Certified
) -> None:
    client = client_for(certificate.holder)
    number = certificate.credential.number
    listing = client.get("/certificates", headers=EN)
    assert number in listing.text
    pdf = client.get(f"/certificates/{number}/download/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert HOLDER_NAMES["uz"] in text
    assert f"http://testserver/verify/{number}/{certificate.credential.check_code}" in text
    jwt = client.get(f"/certificates/{number}/download/jwt")
    assert jwt.text == certificate.credential.token
    assert f'filename="{number}.jwt"' in jwt.headers["content-disposition"]
    envelope = client.get(f"/certificates/{number}/download/json").json()
    assert envelope["id"].endswith(certificate.credential.token)
    detail = client.get(f"/certificates/{number}", headers=EN)
    assert "Revoke the certificate" not in detail.text


def test_another_trainee_gets_403(
    client_for: ClientFactory, certificate: Certified, create_user: UserFactory
) -> None:
    client = client_for(create_user(Role.TRAINEE))
    number = certificate.credential.number
    assert client.get(f"/certificates/{number}").status_code == 403
    assert client.get(f"/certificates/{number}/download/pdf").status_code == 403
    assert number not in client.get("/certificates").text


def test_the_coordinator_revokes_and_the_qr_link_says_revoked(
    client_for: ClientFactory, app_client: TestClient, certificate: Certified
) -> None:
    client = client_for(certificate.coordinator)
    number = certificate.credential.number
    page = client.get(f"/certificates/{number}", headers=EN)
    assert "Revoke the certificate" in page.text
    refused = client.post(
        f"/certificates/{number}/revoke", data={"csrf_token": csrf_of(page.text), "reason": ""}
    )
    assert refused.status_code == 422
    done = client.post(
        f"/certificates/{number}/revoke",
        data={"csrf_token": csrf_of(page.text), "reason": "Certificate issued twice"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    public = app_client.get(_address(certificate), headers=EN)
    assert verdict(public.text) == "invalid"
    assert failures(public.text) == ["revoked"]
    assert "Certificate issued twice" in public.text
