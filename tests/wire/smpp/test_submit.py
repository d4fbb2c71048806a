"""Message → submit_sm: data_coding, splitting, addresses and times, held to smpplib's bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import smpplib.command
from hypothesis import given, settings
from hypothesis import strategies as st

from smsc_transports.encoding import count_parts, decode_gsm7
from smsc_transports.errors import UnsupportedOperation, ValidationError
from smsc_transports.message import Message, MessageKind
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_PAYLOAD,
    TAG_SAR_MSG_REF_NUM,
    TAG_SAR_SEGMENT_SEQNUM,
    TAG_SAR_TOTAL_SEGMENTS,
    ShortMessage,
    decode_short_message,
    encode_short_message_body,
    encode_submit_sm,
)
from smsc_transports.wire.smpp.submit import SubmitEncoder, SubmitSettings
from smsc_transports.wire.smpp.text import LongMode, choose_coding
from smsc_transports.wire.smpp.time_fields import (
    absolute_time,
    parse_absolute_time,
    parse_relative_time,
    parse_time,
    relative_time,
    schedule_time,
)

PHONE = "79991234567"
_TLV_NAMES = {
    TAG_SAR_MSG_REF_NUM: "sar_msg_ref_num",
    TAG_SAR_TOTAL_SEGMENTS: "sar_total_segments",
    TAG_SAR_SEGMENT_SEQNUM: "sar_segment_seqnum",
    TAG_MESSAGE_PAYLOAD: "message_payload",
}


def smpplib_submit(sm: ShortMessage, sequence: int) -> bytes:
    """smpplib's submit_sm for the same fields."""
    fields: dict[str, object] = {
        name: getattr(sm, name)
        for name in (
            "service_type", "source_addr_ton", "source_addr_npi", "source_addr",
            "dest_addr_ton", "dest_addr_npi", "destination_addr", "esm_class", "protocol_id",
            "priority_flag", "schedule_delivery_time", "validity_period", "registered_delivery",
            "replace_if_present_flag", "data_coding", "sm_default_msg_id", "short_message",
        )
    }  # fmt: skip
    for tag, value in sm.tlvs:
        name = _TLV_NAMES[tag]
        fields[name] = value if tag == TAG_MESSAGE_PAYLOAD else int.from_bytes(value, "big")
    pdu = smpplib.command.SubmitSM("submit_sm", sequence=0, **fields)
    pdu.sequence = sequence
    generated: bytes = pdu.generate()
    return generated


CASES: list[tuple[str, Message, SubmitSettings]] = [
    ("gsm7", Message(PHONE, "Your code is 1234", sender="Shop"), SubmitSettings()),
    ("gsm7 extension", Message(PHONE, "Price: 5€ [sale] @home_", sender="Shop"), SubmitSettings()),
    ("latin-1", Message(PHONE, "ça va? Ñandú `ok`"), SubmitSettings()),
    ("ucs2", Message(PHONE, "Код подтверждения: 1234", sender="79001234567"), SubmitSettings()),
    ("flash", Message(PHONE, "Alert!", kind=MessageKind.FLASH), SubmitSettings()),
    ("smsc coding", Message(PHONE, "plain ascii"), SubmitSettings(coding="smsc")),
    ("payload", Message(PHONE, "Длинный текст " * 20), SubmitSettings()),
    ("udh gsm7", Message(PHONE, "long text, " * 30), SubmitSettings(long_mode="udh")),
    ("udh ucs2", Message(PHONE, "Длинный текст " * 20), SubmitSettings(long_mode="udh")),
    ("sar", Message(PHONE, "Длинный текст " * 20), SubmitSettings(long_mode="sar")),
    ("sar latin-1", Message(PHONE, "ç" * 300), SubmitSettings(long_mode="sar")),
    ("valid", Message(PHONE, "Hi", valid=timedelta(hours=2)), SubmitSettings(priority_flag=3)),
    ("binary", Message(PHONE, "000b0c0d", kind=MessageKind.BIN_HEX), SubmitSettings()),
    (
        "binary with a header",
        Message(PHONE, kind=MessageKind.BIN, data=bytes.fromhex("0605040b8423f0dc0601ae")),
        SubmitSettings(),
    ),
    ("no receipt", Message(PHONE, "x", sender="."), SubmitSettings(registered_delivery=0)),
]


