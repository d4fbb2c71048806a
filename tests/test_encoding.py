"""Specification of SMS character sets and part counting (``smsc_transports.encoding``)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_transports.encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Parts,
    billed_parts,
    count_parts,
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    encode_ucs2,
    is_gsm7,
    pack_gsm7,
    split,
    unpack_gsm7,
)
from smsc_transports.errors import ValidationError
from smsc_transports.message import Message, MessageKind

# TS 23.038 §6.2.1 written out as Unicode code points, independently of the module's
# own string; None marks 0x1B, the escape.
SPEC_BASIC: list[int | None] = [
    0x40, 0xA3, 0x24, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0x0A, 0xD8, 0xF8, 0x0D, 0xC5,
    0xE5, 0x394, 0x5F, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398, 0x39E, None,
    0xC6, 0xE6, 0xDF, 0xC9, 0x20, 0x21, 0x22, 0x23, 0xA4, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A,
    0x2B, 0x2C, 0x2D, 0x2E, 0x2F, *range(0x30, 0x40), 0xA1, *range(0x41, 0x5B), 0xC4, 0xD6,
    0xD1, 0xDC, 0xA7, 0xBF, *range(0x61, 0x7B), 0xE4, 0xF6, 0xF1, 0xFC, 0xE0,
]  # fmt: skip
SPEC_EXTENSION = {
    0x0A: 0x0C, 0x14: 0x5E, 0x28: 0x7B, 0x29: 0x7D, 0x2F: 0x5C,
    0x3C: 0x5B, 0x3D: 0x7E, 0x3E: 0x5D, 0x40: 0x7C, 0x65: 0x20AC,
}  # fmt: skip
BASIC_CHARS = "".join(chr(c) for c in SPEC_BASIC if c is not None)
EXT_CHARS = "".join(chr(c) for c in SPEC_EXTENSION.values())
GSM_CHARS = BASIC_CHARS + EXT_CHARS
EMOJI = "\U0001f600"


def reference_parts(text: str) -> tuple[str, int, int, int]:
    """A deliberately naive packer: (encoding, parts, units, remaining), char by char."""
    if all(c in GSM_CHARS for c in text):
        encoding, single, multi = "gsm7", 160, 153
        costs = [2 if c in EXT_CHARS else 1 for c in text]
    else:
        encoding, single, multi = "ucs2", 70, 67
        costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    units = sum(costs)
    if units <= single:
        return encoding, 1, units, single - units
    parts, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            parts, used = parts + 1, 0
        used += cost
    return encoding, parts, units, multi - used


def units_of(part: str, encoding: str) -> int:
    """Units one part's text occupies."""
    if encoding == "gsm7":
        return len(encode_gsm7(part))
    return len(part.encode("utf-16-be", "surrogatepass")) // 2


# --- the alphabet -------------------------------------------------------------------------


def test_default_alphabet_matches_ts_23_038_position_by_position() -> None:
    assert len(GSM7_BASIC) == 128
    for septet, code_point in enumerate(SPEC_BASIC):
        if code_point is not None:
            assert GSM7_BASIC[septet] == chr(code_point), hex(septet)


def test_extension_table_matches_ts_23_038() -> None:
    assert {code: ord(c) for code, c in GSM7_EXTENSION.items()} == SPEC_EXTENSION


@pytest.mark.parametrize("char", list(BASIC_CHARS))
def test_each_default_alphabet_character_costs_one_septet(char: str) -> None:
    parts = count_parts(char)
    assert (parts.encoding, parts.units) == ("gsm7", 1)
    assert encode_gsm7(char) == bytes([SPEC_BASIC.index(ord(char))])


@pytest.mark.parametrize("code", sorted(SPEC_EXTENSION))
def test_each_extension_character_costs_two_septets_escape_and_code(code: int) -> None:
    char = chr(SPEC_EXTENSION[code])
    assert count_parts("a" + char).units == 3
    assert encode_gsm7(char) == bytes([0x1B, code])


def test_escape_control_character_itself_is_not_encodable() -> None:
    assert not is_gsm7("\x1b")
    assert count_parts("\x1b").encoding == "ucs2"


def test_capital_c_cedilla_is_gsm_but_small_c_cedilla_is_not() -> None:
    assert count_parts("Ç").encoding == "gsm7"
    assert count_parts("ç").encoding == "ucs2"


