"""The threaded SMPP transport against the emulator's SMPP front end."""

from __future__ import annotations

import threading
from decimal import Decimal
from functools import partial
from itertools import islice
from pathlib import Path

import pytest

from smsc_transports import (
    AuthenticationError,
    ConnectError,
    InvalidPhone,
    Message,
    MessageKind,
    MessageStatus,
    StatusResult,
    TransportError,
    Undeliverable,
    UnsupportedOperation,
    create_transport,
)
from smsc_transports.backends.smpp import SmppTransport
from smsc_transports.emulator import Account, Emulator, EmulatorState, ManualClock
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from smsc_transports.wire.smpp.pdu import QueryResponse
from tests.backends.smpp.conftest import eventually, smpp_url

DELIVERED_AFTER = 5  # seconds of the manual clock after which test numbers are final


def connect(port: int, **options: str) -> SmppTransport:
    transport = create_transport(smpp_url(port, **options))
    assert isinstance(transport, SmppTransport)
    return transport


def test_a_message_sent_over_smpp_answers_status_over_http_under_the_same_id() -> None:
    clock = ManualClock()
    rich = Account("demo", "demo", balance=Decimal(1000))
    with Emulator([rich], clock=clock, front_ends=[partial(SmppFrontEnd, port=0)]) as emulator:
        assert "smpp=" in emulator.ready_line()
        with create_transport(smpp_url(emulator.ports["smpp"])) as smpp:
            sent = smpp.send(Message("79990000001", "over SMPP", sender="Shop"))
        clock.advance(DELIVERED_AFTER)
        with create_transport(emulator.url()) as http:
            seen = http.status(sent.id, "79990000001", detail=1)
    assert (seen.status, seen.text, seen.sender) == (MessageStatus.DELIVERED, "over SMPP", "Shop")


def test_send_many_gives_one_outcome_per_message_in_input_order(
    front: SmppFrontEnd, state: EmulatorState
) -> None:
    messages = [Message("79990000001", f"bulk {n}") for n in range(300)]
    messages[7] = Message("79990004007", "refused: invalid number")
    messages[9] = Message("79990000001", "", kind=MessageKind.HLR)
    with connect(front.port, window="16") as transport:
        outcomes = list(transport.send_many(iter(messages)))
    assert [o.index for o in outcomes] == list(range(300))
    assert [o.message for o in outcomes] == messages
    assert isinstance(outcomes[7].error, InvalidPhone)
    assert isinstance(outcomes[9].error, UnsupportedOperation)
    assert sum(o.ok for o in outcomes) == 298 == front.submitted
    assert len({o.unwrap().id for o in outcomes if o.ok}) == 298


def test_receipts_arrive_as_an_iterator_and_a_callback_with_the_sent_ids(
    front: SmppFrontEnd, clock: ManualClock
) -> None:
    heard: list[StatusResult] = []
    threads: set[str] = set()

    def callback(result: StatusResult) -> None:
        heard.append(result)
        threads.add(threading.current_thread().name)

    with connect(front.port) as transport:
        transport.on_receipt = callback
        good = transport.send(Message("79990000001", "will arrive"))
        bad = transport.send(Message("79990001001", "will not"))
        clock.advance(DELIVERED_AFTER)
        received = {r.id: r for r in islice(transport.receipts(timeout=5), 2)}
    assert received[good.id].status is MessageStatus.DELIVERED
    assert received[bad.id].status is MessageStatus.UNABLE_TO_DELIVER
    assert received[bad.id].error == 1
    assert received[good.id].changed_at is not None
    assert {r.id for r in heard} == {good.id, bad.id}
    assert threads == {"smsc-smpp-reader"}


@pytest.mark.parametrize("binds", ["1", "3"])  # one bind, or any of three
def test_status_comes_from_receipts_or_else_from_query_sm(
    binds: str, front: SmppFrontEnd, clock: ManualClock
) -> None:
    with connect(front.port, binds=binds) as transport:
        sent = transport.send(Message("79990000001", "track me"))
        early = transport.status(sent.id, "79990000001")  # query_sm: no receipt yet
        clock.advance(1.5)
        transferred = transport.status(sent.id, "79990000001")
        clock.advance(DELIVERED_AFTER)
        next(transport.receipts(timeout=5))
        delivered = transport.status(sent.id, "79990000001")
        unknown = transport.status("999999", "79990000001")
    # SMPP has one state (ENROUTE) for SMSC's "waiting" and "transferred".
    assert early.status is MessageStatus.TRANSFERRED
    assert isinstance(early.raw, QueryResponse)
    assert transferred.status is MessageStatus.TRANSFERRED
    assert delivered.status is MessageStatus.DELIVERED and delivered.raw is None
    assert unknown.status is MessageStatus.NOT_FOUND


