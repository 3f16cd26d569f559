"""Uzbek between the Cyrillic script and the official Latin alphabet.

Hamkor speaks Uzbek in both scripts: the government, the certificates and the young write Latin
(the 1995 alphabet as amended, with ``oʻ gʻ`` and the tutuq belgisi ``ʼ``), while news reports,
hospital records and many older colleagues write Cyrillic. A name or a narrative kept in one
script must show in the other, so both directions are computed here, from one letter table.

Rules, Cyrillic to Latin (the spelling rules that came with the alphabet):

- Letters: the table ``_LETTERS``; ``ў ғ`` give ``oʻ gʻ`` with U+02BB, ``ъ`` gives the tutuq
  belgisi ``ʼ`` U+02BC.
- ``е`` is ``ye`` where it opens a syllable: at the start of a word, after a vowel and after
  ``ъ ь`` (ер → yer, поезд → poyezd, пьеса → pyesa); elsewhere ``e`` (кекса → keksa). ``э`` is
  always ``e``.
- ``ц`` is ``ts`` after a vowel and ``s`` elsewhere (доцент → dotsent, цирк → sirk,
  концерт → konsert).
- ``ъ`` is ``ʼ`` (маъно → maʼno, санъат → sanʼat) except where Latin has no sign for it: as the
  Russian separating sign between a consonant and ``е ё ю я`` (объект → obyekt) and after ``ў``
  (мўъжиза → moʻjiza).
- ``ь`` is dropped (апрель → aprel), except before ``о``, where it sounds ``y`` (бульон → bulyon).
- ``сҳ`` is written ``sʼh`` so that it is not read as ``sh`` (Исҳоқ → Isʼhoq).
- Case is kept. A capital that becomes two Latin letters is ``Sh`` in a mixed-case word and
  ``SH`` among capitals (Шаҳар → Shahar, ШАҲАР → SHAHAR).

Latin to Cyrillic reads the same rules backwards, longest spelling first (``sh ch yo yu ya ye``
and ``oʻ gʻ`` before single letters; ``ng`` is ``нг``). People type ``oʻ`` in many ways, so
``' ’ ‘ `` ``ʻ ʼ`` after ``o``/``g`` all mean ``ў``/``ғ``; after another letter they are the
tutuq belgisi ``ъ``, and between ``s`` and ``h`` the separator of ``сҳ``. A plain quotation mark
(``' ’ ‘ ```) ends a word after ``o`` or any other letter but ``g``, so quoted words keep their
quotes; only ``ʻ ʼ`` are always letters. ``e`` and ``ye`` become ``э`` and ``е`` where ``е``
would have been ``ye`` (word start, after a vowel or ``ъ``) and ``е`` and ``ъе`` elsewhere
(ekspert → эксперт, poeziya → поэзия, obyekt → объект). ``ts`` is ``тс`` (ketsa → кетса) except
in the ``-tsiya``/``-tsio``/``-tsie`` of loanwords, after a vowel and before ``i`` and a vowel
(operatsiya → операция, militsioner → милиционер); a ``ц`` written ``s`` cannot be told from
``с``.

Round trip: ``latn_to_cyrl(cyrl_to_latn(word)) == word`` for ordinary Uzbek words. Latin carries
less than Cyrillic for these, which therefore come back otherwise:

- ``ь`` (апрель → апрел, пьеса → пъеса, бульон → булён) and ``ъ`` where it was dropped
  (адъютант → адютант, мўъжиза → мўжиза);
- ``э`` after a consonant, read as ``е`` (мэр → мер);
- ``ц`` outside ``vowel + ци + vowel`` (цирк → сирк, концерт → консерт, доцент → дотсент);
- ``й`` before ``о у а`` (район → раён), except ``йў`` (йўл → yoʻl → йўл);
- ``ъ`` after ``о`` or ``г``, read as ``ў`` or ``ғ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

OKINA: Final = "\u02bb"
"""MODIFIER LETTER TURNED COMMA, the sign of ``oʻ`` and ``gʻ``."""

TUTUQ: Final = "\u02bc"
"""MODIFIER LETTER APOSTROPHE, the tutuq belgisi (``ъ``)."""

# The letters whose spelling does not depend on their neighbours; е, э, ц and ь are decided by
# the rules in `_latin_letter`, and ъ's separator use there too.
_LETTERS: Final[Mapping[str, str]] = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "ғ": "g" + OKINA,
    "д": "d",
    "ё": "yo",
    "ж": "j",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "қ": "q",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "ў": "o" + OKINA,
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "x",
    "ҳ": "h",
    "ч": "ch",
    "ш": "sh",
    "ъ": TUTUQ,
    "ю": "yu",
    "я": "ya",
}
_CYRILLIC: Final[Mapping[str, str]] = {latin: cyrillic for cyrillic, latin in _LETTERS.items()}

_VOWELS: Final = frozenset("аеёиоуўэюя")
_CONSONANTS: Final = frozenset("бвгғджзйкқлмнпрстфхҳцчш")
_IOTATED: Final = frozenset("еёюя")
_VOWELS_AND_Y: Final = frozenset("aeiouy")
_APOSTROPHES: Final = frozenset("'\u2019\u2018`" + OKINA + TUTUQ)
_MODIFIERS: Final = frozenset(OKINA + TUTUQ)


def cyrl_to_latn(text: str) -> str:
    """Write Uzbek Cyrillic ``text`` in the official Latin alphabet.

    Anything that is not an Uzbek Cyrillic letter (digits, punctuation, Latin, Russian-only or
    Kazakh-only letters) is kept as it is, so mixed text such as ``Kazinform ҚР`` survives.
    """
    out: list[str] = []
    for index, char in enumerate(text):
        letter = char.lower()
        previous = text[index - 1].lower() if index else ""
        following = text[index + 1].lower() if index + 1 < len(text) else ""
        latin = _latin_letter(letter, previous, following)
        if latin is None:
            out.append(char)
            continue
        if letter == "ҳ" and previous in ("с", "ц"):
            out.append(TUTUQ)
        out.append(_latin_case(latin, text, index) if char.isupper() else latin)
    return "".join(out)


def latn_to_cyrl(text: str) -> str:
    """Write Uzbek Latin ``text`` in Cyrillic.

    Every Latin letter of the Uzbek alphabet is converted, so English words become Cyrillic too;
    ``c`` outside ``ch``, ``w`` and all other characters are kept as they are.
    """
    out: list[str] = []
    index = 0
    while index < len(text):
        previous = out[-1][-1] if out else ""
        cyrillic, size = _cyrillic_at(text, index, previous)
        out.append(cyrillic)
        index += size
    return "".join(out)


def _opens_syllable(previous: str) -> bool:
    """Whether a letter after ``previous`` starts a syllable, where Cyrillic е sounds ``ye``."""
    return not previous.isalpha() or previous in _VOWELS or previous in ("ъ", "ь")


def _latin_letter(letter: str, previous: str, following: str) -> str | None:
    """The lower-case Latin spelling of a Cyrillic letter between its neighbours, if it has one."""
    if letter == "е":
        return "ye" if _opens_syllable(previous) else "e"
    if letter == "э":
        return "e"
    if letter == "ц":
        return "ts" if previous in _VOWELS else "s"
    if letter == "ь":
        return "y" if following == "о" else ""
    if letter == "ъ" and (previous == "ў" or (previous in _CONSONANTS and following in _IOTATED)):
        return ""
    return _LETTERS.get(letter)


def _latin_case(latin: str, text: str, index: int) -> str:
    """Capitalise ``latin`` for the capital at ``index``: all of it among capitals, else title."""
    following = text[index + 1] if index + 1 < len(text) else ""
    previous = text[index - 1] if index else ""
    among_capitals = following.isupper() if following.isalpha() else previous.isupper()
    return latin.upper() if among_capitals else latin[:1].upper() + latin[1:]


def _is_okina(text: str, index: int) -> bool:
    """Whether ``text[index]`` is ``o`` or ``g`` whose following apostrophe makes it ``ў``/``ғ``."""
    letter = text[index : index + 1].lower()
    mark = text[index + 1 : index + 2]
    if letter not in ("o", "g") or mark not in _APOSTROPHES:
        return False
    # A quotation mark after a word's last o closes a quote; no Uzbek word ends in ў, many in ғ.
    return letter == "g" or mark in _MODIFIERS or text[index + 2 : index + 3].isalpha()


def _cyrillic_at(text: str, index: int, previous: str) -> tuple[str, int]:
    """The Cyrillic for the Latin spelling at ``index``, and how many characters it took.

    ``previous`` is the last Cyrillic character written, which decides е/э and ц.
    """
    char = text[index]
    upper = char.isupper()
    pair = text[index : index + 2].lower()
    after_pair = text[index + 2 : index + 3].lower()
    starts_syllable = _opens_syllable(previous.lower())
    if _is_okina(text, index):
        cyrillic, size = ("ў" if pair[0] == "o" else "ғ"), 2
    elif pair[0] == "s" and pair[1:] in _APOSTROPHES and after_pair == "h":
        cyrillic, size = "с", 2
    elif char in _APOSTROPHES:
        is_tutuq = text[index - 1 : index].isalpha() and (
            char in _MODIFIERS or text[index + 1 : index + 2].isalpha()
        )
        return ("ъ" if is_tutuq else char), 1
    elif pair == "ye":
        cyrillic, size = ("е" if starts_syllable else "ъе"), 2
    elif pair in ("yo", "yu", "ya") and not _is_okina(text, index + 1):
        cyrillic, size = _CYRILLIC[pair], 2
    elif pair[0] == "e":
        cyrillic, size = ("э" if starts_syllable else "е"), 1
    elif (
        pair == "ts"
        and previous.lower() in _VOWELS
        and after_pair == "i"
        and text[index + 3 : index + 4].lower() in _VOWELS_AND_Y
    ):
        cyrillic, size = "ц", 2
    elif pair in ("sh", "ch"):
        cyrillic, size = _CYRILLIC[pair], 2
    elif pair[0] in _CYRILLIC:
        cyrillic, size = _CYRILLIC[pair[0]], 1
    else:
        return char, 1
    return (cyrillic.upper() if upper else cyrillic), size
