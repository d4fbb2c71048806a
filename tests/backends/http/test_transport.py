"""The HTTP backend against the local SMSC emulator: every operation, every error."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from smsc_transports import (
    AuthenticationError,
    Capability,
    ConnectError,
    InsufficientFunds,
    InvalidPhone,
    Message,
    MessageForbidden,
    MessageKind,
    MessageStatus,
    RateLimited,
    SendResult,
    Undeliverable,
    create_async_transport,
    create_transport,
)
from smsc_transports.backends.http import HttpTransport
from smsc_transports.backends.http import client as http_client
from smsc_transports.emulator import Account, Emulator, ManualClock
from smsc_transports.encoding import count_parts
from smsc_transports.statuses import DeliveryError
from tests.faults import Fault, FaultProxy, closed_port

DELIVERED = "79990000001"


@pytest.fixture
def transport(emulator: Emulator) -> Iterator[HttpTransport]:
    with create_transport(emulator.url()) as opened:
        assert isinstance(opened, HttpTransport)
        yield opened


def test_send_returns_id_parts_cost_and_the_new_balance(
    transport: HttpTransport, emulator: Emulator
) -> None:
    result = transport.send(Message(DELIVERED, "Hello"))
    assert result.id
    assert result.parts == 1
    assert result.cost is not None
    assert result.cost > 0
    assert result.balance == Decimal("100.00") - result.cost
    assert result.transport == "https"
    assert transport.balance().amount == result.balance


def test_status_moves_from_waiting_to_delivered_on_the_clock(
    transport: HttpTransport, manual_clock: ManualClock
) -> None:
    sent = transport.send(Message(DELIVERED, "Hello"))
    first = transport.status(sent.id, DELIVERED)
    assert not first.status.is_final
    manual_clock.advance(10)
    final = transport.status(sent.id, DELIVERED)
    assert final.status is MessageStatus.DELIVERED
    assert final.status.is_delivered
    assert final.changed_at is not None
    assert final.changed_at.tzinfo is not None


def test_a_long_cyrillic_text_is_billed_by_its_parts(transport: HttpTransport) -> None:
    text = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 3
    result = transport.send(Message(DELIVERED, text))
    assert result.parts == count_parts(text).parts == 3


def test_special_characters_reach_smsc_unchanged(
    transport: HttpTransport, manual_clock: ManualClock
) -> None:
    text = "a+b & c#d 100%\nновая строка 😀 ~[]{}|^€"
    sent = transport.send(Message(DELIVERED, text))
    detail = transport.status(sent.id, DELIVERED, detail=1)
    assert detail.text == text


def test_several_statuses_in_one_request(
    transport: HttpTransport, manual_clock: ManualClock
) -> None:
    first = transport.send(Message(DELIVERED, "one"))
    failing = "79990001001"
    second = transport.send(Message(failing, "two"))
    manual_clock.advance(10)
    results = transport.statuses([(first.id, DELIVERED), (second.id, failing)])
    assert [(r.id, r.status) for r in results] == [
        (first.id, MessageStatus.DELIVERED),
        (second.id, MessageStatus.UNABLE_TO_DELIVER),
    ]
    assert results[1].error is DeliveryError.SUBSCRIBER_NOT_FOUND


@pytest.mark.parametrize(
    ("phone", "error_class"),
    [
        ("79990004006", MessageForbidden),
        ("79990004007", InvalidPhone),
        ("79990004008", Undeliverable),
    ],
)
def test_refused_numbers_raise_their_error_with_the_assigned_id(
    transport: HttpTransport, phone: str, error_class: type[Exception]
) -> None:
    with pytest.raises(error_class) as caught:
        transport.send(Message(phone, "hi"))
    assert getattr(caught.value, "id")  # noqa: B009 - SMSC assigns an id to codes 6, 7, 8


def test_bad_credentials_are_an_authentication_error(emulator: Emulator) -> None:
    with create_transport(emulator.url(password="wrong")) as transport:
        with pytest.raises(AuthenticationError) as caught:
            transport.balance()
    assert "wrong" not in str(caught.value)


def test_not_enough_money_is_insufficient_funds_and_nothing_is_charged() -> None:
    poor = Account("poor", "pw", balance=Decimal("0.01"))
    with Emulator([poor], clock=ManualClock()) as emulator:
        with create_transport(emulator.url(login="poor", password="pw")) as transport:
            with pytest.raises(InsufficientFunds) as caught:
                transport.send(Message(DELIVERED, "hi"))
            assert caught.value.id
            assert transport.balance().amount == Decimal("0.01")


def test_the_same_send_twice_in_a_minute_is_rate_limited(transport: HttpTransport) -> None:
    message = Message(DELIVERED, "same text")
    transport.send(message)
    with pytest.raises(RateLimited):
        transport.send(message)


def test_cost_prices_without_sending(transport: HttpTransport) -> None:
    message = Message([DELIVERED, "79990000002"], "x" * 161)
    cost = transport.cost(message)
    assert cost.parts == 4
    assert transport.balance().amount == Decimal("100.00")
    assert transport.send(message).cost == cost.cost


def test_balance_has_currency(transport: HttpTransport) -> None:
    balance = transport.balance()
    assert balance.amount == Decimal("100.00")
    assert balance.currency


def test_scheduled_send_waits_until_its_time(
    transport: HttpTransport, emulator: Emulator, manual_clock: ManualClock
) -> None:
    when = datetime.fromtimestamp(manual_clock() + 3600, UTC)
    sent = transport.send(Message(DELIVERED, "later", send_at=when))
    manual_clock.advance(600)
    assert transport.status(sent.id, DELIVERED).status is MessageStatus.WAITING
    manual_clock.advance(3600)
    assert transport.status(sent.id, DELIVERED).status is MessageStatus.DELIVERED


def test_history_incoming_senders_and_delete(transport: HttpTransport, emulator: Emulator) -> None:
    sent = transport.send(Message(DELIVERED, "kept in history"))
    history = transport.history()
    assert any(item.id == sent.id for item in history)
    emulator.state.add_incoming("demo", "79990000009", "ответ: да")
    incoming = transport.incoming()
    assert [(m.phone, m.text) for m in incoming] == [("79990000009", "ответ: да")]
    transport.delete(sent.id, DELIVERED)
    assert transport.status(sent.id, DELIVERED).status is MessageStatus.NOT_FOUND


def test_account_operations_reach_http_through_the_async_interface(emulator: Emulator) -> None:
    async def run() -> tuple[list[str], list[str], list[str]]:
        async with create_async_transport(emulator.url()) as transport:
            sent = await transport.send(Message(DELIVERED, "kept in history"))
            history = [item.id for item in await transport.history(phone=DELIVERED)]
            emulator.state.add_incoming("demo", "79990000009", "да")
            texts = [m.text for m in await transport.incoming(hours=1)]
            await transport.delete(sent.id, DELIVERED)
            return [sent.id], history, texts + await transport.senders()

    sent, history, texts = asyncio.run(run())
    assert sent == history
    assert texts[0] == "да"
    demo = emulator.state.authenticate("demo", "demo")
    gone = emulator.state.status(demo, sent[0], DELIVERED, throttled=False)
    assert gone.status is MessageStatus.NOT_FOUND


def test_senders_lists_the_account_s_registered_sender_ids() -> None:
    shop = Account("shop", "pw", senders=("Shop", "Shop.Info"))
    with Emulator([shop], clock=ManualClock()) as emulator:
        with create_transport(emulator.url(login="shop", password="pw")) as transport:
            assert isinstance(transport, HttpTransport)
            assert transport.senders() == ["Shop", "Shop.Info"]
            with pytest.raises(MessageForbidden):  # a sender not on the list
                transport.send(Message(DELIVERED, "hi", sender="Other"))
            assert transport.send(Message(DELIVERED, "hi", sender="Shop")).id


def test_capabilities_cover_every_http_operation(transport: HttpTransport) -> None:
    assert {Capability.COST, Capability.STATUS, Capability.BALANCE} <= transport.capabilities


# send_many ---------------------------------------------------------------------------


def test_send_many_folds_one_text_into_few_requests(shared_emulator: Emulator) -> None:
    phones = [f"7912{n:07d}" for n in range(1000)]
    with create_transport(shared_emulator.url(), batch_phones="200") as transport:
        outcomes = list(transport.send_many(Message(p, "Sale today") for p in phones))
    # SMSC gives one message id per request.
    requests_made = len({o.unwrap().id for o in outcomes})
    assert [o.index for o in outcomes] == list(range(1000))
    assert all(o.ok for o in outcomes)
    assert [o.message.phones[0] for o in outcomes] == phones
    assert requests_made == 5


def test_send_many_gives_each_message_its_own_outcome_in_order(shared_emulator: Emulator) -> None:
    messages = [
        Message("79120000001", "text A"),
        Message("79990004007", "text B"),  # refused with 7
        Message("79120000002", "text A"),
        Message("79120000003", "другой текст"),
        Message("79120000004", "multi\nline"),  # cannot go in list=, goes alone
        Message("79120000005", "with id", id="client-1"),
        Message(["79120000006", "79990004008"], "text C"),  # one of two refused
    ]
    with create_transport(shared_emulator.url()) as transport:
        outcomes = list(transport.send_many(messages))
    assert [o.message for o in outcomes] == messages
    assert [o.ok for o in outcomes] == [True, False, True, True, True, True, True]
    assert isinstance(outcomes[1].error, InvalidPhone)
    assert outcomes[5].unwrap().id == "client-1"
    last = outcomes[6].unwrap()
    assert [p.ok for p in last.phones] == [True, False]
    assert outcomes[0].unwrap().id == outcomes[2].unwrap().id  # one request for text A


def test_each_message_of_a_shared_request_gets_its_own_share(shared_emulator: Emulator) -> None:
    long_text = "Длинный текст " * 8  # three parts in UCS-2
    messages = [
        Message("79120000011", "short"),
        Message(["79120000012", "79990004007"], long_text),  # its second phone is refused
        Message("79120000013", long_text),
    ]
    with create_transport(shared_emulator.url()) as transport:
        shared, two, third = (o.unwrap() for o in transport.send_many(messages))
    parts = count_parts(long_text).parts
    assert two.id == third.id != shared.id  # one request for the text they share
    assert (shared.parts, two.parts, third.parts) == (1, parts, parts)
    assert [p.phone for p in two.phones] == ["79120000012", "79990004007"]
    assert [p.ok for p in two.phones] == [True, False]
    assert two.cost == two.phones[0].cost == third.cost == Decimal("1.40") * parts
    assert shared.cost == Decimal("1.40")
    assert two.balance == third.balance
    assert not any(r.already_accepted for r in (shared, two, third))
    # Each recipient is listed with the id to ask its status with (None: refused)...
    assert [p.id for p in two.phones] == [two.id, None]
    assert [p.id for p in third.phones] == [third.id]
    # ...exactly as SendResult.for_recipients lists them.
    for result, message in zip((shared, two, third), messages, strict=True):
        assert result == result.for_recipients(message.phones)
        assert result.phones == result.for_recipients(message.phones).phones


def test_send_many_never_folds_messages_whose_options_differ(shared_emulator: Emulator) -> None:
    long_text = "Folded or not. " * 30  # 3 parts
    messages = [
        Message("79120000101", long_text, max_parts=1),
        Message("79120000102", long_text),
        Message("79120000103", long_text, short_links=True),
        Message("79120000104", kind=MessageKind.BIN, data=b"\x00\x01"),
        Message("79120000105", kind=MessageKind.BIN, data=b"\x00\x02"),
    ]
    with create_transport(shared_emulator.url()) as transport:
        outcomes = [o.unwrap() for o in transport.send_many(messages)]
    state = shared_emulator.state
    stored = [
        state.status(state.account("demo"), sent.id, m.phones[0], throttled=False)
        for sent, m in zip(outcomes, messages, strict=True)
    ]
    assert [sent.parts for sent in outcomes[:3]] == [1, 3, 3]
    assert [len(record.text) for record in stored[:2]] == [153, len(long_text)]
    assert [record.options for record in stored[1:3]] == [(), (("tinyurl", "1"),)]
    assert [record.text for record in stored[3:]] == ["0001", "0002"]


def test_send_many_reads_its_input_lazily(shared_emulator: Emulator) -> None:
    pulled = 0

    def messages() -> Iterator[Message]:
        nonlocal pulled
        for n in range(100_000):
            pulled += 1
            yield Message(f"7913{n:07d}", "lazy")

    with create_transport(shared_emulator.url(), block="50") as transport:
        stream = transport.send_many(messages())
        first = next(stream)
        assert first.ok
        assert pulled <= 100
        stream.close()


def test_send_many_hands_over_each_outcome_once_those_before_it_are_settled(
    emulator: Emulator,
) -> None:
    # The second message goes to the emulator's slow number, whose answer is held back:
    # the first outcome arrives while it is still held, not with the whole block.
    messages = [Message("79991234567", "quick", id="q1"), Message("79990003001", "slow", id="s1")]
    with create_transport(emulator.url(), concurrency="2") as transport:
        stream = transport.send_many(messages)
        first = next(stream)
        assert first.ok and first.message is messages[0]
        # The second request may still be on its way: once the emulator holds it, its
        # answer has certainly not gone (handed over with the block, the first outcome
        # would only have come after it).
        guard = time.monotonic() + 5
        while emulator.http.held == 0 and time.monotonic() < guard:
            time.sleep(0.005)
        assert emulator.http.held == 1
        emulator.http.release_delayed()
        second = next(stream)
        assert second.ok and second.message is messages[1]
        assert list(stream) == []


# Failover and retries --------------------------------------------------------------


def test_a_refused_primary_fails_over_to_the_backup_host(emulator: Emulator) -> None:
    # Nothing listens on 127.0.0.3 at the emulator's port: the connection is refused.
    url = emulator.url().replace("127.0.0.1", "127.0.0.3") + "?backup_hosts=127.0.0.1"
    with create_transport(url) as transport:
        assert transport.send(Message(DELIVERED, "via backup")).id


def test_a_backup_host_keeps_the_port_it_is_given(emulator: Emulator) -> None:
    port = emulator.url().rsplit(":", 1)[1]
    with closed_port() as refused:
        url = f"http://demo:demo@127.0.0.1:{refused}?backup_hosts=127.0.0.1:{port}"
        with create_transport(url) as transport:
            assert transport.send(Message(DELIVERED, "via backup")).id


def test_a_host_that_could_not_be_connected_to_is_tried_last_for_a_while(
    emulator: Emulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A main host that drops connection attempts costs connect_timeout each time it is
    # tried first; after one failure the requests go straight to the backup.
    port = emulator.url().rsplit(":", 1)[1]
    messages = [Message(f"7913{n:07d}", "via backup", id=f"b{n}") for n in range(6)]

    def tried_first_and_failed() -> int:
        return sum("trying the next host" in record.getMessage() for record in caplog.records)

    with closed_port() as refused:
        url = f"http://demo:demo@127.0.0.1:{refused}?backup_hosts=127.0.0.1:{port}"
        with create_transport(url, concurrency="2") as transport:
            caplog.set_level(logging.WARNING)
            assert transport.send(Message(DELIVERED, "first")).id
            assert tried_first_and_failed() == 1
            assert all(o.ok for o in transport.send_many(messages))
            assert transport.balance().amount > 0
            assert tried_first_and_failed() == 1  # none went to the refusing host first
            # Once the while has passed, the main host comes first again.
            monkeypatch.setattr(http_client, "UNREACHABLE_FOR", 0.0)
            assert transport.send(Message(DELIVERED, "later")).id
            assert tried_first_and_failed() == 2


def test_a_send_that_may_have_arrived_is_not_resent(emulator: Emulator) -> None:
    with FaultProxy(
        ("127.0.0.1", emulator.http_port),
        fault=Fault.DELAY_ANSWER,
        delay=3,
        listen_host="127.0.0.2",
        listen_port=emulator.http_port,
    ):
        url = (
            emulator.url().replace("127.0.0.1", "127.0.0.2") + "?backup_hosts=127.0.0.1&timeout=0.5"
        )
        with create_transport(url) as transport:
            with pytest.raises(Exception, match="no answer"):
                transport.send(Message(DELIVERED, "only once"))
    assert len(emulator.state.history(emulator.state.account("demo"))) == 1


def test_a_send_with_its_own_id_is_retried_and_reads_duplicate_as_accepted(
    emulator: Emulator,
) -> None:
    with FaultProxy(
        ("127.0.0.1", emulator.http_port),
        fault=Fault.DELAY_ANSWER,
        delay=3,
        listen_host="127.0.0.2",
        listen_port=emulator.http_port,
    ):
        url = (
            emulator.url().replace("127.0.0.1", "127.0.0.2") + "?backup_hosts=127.0.0.1&timeout=0.5"
        )
        with create_transport(url) as transport:
            result = transport.send(Message(DELIVERED, "exactly once", id="order-42"))
    assert result.id == "order-42"
    assert result.already_accepted is True
    assert len(emulator.state.history(emulator.state.account("demo"))) == 1


def test_connect_failure_everywhere_is_a_connect_error(emulator: Emulator) -> None:
    from smsc_transports import ConnectError

    with closed_port() as port:
        url = f"http://demo:demo@127.0.0.1:{port}?backup_hosts=127.0.0.4"
        with create_transport(url) as transport, pytest.raises(ConnectError):
            transport.balance()


# Async -------------------------------------------------------------------------------


def test_async_transport_sends_and_streams_outcomes(shared_emulator: Emulator) -> None:
    async def scenario() -> tuple[SendResult, list[bool]]:
        async with create_async_transport(shared_emulator.url()) as transport:
            single = await transport.send(Message("79140000001", "async one"))
            oks = [
                o.ok
                async for o in transport.send_many(
                    Message(f"7914{n:07d}", "async many") for n in range(2, 52)
                )
            ]
            return single, oks

    single, oks = asyncio.run(scenario())
    assert single.id
    assert oks == [True] * 50


def test_status_of_unknown_message_is_not_found(transport: HttpTransport) -> None:
    assert transport.status("999999", DELIVERED).status is MessageStatus.NOT_FOUND


def test_valid_lifetime_expires_the_expiring_test_number(
    transport: HttpTransport, manual_clock: ManualClock
) -> None:
    phone = "79990002000"
    sent = transport.send(Message(phone, "short-lived", valid=timedelta(minutes=5)))
    manual_clock.advance(60)
    assert transport.status(sent.id, phone).status is MessageStatus.TRANSFERRED
    manual_clock.advance(600)
    assert transport.status(sent.id, phone).status is MessageStatus.EXPIRED


def test_an_unreachable_host_is_one_short_reason_and_no_false_next_host(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with closed_port() as port, create_transport(f"http://demo:demo@127.0.0.1:{port}") as t:
        with pytest.raises(ConnectError) as caught:
            t.balance()
    text = str(caught.value)
    assert text == f"cannot connect to http://127.0.0.1:{port}/sys/balance.php: Connection refused"
    assert "next host" not in caplog.text  # there is none to try
