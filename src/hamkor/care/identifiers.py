"""National identifiers of patients, checked by their published rules.

python-stdnum knows neither Uzbekistan's PINFL nor Kazakhstan's IIN, so their rules are written
out here; stdnum's cleaning helpers and exception types are reused so that a caller handles all
identifier problems alike.

**PINFL** (ЖШШИР/JShShIR, Uzbekistan, 14 digits), as set by the Cabinet of Ministers' regulation
on the personal identification number of a physical person: digit 1 tells century and sex
(1/2 born in the 1800s, 3/4 in the 1900s, 5/6 in the 2000s; odd male, even female), digits 2–7
the birth date as DDMMYY, digits 8–10 the district of registration, 11–13 a serial number, and
digit 14 the check digit: the sum of the first 13 digits weighted 7, 3, 1, 7, 3, 1, … modulo 10.

**IIN** (ЖСН/ИИН, Kazakhstan, 12 digits), Government Decree No. 565 of 11 June 2003 (and the
rules of the national registers, Decree No. 406 of 2007): digits 1–6 the birth date as YYMMDD,
digit 7 century and sex as for the PINFL, 8–11 a serial number, 12 the check digit: the sum of
the first 11 digits weighted 1…11 modulo 11; when that is 10, weighted 3…11, 1, 2 modulo 11;
when that is 10 again the number is never issued.

**Passports** have no check digit outside the machine-readable zone; we check the published
number format of the two countries of the programs (Uzbekistan: two letters and seven digits;
Kazakhstan: N and eight digits) and a plain 5–20 letters and digits for other countries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.util import clean, isdigits

from hamkor.care.models import IdentifierKind, Sex

_PINFL_WEIGHTS = (7, 3, 1) * 5
_IIN_WEIGHTS = (tuple(range(1, 12)), (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2))
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
_PASSPORT_FORMATS = {
    "UZ": re.compile(r"^[A-Z]{2}\d{7}$"),
    "KZ": re.compile(r"^N\d{8}$"),
}
_ANY_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")

#: The country that issues each kind of number; a passport's is given with it.
ISSUERS = {IdentifierKind.UZ_PINFL: "UZ", IdentifierKind.KZ_IIN: "KZ"}


@dataclass(frozen=True)
class PersonalData:
    """What a PINFL or an IIN says about its holder, to compare with the record."""

    birth_date: date
    sex: Sex


def _digits(number: str, length: int) -> str:
    number = clean(number, " -").strip()
    if not isdigits(number):
        raise InvalidFormat()
    if len(number) != length:
        raise InvalidLength()
    return number


def _personal(century_sex: int, year: int, month: int, day: int) -> PersonalData:
    if century_sex not in _CENTURY:
        raise InvalidComponent()
    try:
        born = date(_CENTURY[century_sex] + year, month, day)
    except ValueError as error:
        raise InvalidComponent() from error
    return PersonalData(born, Sex.MALE if century_sex % 2 else Sex.FEMALE)


def validate_pinfl(number: str) -> tuple[str, PersonalData]:
    """The PINFL as 14 digits and what it encodes, or a stdnum ``ValidationError``."""
    number = _digits(number, 14)
    digits = [int(d) for d in number]
    if sum(w * d for w, d in zip(_PINFL_WEIGHTS, digits[:13], strict=False)) % 10 != digits[13]:
        raise InvalidChecksum()
    data = _personal(digits[0], int(number[5:7]), int(number[3:5]), int(number[1:3]))
    return number, data


def iin_check_digit(first_eleven: str) -> int | None:
    """The IIN check digit of 11 digits, or ``None`` when no IIN may be issued with them."""
    digits = [int(d) for d in first_eleven]
    for weights in _IIN_WEIGHTS:
        remainder = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def pinfl_check_digit(first_thirteen: str) -> int:
    """The PINFL check digit of 13 digits."""
    return sum(w * int(d) for w, d in zip(_PINFL_WEIGHTS, first_thirteen, strict=False)) % 10


def validate_iin(number: str) -> tuple[str, PersonalData]:
    """The IIN as 12 digits and what it encodes, or a stdnum ``ValidationError``."""
    number = _digits(number, 12)
    if iin_check_digit(number[:11]) != int(number[11]):
        raise InvalidChecksum()
    data = _personal(int(number[6]), int(number[0:2]), int(number[2:4]), int(number[4:6]))
    return number, data


def validate_passport(number: str, issuer: str) -> str:
    """The passport number upper-cased without spaces, or a stdnum ``ValidationError``."""
    number = clean(number, " -").strip().upper()
    pattern = _PASSPORT_FORMATS.get(issuer, _ANY_PASSPORT)
    if not pattern.match(number):
        raise InvalidFormat()
    return number


def validate(kind: IdentifierKind, number: str, issuer: str) -> tuple[str, PersonalData | None]:
    """The number in its stored form and, for PINFL and IIN, what it says about its holder."""
    if kind is IdentifierKind.UZ_PINFL:
        return validate_pinfl(number)
    if kind is IdentifierKind.KZ_IIN:
        return validate_iin(number)
    return validate_passport(number, issuer), None


__all__ = [
    "ISSUERS",
    "PersonalData",
    "ValidationError",
    "iin_check_digit",
    "pinfl_check_digit",
    "validate",
    "validate_iin",
    "validate_passport",
    "validate_pinfl",
]
