"""Fuzzing the SMPP codec's parsers: any bytes are a value or a typed error.

Only the codec (``wire/smpp``, not the session). Settings and the long run:
``tests/fuzzing.py`` and ``docs/reliability.md``.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.wire.smpp import pdu
from smsc_transports.wire.smpp.incoming import Reassembler, incoming_part
from smsc_transports.wire.smpp.receipts import (
    decode_text,
    is_receipt,
    parse_receipt,
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
from smsc_transports.wire.smpp.time_fields import (
    parse_absolute_time,
    parse_relative_time,
    parse_time,
)
from tests.fuzzing import FUZZ, typed_only

TAGS = [
    TAG_MESSAGE_PAYLOAD,
    TAG_MESSAGE_STATE,
    TAG_NETWORK_ERROR_CODE,
    TAG_RECEIPTED_MESSAGE_ID,
    TAG_SAR_MSG_REF_NUM,
    TAG_SAR_SEGMENT_SEQNUM,
    TAG_SAR_TOTAL_SEGMENTS,
    0x0000,
    0xFFFF,
]
RECEIPT_TEXTS = st.one_of(
    st.binary(max_size=160),
    st.builds(
        lambda id, sub, dlvrd, submit, done, stat, err: (
            f"id:{id} sub:{sub} dlvrd:{dlvrd} submit date:{submit} done date:{done} "
            f"stat:{stat} err:{err} text:x"
        ).encode("latin-1", "replace"),
        st.text(max_size=12),
        st.from_regex(r"[0-9]{0,5}", fullmatch=True),
        st.from_regex(r"[0-9]{0,5}", fullmatch=True),
        st.from_regex(r"[0-9]{0,12}", fullmatch=True) | st.text(max_size=12),
        st.from_regex(r"[0-9]{0,12}", fullmatch=True) | st.text(max_size=12),
        st.sampled_from(["DELIVRD", "UNDELIV", "EXPIRED", "x", ""]),
        st.from_regex(r"[0-9]{0,6}", fullmatch=True),
    ),
)


def _short_message(**fields: object) -> ShortMessage:
    # Not st.builds(ShortMessage, ...): that would also invent the fields left out here.
    return ShortMessage(**fields)  # type: ignore[arg-type]


short_messages = st.builds(
    _short_message,
    source_addr=st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=20),
    destination_addr=st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=20),
    esm_class=st.integers(0, 255),
    data_coding=st.integers(0, 255),
    short_message=RECEIPT_TEXTS.map(lambda data: data[:254]),
    tlvs=st.lists(st.tuples(st.sampled_from(TAGS), st.binary(max_size=12)), max_size=4).map(tuple),
)


@FUZZ
@given(st.lists(st.binary(max_size=64), max_size=8), st.integers(16, 4096))
def test_any_stream_splits_into_frames_or_a_typed_error(
    chunks: list[bytes], max_length: int
) -> None:
    splitter = pdu.FrameSplitter(max_length)
    for chunk in chunks:
        outcome = typed_only(lambda chunk=chunk: splitter.feed(chunk))  # type: ignore[misc]
        if not isinstance(outcome, list):
            return
        assert splitter.pending <= max_length


@FUZZ
@given(st.binary(max_size=300))
def test_any_body_decodes_or_raises_a_typed_error(body: bytes) -> None:
    typed_only(lambda: decode_short_message(body))
    for command_id in pdu.BIND_COMMANDS:
        typed_only(lambda command_id=command_id: pdu.decode_bind(command_id, body))  # type: ignore[misc]
    typed_only(lambda: pdu.decode_bind_resp(body))
    typed_only(lambda: pdu.decode_message_id(body))
    typed_only(lambda: pdu.decode_query_sm(body))
    typed_only(lambda: pdu.decode_query_sm_resp(body))


@FUZZ
@given(st.integers(0, 255), st.binary(max_size=200))
def test_any_user_data_decodes_to_text(coding: int, data: bytes) -> None:
    text = typed_only(lambda: decode_text(coding, data))
    assert isinstance(text, str)


@FUZZ
@given(short_messages)
def test_any_deliver_sm_is_a_receipt_an_incoming_part_or_a_typed_error(sm: ShortMessage) -> None:
    decoded = decode_short_message(encode_short_message_body(sm))
    if is_receipt(decoded):
        receipt = typed_only(lambda: parse_receipt(decoded))
        repr(receipt)
    part = typed_only(lambda: incoming_part(decoded))
    reassembler = Reassembler(max_groups=2)
    if not isinstance(part, Exception):
        for joined in typed_only(lambda: reassembler.add(part, 0.0)) or []:  # type: ignore[union-attr]
            assert isinstance(joined.text, str)


LONG_DIGITS = st.integers(1, 6000).map(lambda n: "9" * n)


@FUZZ
@given(
    st.sampled_from(["sub", "dlvrd", "err", "submit date", "done date", "id"]),
    LONG_DIGITS | st.text(max_size=30),
    st.booleans(),
)
def test_a_receipt_with_huge_fields_is_read_or_refused_with_a_typed_error(
    field: str, value: str, in_payload: bool
) -> None:
    text = f"id:1 sub:001 dlvrd:001 stat:DELIVRD err:000 {field}:{value} text:x".encode(
        "utf-8", "surrogatepass"
    )
    if in_payload:
        sm = ShortMessage(esm_class=0x04, tlvs=((TAG_MESSAGE_PAYLOAD, text),))
    else:
        sm = ShortMessage(esm_class=0x04, short_message=text[:254])
    receipt = typed_only(lambda: parse_receipt(sm))
    repr(receipt)


@FUZZ
@given(st.text(max_size=20) | st.from_regex(r"[0-9]{12}[0-9]{0,1}[0-9]{2}[-+R]?", fullmatch=True))
def test_any_time_field_is_a_time_nothing_or_a_typed_error(value: str) -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    typed_only(lambda: parse_absolute_time(value))
    typed_only(lambda: parse_relative_time(value))
    typed_only(lambda: parse_time(value, now))


def test_the_header_struct_is_sixteen_bytes() -> None:
    # What the framing fuzz relies on: the header of four big-endian 32-bit integers.
    assert pdu.HEADER.size == 16 == struct.calcsize(">IIII")
