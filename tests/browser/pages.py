"""Page objects: what a person does on each page, so tests read as the steps of a task."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import FilePayload, Locator, Page


@dataclass
class LoginPage:
    page: Page
    base_url: str

    def open(self) -> LoginPage:
        self.page.goto(f"{self.base_url}/login")
        return self

    def log_in(self, username: str, password: str) -> None:
        self.page.fill("#f-username", username)
        self.page.fill("#f-password", password)
        self.page.click("form.stack button[type=submit]")


@dataclass
class ImportPage:
    """An import page: choose a file, import it."""

    page: Page
    address: str

    def open(self) -> ImportPage:
        self.page.goto(self.address)
        return self

    def upload(self, path: str) -> None:
        self.page.set_input_files("#f-file", path)
        self.page.click("form.record button[type=submit].primary")

    @property
    def progress(self) -> Locator:
        return self.page.locator("#import-progress")


@dataclass
class Header:
    page: Page

    def switch_language(self, code: str) -> None:
        self.page.click("details.language > summary")
        self.page.click(f"form.lang button[value='{code}']")

    @property
    def account(self) -> Locator:
        """The logged-in user's menu: their name, jobs, tokens and log-out."""
        return self.page.locator("details.account > summary")

    @property
    def language(self) -> str | None:
        return self.page.get_attribute("html", "lang")


@dataclass
class ProgramForm:
    page: Page

    def fill(
        self,
        *,
        code: str,
        kind: str,
        name: dict[str, str],
        guest_country_id: int,
        host_country_id: int,
        starts_on: str,
        ends_on: str,
    ) -> None:
        self.page.fill("#f-code", code)
        self.page.select_option("#f-kind", kind)
        for language, text in name.items():
            self.page.fill(f"[id='f-names.{language}']", text)
        self.page.select_option("#f-guest_country_id", str(guest_country_id))
        self.page.select_option("#f-host_country_id", str(host_country_id))
        self.page.fill("#f-starts_on", starts_on)
        self.page.fill("#f-ends_on", ends_on)

    def save(self) -> None:
        self.page.click("form.record button[type=submit].primary")


@dataclass
class ActivityForm:
    page: Page

    def fill(
        self,
        *,
        title: dict[str, str],
        kind: str,
        city_id: int,
        institution_id: int,
        room_id: int,
        day: str,
        start: str,
        end: str,
    ) -> None:
        for language, text in title.items():
            self.page.fill(f"[id='f-titles.{language}']", text)
        self.page.select_option("#f-kind", kind)
        self.page.select_option("#f-city_id", str(city_id))
        self.page.select_option("#f-institution_id", str(institution_id))
        self.page.fill("#f-room_id", str(room_id))  # a picker: its number is enough
        self.page.fill("#f-day", day)
        self.page.fill("#f-start_time", start)
        self.page.fill("#f-end_time", end)

    def save(self) -> None:
        self.page.click("form.record button[type=submit].primary")


@dataclass
class PlanningPage:
    """A program's planning tab: its requested activities and "Plan this program"."""

    page: Page

    def plan(self, time_limit_seconds: int) -> None:
        self.page.select_option("#f-time_limit_seconds", str(time_limit_seconds))
        self.page.click("#plan-program")


@dataclass
class RunPage:
    """A plan run: its progress while it solves, then the proposal beside the current plan."""

    page: Page

    @property
    def progress(self) -> Locator:
        return self.page.locator("#run-progress progress")

    def rows(self, change: str) -> Locator:
        return self.page.locator(f"table.review tr.change-{change}")

    def accept(self) -> None:
        self.page.click("#accept-plan")


@dataclass
class ReplanForm:
    """The form of a disruption: a specialist unavailable, or a room closed on a day."""

    page: Page

    def close_room(self, room_id: int, day: str, time_limit_seconds: int) -> None:
        self.page.fill("#f-room_id", str(room_id))  # a picker: its number is enough
        self.page.fill("#f-closed_days", day)
        self.page.select_option("#f-time_limit_seconds", str(time_limit_seconds))
        self.page.click("form.record button[type=submit].primary")


@dataclass
class IntakeForm:
    """The registrar's intake form of a patient."""

    page: Page

    def fill(
        self, *, names: dict[str, str], birth_date: str, sex: str, pinfl: str, phone: str
    ) -> None:
        for language, text in names.items():
            self.page.fill(f"[id='f-names.{language}']", text)
        self.page.fill("#f-birth_date", birth_date)
        self.page.select_option("#f-sex", sex)
        self.page.select_option("[id='f-identifiers.0.kind']", "uz_pinfl")
        self.page.fill("[id='f-identifiers.0.value']", pinfl)
        self.page.fill("#f-phone", phone)

    def register(self) -> None:
        self.page.click("form.record button[type=submit].primary")


