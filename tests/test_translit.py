"""Specification of the local model of SMSC's ``translit`` parameter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.encoding import GSM7_BASIC, GSM7_EXTENSION, count_parts, is_gsm7
from smsc_transports.errors import ValidationError
from smsc_transports.translit import transliterate

RUSSIAN_LOWER = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
RUSSIAN_UPPER = RUSSIAN_LOWER.upper()
OTHER_CYRILLIC = "іїєґўІЇЄҐЎ"
CYRILLIC = RUSSIAN_LOWER + RUSSIAN_UPPER + OTHER_CYRILLIC
GSM_CHARS = GSM7_BASIC.replace("\x1b", "") + "".join(GSM7_EXTENSION.values())
PRINTABLE_ASCII = "".join(chr(c) for c in range(0x20, 0x7F))


def test_alphabet_under_test_has_all_33_russian_letters_in_both_cases() -> None:
    assert len(RUSSIAN_LOWER) == len(set(RUSSIAN_UPPER)) == 33


@given(st.text())
def test_mode_0_returns_the_text_unchanged(text: str) -> None:
    assert transliterate(text, 0) == text


@pytest.mark.parametrize("mode", [-1, 3, 10])
def test_unknown_modes_are_rejected(mode: int) -> None:
    with pytest.raises(ValidationError) as info:
        transliterate("текст", mode)
    assert info.value.field == "translit"


# --- mode 1: "translit" -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Привет", "Privet"),
        ("щ", "sch"),
        ("ж", "zh"),
        ("ч", "ch"),
        ("ш", "sh"),
        ("ю", "yu"),
        ("я", "ya"),
        ("ё", "yo"),
        ("х", "h"),
        ("ц", "c"),
        ("й", "j"),
        ("ы", "y"),
        ("день", "den'"),
        ("подъезд", "pod'ezd"),
        ("транслит", "translit"),
    ],
)
def test_mode_1_writes_russian_in_latin_letters(cyrillic: str, latin: str) -> None:
    assert transliterate(cyrillic, 1) == latin


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Щука", "Schuka"),
        ("ЩУКА", "SCHUKA"),
        ("Я и ты", "Ya i ty"),
        ("ЮЛЯ", "YULYA"),
        ("ВЕЩЬ", "VESCH'"),
        ("ЁЖ", "YOZH"),
        ("Юля ЖДЁТ", "Yulya ZHDYOT"),
    ],
)
def test_mode_1_keeps_case_with_capitals_in_upper_case_words(cyrillic: str, latin: str) -> None:
    assert transliterate(cyrillic, 1) == latin


def test_mode_1_replaces_every_cyrillic_letter() -> None:
    for letter in CYRILLIC:
        out = transliterate(letter, 1)
        assert out and out.isascii(), letter


def test_mode_1_leaves_everything_but_cyrillic_letters_alone() -> None:
    text = "Code 1234, €5 «ok» 😀"
    assert transliterate(text, 1) == text


@given(st.text(alphabet=st.sampled_from(CYRILLIC + PRINTABLE_ASCII)))
def test_mode_1_output_for_cyrillic_and_ascii_is_ascii(text: str) -> None:
    assert transliterate(text, 1).isascii()


@given(st.text())
def test_text_without_cyrillic_passes_unchanged_in_every_mode(text: str) -> None:
    if not any(c in CYRILLIC for c in text):
        assert transliterate(text, 1) == text
        assert transliterate(text, 2) == text


# --- mode 2: "mpaHc/Ium" ------------------------------------------------------------------


def test_mode_2_reproduces_smsc_own_example() -> None:
    assert transliterate("транслит", 2) == "mpaHc/Ium"


@pytest.mark.parametrize(
    ("cyrillic", "lookalike"),
    [
        ("а", "a"),
        ("в", "B"),
        ("е", "e"),
        ("к", "k"),
        ("м", "M"),
        ("н", "H"),
        ("о", "o"),
        ("р", "p"),
        ("с", "c"),
        ("Т", "T"),
        ("у", "y"),
        ("х", "x"),
        ("и", "u"),
        ("л", "/I"),
        ("ш", "LLI"),
        ("ж", ">|<"),
        ("п", "n"),
        ("д", "g"),
        ("з", "3"),
        ("ч", "4"),
        ("я", "9I"),
        ("б", "6"),
        ("г", "r"),
        ("ы", "bI"),
        ("ь", "b"),
        ("ю", "I-O"),
    ],
)
def test_mode_2_uses_look_alike_characters(cyrillic: str, lookalike: str) -> None:
    assert transliterate(cyrillic, 2) == lookalike


def test_mode_2_replaces_every_cyrillic_letter_with_gsm_characters() -> None:
    for letter in CYRILLIC:
        out = transliterate(letter, 2)
        assert out and is_gsm7(out) and not any(c in CYRILLIC for c in out), letter


@given(st.text(alphabet=st.sampled_from(CYRILLIC + GSM_CHARS)))
def test_mode_2_output_is_always_gsm7(text: str) -> None:
    assert is_gsm7(transliterate(text, 2))


# --- pricing ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [1, 2])
def test_transliterated_russian_is_priced_as_gsm7_in_fewer_parts(mode: int) -> None:
    text = "Ваш код подтверждения: 1234. Никому его не сообщайте, даже сотрудникам банка."
    assert (count_parts(text).encoding, count_parts(text).parts) == ("ucs2", 2)
    priced = count_parts(transliterate(text, mode))
    assert (priced.encoding, priced.parts) == ("gsm7", 1)