@pytest.mark.parametrize("char", ["ж", "`", "ç", "ë", "—", EMOJI, "\x7f"])
def test_a_single_non_gsm_character_switches_the_whole_text_to_ucs2(char: str) -> None:
    parts = count_parts("a" * 100 + char)
    assert parts.encoding == "ucs2"
    assert parts.parts == 2  # 101 units no longer fit in 70


# --- part boundaries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts", "units", "per_part", "remaining"),
    [
        ("a" * 160, 1, 160, 160, 0),
        ("a" * 161, 2, 161, 153, 145),
        ("a" * 306, 2, 306, 153, 0),
        ("a" * 307, 3, 307, 153, 152),
        ("ж" * 70, 1, 70, 70, 0),
        ("ж" * 71, 2, 71, 67, 63),
        ("ж" * 134, 2, 134, 67, 0),
        ("ж" * 135, 3, 135, 67, 66),
    ],
)
def test_single_and_concatenated_part_limits(
    text: str, parts: int, units: int, per_part: int, remaining: int
) -> None:
    result = count_parts(text)
    assert (result.parts, result.units, result.per_part, result.remaining) == (
        parts,
        units,
        per_part,
        remaining,
    )
    assert len(split(text)) == parts


@pytest.mark.parametrize("char", ["€", "{", "\\", "\f"])
def test_extension_character_at_a_part_boundary_moves_whole_to_next_part(char: str) -> None:
    text = "a" * 152 + char + "b" * 10
    assert count_parts(text) == Parts("gsm7", 2, 164, 153, 141, 163)
    assert split(text) == ["a" * 152, char + "b" * 10]


def test_extension_characters_need_more_parts_than_units_divided_by_153() -> None:
    # 306 septets would be exactly 2 parts, but 153 is odd so each part holds 76 €.
    assert count_parts("€" * 153).parts == 3
    assert [len(p) for p in split("€" * 153)] == [76, 76, 1]


def test_emoji_at_a_ucs2_part_boundary_moves_whole_to_next_part() -> None:
    text = "ж" * 66 + EMOJI + "ж" * 10
    assert count_parts(text) == Parts("ucs2", 2, 78, 67, 55, 77)
    assert split(text) == ["ж" * 66, EMOJI + "ж" * 10]


def test_emoji_is_a_surrogate_pair_of_two_units() -> None:
    assert count_parts(EMOJI).units == 2
    assert count_parts(EMOJI * 35).parts == 1
    assert count_parts(EMOJI * 36).parts == 2
    assert count_parts(EMOJI * 67).parts == 3  # 33 per part, not ceil(134 / 67) == 2


def test_text_fitting_one_part_is_not_split_even_with_extension_characters() -> None:
    text = "{" * 80
    assert count_parts(text) == Parts("gsm7", 1, 160, 160, 0, 80)
    assert split(text) == [text]


def test_lone_surrogate_pair_code_points_are_never_separated() -> None:
    text = "a" * 66 + "\ud83d\ude00" + "b" * 10
    assert split(text) == ["a" * 66, "\ud83d\ude00" + "b" * 10]
    assert count_parts(text).parts == 2


# --- empty text and message kinds ---------------------------------------------------------


def test_empty_sms_is_one_empty_part() -> None:
    assert count_parts("") == Parts("gsm7", 1, 0, 160, 160, 0)
    assert split("") == [""]


@pytest.mark.parametrize("kind", [MessageKind.HLR, MessageKind.PING])
@pytest.mark.parametrize("text", ["", "ignored text"])
def test_hlr_and_ping_send_no_text_and_count_zero_parts(kind: MessageKind, text: str) -> None:
    parts = count_parts(text, kind=kind)
    assert (parts.parts, parts.units, parts.remaining) == (0, 0, 0)
    assert parts.characters == len(text)


@pytest.mark.parametrize("kind", [MessageKind.FLASH, MessageKind.PUSH])
def test_flash_and_push_count_like_sms(kind: MessageKind) -> None:
    for text in ("a" * 161, "€" * 153, "ж" * 71):
        assert count_parts(text, kind=kind) == count_parts(text)