def test_status_without_query_sm_answers_from_the_store_only(front: SmppFrontEnd) -> None:
    with connect(front.port, query_sm="0") as transport:
        sent = transport.send(Message("79990000001", "no queries"))
        assert transport.status(sent.id, "79990000001").status is MessageStatus.WAITING
        assert transport.status("nope", "79990000001").status is MessageStatus.NOT_FOUND


@pytest.mark.parametrize("binds", ["1", "3"])  # one bind, or any of three
def test_incoming_messages_arrive_joined(binds: str, front: SmppFrontEnd) -> None:
    long_text = "Ответ: " + "да " * 80
    with connect(front.port, binds=binds) as transport:
        transport.connect()
        front.push_incoming("demo", "79991112233", "short one", to_phone="7900")
        front.push_incoming("demo", "79991112233", long_text)
        got = list(islice(transport.incoming_stream(timeout=5), 2))
    assert [(m.phone, m.text) for m in got] == [
        ("79991112233", "short one"),
        ("79991112233", long_text),
    ]
    assert got[0].to_phone == "7900" and got[0].received_at is not None


def test_a_wrong_password_fails_fast_with_authentication_error(front: SmppFrontEnd) -> None:
    url = smpp_url(front.port).replace("demo:demo@", "demo:wrong@")
    with create_transport(url) as transport:
        with pytest.raises(AuthenticationError) as caught:
            transport.send(Message("79990000001", "nope"))
        with pytest.raises(AuthenticationError):
            transport.send(Message("79990000001", "still nope"))
    assert caught.value.protocol_status is not None
    assert front.connections == 2  # one bind per attempt: a refused login is not retried


@pytest.mark.parametrize(
    ("phone", "error"), [("79990004007", InvalidPhone), ("79990004008", Undeliverable)]
)
def test_smsc_refusals_become_the_shared_exceptions(
    front: SmppFrontEnd, phone: str, error: type[Exception]
) -> None:
    with connect(front.port) as transport, pytest.raises(error) as caught:
        transport.send(Message(phone, "refused"))
    assert caught.value.protocol_status  # type: ignore[attr-defined]


def test_throttling_slows_down_and_every_message_gets_through_once(state: EmulatorState) -> None:
    with SmppFrontEnd(state, throttle_rate=200) as front:
        messages = [Message("79990000001", f"throttled {n}") for n in range(150)]
        with connect(front.port, throttle_delay="0.02") as transport:
            outcomes = list(transport.send_many(messages))
            stats = transport.stats()
    assert all(o.ok for o in outcomes)
    assert front.throttled > 0 and stats.throttled == front.throttled
    texts = [r.text for r in state.history(state.account("demo"), cnt=1000)]
    assert sorted(texts) == sorted(m.text for m in messages)  # none lost, none twice


def test_a_message_to_several_phones_is_one_result_with_status_per_phone(
    front: SmppFrontEnd, clock: ManualClock
) -> None:
    with connect(front.port) as transport:
        sent = transport.send(Message(["79990000001", "79990001006"], "two phones"))
        clock.advance(DELIVERED_AFTER)
        receipts = list(islice(transport.receipts(timeout=5), 2))
        first = transport.status(sent.id, "79990000001")
        second = transport.status(sent.id, "79990001006")
        by_own_id = [transport.status(p.id or "", p.phone) for p in sent.phones]
    assert sent.parts == 2
    assert [p.phone for p in sent.phones] == ["79990000001", "79990001006"]
    ids = [p.id for p in sent.phones]
    assert ids[0] == sent.id and ids[1] not in (None, sent.id)
    assert first.status is MessageStatus.DELIVERED
    assert (second.status, second.error) == (MessageStatus.UNABLE_TO_DELIVER, 6)
    assert by_own_id == [first, second]
    # Each receipt carries the id of its own recipient.
    assert sorted((r.id, r.phone) for r in receipts) == sorted((p.id, p.phone) for p in sent.phones)


