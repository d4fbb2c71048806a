"""The SOAP backend (the real zeep client) against the emulator: every operation, every error."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from decimal import Decimal

import pytest

from smsc_transports import (
    AuthenticationError,
    Capability,
    DateFormatError,
    InsufficientFunds,
    InvalidPhone,
    Message,
    MessageForbidden,
    MessageKind,
    MessageStatus,
    ParameterError,
    RateLimited,
    Undeliverable,
    create_async_transport,
    create_transport,
)
from smsc_transports.backends.soap import SoapTransport
from smsc_transports.statuses import DeliveryError
from smsc_transports.wire.soap import calls as wire
from tests.backends.soap.conftest import SECRET, SoapPeer

PHONE = "79990000001"


def _soap(peer: SoapPeer, **options: str | int) -> SoapTransport:
    transport = create_transport(peer.url("demo", "demo", **options))
    assert isinstance(transport, SoapTransport)
    return transport


def test_the_factory_builds_the_soap_backend_for_each_scheme(peer: SoapPeer) -> None:
    for scheme in ("soap", "soap+https", "soap+http"):
        with create_transport(f"{scheme}://demo:demo@127.0.0.1:{peer.port}") as transport:
            assert isinstance(transport, SoapTransport)
            assert transport.capabilities >= {Capability.SEND, Capability.COST, Capability.BALANCE}
    with create_transport(f"soap://demo:demo@127.0.0.1:{peer.port}") as secure:
        assert isinstance(secure, SoapTransport)
        assert secure.client.addresses[0] == f"https://127.0.0.1:{peer.port}/sys/soap.php"


def test_send_returns_id_parts_cost_and_balance(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        result = transport.send(Message(PHONE, "hello"))
    assert (result.id, result.parts, result.transport) == ("1", 1, "soap")
    assert (result.cost, result.balance) == (Decimal("1.40"), Decimal("98.60"))


def test_a_message_with_options_goes_through_send_sms2_and_arrives_intact(
    peer: SoapPeer,
) -> None:
    message = Message(PHONE, "привет", sender="Shop", translit=1, valid=timedelta(hours=1))
    with _soap(peer) as transport:
        sent = transport.send(message)
        status = transport.status(sent.id, PHONE, detail=1)
    assert status.text == "privet"  # translit came through the query
    assert status.sender == "Shop"


def test_a_client_id_is_kept(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        assert transport.send(Message(PHONE, "hi", id="order-7")).id == "order-7"


def test_status_follows_the_message_and_shows_detail_on_request(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        sent = transport.send(Message(PHONE, "hello", sender="Shop"))
        waiting = transport.status(sent.id, PHONE)
        peer.clock.advance(5)
        delivered = transport.status(sent.id, PHONE, detail=2)
    assert waiting.status is MessageStatus.WAITING
    assert waiting.text is None  # all=0 has no text
    assert delivered.status is MessageStatus.DELIVERED
    assert delivered.error is DeliveryError.NO_ERROR
    assert (delivered.text, delivered.sender, delivered.cost) == ("hello", "Shop", Decimal("1.40"))
    assert delivered.status_name == "delivered"
    assert delivered.operator == "Emulator Test"
    assert delivered.changed_at is not None
    assert delivered.sent_at is not None


def test_a_failed_delivery_reports_its_error(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        sent = transport.send(Message("79990001249", "hello"))
        peer.clock.advance(5)
        status = transport.status(sent.id, "79990001249")
    assert status.status is MessageStatus.INVALID_NUMBER
    assert status.error is DeliveryError.INVALID_NUMBER_FORMAT


def test_an_unknown_message_is_not_found(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        assert transport.status("404", PHONE).status is MessageStatus.NOT_FOUND


def test_cost_prices_without_sending(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        plain = transport.cost(Message(PHONE, "x" * 200))
        with_sender = transport.cost(Message([PHONE, "79990000002"], "hi", sender="Shop"))
        balance = transport.balance()
    assert (plain.cost, plain.parts) == (Decimal("2.80"), 2)
    assert (with_sender.cost, with_sender.parts) == (Decimal("2.80"), 2)
    assert balance.amount == Decimal("100.00")


def test_balance_has_the_amount_but_no_currency_over_soap(peer: SoapPeer) -> None:
    peer.emulator.state.set_balance("demo", "42.50")
    with _soap(peer) as transport:
        balance = transport.balance()
    assert (balance.amount, balance.currency) == (Decimal("42.50"), None)


def test_the_extended_status_and_cost_operations_answer_too(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        sent = transport.send(Message(PHONE, "hello"))
        credentials = transport.client.credentials
        call = wire.status_call(sent.id, PHONE, credentials, extra={"all": "1"})
        status, _ = transport.client.call(call, repeatable=True)
        cost_call = wire.SoapCall(
            "get_sms_cost2", {**credentials, "phones": PHONE, "mes": "hi", "query": "flash=1"}
        )
        cost, _ = transport.client.call(cost_call, repeatable=True)
    assert call.operation == "get_status2"
    assert wire.parse_status(status, sent.id, PHONE).text == "hello"
    assert wire.parse_cost(cost).cost == Decimal("1.40")


def test_refused_numbers_are_reported_when_asked(peer: SoapPeer) -> None:
    with _soap(peer, report_refused=1) as transport:
        result = transport.send(Message([PHONE, "79990004007"], "hi"))
    assert result.parts == 1
    # One entry per recipient: the accepted one with the id to ask its status with.
    assert [(p.phone, p.status, p.error, p.id) for p in result.phones] == [
        (PHONE, None, None, result.id),
        ("79990004007", MessageStatus.INVALID_NUMBER, 7, None),
    ]


def test_send_many_gives_one_outcome_per_message_in_order(peer: SoapPeer) -> None:
    messages = [Message(f"7999000000{i}", f"m{i}") for i in range(1, 7)]
    messages.insert(3, Message("79990004007", "refused"))
    with _soap(peer, concurrency=3) as transport:
        outcomes = list(transport.send_many(iter(messages)))
    assert [o.index for o in outcomes] == list(range(7))
    assert [o.message for o in outcomes] == messages
    assert [o.ok for o in outcomes] == [True, True, True, False, True, True, True]
    assert isinstance(outcomes[3].error, InvalidPhone)


def test_send_many_one_at_a_time_keeps_the_same_contract(peer: SoapPeer) -> None:
    messages = [Message(PHONE, "a"), Message("79990004008", "b")]
    with _soap(peer, concurrency=1) as transport:
        outcomes = list(transport.send_many(messages))
    assert [o.ok for o in outcomes] == [True, False]
    assert isinstance(outcomes[1].error, Undeliverable)


def test_a_message_sent_over_soap_has_the_same_id_and_status_over_http(peer: SoapPeer) -> None:
    with _soap(peer) as soap, create_transport(peer.emulator.url()) as http:
        sent = soap.send(Message(PHONE, "hello"))
        peer.clock.advance(5)
        over_http = http.status(sent.id, PHONE)
        over_soap = soap.status(sent.id, PHONE)
    assert over_http.status is MessageStatus.DELIVERED
    assert (over_http.status, over_http.changed_at) == (over_soap.status, over_soap.changed_at)


def test_the_async_face_runs_the_backend_in_the_shared_thread_pool(peer: SoapPeer) -> None:
    async def scenario() -> tuple[str, Decimal]:
        async with create_async_transport(peer.url()) as transport:
            sent = await transport.send(Message(PHONE, "hello"))
            return sent.id, (await transport.balance()).amount

    assert asyncio.run(scenario()) == ("1", Decimal("98.60"))


# Errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["send", "cost", "status", "balance"])
def test_a_bad_password_is_an_authentication_error_on_every_operation(
    peer: SoapPeer, operation: str
) -> None:
    calls = {
        "send": lambda t: t.send(Message(PHONE, "hi")),
        "cost": lambda t: t.cost(Message(PHONE, "hi")),
        "status": lambda t: t.status("1", PHONE),
        "balance": lambda t: t.balance(),
    }
    with _soap_as(peer, "demo", "wrong") as transport, pytest.raises(AuthenticationError) as caught:
        calls[operation](transport)
    assert caught.value.operation == operation


def _soap_as(peer: SoapPeer, login: str, password: str) -> SoapTransport:
    transport = create_transport(peer.url(login, password))
    assert isinstance(transport, SoapTransport)
    return transport


def test_an_api_key_opens_the_account(peer: SoapPeer) -> None:
    peer.emulator.state.account("demo").apikey = "KEY-1"
    with create_transport(f"soap+http://:KEY-1@127.0.0.1:{peer.port}") as transport:
        assert transport.balance().amount == Decimal("100.00")


@pytest.mark.parametrize(
    ("message", "error_class", "keeps_id"),
    [
        (Message("79990004006", "hi"), MessageForbidden, True),
        (Message("79990004007", "hi"), InvalidPhone, True),
        (Message("79990004008", "hi"), Undeliverable, True),
        (Message(PHONE, "hi", send_at="3213991299"), DateFormatError, False),
        # The emulator refuses maxsms above 100 with error 1.
        (Message(PHONE, "hi", max_parts=101), ParameterError, False),
    ],
    ids=["forbidden-6", "invalid-phone-7", "undeliverable-8", "date-5", "parameters-1"],
)
def test_each_send_error_the_emulator_gives_arrives_as_its_class(
    peer: SoapPeer, message: Message, error_class: type[Exception], keeps_id: bool
) -> None:
    with _soap(peer) as transport, pytest.raises(error_class) as caught:
        transport.send(message)
    assert (caught.value.id is not None) == keeps_id  # type: ignore[attr-defined]


def test_not_enough_money_is_insufficient_funds_with_the_assigned_id(peer: SoapPeer) -> None:
    with _soap_as(peer, "shop", SECRET) as transport, pytest.raises(InsufficientFunds) as caught:
        transport.send(Message(PHONE, "x" * 500))
    assert caught.value.id == "1"


def test_a_duplicate_send_is_rate_limited(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        transport.send(Message(PHONE, "same"))
        with pytest.raises(RateLimited):
            transport.send(Message(PHONE, "same"))


def test_the_eleventh_balance_request_in_a_minute_is_rate_limited(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        for _ in range(10):
            transport.balance()
        with pytest.raises(RateLimited) as caught:
            transport.balance()
    assert caught.value.operation == "balance"


def test_the_sixth_status_request_for_one_message_is_rate_limited(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        for _ in range(5):
            transport.status("1", PHONE)
        with pytest.raises(RateLimited):
            transport.status("1", PHONE)


def test_the_sixth_identical_cost_request_is_rate_limited(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        for _ in range(5):
            transport.cost(Message(PHONE, "hi"))
        with pytest.raises(RateLimited):
            transport.cost(Message(PHONE, "hi"))


def test_debug_logs_never_show_the_password(
    peer: SoapPeer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), _soap_as(peer, "shop", SECRET) as transport:
        transport.balance()
        with pytest.raises(AuthenticationError):
            create_transport(peer.url("shop", SECRET + "x")).balance()
    assert "get_balance" in caplog.text
    assert "<psw>" in caplog.text  # the envelope was logged, masked
    assert SECRET not in caplog.text
    assert "dummy-secret-pw&amp;" not in caplog.text
    assert "dummy-secret" not in repr(transport) + repr(transport.client)


def test_the_kind_of_message_reaches_the_emulator(peer: SoapPeer) -> None:
    with _soap(peer) as transport:
        sent = transport.send(Message(PHONE, "", kind=MessageKind.PING))
    record = peer.emulator.state.status(peer.emulator.state.account("demo"), sent.id, PHONE)
    assert record.kind is MessageKind.PING