@dataclass
class CoursePage:
    """A course's page as its coordinator uses it: enrol, then mark completion."""

    page: Page
    base_url: str
    course_id: int

    def open(self) -> CoursePage:
        self.page.goto(f"{self.base_url}/training/courses/{self.course_id}")
        return self

    def enrol(self, person_id: int, language: str) -> None:
        self.page.fill("#f-person_id", str(person_id))
        self.page.select_option("#f-language", language)
        self.page.click("button:has-text('Enrol')")

    def row(self, person_id: int) -> Locator:
        return self.page.locator(f"#enrolments tr[data-person='{person_id}']")

    def mark_completion(self, person_id: int) -> None:
        self.row(person_id).locator("button:has-text('Mark completion')").click()


@dataclass
class SessionScreen:
    """The session's page on the lecture hall's screen: its QR code and the attendance list."""

    page: Page
    base_url: str
    session_id: int

    def open(self) -> SessionScreen:
        self.page.goto(f"{self.base_url}/training/sessions/{self.session_id}")
        self.page.locator("#qr svg").wait_for()
        return self

    def qr_image(self) -> bytes:
        return self.page.locator("#qr svg").screenshot()

    def attendance_of(self, enrolment_name: str) -> Locator:
        return self.page.locator("#attendance tr", has_text=enrolment_name)

    def set_links(self, mode: str, meeting_url: str, recording_url: str = "") -> None:
        self.page.select_option("#links #f-mode", mode)
        self.page.fill("#links #f-meeting_url", meeting_url)
        self.page.fill("#links #f-recording_url", recording_url)
        self.page.click("#links button:has-text('Save the links')")


@dataclass
class MyCourses:
    """A trainee's "my courses" on their phone: the online sessions to join, their courses."""

    page: Page
    base_url: str

    def open(self) -> MyCourses:
        self.page.goto(f"{self.base_url}/training/mine")
        return self

    def join_button(self) -> Locator:
        return self.page.locator("#online-sessions a.join")

    def course_row(self, title: str) -> Locator:
        return self.page.locator("#my-courses tr", has_text=title)


@dataclass
class PatientRecord:
    """A patient's record: consents, referral to a program, links to booking and outcomes."""

    page: Page

    def give_consent(self, kind: str) -> None:
        form = self.page.locator("form[action$='/consents']")
        form.locator("#f-kind").select_option(kind)
        form.locator("button[type=submit]").click()

    def refer(self, *, program_id: int, specialty_id: int, icd10: str, reason: str) -> None:
        self.page.click("main details:has(form[action$='/referrals']) > summary")
        form = self.page.locator("form[action$='/referrals']")
        form.locator("#f-program_id").select_option(str(program_id))
        form.locator("#f-specialty_id").select_option(str(specialty_id))
        form.locator("#f-icd10").fill(icd10)
        form.locator("#f-reason").fill(reason)
        form.locator("#f-priority").select_option("4")
        form.locator("button[type=submit]").click()


@dataclass
class BookingPage:
    """The free slots of the sessions of a referral's specialty."""

    page: Page

    def book_first_free_slot(self) -> str:
        button = self.page.locator("form.slots button[name=slot]").first
        label = button.inner_text()
        button.click()
        return label


@dataclass
class CheckInList:
    """A session's printable check-in list at the registrar's desk."""

    page: Page

    def check_in(self, patient: str) -> None:
        row = self.page.locator("table.check-in tr", has_text=patient)
        row.locator("form[action$='/check-in'] button").click()


@dataclass
class EncounterForm:
    """The specialist's consultation form."""

    page: Page

    def record(self, *, findings: str, diagnoses: str, recommendation: str) -> None:
        self.page.fill("#f-findings", findings)
        self.page.fill("#f-diagnoses", diagnoses)
        self.page.select_option("#f-recommendation", recommendation)
        self.page.click("form.record button[type=submit].primary")


@dataclass
class FollowUpForm:
    """Handing a patient's follow-up to a local institution."""

    page: Page

    def hand_over(self, *, institution_id: int, due_on: str) -> None:
        form = self.page.locator("form[action$='/follow-ups']")
        form.locator("#f-institution_id").select_option(str(institution_id))
        form.locator("#f-kind").select_option("in_person")
        form.locator("#f-due_on").fill(due_on)
        form.locator("button[type=submit]").click()


@dataclass
class NotificationsPage:
    """The notification centre: the unread count in the header and the list."""

    page: Page
    base_url: str

    def open(self) -> NotificationsPage:
        self.page.goto(f"{self.base_url}/notifications")
        return self

    @property
    def unread_badge(self) -> Locator:
        return self.page.locator("header a.bell .badge.unread")

    @property
    def items(self) -> Locator:
        return self.page.locator("li.notification")

    def mark_read(self, index: int) -> None:
        self.items.nth(index).locator("form[action$='/read'] button").click()

    def mark_all_read(self) -> None:
        self.page.click("form[action='/notifications/read'] button")


