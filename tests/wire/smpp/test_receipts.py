"""What deliver_sm brings: appendix-B receipts, receipt TLVs, incoming texts and their parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.errors import ProtocolError
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.smpp.incoming import IncomingPart, Reassembler, incoming_part
from smsc_transports.wire.smpp.receipts import (
    Reading,
    canonical_id,
    decode_text,
    is_receipt,
    parse_receipt,
    receipt_key,
    status_for,
)
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_PAYLOAD,
    TAG_MESSAGE_STATE,
    TAG_NETWORK_ERROR_CODE,
    TAG_RECEIPTED_MESSAGE_ID,
    TAG_SAR_MSG_REF_NUM,
    TAG_SAR_SEGMENT_SEQNUM,
    TAG_SAR_TOTAL_SEGMENTS,
    ShortMessage,
    decode_short_message,
    encode_short_message_body,
)
from smsc_transports.wire.smpp.text import text_content

APPENDIX_B = (
    "id:0123456789 sub:001 dlvrd:001 submit date:2401011200 done date:2401011205"
    " stat:DELIVRD err:000 text:Your code is 1234"
)
MOSCOW = timezone(timedelta(hours=3))
RECEIPT_TAGS = (TAG_RECEIPTED_MESSAGE_ID, TAG_MESSAGE_STATE, TAG_NETWORK_ERROR_CODE)


def receipt_pdu(text: str = APPENDIX_B, *tlvs: tuple[int, bytes], esm: int = 0x04) -> ShortMessage:
    """A receipt as an SMSC sends it, through the codec and back."""
    sm = ShortMessage(
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="79991234567",
        destination_addr="Shop",
        esm_class=esm,
        short_message=text.encode("ascii"),
        tlvs=tlvs,
    )
    return decode_short_message(encode_short_message_body(sm))


def test_an_appendix_b_receipt_is_read_field_by_field() -> None:
    receipt = parse_receipt(receipt_pdu())
    assert receipt.message_id == "0123456789"
    assert (receipt.state, receipt.stat, receipt.error) == (2, "DELIVRD", 0)
    assert (receipt.submitted, receipt.delivered) == (1, 1)
    assert receipt.submitted_at == datetime(2024, 1, 1, 12, 0, tzinfo=MOSCOW)
    assert receipt.done_at == datetime(2024, 1, 1, 12, 5, tzinfo=MOSCOW)
    assert receipt.text == "Your code is 1234"
    assert (receipt.phone, receipt.sender) == ("79991234567", "Shop")
    assert receipt.status is MessageStatus.DELIVERED
    assert receipt.delivery_error is DeliveryError.NO_ERROR


def test_the_zone_of_receipt_dates_is_a_setting() -> None:
    receipt = parse_receipt(receipt_pdu(), utc_offset=0)
    assert receipt.done_at == datetime(2024, 1, 1, 12, 5, tzinfo=UTC)


def test_fields_inside_the_message_text_do_not_override_the_receipts_own() -> None:
    receipt = parse_receipt(receipt_pdu(APPENDIX_B.replace("is 1234", "is id:999 stat:REJECTD")))
    assert (receipt.message_id, receipt.stat) == ("0123456789", "DELIVRD")
    assert receipt.text == "Your code is id:999 stat:REJECTD"


def test_receipt_tlvs_win_over_the_text() -> None:
    receipt = parse_receipt(
        receipt_pdu(
            APPENDIX_B,
            (TAG_RECEIPTED_MESSAGE_ID, b"ABC\0"),
            (TAG_MESSAGE_STATE, b"\x05"),
        )
    )
    assert (receipt.message_id, receipt.state) == ("ABC", 5)
    assert receipt.status is MessageStatus.UNABLE_TO_DELIVER


def test_a_receipt_with_tlvs_only_still_correlates() -> None:
    sm = receipt_pdu(
        "",
        (TAG_RECEIPTED_MESSAGE_ID, b"77\0"),
        (TAG_MESSAGE_STATE, b"\x03"),
        (TAG_NETWORK_ERROR_CODE, b"\x03\x00\xf5"),
    )
    receipt = parse_receipt(sm)
    assert (receipt.message_id, receipt.state, receipt.error) == ("77", 3, 245)
    assert receipt.status is MessageStatus.EXPIRED
    assert receipt.delivery_error is DeliveryError.STATUS_NOT_RECEIVED


@pytest.mark.parametrize(
    ("stat", "err", "status"),
    [
        ("DELIVRD", "000", MessageStatus.DELIVERED),
        ("EXPIRED", "000", MessageStatus.EXPIRED),
        ("UNDELIV", "001", MessageStatus.UNABLE_TO_DELIVER),
        ("UNDELIV", "249", MessageStatus.INVALID_NUMBER),
        ("UNDELIV", "248", MessageStatus.UNAVAILABLE_NUMBER),
        ("REJECTD", "253", MessageStatus.FORBIDDEN),
        ("ENROUTE", "000", MessageStatus.TRANSFERRED),
        ("ACCEPTD", "000", MessageStatus.TRANSFERRED),
        ("DELETED", "000", MessageStatus.UNABLE_TO_DELIVER),
        ("WHATEVER", "000", MessageStatus.UNABLE_TO_DELIVER),
    ],
)
def test_stat_words_and_err_codes_become_smsc_statuses(
    stat: str, err: str, status: MessageStatus
) -> None:
    text = APPENDIX_B.replace("DELIVRD", stat).replace("err:000", f"err:{err}")
    receipt = parse_receipt(receipt_pdu(text))
    assert receipt.status is status
    if status.is_failed and int(err):
        assert receipt.delivery_error == int(err)


def test_no_state_at_all_reads_as_still_on_its_way() -> None:
    assert status_for(None, None) is MessageStatus.TRANSFERRED


def test_receipts_are_told_from_incoming_messages() -> None:
    assert is_receipt(receipt_pdu())
    assert is_receipt(receipt_pdu("", (TAG_RECEIPTED_MESSAGE_ID, b"1\0"), esm=0))
    assert is_receipt(receipt_pdu(esm=0x20))  # intermediate notification
    assert not is_receipt(receipt_pdu("id:1 stat:DELIVRD", esm=0))  # a person typed that


def test_receipt_ids_are_compared_without_case_or_leading_zeros() -> None:
    assert canonical_id(" 00AbC ") == "abc"
    assert canonical_id("000") == "0"


# -- incoming texts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coding", "data", "text"),
    [
        (0, b"Hello \x00", "Hello @"),
        (1, b"plain", "plain"),
        (3, "ça".encode("latin-1"), "ça"),
        (8, "Привет".encode("utf-16-be"), "Привет"),
        (0x18, "Привет".encode("utf-16-be"), "Привет"),  # class 0, UCS-2
        (0xF0, b"flash", "flash"),
        (4, b"\x01\x02", "\x01\x02"),
    ],
)
def test_user_data_is_decoded_by_its_data_coding(coding: int, data: bytes, text: str) -> None:
    assert decode_text(coding, data) == text


@given(st.integers(0, 255), st.binary(max_size=60))
def test_decoding_never_raises_on_mangled_user_data(coding: int, data: bytes) -> None:
    assert isinstance(decode_text(coding, data), str)


def mo_parts(text: str, long_mode: str) -> list[ShortMessage]:
    content = text_content(text, long_mode=long_mode, reference=42)  # type: ignore[arg-type]
    return [
        ShortMessage(
            source_addr="79991234567",
            destination_addr="7900",
            esm_class=content.esm_class,
            data_coding=content.data_coding,
            short_message=sm,
            tlvs=tlvs,
        )
        for sm, tlvs in content.segments
    ]


@pytest.mark.parametrize("long_mode", ["udh", "sar"])
def test_a_split_incoming_message_is_joined_in_order_whatever_the_arrival(long_mode: str) -> None:
    text = "Ответ абонента: " + "да, " * 60
    parts = [incoming_part(sm) for sm in mo_parts(text, long_mode)]
    assert len(parts) > 2
    assembler = Reassembler()
    joined = []
    for part in reversed(parts):
        joined += assembler.add(part, now=0.0)
    assert [(j.text, j.complete, j.phone) for j in joined] == [(text, True, "79991234567")]
    assert len(assembler) == 0


def test_a_one_part_incoming_message_passes_straight_through() -> None:
    (sm,) = mo_parts("short", "udh")
    assert [j.text for j in Reassembler().add(incoming_part(sm), now=0.0)] == ["short"]


def test_an_incomplete_group_comes_out_partial_when_it_times_out() -> None:
    first = incoming_part(mo_parts("x" * 400, "udh")[0])
    assembler = Reassembler(ttl=10)
    assert assembler.add(first, now=0.0) == []
    assert assembler.expire(now=5.0) == []
    (joined,) = assembler.expire(now=10.0)
    assert (joined.text, joined.complete) == (first.text, False)


def test_the_number_of_open_groups_is_bounded() -> None:
    assembler = Reassembler(max_groups=2)
    out = []
    for reference in range(5):
        out += assembler.add(IncomingPart("7999", "7900", f"{reference}", reference, 2, 1), 0.0)
    assert len(assembler) == 2
    assert [j.text for j in out] == ["0", "1", "2"]


def test_sar_tlvs_and_payload_are_read_for_incoming_messages() -> None:
    sm = ShortMessage(
        source_addr="7999",
        data_coding=8,
        tlvs=(
            (TAG_SAR_MSG_REF_NUM, b"\x00\x07"),
            (TAG_SAR_TOTAL_SEGMENTS, b"\x02"),
            (TAG_SAR_SEGMENT_SEQNUM, b"\x02"),
            (TAG_MESSAGE_PAYLOAD, "конец".encode("utf-16-be")),
        ),
    )
    part = incoming_part(sm)
    assert (part.reference, part.total, part.number, part.text) == (7, 2, 2, "конец")


# -- hostile receipts (issue 11: int() after str.isdigit() dropped the link) ------------


def payload_receipt(text: bytes, *tlvs: tuple[int, bytes], coding: int = 3) -> ShortMessage:
    """A receipt whose text is raw octets in message_payload (no 254-octet limit)."""
    return ShortMessage(
        source_addr="79991234567",
        esm_class=0x04,
        data_coding=coding,
        tlvs=((TAG_MESSAGE_PAYLOAD, text), *tlvs),
    )


UNREADABLE = {
    "err of Latin-1 superscript two": payload_receipt(b"id:1 stat:DELIVRD err:\xb2"),
    "err of 5,000 digits": payload_receipt(b"id:1 stat:DELIVRD err:" + b"9" * 5000),
    "sub of superscripts": payload_receipt(b"id:1 sub:\xb2\xb3 dlvrd:001 stat:DELIVRD err:000"),
    "dlvrd of letters": payload_receipt(b"id:1 sub:001 dlvrd:one stat:DELIVRD err:000"),
    "receipted_message_id of 5,000 digits": payload_receipt(
        b"stat:DELIVRD", (TAG_RECEIPTED_MESSAGE_ID, b"7" * 5000 + b"\0")
    ),
    "message_state of two octets": payload_receipt(b"id:1", (TAG_MESSAGE_STATE, b"\x00\x02")),
}


@pytest.mark.parametrize("sm", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_receipt_is_a_protocol_error_never_a_value_error(sm: ShortMessage) -> None:
    with pytest.raises(ProtocolError):
        parse_receipt(sm)


def test_a_receipt_id_of_superscript_digits_is_an_id_like_any_other() -> None:
    sm = payload_receipt(b"stat:DELIVRD", (TAG_RECEIPTED_MESSAGE_ID, b"\xb2\xb3\0"))
    receipt = parse_receipt(sm)
    assert receipt.message_id == "²³"
    assert canonical_id(receipt.message_id) == "²³"
    assert receipt_key(receipt.message_id, "dec") == "²³"


@given(
    st.binary(max_size=300),
    st.lists(st.tuples(st.sampled_from(RECEIPT_TAGS), st.binary(max_size=80)), max_size=4),
    st.integers(0, 255),
)
def test_parsing_any_receipt_raises_nothing_but_protocol_error(
    text: bytes, tlvs: list[tuple[int, bytes]], coding: int
) -> None:
    sm = payload_receipt(text, *tlvs, coding=coding)
    try:
        receipt = parse_receipt(sm)
    except ProtocolError:
        return
    readings: tuple[Reading, ...] = ("given", "hex", "dec")
    for reading in readings:
        assert isinstance(receipt_key(receipt.message_id, reading), str)
    assert isinstance(receipt.status, MessageStatus)


@given(st.text(alphabet="0123456789abcdef²³¹٣ xyz:", max_size=60))
def test_the_numeric_fields_of_a_text_receipt_parse_or_raise_protocol_error(field: str) -> None:
    text = f"id:{field} sub:{field} dlvrd:{field} stat:DELIVRD err:{field}"
    try:
        receipt = parse_receipt(payload_receipt(text.encode("utf-8"), coding=8))
    except ProtocolError:
        return
    assert receipt.error is None or 0 <= receipt.error < 10**9