@pytest.mark.parametrize(("case", "message", "options"), CASES, ids=[c[0] for c in CASES])
def test_every_submit_is_byte_for_byte_what_smpplib_sends(
    case: str, message: Message, options: SubmitSettings
) -> None:
    encoder = SubmitEncoder(options)
    fields = encoder.fields(message)[0]
    assert fields, case
    for number, sm in enumerate(fields, start=1):
        assert encode_submit_sm(number, sm) == smpplib_submit(sm, number)


@pytest.mark.parametrize(("case", "message", "options"), CASES, ids=[c[0] for c in CASES])
def test_the_fast_encoder_gives_the_same_bytes_as_the_fields(
    case: str, message: Message, options: SubmitSettings
) -> None:
    bodies = SubmitEncoder(options).encode(message).bodies[0]
    fields = SubmitEncoder(options).fields(message)[0]
    assert list(bodies) == [encode_short_message_body(sm) for sm in fields], case


texts = st.text(max_size=400).filter(lambda t: t.strip() and "\x00" not in t)


@settings(max_examples=200, deadline=None)
@given(
    text=texts,
    sender=st.sampled_from([None, "Shop", "79001234567", "."]),
    long_mode=st.sampled_from(["payload", "udh", "sar"]),
    coding=st.sampled_from(["auto", "smsc", "ucs2"]),
)
def test_fast_and_general_paths_agree_and_smpplib_parses_every_submit(
    text: str, sender: str | None, long_mode: LongMode, coding: str
) -> None:
    try:
        message = Message([PHONE, "+79990000001"], text, sender=sender)
    except ValidationError:
        return
    options = SubmitSettings(long_mode=long_mode, coding=coding)  # type: ignore[arg-type]
    try:
        encoded = SubmitEncoder(options).encode(message)
    except ValidationError:
        return  # a lone surrogate: no phone could show it
    fields = SubmitEncoder(options).fields(message)
    assert [list(b) for b in encoded.bodies] == [
        [encode_short_message_body(sm) for sm in phone] for phone in fields
    ]
    for sm in fields[1]:
        assert decode_short_message(encode_short_message_body(sm)) == sm
        assert sm.destination_addr == "79990000001"  # the '+' goes: TON 1 says it


def _text_of(sm: ShortMessage) -> str:
    data = sm.tlv(TAG_MESSAGE_PAYLOAD) or sm.short_message
    if sm.esm_class & 0x40:
        data = data[data[0] + 1 :]
    if sm.data_coding == 0:
        return decode_gsm7(data)
    if sm.data_coding == 8:
        return data.decode("utf-16-be")
    return data.decode("latin-1")


@settings(max_examples=200, deadline=None)
@given(text=texts, long_mode=st.sampled_from(["payload", "udh", "sar"]))
def test_the_parts_put_back_together_are_the_text(text: str, long_mode: LongMode) -> None:
    try:
        message = Message(PHONE, text)
        parts = SubmitEncoder(SubmitSettings(long_mode=long_mode)).fields(message)[0]
    except ValidationError:
        return
    assert "".join(_text_of(sm) for sm in parts) == text
    assert all(len(sm.short_message) <= 254 for sm in parts)
    if len(parts) > 1:
        assert long_mode != "payload"
        numbers = [
            sm.short_message[5] if long_mode == "udh" else sm.tlv(TAG_SAR_SEGMENT_SEQNUM)[0]  # type: ignore[index]
            for sm in parts
        ]
        assert numbers == list(range(1, len(parts) + 1))


def test_data_coding_follows_the_text() -> None:
    assert choose_coding("Hello @ world")[0] == 0
    assert choose_coding("Hello @ world") == (0, b"Hello \x00 world")
    assert choose_coding("ça va")[0] == 3  # not GSM 7-bit (small ç), but Latin-1
    assert choose_coding("Привет")[0] == 8
    assert choose_coding("Привет")[1] == "Привет".encode("utf-16-be")
    assert choose_coding("ascii", "smsc")[0] == 4  # SMSC's own client: 8-bit for ASCII
    assert choose_coding("ascii", "ucs2")[0] == 8


