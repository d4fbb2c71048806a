"""SMPP framing and the small PDUs: byte-for-byte with smpplib, round trips, hostile bytes."""

from __future__ import annotations

import contextlib

import pytest
import smpplib.command
import smpplib.consts
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.errors import (
    AuthenticationError,
    InsufficientFunds,
    InvalidPhone,
    MessageForbidden,
    ProtocolError,
    RateLimited,
    UnknownAPIError,
    ValidationError,
    api_error,
)
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.command_status import smpp_error, smsc_code, status_for_code
from smsc_transports.wire.smpp.scheduled import (
    CancelRequest,
    ReplaceRequest,
    decode_cancel_sm,
    decode_replace_sm,
    encode_cancel_sm,
    encode_replace_sm,
)
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_PAYLOAD,
    TAG_MESSAGE_STATE,
    ShortMessage,
    decode_data_sm,
    encode_data_sm,
)

ascii_field = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=15)


def smpplib_pdu(name: str, sequence: int, **fields: object) -> bytes:
    """smpplib's bytes for a PDU (its module-level client cannot number it, so we do)."""
    pdu = smpplib.command.factory(name, sequence=0, **fields)
    pdu.sequence = sequence
    if "status" in fields:
        pdu.status = fields["status"]
    generated: bytes = pdu.generate()
    return generated


# -- the framing ----------------------------------------------------------------------


def test_command_ids_and_statuses_are_smpplibs() -> None:
    assert w.SUBMIT_SM == 0x00000004 and w.SUBMIT_SM_RESP == 0x80000004
    assert w.DELIVER_SM == 0x00000005 and w.ENQUIRE_LINK == 0x00000015
    assert w.ESME_RTHROTTLED == smpplib.consts.SMPP_ESME_RTHROTTLED == 0x58
    assert w.ESME_RMSGQFUL == 0x14 and w.ESME_RINVDSTADR == 0x0B


@given(
    bodies=st.lists(st.binary(max_size=300), min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=40),
)
def test_splitter_finds_the_same_pdus_however_the_stream_is_cut(
    bodies: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(w.encode_pdu(0x80000004, 0, n + 1, body) for n, body in enumerate(bodies))
    splitter = w.FrameSplitter()
    frames: list[w.Frame] = []
    position = 0
    for cut in cuts * 100:
        if position >= len(stream):
            break
        frames += splitter.feed(stream[position : position + cut])
        position += cut
    frames += splitter.feed(stream[position:])
    assert [body for *_, body in frames] == bodies
    assert [sequence for _, _, sequence, _ in frames] == list(range(1, len(bodies) + 1))
    assert splitter.pending == 0


@pytest.mark.parametrize("length", [0, 1, 15, w.MAX_PDU_LENGTH + 1, 0xFFFFFFFF])
def test_a_hostile_command_length_is_a_protocol_error_before_any_buffering(length: int) -> None:
    header = length.to_bytes(4, "big") + (4).to_bytes(4, "big") + bytes(8)
    with pytest.raises(ProtocolError, match="command_length"):
        w.FrameSplitter().feed(header)


def test_a_header_only_pdu_is_whole_and_a_partial_one_waits() -> None:
    splitter = w.FrameSplitter()
    assert splitter.feed(w.encode_pdu(w.ENQUIRE_LINK, 0, 7)) == [(w.ENQUIRE_LINK, 0, 7, b"")]
    assert splitter.feed(w.encode_pdu(w.UNBIND, 0, 8)[:10]) == []
    assert splitter.pending == 10


@given(st.binary(max_size=400))
def test_random_bytes_give_frames_or_a_protocol_error_and_nothing_else(data: bytes) -> None:
    try:
        frames = w.FrameSplitter(max_length=1024).feed(data)
    except ProtocolError:
        return
    assert all(16 + len(body) <= len(data) for *_, body in frames)


# -- byte-for-byte with smpplib ---------------------------------------------------------


def test_bind_transceiver_is_smpplibs_bytes() -> None:
    ours = w.encode_bind(1, w.BindRequest(w.BIND_TRANSCEIVER, "demo", "secret", "", 0x34))
    theirs = smpplib_pdu("bind_transceiver", 1, system_id="demo", password="secret")
    assert ours == theirs


def test_a_password_longer_than_smpp_allows_is_sent_whole_not_truncated() -> None:
    # smpplib cuts passwords to 8 characters; SMSC API passwords can be longer.
    ours = w.encode_bind(1, w.BindRequest(w.BIND_TRANSMITTER, "demo", "a-long-password"))
    assert b"a-long-password\0" in ours
    assert w.decode_bind(w.BIND_TRANSMITTER, ours[16:]).password == "a-long-password"


def test_bind_resp_with_interface_version_is_smpplibs_bytes() -> None:
    ours = w.encode_bind_resp(w.BIND_TRANSCEIVER, 0, 9, w.BindResponse("SMSC", 0x34))
    theirs = smpplib_pdu("bind_transceiver_resp", 9, system_id="SMSC", sc_interface_version=0x34)
    assert ours == theirs
    assert w.decode_bind_resp(ours[16:]) == w.BindResponse("SMSC", 0x34)


@pytest.mark.parametrize(
    ("name", "command_id"),
    [("enquire_link", w.ENQUIRE_LINK), ("unbind", w.UNBIND), ("unbind_resp", w.UNBIND_RESP)],
)
def test_bodiless_pdus_are_smpplibs_bytes(name: str, command_id: int) -> None:
    assert w.encode_pdu(command_id, 0, 42) == smpplib_pdu(name, 42)


def test_generic_nack_is_smpplibs_bytes() -> None:
    ours = w.encode_pdu(w.GENERIC_NACK, w.ESME_RINVCMDID, 3)
    assert ours == smpplib_pdu("generic_nack", 3, status=w.ESME_RINVCMDID)


def test_submit_sm_resp_and_deliver_sm_resp_are_smpplibs_bytes() -> None:
    assert w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, 5, "a1b2") == smpplib_pdu(
        "submit_sm_resp", 5, message_id="a1b2"
    )
    assert w.encode_message_id_resp(w.DELIVER_SM_RESP, 0, 6, "") == smpplib_pdu(
        "deliver_sm_resp", 6, message_id=""
    )