@pytest.mark.parametrize(
    "kind",
    [
        MessageKind.MAIL,
        MessageKind.VIBER,
        MessageKind.SOC,
        MessageKind.BOT,
        MessageKind.TELEGRAM,
        MessageKind.MMS,
        MessageKind.CALL,
    ],
)
def test_per_message_kinds_are_one_part_whatever_the_length(kind: MessageKind) -> None:
    assert count_parts("ж" * 500, kind=kind) == Parts("ucs2", 1, 500, 500, 0, 500)
    assert count_parts("a{", kind=kind) == Parts("gsm7", 1, 3, 3, 0, 2)


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        count_parts("a", kind=99)  # type: ignore[arg-type]
    assert info.value.field == "kind"


def test_binary_counts_latin1_characters_as_octets() -> None:
    assert count_parts("\xff" * 140, kind=MessageKind.BIN) == Parts("binary", 1, 140, 140, 0, 140)
    assert count_parts("\x00" * 141, kind=MessageKind.BIN) == Parts("binary", 2, 141, 134, 127, 141)
    assert count_parts("", kind=MessageKind.BIN).parts == 1


def test_binary_rejects_characters_above_u00ff() -> None:
    with pytest.raises(ValidationError, match="position 2"):
        count_parts("ab€", kind=MessageKind.BIN)


def test_binary_hex_counts_two_digits_per_octet() -> None:
    assert count_parts("0aFf" * 70, kind=MessageKind.BIN_HEX).parts == 1
    assert count_parts("00" * 141, kind=MessageKind.BIN_HEX) == Parts(
        "binary", 2, 141, 134, 127, 282
    )