def test_a_long_text_goes_whole_in_message_payload_by_default() -> None:
    text = "Длинный текст " * 20
    encoded = SubmitEncoder(SubmitSettings()).encode(Message(PHONE, text))
    (sm,) = SubmitEncoder(SubmitSettings()).fields(Message(PHONE, text))[0]
    assert sm.short_message == b""
    assert sm.tlv(TAG_MESSAGE_PAYLOAD) == text.encode("utf-16-be")
    assert encoded.parts == count_parts(text).parts == 5


def test_udh_parts_carry_one_reference_and_their_numbers() -> None:
    parts = SubmitEncoder(SubmitSettings(long_mode="udh")).fields(Message(PHONE, "x" * 400))[0]
    headers = [sm.short_message[:6] for sm in parts]
    reference = headers[0][3]
    assert headers == [bytes((5, 0, 3, reference, 3, n)) for n in (1, 2, 3)]
    assert all(sm.esm_class == 0x40 for sm in parts)


def test_a_message_to_several_phones_is_one_submit_each() -> None:
    encoded = SubmitEncoder(SubmitSettings()).encode(Message([PHONE, "79990000002"], "hi"))
    assert len(encoded.bodies) == 2 and encoded.count == 2
    assert b"79990000002\0" in encoded.bodies[1][0]


@pytest.mark.parametrize(
    ("sender", "ton_npi"),
    [("Shop", (5, 1)), ("79001234567", (1, 1)), ("", (5, 1))],
)
def test_source_ton_npi_follow_smscs_own_client(sender: str, ton_npi: tuple[int, int]) -> None:
    (sm,) = SubmitEncoder(SubmitSettings()).fields(Message(PHONE, "hi", sender=sender))[0]
    assert (sm.source_addr_ton, sm.source_addr_npi) == ton_npi
    assert (sm.dest_addr_ton, sm.dest_addr_npi) == (1, 1)
    assert sm.registered_delivery == 1


def test_ton_npi_and_the_default_sender_are_settings() -> None:
    options = SubmitSettings(source_ton=0, source_npi=0, dest_ton=2, default_sender="Brand")
    (sm,) = SubmitEncoder(options).fields(Message(PHONE, "hi"))[0]
    assert (sm.source_addr_ton, sm.source_addr_npi, sm.source_addr) == (0, 0, "Brand")
    assert sm.dest_addr_ton == 2


def test_kinds_smpp_cannot_carry_are_refused_naming_who_can() -> None:
    with pytest.raises(UnsupportedOperation) as caught:
        SubmitEncoder(SubmitSettings()).encode(Message(PHONE, "", kind=MessageKind.HLR))
    assert "https" in caught.value.supported_by


def test_a_contact_group_cannot_be_an_smpp_destination() -> None:
    with pytest.raises(ValidationError, match="phone numbers only"):
        SubmitEncoder(SubmitSettings()).encode(Message("G123", "hi"))


def test_translit_is_applied_before_choosing_the_coding() -> None:
    (sm,) = SubmitEncoder(SubmitSettings()).fields(Message(PHONE, "Привет", translit=1))[0]
    assert (sm.data_coding, sm.short_message) == (0, b"Privet")


# -- times ------------------------------------------------------------------------------


def test_validity_is_a_relative_time() -> None:
    assert relative_time(timedelta(hours=2)) == "000000020000000R"
    assert relative_time(timedelta(days=1, minutes=5)) == "000001000500000R"
    assert parse_relative_time("000001000500000R") == timedelta(days=1, minutes=5)


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2068, 12, 31)))
def test_absolute_times_round_trip(moment: datetime) -> None:
    # SMPP years have two digits; Python reads 69-99 as 19xx, so the range ends in 2068.
    aware = moment.replace(microsecond=moment.microsecond // 100000 * 100000, tzinfo=UTC)
    assert parse_absolute_time(absolute_time(aware)) == aware


def test_an_absolute_time_keeps_its_quarter_hour_offset() -> None:
    moment = parse_absolute_time("240101120000012+")
    assert moment == datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=3)))