@dataclass
class AgreementForm:
    """The form of a new agreement: code, kind, title, parties with their signers, validity."""

    page: Page
    base_url: str

    def open(self) -> AgreementForm:
        self.page.goto(f"{self.base_url}/agreements/new")
        return self

    def fill(self, *, code: str, title: str, valid_from: str, valid_until: str) -> None:
        self.page.fill("#f-code", code)
        self.page.locator("#f-kind").select_option("memorandum")
        self.page.fill("#f-titles\\.en", title)
        self.page.fill("#f-valid_from", valid_from)
        self.page.fill("#f-valid_until", valid_until)

    def party(self, row: int, institution_id: int, signer: str, signed_on: str) -> None:
        self.page.locator(f"#f-parties\\.{row}\\.institution_id").select_option(str(institution_id))
        self.page.fill(f"#f-parties\\.{row}\\.signer_name", signer)
        self.page.fill(f"#f-parties\\.{row}\\.signed_on", signed_on)

    def save(self) -> None:
        self.page.click("form.record button[type=submit].primary")


@dataclass
class AgreementPage:
    """An agreement: its documents and its roadmap."""

    page: Page

    def upload(self, name: str, content: bytes, mime_type: str) -> None:
        payload: FilePayload = {"name": name, "mimeType": mime_type, "buffer": content}
        self.page.set_input_files("#f-document", files=[payload])
        self.page.click("#documents button[type=submit]")

    @property
    def documents(self) -> Locator:
        return self.page.locator("#documents li")

    def add_item(self, *, title: str, owner_institution_id: int, due_on: str) -> None:
        form = self.page.locator("form[action$='/items']")
        form.locator("#f-titles\\.en").fill(title)
        form.locator("#f-owner_institution_id").select_option(str(owner_institution_id))
        form.locator("#f-due_on").fill(due_on)
        form.locator("button[type=submit]").click()


@dataclass
class Downloads:
    """The "Download: CSV XLSX" links of a list page."""

    page: Page

    def take(self, export: str) -> bytes:
        """Click the link of ``export`` (csv, xlsx) and read the file the browser saved."""
        with self.page.expect_download() as event:
            self.page.click(f"p.downloads a:text-is('{export.upper()}')")
        path = event.value.path()
        with open(path, "rb") as saved:
            return saved.read()

    def suggested_name(self, export: str) -> str:
        with self.page.expect_download() as event:
            self.page.click(f"p.downloads a:text-is('{export.upper()}')")
        return event.value.suggested_filename


@dataclass
class AskForm:
    """The form to ask a centre abroad (made for the asking doctor's phone)."""

    page: Page
    base_url: str

    def open(self) -> AskForm:
        self.page.goto(f"{self.base_url}/telemedicine/new")
        return self

    def fill(
        self, *, centre_id: int, specialty_id: int, question: str, summary: str, icd10: str
    ) -> None:
        self.page.locator("#f-centre_id").select_option(str(centre_id))
        self.page.locator("#f-specialty_id").select_option(str(specialty_id))
        self.page.locator("#f-urgency").select_option("urgent")
        self.page.fill("#f-question", question)
        self.page.fill("#f-clinical_summary", summary)
        self.page.fill("#f-icd10", icd10)

    def submit(self) -> None:
        self.page.click("button[name=then][value=submit]")


@dataclass
class CasePage:
    """A teleconsultation case: the forms of the steps its reader may take."""

    page: Page

    def step(self, step: str) -> Locator:
        return self.page.locator(f"form[action$='/{step}']")

    def accept(self, assignee_id: int) -> None:
        form = self.step("accept")
        form.locator("#f-assignee_id").select_option(str(assignee_id))
        form.locator("button[type=submit]").click()

    def answer(self, text: str, recommendation: str) -> None:
        form = self.step("answer")
        form.locator("#f-answer").fill(text)
        form.locator("#f-recommendation").select_option(recommendation)
        form.locator("button[type=submit]").click()

    def close(self, *, visit_avoided: bool) -> None:
        form = self.step("close")
        form.locator(f"input[name=visit_avoided][value={str(visit_avoided).lower()}]").check()
        form.locator("button[type=submit]").click()


@dataclass
class Dashboard:
    """A program's dashboard: figure cards, charts and their tables, breakdowns."""

    page: Page

    def card(self, key: str) -> Locator:
        return self.page.locator(f"#figure-{key}")

    @property
    def charts(self) -> Locator:
        return self.page.locator("figure.chart .chart-svg")

    def open_list_of(self, key: str) -> None:
        self.card(key).locator("a.figure-link").click()

    def ask_report(self, export: str, language: str) -> None:
        """Ask for the program's report in ``export`` (pdf, xlsx, csv, md) and ``language``."""
        form = self.page.locator("#report form")
        form.locator("select[name=format]").select_option(export)
        form.locator("select[name=lang]").select_option(language)
        form.locator("button[type=submit]").click()

    def take_report(self) -> bytes:
        """Click the finished report's download link and read the file the browser saved."""
        with self.page.expect_download() as event:
            self.page.click("#report-progress a[download]")
        with open(event.value.path(), "rb") as saved:
            return saved.read()