def test_query_sm_and_its_answer_are_smpplibs_bytes() -> None:
    assert w.encode_query_sm(5, "abc", 5, 1, "Shop") == smpplib_pdu(
        "query_sm", 5, message_id="abc", source_addr_ton=5, source_addr_npi=1, source_addr="Shop"
    )
    answer = w.QueryResponse("abc", "240101120000000+", 2, 0)
    assert w.encode_query_sm_resp(0, 5, answer) == smpplib_pdu(
        "query_sm_resp",
        5,
        message_id="abc",
        final_date="240101120000000+",
        message_state=2,
        error_code=0,
    )


# -- round trips ------------------------------------------------------------------------


@given(
    command=st.sampled_from(sorted(w.BIND_COMMANDS.values())),
    system_id=ascii_field,
    password=ascii_field,
    system_type=ascii_field.map(lambda s: s[:12]),
    ton=st.integers(0, 255),
    npi=st.integers(0, 255),
    address_range=ascii_field,
)
def test_bind_round_trips(
    command: int,
    system_id: str,
    password: str,
    system_type: str,
    ton: int,
    npi: int,
    address_range: str,
) -> None:
    bind = w.BindRequest(command, system_id, password, system_type, 0x34, ton, npi, address_range)
    pdu = w.encode_bind(77, bind)
    assert w.FrameSplitter().feed(pdu) == [(command, 0, 77, pdu[16:])]
    assert w.decode_bind(command, pdu[16:]) == bind


@given(system_id=ascii_field, version=st.none() | st.integers(0, 255))
def test_bind_resp_round_trips(system_id: str, version: int | None) -> None:
    response = w.BindResponse(system_id, version)
    pdu = w.encode_bind_resp(w.BIND_RECEIVER, 0, 1, response)
    assert pdu[4:8] == (w.BIND_RECEIVER | w.RESPONSE).to_bytes(4, "big")
    assert w.decode_bind_resp(pdu[16:]) == response


@given(
    message_id=st.text(alphabet="0123456789abcdefABCDEF-", max_size=64),
    source=ascii_field,
    final=st.sampled_from(["", "240101120000000+", "000000010000000R"]),
    state=st.integers(0, 255),
    error=st.integers(0, 255),
)
def test_query_pdus_round_trip(
    message_id: str, source: str, final: str, state: int, error: int
) -> None:
    query = w.encode_query_sm(1, message_id, 5, 1, source)
    assert w.decode_query_sm(query[16:]) == (message_id, 5, 1, source)
    answer = w.QueryResponse(message_id, final, state, error)
    assert w.decode_query_sm_resp(w.encode_query_sm_resp(0, 1, answer)[16:]) == answer


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=64))
def test_message_id_answers_round_trip(message_id: str) -> None:
    pdu = w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, 1, message_id)
    assert w.decode_message_id(pdu[16:]) == message_id


@given(st.binary(max_size=120))
def test_malformed_bodies_raise_protocol_error_only(body: bytes) -> None:
    for decode in (
        lambda b: w.decode_bind(w.BIND_TRANSCEIVER, b),
        w.decode_bind_resp,
        w.decode_query_sm,
        w.decode_query_sm_resp,
        w.decode_message_id,
    ):
        with contextlib.suppress(ProtocolError):
            decode(body)


def test_a_message_id_without_nul_is_refused() -> None:
    with pytest.raises(ProtocolError, match="NUL"):
        w.decode_message_id(b"x" * 80)


def test_fields_longer_than_smpp_allows_are_refused_before_sending() -> None:
    with pytest.raises(ValidationError, match="system_id"):
        w.encode_bind(1, w.BindRequest(w.BIND_TRANSCEIVER, "x" * 16, "pw"))
    with pytest.raises(ValidationError, match="ASCII"):
        w.encode_query_sm(1, "id", 5, 1, "Магазин")


