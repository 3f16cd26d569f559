"""National identifiers by their published rules: valid numbers pass, altered ones do not."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from hamkor.care import identifiers
from hamkor.care.models import IdentifierKind, Sex
from tests.fixtures.care import make_iin, make_pinfl


def test_a_pinfl_tells_birth_date_and_sex() -> None:
    number = make_pinfl(date(1985, 3, 15), Sex.MALE, serial=123, district=26)
    # 3·7 + 1·3 + 5·1 + 0·7 + 3·3 + 8·1 + 5·7 + 0·3 + 2·1 + 6·7 + 1·3 + 2·1 + 3·7 = 151 → 1
    assert number == "31503850261231"
    cleaned, data = identifiers.validate_pinfl("3150 3850 2612 31")
    assert cleaned == number
    assert data == identifiers.PersonalData(date(1985, 3, 15), Sex.MALE)
    assert identifiers.validate_pinfl(make_pinfl(date(2012, 1, 2), Sex.FEMALE))[1] == (
        identifiers.PersonalData(date(2012, 1, 2), Sex.FEMALE)
    )


@pytest.mark.parametrize(
    ("number", "error"),
    [
        ("31503850261232", InvalidChecksum),  # last digit changed
        ("31503850262131", InvalidChecksum),  # two digits swapped
        ("3150385026123", InvalidLength),
        ("3150385026123X", InvalidFormat),
        ("73503850261230", InvalidComponent),  # no century 7
        ("33102850261239", InvalidComponent),  # 31 February
    ],
)
def test_an_altered_pinfl_is_refused(number: str, error: type[Exception]) -> None:
    if error is InvalidComponent:
        # Make the check digit right so that only the component is wrong.
        number = number[:13] + str(identifiers.pinfl_check_digit(number[:13]))
    with pytest.raises(error):
        identifiers.validate_pinfl(number)


def test_published_iin_examples_are_valid() -> None:
    # Examples published with open-source IIN validators (see the module docstring).
    assert identifiers.validate_iin("791028302728")[1] == identifiers.PersonalData(
        date(1979, 10, 28), Sex.MALE
    )
    assert identifiers.validate_iin("061211600012")[1].sex is Sex.FEMALE


def test_the_iin_second_weighting_is_used_when_the_first_gives_ten() -> None:
    # Find a head whose first weighted sum is 10 mod 11: its check digit comes from the second.
    head = next(
        h
        for serial in range(10_000)
        if (h := f"8501153{serial:04d}")
        and sum(w * int(d) for w, d in zip(range(1, 12), h, strict=True)) % 11 == 10
    )
    digit = identifiers.iin_check_digit(head)
    if digit is None:
        with pytest.raises(InvalidChecksum):
            identifiers.validate_iin(head + "0")
    else:
        assert identifiers.validate_iin(head + str(digit))[0] == head + str(digit)


@pytest.mark.parametrize("number", ["791028302729", "79102830272", "971028302728"])
def test_an_altered_iin_is_refused(number: str) -> None:
    with pytest.raises(identifiers.ValidationError):
        identifiers.validate_iin(number)


def test_generated_iins_check() -> None:
    number = make_iin(date(1990, 7, 1), Sex.FEMALE, serial=42)
    assert identifiers.validate_iin(number)[1] == identifiers.PersonalData(
        date(1990, 7, 1), Sex.FEMALE
    )


@pytest.mark.parametrize(
    ("number", "issuer", "valid"),
    [
        ("AA 1234567", "UZ", True),
        ("A1234567", "UZ", False),
        ("N12345678", "KZ", True),
        ("12345678", "KZ", False),
        ("C01X00T47", "DE", True),
        ("??", "DE", False),
    ],
)
def test_passports_by_the_format_of_their_country(number: str, issuer: str, valid: bool) -> None:
    if valid:
        assert identifiers.validate(IdentifierKind.PASSPORT, number, issuer)[1] is None
    else:
        with pytest.raises(identifiers.ValidationError):
            identifiers.validate(IdentifierKind.PASSPORT, number, issuer)
