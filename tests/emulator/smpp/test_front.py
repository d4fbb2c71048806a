"""The emulator's SMPP front end, as plain smpplib (and raw sockets) see it."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp

from smsc_transports.emulator import Account, EmulatorState, Limits, ManualClock
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from smsc_transports.statuses import MessageStatus
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.short_message import ShortMessage, encode_short_message_body
from tests.backends.smpp.conftest import eventually


@pytest.fixture
def client(front: SmppFrontEnd) -> Iterator[smpplib.client.Client]:
    """A plain smpplib client, connected and bound as a transceiver."""
    smpp = smpplib.client.Client("127.0.0.1", front.port, timeout=5, allow_unknown_opt_params=True)
    smpp.connect()
    smpp.bind_transceiver(system_id="demo", password="demo")
    yield smpp
    smpp.disconnect()


def submit(smpp: smpplib.client.Client, phone: str, text: bytes, **fields: Any) -> Any:
    smpp.send_message(
        source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
        source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
        source_addr="Shop",
        dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
        dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
        destination_addr=phone,
        short_message=text,
        **fields,
    )
    return smpp.read_pdu()


def test_smpplib_binds_submits_and_gets_a_receipt(
    client: smpplib.client.Client, front: SmppFrontEnd, state: EmulatorState, clock: ManualClock
) -> None:
    answer = submit(client, "79990000001", b"hello from smpplib", registered_delivery=1)
    assert (answer.command, answer.status) == ("submit_sm_resp", 0)
    message_id = answer.message_id.decode()
    record = state.status(state.account("demo"), message_id, "79990000001")
    assert (record.text, record.sender) == ("hello from smpplib", "Shop")
    clock.advance(5)
    receipt = client.read_pdu()
    assert receipt.command == "deliver_sm"
    assert receipt.esm_class == 0x04
    assert receipt.receipted_message_id.decode() == message_id
    assert receipt.message_state == 2
    assert receipt.short_message.startswith(f"id:{message_id} sub:001 dlvrd:001".encode())
    assert b"stat:DELIVRD err:000" in receipt.short_message
    assert receipt.source_addr.decode() == "79990000001"


def test_smpplib_can_query_a_message(client: smpplib.client.Client, clock: ManualClock) -> None:
    message_id = submit(client, "79990001006", b"will fail").message_id.decode()
    clock.advance(5)
    client.query_message(
        message_id=message_id, source_addr_ton=5, source_addr_npi=1, source_addr="Shop"
    )
    answer = client.read_pdu()
    assert answer.command == "query_sm_resp"
    assert (answer.message_state, answer.error_code) == (5, 6)
    assert len(answer.final_date) == 16


def test_a_wrong_password_is_a_bind_failure_for_smpplib(front: SmppFrontEnd) -> None:
    smpp = smpplib.client.Client("127.0.0.1", front.port, timeout=5, allow_unknown_opt_params=True)
    smpp.connect()
    with pytest.raises(smpplib.exceptions.PDUError) as caught:
        smpp.bind_transmitter(system_id="demo", password="wrong")
    smpp.disconnect()
    assert caught.value.args[1] == w.ESME_RBINDFAIL


def test_the_test_numbers_answer_smpp_errors(client: smpplib.client.Client) -> None:
    assert submit(client, "79990004007", b"bad number").status == w.ESME_RINVDSTADR
    assert submit(client, "79990004008", b"undeliverable").status == 0x408


def test_enquire_link_and_unbind_are_answered(client: smpplib.client.Client) -> None:
    client.send_pdu(smpplib.smpp.make_pdu("enquire_link", client=client))
    assert client.read_pdu().command == "enquire_link_resp"
    answer = client.unbind()
    assert answer.command == "unbind_resp"


def test_submitting_before_binding_is_refused(front: SmppFrontEnd) -> None:
    with socket.create_connection(("127.0.0.1", front.port), timeout=5) as raw:
        raw.sendall(w.encode_pdu(w.SUBMIT_SM, 0, 1, b"\0" * 20))
        ((command, status, sequence, _),) = w.FrameSplitter().feed(raw.recv(100))
    assert (command, status, sequence) == (w.SUBMIT_SM_RESP, w.ESME_RINVBNDSTS, 1)


def test_unknown_commands_get_generic_nack_and_bad_lengths_close_the_link(
    front: SmppFrontEnd,
) -> None:
    with socket.create_connection(("127.0.0.1", front.port), timeout=5) as raw:
        raw.sendall(w.encode_pdu(0x00000099, 0, 7))
        assert w.FrameSplitter().feed(raw.recv(100)) == [(w.GENERIC_NACK, w.ESME_RINVCMDID, 7, b"")]
        raw.sendall((3).to_bytes(4, "big") + bytes(12))
        nack = raw.recv(100)
        assert w.FrameSplitter().feed(nack) == [(w.GENERIC_NACK, w.ESME_RINVCMDLEN, 0, b"")]
        assert raw.recv(100) == b""  # closed


def test_throttling_answers_esme_rthrottled_above_the_rate(state: EmulatorState) -> None:
    with SmppFrontEnd(state, throttle_rate=10) as front:
        smpp = smpplib.client.Client(
            "127.0.0.1", front.port, timeout=5, allow_unknown_opt_params=True
        )
        smpp.connect()
        smpp.bind_transmitter(system_id="demo", password="demo")
        statuses = [submit(smpp, "79990000001", b"fast %d" % n).status for n in range(5)]
        smpp.disconnect()
    assert statuses[0] == 0
    assert w.ESME_RTHROTTLED in statuses


def test_receipts_wait_for_a_receiver_to_bind(state: EmulatorState, clock: ManualClock) -> None:
    with SmppFrontEnd(state, poll_interval=0.01) as front:
        sender = smpplib.client.Client(
            "127.0.0.1", front.port, timeout=5, allow_unknown_opt_params=True
        )
        sender.connect()
        sender.bind_transmitter(system_id="demo", password="demo")
        message_id = submit(sender, "79990000001", b"receipt later", registered_delivery=1)
        clock.advance(5)
        receiver = smpplib.client.Client(
            "127.0.0.1", front.port, timeout=5, allow_unknown_opt_params=True
        )
        receiver.connect()
        receiver.bind_receiver(system_id="demo", password="demo")
        receipt = receiver.read_pdu()
        sender.disconnect()
        receiver.disconnect()
    assert receipt.receipted_message_id == message_id.message_id


def test_smsc_limits_still_apply_over_smpp(clock: ManualClock) -> None:
    poor = Account("poor", "pw", balance=Decimal(2))  # one 1.40 message, not two
    state = EmulatorState([poor], clock=clock, limits=Limits())
    with SmppFrontEnd(state) as front:
        smpp = smpplib.client.Client(
            "127.0.0.1", front.port, timeout=5, allow_unknown_opt_params=True
        )
        smpp.connect()
        smpp.bind_transmitter(system_id="poor", password="pw")
        first = submit(smpp, "79990000001", b"paid")
        second = submit(smpp, "79990000002", b"unpaid")
        smpp.disconnect()
    assert first.status == 0
    assert second.status == 0x403  # SMSC's code 3, insufficient funds
    record = state.status(poor, first.message_id.decode(), "79990000001")
    assert record.status is MessageStatus.WAITING


def read_frames(raw: socket.socket, count: int) -> list[w.Frame]:
    """The next ``count`` PDUs from the front end (a timeout raises, so never a hang)."""
    splitter = w.FrameSplitter()
    frames: list[w.Frame] = []
    while len(frames) < count:
        data = raw.recv(65536)
        assert data, "the front end closed the connection"
        frames += splitter.feed(data)
    return frames


def submit_body(schedule: bytes = b"", validity: bytes = b"") -> bytes:
    """A submit_sm body whose time fields are raw octets (placeholders replaced)."""
    sm = ShortMessage(
        source_addr="Shop",
        destination_addr="79990000001",
        schedule_delivery_time="S" * len(schedule),
        validity_period="V" * len(validity),
        short_message=b"timed",
    )
    body = encode_short_message_body(sm)
    if schedule:
        body = body.replace(b"S" * len(schedule), schedule, 1)
    if validity:
        body = body.replace(b"V" * len(validity), validity, 1)
    return body


@pytest.mark.parametrize(
    ("schedule", "validity", "status"),
    [
        (b"240101120000" + b"0\xb2\xb2+", b"", w.ESME_RINVSCHED),  # superscript offset
        (b"\xb2" * 12 + b"000+", b"", w.ESME_RINVSCHED),
        (b"240101120000099+", b"", w.ESME_RINVSCHED),  # 99 quarter hours
        (b"", b"0000010000\xb2\xb2000R", w.ESME_RINVEXPIRY),  # superscript minutes
    ],
    ids=["offset", "date", "offset over a day", "relative"],
)
def test_a_hostile_time_field_is_refused_and_the_connection_lives_on(
    front: SmppFrontEnd, schedule: bytes, validity: bytes, status: int
) -> None:
    # Issue 11: int() after str.isdigit() raised ValueError and killed the connection.
    bind = w.BindRequest(w.BIND_TRANSCEIVER, "demo", "demo", "", 0x34)
    with socket.create_connection(("127.0.0.1", front.port), timeout=5) as raw:
        raw.sendall(w.encode_bind(1, bind))
        assert read_frames(raw, 1)[0][:2] == (w.BIND_TRANSCEIVER | w.RESPONSE, 0)
        raw.sendall(w.encode_pdu(w.SUBMIT_SM, 0, 2, submit_body(schedule, validity)))
        ((command, refused, sequence, _),) = read_frames(raw, 1)
        raw.sendall(w.encode_pdu(w.SUBMIT_SM, 0, 3, submit_body()))
        ((_, accepted, after, body),) = read_frames(raw, 1)
    assert (command, refused, sequence) == (w.SUBMIT_SM_RESP, status, 2)
    assert (accepted, after) == (0, 3) and w.decode_message_id(body)


def _send_parts(smpp: smpplib.client.Client, phone: str, text: str) -> list[Any]:
    parts, coding, esm_class = smpplib.gsm.make_parts(text)
    answers = []
    for part in parts:
        answers.append(submit(smpp, phone, part, data_coding=coding, esm_class=esm_class))
    return answers


def test_a_udh_split_message_from_smpplib_is_one_message_billed_for_its_parts(
    client: smpplib.client.Client, state: EmulatorState
) -> None:
    # Reproduced first: each part was stored (and billed, and receipted) as a message.
    account = state.account("demo")
    before = account.balance
    text = "Привет, это длинное сообщение. " * 7  # 217 UCS-2 characters: 4 parts of 67
    answers = _send_parts(client, "79990000001", text)
    assert [(a.command, a.status) for a in answers] == [("submit_sm_resp", 0)] * 4
    ids = {a.message_id.decode() for a in answers}
    assert len(ids) == 1
    stored = state.history(account)
    assert [(r.id, r.text, r.parts) for r in stored] == [(ids.pop(), text, 4)]
    assert before - state.account("demo").balance == Decimal("1.40") * 4


def test_a_sar_split_message_is_one_message_too(
    client: smpplib.client.Client, state: EmulatorState
) -> None:
    texts = [b"first half, ", b"second half"]
    answers = [
        submit(
            client,
            "79990000001",
            chunk,
            sar_msg_ref_num=77,
            sar_total_segments=2,
            sar_segment_seqnum=number,
        )
        for number, chunk in enumerate(texts, 1)
    ]
    assert {a.message_id for a in answers} == {answers[0].message_id}
    stored = state.history(state.account("demo"))
    assert [(r.text, r.parts) for r in stored] == [("first half, second half", 2)]


def test_a_split_message_whose_parts_stop_coming_is_still_stored(
    state: EmulatorState,
) -> None:
    with SmppFrontEnd(state, poll_interval=0.01, split_ttl=0.05) as front:
        smpp = smpplib.client.Client(
            "127.0.0.1", front.port, timeout=5, allow_unknown_opt_params=True
        )
        smpp.connect()
        smpp.bind_transceiver(system_id="demo", password="demo")
        parts, coding, esm_class = smpplib.gsm.make_parts("Привет! " * 20)
        answer = submit(smpp, "79990000001", parts[0], data_coding=coding, esm_class=esm_class)
        message_id = answer.message_id.decode()
        account = state.account("demo")
        assert eventually(lambda: state.history(account) != [])
        smpp.disconnect()
    record = state.status(account, message_id, "79990000001")
    first = parts[0][6:].decode("utf-16-be")  # after its 6-octet UDH
    assert (record.text, record.parts) == (first, len(parts))


def test_receipts_can_come_in_data_sm_as_some_smscs_send_them(
    state: EmulatorState, clock: ManualClock
) -> None:
    with SmppFrontEnd(state, poll_interval=0.01, receipts_as="data_sm") as front:
        smpp = smpplib.client.Client(
            "127.0.0.1", front.port, timeout=5, allow_unknown_opt_params=True
        )
        smpp.connect()
        smpp.bind_transceiver(system_id="demo", password="demo")
        answer = submit(smpp, "79990000001", b"receipt in data_sm", registered_delivery=1)
        message_id = answer.message_id.decode()
        clock.advance(5)
        receipt = smpp.read_pdu()
        smpp.disconnect()
    assert (receipt.command, receipt.esm_class) == ("data_sm", 0x04)
    assert receipt.receipted_message_id.decode() == message_id
    assert receipt.message_state == 2
    assert receipt.message_payload.startswith(f"id:{message_id} sub:001".encode())


def test_a_data_sm_from_the_client_is_sent_like_a_submit_sm(
    client: smpplib.client.Client, state: EmulatorState
) -> None:
    pdu = smpplib.smpp.make_pdu(
        "data_sm",
        client=client,
        source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
        source_addr="Shop",
        dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
        dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
        destination_addr="79990000001",
        data_coding=3,  # Latin-1: in GSM 7-bit "_" is another character
        message_payload=b"sent in data_sm",
    )
    client.send_pdu(pdu)
    answer = client.read_pdu()
    assert (answer.command, answer.status) == ("data_sm_resp", 0)
    record = state.status(state.account("demo"), answer.message_id.decode(), "79990000001")
    assert (record.text, record.sender) == ("sent in data_sm", "Shop")