def test_each_recipient_of_a_message_sent_over_smpp_is_found_elsewhere_by_its_id() -> None:
    # Reproduced first: SendResult.phones was empty and result.id the first recipient's,
    # so HTTP (and a fresh SMPP bind) answered NOT_FOUND for the second recipient.
    clock = ManualClock()
    rich = Account("demo", "demo", balance=Decimal(1000))
    with Emulator([rich], clock=clock, front_ends=[partial(SmppFrontEnd, port=0)]) as emulator:
        phones = ["79990000001", "79990000002", "79990000003"]
        with create_transport(smpp_url(emulator.ports["smpp"])) as smpp:
            sent = smpp.send(Message(phones, "three phones"))
        with create_transport(smpp_url(emulator.ports["smpp"])) as fresh:
            waiting = [fresh.status(p.id or "", p.phone) for p in sent.phones]
        clock.advance(DELIVERED_AFTER)
        with create_transport(emulator.url()) as http:
            seen = [http.status(p.id or "", p.phone) for p in sent.phones]
    assert [p.phone for p in sent.phones] == phones
    assert len({p.id for p in sent.phones}) == 3
    assert all(s.status is not MessageStatus.NOT_FOUND for s in waiting)
    assert [s.phone for s in waiting] == phones
    assert [s.status for s in seen] == [MessageStatus.DELIVERED] * 3


@pytest.mark.parametrize("mode", ["udh", "sar"])
def test_split_messages_are_one_message_with_their_parts_and_one_receipt(
    front: SmppFrontEnd, state: EmulatorState, clock: ManualClock, mode: str
) -> None:
    # The emulator joins the parts, as SMSC's history shows one message: every part is
    # answered with one id, and one receipt comes; the client expects no more.
    text = "part " * 70
    with connect(front.port, long=mode) as transport:
        sent = transport.send(Message("79990000001", text))
        clock.advance(DELIVERED_AFTER)
        receipts = list(transport.receipts(timeout=1))
        status = transport.status(sent.id, "79990000001")
    assert sent.parts == 3 and sent.raw == (sent.id,) * 3
    assert [r.id for r in receipts] == [sent.id]
    assert status.status is MessageStatus.DELIVERED
    stored = state.history(state.account("demo"))
    assert [(r.id, r.text, r.parts) for r in stored] == [(sent.id, text, 3)]


def test_receipts_in_hex_still_find_their_message(state: EmulatorState, clock: ManualClock) -> None:
    with SmppFrontEnd(state, receipt_ids="hex", poll_interval=0.01) as front:
        with connect(front.port, receipt_id="hex") as transport:
            sent = transport.send(Message("79990000001", "hex receipts"))
            clock.advance(DELIVERED_AFTER)
            receipt = next(transport.receipts(timeout=5))
    assert receipt.id == sent.id
    assert receipt.raw.message_id == format(int(sent.id), "X")


def test_no_receipt_is_asked_for_when_registered_delivery_is_off(
    front: SmppFrontEnd, clock: ManualClock
) -> None:
    with connect(front.port, registered_delivery="0") as transport:
        transport.send(Message("79990000001", "quiet"))
        clock.advance(DELIVERED_AFTER)
        assert list(transport.receipts(timeout=0.5)) == []


def test_a_receiver_bind_cannot_send_and_says_so(front: SmppFrontEnd) -> None:
    with connect(front.port, bind="rx") as transport, pytest.raises(UnsupportedOperation):
        transport.send(Message("79990000001", "cannot"))


def test_close_unbinds_and_the_transport_stays_closed(front: SmppFrontEnd) -> None:
    transport = connect(front.port)
    transport.send(Message("79990000001", "then close"))
    transport.close()
    transport.close()
    assert eventually(lambda: front.live == set())
    with pytest.raises(TransportError, match="closed"):
        transport.send(Message("79990000001", "after close"))


def test_smpps_checks_the_certificate(
    state: EmulatorState, server_tls: object, tls_files: tuple[Path, Path]
) -> None:
    import ssl

    assert isinstance(server_tls, ssl.SSLContext)
    with SmppFrontEnd(state, tls_context=server_tls) as front:
        trusted = smpp_url(front.port, scheme="smpps", ca_file=str(tls_files[0]))
        with create_transport(trusted) as transport:
            assert transport.send(Message("79990000001", "over TLS")).id
        untrusted = smpp_url(front.port, scheme="smpps", reconnect_attempts="1")
        with create_transport(untrusted) as transport, pytest.raises(ConnectError, match="TLS"):
            transport.send(Message("79990000001", "unverified"))
        unchecked = smpp_url(front.port, scheme="smpps", verify="0")
        with create_transport(unchecked) as transport:
            assert transport.send(Message("79990000001", "verify off")).id
