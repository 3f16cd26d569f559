"""Uzbek transliteration, checked on the words of a real Uzbek Cyrillic news report."""

import re
from pathlib import Path

import pytest

from hamkor.core.translit import OKINA, TUTUQ, cyrl_to_latn, latn_to_cyrl

NEWS = (
    Path(__file__).resolve().parents[3] / "shared" / "domain" / "news" / "002_cef08cc270b87343.txt"
)

# Words of the news report with their official Latin spelling; both directions hold.
NEWS_WORDS = [
    ("Ўзбекистонда", "Oʻzbekistonda"),
    ("Қозоғистон", "Qozogʻiston"),
    ("Қозоғистонлик", "Qozogʻistonlik"),
    ("ҳамкасблари", "hamkasblari"),
    ("шифокорлар", "shifokorlar"),
    ("маҳорат", "mahorat"),
    ("тажриба", "tajriba"),
    ("жарроҳлиги", "jarrohligi"),
    ("эҳтиёжларига", "ehtiyojlariga"),
    ("ёндашувларни", "yondashuvlarni"),
    ("илғор", "ilgʻor"),
    ("Тошкент", "Toshkent"),
    ("ўтказмоқда", "oʻtkazmoqda"),
    ("тиббиёти", "tibbiyoti"),
    ("бўлиб", "boʻlib"),
    ("етакчи", "yetakchi"),
    ("мутахассислар", "mutaxassislar"),
    ("вилоятларида", "viloyatlarida"),
    ("учрашувлар", "uchrashuvlar"),
    ("Ҳамкорликнинг", "Hamkorlikning"),
    ("йўналишларидан", "yoʻnalishlaridan"),
    ("соҳасидаги", "sohasidagi"),
    ("дея", "deya"),
    ("хабар", "xabar"),
    ("ҚР", "QR"),
    ("Соғлиқни", "Sogʻliqni"),
    ("маълумотларига", "maʼlumotlariga"),
    ("таъкидладилар", "taʼkidladilar"),
    ("кўра", "koʻra"),
    ("делегацияси", "delegatsiyasi"),
    ("операцияларни", "operatsiyalarni"),
    ("шаҳрида", "shahrida"),
    ("илмий-тадқиқот", "ilmiy-tadqiqot"),
    ("ходимлари", "xodimlari"),
    ("ўртасидаги", "oʻrtasidagi"),
    ("технологиялар", "texnologiyalar"),
    ("чиқишга", "chiqishga"),
    ("эндопростетик", "endoprostetik"),
    ("географик", "geografik"),
    ("оёқ", "oyoq"),
    ("эга", "ega"),
    ("эмас", "emas"),
    ("этиш", "etish"),
    ("ечимларни", "yechimlarni"),
    ("саёҳат", "sayohat"),
    ("мустаҳкам", "mustahkam"),
    ("ишонч", "ishonch"),
    ("ғамхўрлик", "gʻamxoʻrlik"),
    ("боғлаб", "bogʻlab"),
    ("дейди", "deydi"),
    ("беморларнинг", "bemorlarning"),
    ("Олжас", "Oljas"),
    ("ёрдам", "yordam"),
    ("дўстона", "doʻstona"),
    ("замонавийроқ", "zamonaviyroq"),
    ("янада", "yanada"),
    ("ягона", "yagona"),
    ("Осиёда", "Osiyoda"),
    ("хизмат", "xizmat"),
]

# Rules the report has no word for; both directions hold.
RULE_WORDS = [
    ("ер", "yer"),  # е opens a word: ye
    ("поезд", "poyezd"),  # е after a vowel: ye
    ("кекса", "keksa"),  # е after a consonant: e
    ("эксперт", "ekspert"),  # э at word start: e, read back as э
    ("поэзия", "poeziya"),  # e after a vowel can only be э
    ("аэропорт", "aeroport"),
    ("маъно", "maʼno"),  # ъ: the tutuq belgisi
    ("санъат", "sanʼat"),
    ("маъюс", "maʼyus"),  # ъ after a vowel is kept even before ю
    ("ҳайъат", "hayʼat"),  # ʼ after y keeps й from joining the vowel
    ("объект", "obyekt"),  # Russian separating ъ: Latin writes no sign
    ("Исҳоқ", "Isʼhoq"),  # сҳ is not ш
    ("асҳоб", "asʼhob"),
    ("милиционер", "militsioner"),  # ц after a vowel: ts
    ("операция", "operatsiya"),
    ("пациент", "patsiyent"),
    ("кетса", "ketsa"),  # a real т + с stays т + с
    ("кетсин", "ketsin"),
    ("отсиз", "otsiz"),
    ("тайёр", "tayyor"),
    ("йўл", "yoʻl"),  # y before oʻ is й, not the start of ё
    ("тоғ", "togʻ"),
    ("тонг", "tong"),  # ng is two letters
    ("ШАҲАР", "SHAHAR"),  # among capitals a digraph is all capitals
    ("Шаҳар", "Shahar"),  # else only its first letter
    ("ТОШ", "TOSH"),
    ("ЎЗБЕКИСТОН", "OʻZBEKISTON"),
    ("Ғалаба", "Gʻalaba"),
    ("ЕР", "YER"),
    ("Ер", "Yer"),
    ("ЁРДАМ", "YORDAM"),
    ("Чой", "Choy"),
    ("ИСҲОҚ", "ISʼHOQ"),
    ("Йўқ", "Yoʻq"),
]