def test_smscs_own_time_forms_become_smpp_times() -> None:
    assert schedule_time("+90") == "000000013000000R"
    assert schedule_time("01700000000") == absolute_time(datetime.fromtimestamp(1700000000, UTC))
    # DDMMYYhhmm is Moscow time, as SMSC reads it: 12:00 MSK is 09:00 UTC.
    assert schedule_time("0101251200") == "250101090000000+"
    assert schedule_time(None) == ""
    with pytest.raises(ValidationError, match="hour window"):
        schedule_time("9-18")


# Issue 11: "²" passes str.isdigit() and fails int(); the emulator's SMPP connection died
# on it. A time field from the network is ASCII digits of a fixed length, or nothing.
HOSTILE_TIMES = [
    "240101120000" + "0\xb2\xb2+",  # superscript quarter hours
    "0000010000\xb2\xb2000R",  # superscript minutes, relative
    "\xb2" * 12 + "000+",
    "240101120000099+",  # 99 quarter hours: more than a day off UTC
    "9" * 5000,
    "٢٤٠١٠١١٢٠٠٠٠٠١٢+",  # Arabic-Indic digits, which int() would read
]


@pytest.mark.parametrize("value", HOSTILE_TIMES)
def test_a_hostile_time_field_is_not_a_time_and_never_an_exception(value: str) -> None:
    assert parse_absolute_time(value) is None
    assert parse_relative_time(value) is None
    assert parse_time(value, datetime(2024, 1, 1, tzinfo=UTC)) is None


@given(st.text(max_size=40))
def test_parsing_any_time_field_never_raises(value: str) -> None:
    moment = parse_time(value, datetime(2024, 1, 1, tzinfo=UTC))
    assert moment is None or moment.tzinfo is not None


@pytest.mark.parametrize(
    "send_at", ["+\xb2", "0\xb2\xb2\xb2\xb2\xb2\xb2\xb2\xb2\xb2\xb2", "+1234567", "٠١٠١٢٥١٢٠٠"]
)
def test_a_hostile_send_at_string_is_a_validation_error(send_at: str) -> None:
    with pytest.raises(ValidationError):
        schedule_time(send_at)


def test_binary_data_goes_as_8_bit_octets_with_udhi_only_for_a_header() -> None:
    encoder = SubmitEncoder(SubmitSettings())
    with_header = bytes.fromhex("0605040b8423f0dc0601ae")
    sm = encoder.fields(Message(PHONE, kind=MessageKind.BIN, data=with_header))[0]
    assert [(s.data_coding, s.esm_class, s.short_message) for s in sm] == [(4, 0x40, with_header)]
    plain = encoder.fields(Message(PHONE, kind=MessageKind.BIN_HEX, data=b"\x00\x00\x01\xff"))[0]
    assert [(s.data_coding, s.esm_class, s.short_message) for s in plain] == [
        (4, 0, b"\x00\x01\xff")  # the 00 says "no header"; a NUL octet of content stays
    ]


def test_a_binary_message_with_a_header_longer_than_one_sms_is_refused() -> None:
    data = bytes.fromhex("0605040b8423f0") + bytes(200)
    with pytest.raises(ValidationError) as refused:
        SubmitEncoder(SubmitSettings()).encode(Message(PHONE, kind=MessageKind.BIN, data=data))
    assert refused.value.field == "data"


def test_max_parts_cuts_the_text_where_smsc_does_and_tz_shifts_the_schedule() -> None:
    encoder = SubmitEncoder(SubmitSettings(long_mode="udh"))
    text = "Long text. " * 36 + "The end"  # 3 GSM parts
    parts = encoder.fields(Message(PHONE, text, max_parts=2))[0]
    assert len(parts) == 2
    assert encoder.encode(Message(PHONE, text, max_parts=2)).parts == 2
    moscow = encoder.fields(Message(PHONE, "Hi", send_at="01.01.35 10:00"))[0][0]
    plus_two = encoder.fields(Message(PHONE, "Hi", send_at="01.01.35 10:00", tz=2))[0][0]
    assert moscow.schedule_delivery_time == "350101070000000+"
    assert plus_two.schedule_delivery_time == "350101050000000+"
