"""Language negotiation, names per script, plural rules and the completeness of the catalogs."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hamkor.core import catalogs
from hamkor.core.i18n import LANGUAGES, Translator, localized, negotiate, search_text
from hamkor.core.models import User
from tests.fixtures.core import ClientFactory, csrf_of


@pytest.mark.parametrize(
    ("preference", "cookie", "header", "expected"),
    [
        ("kk", "en", "ru", "kk"),
        (None, "uz-Cyrl", "en", "uz-Cyrl"),
        (None, None, "uz-Cyrl-UZ,uz;q=0.8", "uz-Cyrl"),
        (None, None, "uz-Latn-UZ", "uz"),
        (None, None, "de-DE,kk;q=0.7,en;q=0.5", "kk"),
        (None, None, "en;q=0.2,ru;q=0.9", "ru"),
        (None, "xx", "fr", "ru"),
        (None, None, None, "ru"),
    ],
)
def test_language_comes_from_preference_then_cookie_then_browser(
    preference: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert negotiate(preference, cookie, header) == expected


def test_a_missing_script_is_transliterated_from_the_other() -> None:
    names = {"uz": "Toshkent shahri", "ru": "город Ташкент"}
    assert localized(names, "uz-Cyrl") == "Тошкент шаҳри"
    assert localized({"uz-Cyrl": "Бухоро"}, "uz") == "Buxoro"
    assert localized({"en": "Nukus"}, "kk") == "Nukus"


def test_search_text_finds_a_name_in_either_script() -> None:
    folded = search_text({"uz-Cyrl": "Самарқанд", "ru": "Самарканд"})
    assert "samarqand" in folded
    assert "самарканд" in folded
    assert "айгерим" in search_text({"kk": "Айгерім"})


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("ru", 1, "1 запись"),
        ("ru", 3, "3 записи"),
        ("ru", 5, "5 записей"),
        ("en", 1, "1 record"),
        ("en", 2, "2 records"),
    ],
)
def test_plural_forms_follow_cldr(language: str, count: int, expected: str) -> None:
    translator = Translator(language)
    assert translator.ngettext("%(num)s record", "%(num)s records", count) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_code_is_translated(language: str) -> None:
    assert catalogs.missing_translations(language) == []


PLACEHOLDER = re.compile(r"%\(([^)]*)\)(.)")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_keeps_the_placeholders_of_its_message(language: str) -> None:
    """A placeholder spelled otherwise in a translation ("%(дате)с", read through a
    transliterator) is a KeyError on the page that shows it."""
    foreign = []
    for message in catalogs.read(language):
        ids = message.id if isinstance(message.id, tuple) else (str(message.id),)
        given = set(PLACEHOLDER.findall(" ".join(ids)))
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        texts = [str(text) for text in strings if text]
        foreign += [(ids[0], text) for text in texts if set(PLACEHOLDER.findall(text)) - given]
    assert foreign == []


def test_switching_language_is_remembered(
    client_for: ClientFactory, admin: User, db: Session
) -> None:
    client = client_for(admin)
    page = client.get("/")
    response = client.post(
        "/language",
        data={"language": "uz-Cyrl", "next": "/", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    home = client.get("/")
    assert '<html lang="uz-Cyrl">' in home.text
    db.refresh(admin)
    assert admin.language == "uz-Cyrl"


def test_anonymous_pages_follow_the_browser(app_client: TestClient) -> None:
    page = app_client.get("/login", headers={"accept-language": "kk-KZ"})
    assert '<html lang="kk">' in page.text