@pytest.mark.parametrize(
    ("text", "message"), [("abc", "odd"), ("0g", "'g' at position 1"), ("00 11", "' '")]
)
def test_binary_hex_rejects_odd_length_and_non_hex(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        count_parts(text, kind=MessageKind.BIN_HEX)
    assert info.value.field == "text"


# --- encoding and decoding ----------------------------------------------------------------


def test_encode_gsm7_gives_unpacked_septets_with_escape_pairs() -> None:
    assert encode_gsm7("@_Ç€a") == b"\x00\x11\x09\x1b\x65\x61"
    assert decode_gsm7(b"\x00\x11\x09\x1b\x65\x61") == "@_Ç€a"


def test_encode_gsm7_names_first_offending_character_and_position() -> None:
    with pytest.raises(ValidationError, match=r"'ж' \(U\+0436\) at position 3"):
        encode_gsm7("abcжz`")


def test_decode_gsm7_rejects_bytes_above_0x7f() -> None:
    with pytest.raises(ValidationError, match="0x80 at position 1"):
        decode_gsm7(b"a\x80")


def test_decode_gsm7_rejects_a_dangling_escape() -> None:
    with pytest.raises(ValidationError, match="position 2"):
        decode_gsm7(b"ab\x1b")
    with pytest.raises(ValidationError):
        decode_gsm7(b"\x1b\x1b\x1b")


def test_decode_gsm7_falls_back_to_default_character_for_undefined_extension_code() -> None:
    assert decode_gsm7(b"\x1b\x61\x1b\x00") == "a@"


def test_decode_gsm7_shows_escape_escape_as_space() -> None:
    assert decode_gsm7(b"a\x1b\x1bb") == "a b"


def test_ucs2_is_utf16_big_endian_with_surrogate_pairs() -> None:
    assert encode_ucs2("Ж" + EMOJI) == b"\x04\x16\xd8\x3d\xde\x00"
    assert decode_ucs2(b"\x04\x16\xd8\x3d\xde\x00") == "Ж" + EMOJI


def test_ucs2_rejects_lone_surrogates_and_odd_lengths() -> None:
    with pytest.raises(ValidationError, match="position 1"):
        encode_ucs2("a\ud83d")
    with pytest.raises(ValidationError):
        decode_ucs2(b"\x00a\x00")
    with pytest.raises(ValidationError):
        decode_ucs2(b"\xd8\x3d\x00a")


def test_pack_gsm7_matches_the_classic_hellohello_vector() -> None:
    assert pack_gsm7(encode_gsm7("hellohello")).hex() == "e8329bfd4697d9ec37"
    assert unpack_gsm7(bytes.fromhex("e8329bfd4697d9ec37")) == encode_gsm7("hellohello")


def test_pack_gsm7_fills_seven_spare_bits_with_cr_which_unpack_drops() -> None:
    packed = pack_gsm7(b"1234567")
    assert len(packed) == 7
    assert packed[-1] >> 1 == 0x0D
    assert unpack_gsm7(packed) == b"1234567"
    assert unpack_gsm7(packed, 7) == b"1234567"


def test_unpack_gsm7_rejects_more_septets_than_the_octets_hold() -> None:
    with pytest.raises(ValidationError):
        unpack_gsm7(b"\x00" * 7, 9)
    with pytest.raises(ValidationError):
        pack_gsm7(b"\x80")


# --- properties ---------------------------------------------------------------------------

gsm_text = st.text(alphabet=st.sampled_from(GSM_CHARS), max_size=400)
# Hypothesis favours short texts, so these start long enough to need concatenation; few
# distinct characters put two-unit ones on part boundaries often. Each alphabet exercises
# one of the module's paths (ASCII GSM, other GSM, UCS-2).
ascii_gsm_text = st.text(alphabet=st.sampled_from("ab ,{}^\\|\f"), min_size=100, max_size=600)
gsm_mixed_text = st.text(
    alphabet=st.sampled_from(["a", " ", "€", "^", "é", "Δ"]), min_size=100, max_size=600
)
ucs2_mixed_text = st.text(
    alphabet=st.sampled_from(["a", " ", "€", "ж", EMOJI, "\U0001f44d"]), min_size=40, max_size=300
)
any_text = st.one_of(
    st.text(max_size=400), gsm_text, ascii_gsm_text, gsm_mixed_text, ucs2_mixed_text
)


@given(gsm_text)
def test_gsm7_round_trips_every_gsm_text(text: str) -> None:
    assert decode_gsm7(encode_gsm7(text)) == text
    assert len(encode_gsm7(text)) == count_parts(text).units


@given(st.text(max_size=200))
def test_encode_gsm7_succeeds_exactly_when_is_gsm7(text: str) -> None:
    if is_gsm7(text):
        assert decode_gsm7(encode_gsm7(text)) == text
    else:
        with pytest.raises(ValidationError):
            encode_gsm7(text)


@given(st.text(max_size=300))
def test_ucs2_round_trips_every_text(text: str) -> None:
    assert decode_ucs2(encode_ucs2(text)) == text


@given(st.binary(max_size=300).map(lambda b: bytes(x & 0x7F for x in b)))
def test_pack_then_unpack_with_length_gives_the_septets_back(septets: bytes) -> None:
    packed = pack_gsm7(septets)
    assert len(packed) == (7 * len(septets) + 7) // 8
    assert unpack_gsm7(packed, len(septets)) == septets


@settings(max_examples=400)
@given(any_text)
def test_split_reassembles_and_matches_count_and_capacity(text: str) -> None:
    parts = split(text)
    counted = count_parts(text)
    assert "".join(parts) == text
    assert len(parts) == counted.parts
    for part in parts:
        assert units_of(part, counted.encoding) <= counted.per_part
        wire = part.encode("utf-16-be")
        if wire:
            assert not 0xDC <= wire[0] <= 0xDF  # does not start with a low surrogate
            assert not 0xD8 <= wire[-2] <= 0xDB  # does not end with a high surrogate
    # Greedy: no part could have taken the first character of the next one.
    for part, following in itertools.pairwise(parts):
        assert units_of(part + following[0], counted.encoding) > counted.per_part


@settings(max_examples=400)
@given(any_text)
def test_count_parts_agrees_with_naive_reference_packer(text: str) -> None:
    counted = count_parts(text)
    expected = reference_parts(text)
    assert (counted.encoding, counted.parts, counted.units, counted.remaining) == expected
    assert counted.characters == len(text)


@given(st.text(alphabet=st.sampled_from(["a", "\ud83d", "\ude00", "ж"]), min_size=60, max_size=300))
def test_lone_surrogates_are_counted_and_split_without_cutting_a_wire_pair(text: str) -> None:
    parts = split(text)
    assert "".join(parts) == text
    assert len(parts) == count_parts(text).parts
    for part, following in itertools.pairwise(parts):
        assert units_of(part, "ucs2") <= 67
        assert not (part[-1] == "\ud83d" and following[0] == "\ude00")
        # Greedy: the next unit (with its low half, if it is a pair) did not fit.
        paired = following[:2] == "\ud83d\ude00"
        assert units_of(part, "ucs2") + (2 if paired else 1) > 67


def test_billed_parts_count_each_recipients_parts() -> None:
    long_cyrillic = Message(["79990000001", "79990000002", "79990000003"], "ы" * 71)
    assert billed_parts(long_cyrillic) == 2 * 3
    assert billed_parts(Message("79990000001", "hi")) == 1