def test_status_text_names_standard_and_vendor_statuses() -> None:
    assert w.status_text(w.ESME_RTHROTTLED).startswith("Throttling error")
    assert "vendor-specific" in w.status_text(0x403)
    assert "0x00001234" in w.status_text(0x1234)


# -- command_status -> exceptions ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (w.ESME_RINVDSTADR, InvalidPhone),
        (w.ESME_RBINDFAIL, AuthenticationError),
        (w.ESME_RINVPASWD, AuthenticationError),
        (w.ESME_RINVSRCADR, MessageForbidden),
        (w.ESME_RTHROTTLED, RateLimited),
        (0x403, InsufficientFunds),
    ],
)
def test_statuses_with_an_smsc_meaning_map_to_its_class(status: int, expected: type) -> None:
    error = smpp_error(status)
    assert isinstance(error, expected)
    assert error.protocol_status == status


def test_a_status_without_an_smsc_meaning_is_unknown_and_keeps_the_status() -> None:
    error = smpp_error(w.ESME_RINVMSGLEN)  # status 1 is not SMSC's code 1
    assert type(error) is UnknownAPIError
    assert (error.code, error.protocol_status) == (1, 1)


def test_the_vendor_range_reads_as_smsc_codes_unless_switched_off() -> None:
    assert smsc_code(0x403) == 3
    assert smsc_code(0x403, base=0) is None
    assert status_for_code(3) == 0x403
    assert status_for_code(7) == w.ESME_RINVDSTADR
    assert smsc_code(status_for_code(8)) == 8


@pytest.mark.parametrize("code", range(1, 10))
def test_smscs_own_smpp_statuses_read_like_the_http_errors(code: int) -> None:
    over_smpp = smpp_error(0x400 + code)
    over_http = api_error(code)
    assert type(over_smpp) is type(over_http)
    assert str(over_smpp) == f"{over_http} (SMPP command_status 0x{0x400 + code:08X})"
    assert "vendor-specific" not in str(over_smpp)


def test_standard_smpp_statuses_say_smscs_meaning_and_the_smpp_name() -> None:
    assert str(smpp_error(w.ESME_RINVPASWD)) == (
        "SMSC error 2: invalid login or password, or IP address not allowed "
        "(SMPP Invalid Password, command_status 0x0000000E)"
    )
    unknown = smpp_error(w.ESME_RSUBMITFAIL)
    assert isinstance(unknown, UnknownAPIError) and "submit_sm or submit_multi failed" in str(
        unknown
    )


# -- data_sm, cancel_sm, replace_sm -------------------------------------------------------


def test_data_sm_is_smpplibs_bytes_and_reads_back() -> None:
    sm = ShortMessage(
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="79990000001",
        dest_addr_ton=5,
        dest_addr_npi=0,
        destination_addr="Shop",
        esm_class=0x04,
        registered_delivery=0,
        data_coding=0,
        tlvs=((TAG_MESSAGE_PAYLOAD, b"id:7 stat:DELIVRD"), (TAG_MESSAGE_STATE, b"\x02")),
    )
    ours = encode_data_sm(9, sm)
    theirs = smpplib_pdu(
        "data_sm",
        9,
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="79990000001",
        dest_addr_ton=5,
        dest_addr_npi=0,
        destination_addr="Shop",
        esm_class=0x04,
        registered_delivery=0,
        data_coding=0,
        message_payload=b"id:7 stat:DELIVRD",
        message_state=2,
    )
    assert ours == theirs
    assert decode_data_sm(ours[16:]) == sm
    assert (w.DATA_SM_RESP, w.CANCEL_SM_RESP, w.REPLACE_SM_RESP) == (
        0x80000103,
        0x80000008,
        0x80000007,
    )


def test_cancel_sm_and_replace_sm_round_trip_and_refuse_garbage() -> None:
    cancel = CancelRequest("42", 5, 1, "Shop", 1, 1, "79990000001")
    frame = encode_cancel_sm(3, cancel)
    assert w.HEADER.unpack_from(frame)[1:] == (w.CANCEL_SM, 0, 3)
    assert decode_cancel_sm(frame[16:]) == cancel
    replace = ReplaceRequest("42", 5, 1, "Shop", "", "", 1, "новый".encode("utf-16-be"))
    frame = encode_replace_sm(4, replace)
    assert w.HEADER.unpack_from(frame)[1:] == (w.REPLACE_SM, 0, 4)
    assert decode_replace_sm(frame[16:]) == replace
    for body in (b"", b"42\0\x05", frame[16:-3]):
        with pytest.raises(ProtocolError):
            decode_replace_sm(body)
    with pytest.raises(ProtocolError):
        decode_cancel_sm(b"\0" * 3)
    with pytest.raises(ValidationError):
        encode_replace_sm(5, ReplaceRequest("42", 5, 1, "Shop", short_message=b"x" * 255))
