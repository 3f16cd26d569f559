"""Page objects: what a person does on each page, so tests read as the steps of a task."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page


@dataclass
class LoginPage:
    page: Page
    base_url: str

    def open(self) -> LoginPage:
        self.page.goto(f"{self.base_url}/login")
        return self

    def log_in(self, username: str, password: str) -> None:
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("form.stack button[type=submit]")


@dataclass
class Header:
    page: Page

    def switch_language(self, code: str) -> None:
        self.page.click(f"form.lang button[value='{code}']")

    @property
    def language(self) -> str | None:
        return self.page.get_attribute("html", "lang")