# Latin carries less than Cyrillic for these: (Cyrillic, Latin, Cyrillic read back).
LOSSY_WORDS = [
    ("цирк", "sirk", "сирк"),  # ц at word start: s
    ("концерт", "konsert", "консерт"),  # ц after a consonant: s
    ("доцент", "dotsent", "дотсент"),  # ц after a vowel: ts, but not before i + vowel
    ("апрель", "aprel", "апрел"),  # ь is dropped
    ("пьеса", "pyesa", "пъеса"),
    ("бульон", "bulyon", "булён"),  # ь before о sounds y
    ("адъютант", "adyutant", "адютант"),  # separating ъ before ю
    ("мўъжиза", "moʻjiza", "мўжиза"),  # ъ after ў
    ("мэр", "mer", "мер"),  # э after a consonant
    ("район", "rayon", "раён"),  # й before о
]

# The ways people type oʻ, gʻ and the tutuq belgisi.
LATIN_SPELLINGS = [
    ("o'zbek", "ўзбек"),
    ("o‘zbek", "ўзбек"),
    ("o’zbek", "ўзбек"),
    ("o`zbek", "ўзбек"),
    ("oʻzbek", "ўзбек"),
    ("oʼzbek", "ўзбек"),
    ("O'ZBEKISTON", "ЎЗБЕКИСТОН"),
    ("g'alaba", "ғалаба"),
    ("g‘alaba", "ғалаба"),
    ("G`alaba", "Ғалаба"),
    ("tog'", "тоғ"),
    ("ma'no", "маъно"),
    ("ma’no", "маъно"),
    ("ma‘no", "маъно"),
    ("maʻno", "маъно"),
    ("san`at", "санъат"),
    ("Is'hoq", "Исҳоқ"),
    ("Is’hoq", "Исҳоқ"),
    ("yo‘l", "йўл"),
    ("‘Kino’", "‘Кино’"),  # quotation marks around a word stay quotation marks
    ("'Biz'", "'Биз'"),
    ("Shifo'.", "Шифо'."),
]


def news_text() -> str:
    return NEWS.read_text(encoding="utf-8")


@pytest.mark.parametrize(("cyrillic", "latin"), NEWS_WORDS + RULE_WORDS)
def test_cyrillic_to_latin(cyrillic: str, latin: str) -> None:
    assert cyrl_to_latn(cyrillic) == latin


@pytest.mark.parametrize(("cyrillic", "latin"), NEWS_WORDS + RULE_WORDS)
def test_latin_to_cyrillic(cyrillic: str, latin: str) -> None:
    assert latn_to_cyrl(latin) == cyrillic


@pytest.mark.parametrize(("cyrillic", "latin", "back"), LOSSY_WORDS)
def test_documented_losses(cyrillic: str, latin: str, back: str) -> None:
    assert cyrl_to_latn(cyrillic) == latin
    assert latn_to_cyrl(latin) == back


@pytest.mark.parametrize(("latin", "cyrillic"), LATIN_SPELLINGS)
def test_apostrophe_substitutes(latin: str, cyrillic: str) -> None:
    assert latn_to_cyrl(latin) == cyrillic


def test_modifier_letters_are_the_official_ones() -> None:
    assert OKINA == "\u02bb"
    assert TUTUQ == "\u02bc"
    assert cyrl_to_latn("ўғъ") == "o\u02bbg\u02bb\u02bc"


def test_news_words_are_real() -> None:
    words = set(re.findall(r"[\u0400-\u04ff]+", news_text()))
    listed = {word for cyrillic, _ in NEWS_WORDS for word in cyrillic.split("-")}
    assert listed <= words


def test_every_news_word_round_trips() -> None:
    words = sorted(set(re.findall(r"[\u0400-\u04ff]+", news_text())))
    assert len(words) > 150
    assert [w for w in words if latn_to_cyrl(cyrl_to_latn(w)) != w] == []


def test_news_text_round_trips_with_punctuation_and_case() -> None:
    text = news_text()
    latin = cyrl_to_latn(text)
    assert not re.search(r"[\u0400-\u04ff]", latin)
    assert "date 2025-10-15" in latin
    assert "Kazinform QR" in latin
    assert "“Biz bu kunlarga" in latin
    assert "N.D.Batpenov" in latin
    # Only the Latin words that were already in the report (date, Kazinform) change on the way back.
    assert latn_to_cyrl(latin) == latn_to_cyrl(text)


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("2025-10-15, № 7: «ҳа»!", "2025-10-15, № 7: «ha»!"),
        ("Kazinform ҚР", "Kazinform QR"),
        ("әөүұңһі", "әөүұңһі"),  # Kazakh-only letters
        ("Алматы", "Almatы"),  # ы is not an Uzbek letter
        ("щ", "щ"),
    ],
)
def test_other_characters_pass_cyrillic_to_latin(text: str, latin: str) -> None:
    assert cyrl_to_latn(text) == latin


@pytest.mark.parametrize("text", ["2025-10-15, № 7: «»!", "Ўзбек", "c w", "‘ ’ ` '"])
def test_other_characters_pass_latin_to_cyrillic(text: str) -> None:
    assert latn_to_cyrl(text) == text
