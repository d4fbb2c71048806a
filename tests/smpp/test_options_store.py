"""Settings → SMPP options, the receipt store's bounds, and the adaptive window."""

from __future__ import annotations

import ssl

import pytest

from smsc_transports import (
    ConfigurationError,
    Message,
    MessageStatus,
    UnsupportedOperation,
    create_transport,
)
from smsc_transports.backends.smpp import SmppTransport
from smsc_transports.backends.smpp.tls import client_context
from smsc_transports.config import Settings
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.receipts import parse_receipt
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.session.receipt_store import ReceiptStore, Track
from smsc_transports.wire.smpp.short_message import ShortMessage
from tests.smpp.session_kit import answer, make, queue, sms, submits


def options(url: str) -> SmppOptions:
    return SmppOptions.from_settings(Settings.from_url(url))


def test_defaults_follow_smscs_own_server_and_client() -> None:
    plain = options("smpp://login:secret@")
    assert (plain.host, plain.port, plain.tls) == ("smpp.smsc.ru", 3700, False)
    assert plain.hosts == ("smpp.smsc.ru", "smpp2.smsc.ru")  # the documented backup
    assert (plain.bind, plain.window, plain.submit.registered_delivery) == ("trx", 64, 1)
    assert (plain.submit.long_mode, plain.submit.coding, plain.receipt_id) == (
        "payload",
        "auto",
        "auto",
    )
    secure = options("smpps://login:secret@")
    assert (secure.port, secure.tls) == (3443, True)


def test_url_options_reach_the_transport() -> None:
    given = options(
        "smpp://l:p@127.0.0.1:2775?window=128&rate=50&bind=tx&long=sar&coding=smsc"
        "&receipt_id=hex&receipt_store_size=10&sender=Shop&priority=3&source_ton=0"
        "&backup_hosts=a.example,b.example&receipt_utc_offset=0"
    )
    assert (given.window, given.rate, given.bind) == (128, 50.0, "tx")
    assert (given.submit.long_mode, given.submit.coding, given.receipt_id) == (
        "sar",
        "smsc",
        "hex",
    )
    assert (given.receipt_store_size, given.receipt_utc_offset) == (10, 0.0)
    assert (given.submit.default_sender, given.submit.priority_flag) == ("Shop", 3)
    assert (given.submit.source_ton, given.submit.source_npi) == (0, None)
    assert given.hosts == ("127.0.0.1", "a.example", "b.example")


@pytest.mark.parametrize(
    "url",
    [
        "smpp://:apikey@host",  # an API key cannot bind
        "smpp://l:p@host?bind=both",
        "smpp://l:p@host?long=chop",
        "smpp://l:p@host?window=0",
        "smpp://l:p@host?receipt_id=oct",
        "smpp://l:p@host?receipt_utc_offset=25",
    ],
)
def test_impossible_settings_are_refused_up_front(url: str) -> None:
    with pytest.raises(ConfigurationError):
        options(url)


def test_tls_checks_certificate_and_name_unless_told_not_to() -> None:
    checked = client_context(options("smpps://l:p@host"))
    assert checked is not None
    assert (checked.verify_mode, checked.check_hostname) == (ssl.CERT_REQUIRED, True)
    unchecked = client_context(options("smpps://l:p@host?verify=0"))
    assert unchecked is not None and unchecked.verify_mode == ssl.CERT_NONE
    assert client_context(options("smpp://l:p@host")) is None


def test_the_factory_builds_the_threaded_transport_for_both_schemes() -> None:
    for url in ("smpp://l:p@127.0.0.1:1", "smpps://l:p@127.0.0.1:1"):
        transport = create_transport(url)
        assert type(transport) is SmppTransport
        transport.close()


def test_cost_and_balance_name_the_protocols_that_can() -> None:
    with create_transport("smpp://l:p@127.0.0.1:1") as transport:
        with pytest.raises(UnsupportedOperation) as cost:
            transport.cost(Message("79990000001", "x"))
        with pytest.raises(UnsupportedOperation) as balance:
            transport.balance()
    assert "https" in cost.value.supported_by and "https" in balance.value.supported_by


# -- the receipt store ----------------------------------------------------------------


def receipt(message_id: str, phone: str = "79990000001") -> ShortMessage:
    text = f"id:{message_id} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
    return ShortMessage(
        source_addr=phone, esm_class=4, short_message=(text + " stat:DELIVRD").encode()
    )


def test_the_store_holds_a_bounded_number_of_messages_oldest_out_first() -> None:
    store = ReceiptStore(size=3, ttl=1000)
    for n in range(5):
        store.add(str(n + 1), Track(str(n + 1), str(n + 1), "79990000001", ""), now=0)
    assert len(store) == 3 and store.evicted == 2
    assert store.lookup("1", "79990000001") is None
    assert store.lookup("5", "79990000001") is not None


def test_the_store_forgets_messages_older_than_its_ttl() -> None:
    store = ReceiptStore(size=100, ttl=60)
    store.add("1", Track("1", "1", "79990000001", ""), now=0)
    store.add("2", Track("2", "2", "79990000001", ""), now=30)
    store.expire(now=61)
    assert store.lookup("1", "79990000001") is None
    assert store.lookup("2", "79990000001") is not None


def test_a_receipt_id_in_the_same_base_wins_even_if_the_smsc_writes_the_phone_its_way() -> None:
    store = ReceiptStore(size=10, ttl=1000)
    track = Track("77", "77", "79990000001", "")
    store.add("77", track, now=0)
    assert store.for_receipt(parse_receipt(receipt("77", phone="89990000001"))) is track


def test_in_auto_mode_a_converted_id_needs_the_phone_to_match() -> None:
    store = ReceiptStore(size=10, ttl=1000, mode="auto")
    store.add("255", Track("255", "255", "79990000001", ""), now=0)
    assert store.for_receipt(parse_receipt(receipt("ff", phone="79990000002"))) is None
    explicit = ReceiptStore(size=10, ttl=1000, mode="hex")
    explicit.add("255", Track("255", "255", "79990000001", ""), now=0)
    assert explicit.for_receipt(parse_receipt(receipt("ff", phone="79990000002"))) is not None


def test_a_split_message_is_delivered_only_when_every_part_is() -> None:
    track = Track("1", "1", "79990000001", "", parts=2)
    delivered = parse_receipt(receipt("1"))
    track.apply(delivered, delivered.status, None)
    first = track.status
    track.apply(delivered, delivered.status, None)
    assert (first, track.status) == (MessageStatus.TRANSFERRED, MessageStatus.DELIVERED)


# -- the adaptive window ------------------------------------------------------------------


def test_throttling_halves_the_window_and_answers_grow_it_back() -> None:
    session, clock = make(window=16, throttle_delay=0.01)
    queue(session, *(sms(n) for n in range(200)))
    written = submits(session)
    assert len(written) == 16
    for sequence, _ in written:
        answer(session, sequence, status=w.ESME_RTHROTTLED)
    assert session.window.allowed == 8  # one throttling event, however many refusals
    clock.now += 1
    for _ in range(20):
        for sequence, _ in submits(session):
            answer(session, sequence)
    assert session.window.allowed == 16
