"""The SMTP backend against the emulator's SMTP front end, with HTTP as the status companion."""

from __future__ import annotations

import ssl
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest

from smsc_transports import (
    AuthenticationError,
    Capability,
    CostOutcome,
    InvalidPhone,
    Message,
    MessageStatus,
    NotSent,
    SMSCError,
    UnsupportedOperation,
    create_async_transport,
    create_transport,
)
from smsc_transports.backends.smtp.errors import SmtpAuthenticationError
from smsc_transports.config import Settings
from smsc_transports.emulator import Account, Emulator
from smsc_transports.emulator.smtp import SmtpFrontEnd
from smsc_transports.emulator.state.records import SendOutcome, SendRequest
from tests.backends.smtp.conftest import LOGIN, PASSWORD, emulator_with_smtp, run, smtp_url

Running = tuple[Emulator, SmtpFrontEnd]


def companion(emulator: Emulator) -> str:
    """The ``status_via`` URL (``smtp_url`` percent-encodes it as a query value)."""
    return emulator.url(login=LOGIN, password=PASSWORD)


def test_an_smtp_sent_message_is_visible_over_http_under_its_id(smtp_emulator: Running) -> None:
    emulator, front = smtp_emulator
    url = smtp_url(front.port, status_via=companion(emulator))
    with create_transport(url) as transport:
        result = transport.send(Message("79990000001", "Код: 1234\nстрока"))
        status = transport.status(result.id, "79990000001")
        balance = transport.balance()
    assert status.id == result.id
    assert status.status == MessageStatus.WAITING
    assert balance.amount < Decimal("1000.00")
    account = emulator.state.authenticate(LOGIN, PASSWORD)
    record = emulator.state.status(account, result.id, "79990000001")
    assert record.text == "Код: 1234\nстрока"


def test_without_a_companion_status_cost_and_balance_name_the_protocols_that_can(
    smtp_emulator: Running,
) -> None:
    _, front = smtp_emulator
    with create_transport(smtp_url(front.port)) as transport:
        assert Capability.STATUS not in transport.capabilities
        with pytest.raises(UnsupportedOperation) as caught:
            transport.status("1", "79990000001")
        with pytest.raises(UnsupportedOperation):
            transport.balance()
        with pytest.raises(UnsupportedOperation):
            transport.cost(Message("79990000001", "hi"))
    assert caught.value.protocol == "smtp"
    assert "https" in caught.value.supported_by
    assert "https" in str(caught.value)


def test_a_companion_without_credentials_borrows_the_smtp_account(smtp_emulator: Running) -> None:
    emulator, front = smtp_emulator
    with create_transport(smtp_url(front.port, status_via=emulator.http_url)) as transport:
        result = transport.send(Message("79990000001", "hi"))
        assert transport.status(result.id, "79990000001").id == result.id
        assert Capability.BALANCE in transport.capabilities
        assert transport.cost(Message("79990000001", "hi")).parts == 1


def test_a_companion_answers_the_account_operations_http_has(smtp_emulator: Running) -> None:
    # Reproduced first: cost, status and balance went through the companion, but
    # history, incoming, operator, senders, jobs and delete raised UnsupportedOperation.
    emulator, front = smtp_emulator
    emulator.state.add_incoming(LOGIN, "79990000002", "yes")
    with create_transport(smtp_url(front.port, status_via=emulator.http_url)) as transport:
        wanted = {
            Capability.HISTORY,
            Capability.INCOMING,
            Capability.SENDERS,
            Capability.DELETE,
            Capability.OPERATOR,
            Capability.JOBS,
        }
        assert wanted <= transport.capabilities
        assert Capability.RAW not in transport.capabilities
        result = transport.send(Message("79990000001", "hi"))
        assert [(e.id, e.text) for e in transport.history(phone="79990000001")] == [
            (result.id, "hi")
        ]
        assert [m.text for m in transport.incoming()] == ["yes"]
        assert transport.operator("79990000001").country == "Russia"
        transport.add_sender("Shop")
        assert "Shop" in transport.senders()
        assert transport.jobs() == []
        with pytest.raises(UnsupportedOperation):
            transport.raw("balance")
        transport.delete(result.id, "79990000001")
        assert transport.history(phone="79990000001") == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_cost_many_over_the_companion_prices_a_list_in_one_request(
    smtp_emulator: Running, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    # Reproduced first: the companion priced each message in its own request (the
    # default cost_many), where HTTP itself prices the list in one.
    emulator, front = smtp_emulator
    messages = [Message("79990000001", "short"), Message("79990000002", "x" * 200)]
    # The emulator's own pricing is observed (and left to answer): how many requests.
    priced: list[SendRequest] = []
    real_cost = emulator.state.cost

    def counting(account: Account, request: SendRequest) -> SendOutcome:
        priced.append(request)
        return real_cost(account, request)

    monkeypatch.setattr(emulator.state, "cost", counting)
    url = smtp_url(front.port, status_via=emulator.http_url)
    if mode == "sync":
        with create_transport(url) as transport:
            outcomes = list(transport.cost_many(messages))
    else:

        async def price() -> list[CostOutcome]:
            async with create_async_transport(url) as transport:
                return [o async for o in transport.cost_many(messages)]

        outcomes = run(price())
    assert [o.unwrap().parts for o in outcomes] == [1, 2]
    assert len(priced) == 1


def test_a_closed_transport_refuses_companion_calls_and_closes_twice(
    smtp_emulator: Running,
) -> None:
    emulator, front = smtp_emulator
    url = smtp_url(front.port, status_via=emulator.http_url)

    async def close_twice_then_ask() -> None:
        transport = create_async_transport(url)
        assert (await transport.balance()).amount > 0
        await transport.aclose()
        await transport.aclose()
        with pytest.raises(SMSCError, match="closed"):
            await transport.balance()

    run(close_twice_then_ask())


def test_a_nested_companion_url_needs_percent_encoding_only_for_its_own_query() -> None:
    plain = Settings.from_url("smtp://a:b@host?status_via=https://c:d@smsc.ru&timeout=5")
    assert plain.options["status_via"] == "https://c:d@smsc.ru"
    encoded = quote("https://c:d@smsc.ru?timeout=3&verify=0", safe="")
    assert Settings.from_url(f"smtp://a:b@host?status_via={encoded}").options["status_via"] == (
        "https://c:d@smsc.ru?timeout=3&verify=0"
    )


def test_the_short_form_and_a_delayed_time_reach_the_state(smtp_emulator: Running) -> None:
    emulator, front = smtp_emulator
    with create_transport(smtp_url(front.port, body_form="short")) as transport:
        result = transport.send(Message("79990000001", "later: ok", send_at="+60", sender="Shop"))
    account = emulator.state.authenticate(LOGIN, PASSWORD)
    emulator.state.clock.advance(30 * 60)  # type: ignore[attr-defined]  # a ManualClock
    record = emulator.state.status(account, result.id, "79990000001")
    assert record.status == MessageStatus.WAITING  # due in an hour, half of it gone
    assert (record.text, record.sender) == ("later: ok", "Shop")


def test_wrong_smsc_credentials_are_an_authentication_error(smtp_emulator: Running) -> None:
    _, front = smtp_emulator
    url = smtp_url(front.port, password="wrong")
    with create_transport(url) as transport, pytest.raises(AuthenticationError) as caught:
        transport.send(Message("79990000001", "hi"))
    assert caught.value.code == 2
    assert caught.value.protocol_status == 550
    assert front.accepted == 0


def test_a_refused_number_keeps_the_id_the_backend_assigned(smtp_emulator: Running) -> None:
    _, front = smtp_emulator
    with create_transport(smtp_url(front.port)) as transport, pytest.raises(InvalidPhone) as caught:
        transport.send(Message("79990004007", "hi", id="order-7"))
    assert caught.value.id == "order-7"


def test_starttls_and_smtp_auth_with_the_emulator(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    users = {"gateway": "gw-pass"}
    with emulator_with_smtp(tls_context=server_tls, auth_users=users, auth_required=True) as (
        _,
        front,
    ):
        good = smtp_url(
            front.port, smtp_user="gateway", smtp_password="gw-pass", ca_file=str(tls_files[0])
        )
        with create_transport(good) as transport:
            transport.send(Message("79990000001", "hi"))
        bad = good.replace("gw-pass", "nope")
        with create_transport(bad) as transport, pytest.raises(SmtpAuthenticationError):
            transport.send(Message("79990000001", "hi"))
        assert front.accepted == 1


def test_implicit_tls_with_the_emulator(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    with emulator_with_smtp(tls_context=server_tls, implicit_tls=True) as (_, front):
        url = smtp_url(front.port, scheme="smtps", ca_file=str(tls_files[0]))
        with create_transport(url) as transport:
            assert transport.send(Message("79990000001", "hi")).parts == 1
        assert front.accepted == 1


def test_send_many_through_the_emulator_is_pipelined_on_one_connection(
    smtp_emulator: Running,
) -> None:
    emulator, front = smtp_emulator
    messages = [Message("79990000001", f"n{n}") for n in range(200)]
    messages[100] = Message("79990004007", "refused number")

    async def send() -> list[tuple[int, str | None, bool]]:
        transport = create_async_transport(smtp_url(front.port))
        try:
            return [
                (o.index, o.result.id if o.result else None, o.ok)
                async for o in transport.send_many(messages)
            ]
        finally:
            await transport.aclose()

    outcomes = run(send())
    assert [index for index, _, _ in outcomes] == list(range(200))
    assert [ok for _, _, ok in outcomes].count(False) == 1
    assert outcomes[100][2] is False
    assert front.connections == 1
    account = emulator.state.authenticate(LOGIN, PASSWORD)
    last_id = outcomes[199][1]
    assert last_id is not None
    assert emulator.state.status(account, last_id, "79990000001").text == "n199"


def test_wrong_smsc_credentials_stop_a_batch_after_the_first_refusals(
    smtp_emulator: Running,
) -> None:
    _, front = smtp_emulator
    messages = [Message(f"7999{n:07d}", f"text {n}") for n in range(50)]
    with create_transport(smtp_url(front.port, password="wrong")) as transport:
        outcomes = list(transport.send_many(messages))
    assert sorted(o.index for o in outcomes) == list(range(50))
    refused = [o for o in outcomes if isinstance(o.error, AuthenticationError)]
    skipped = [o for o in outcomes if isinstance(o.error, NotSent)]
    # Only what was already pipelined when the first refusal came back reached SMSC.
    assert 1 <= len(refused) <= 2
    assert len(refused) + len(skipped) == 50
    assert front.accepted == 0


def test_a_refused_smtp_auth_stops_a_batch_instead_of_reconnecting_per_message(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    users = {"gateway": "gw-pass"}
    with emulator_with_smtp(tls_context=server_tls, auth_users=users, auth_required=True) as (
        _,
        front,
    ):
        bad = smtp_url(
            front.port, smtp_user="gateway", smtp_password="nope", ca_file=str(tls_files[0])
        )
        messages = [Message(f"7999{n:07d}", f"text {n}") for n in range(30)]
        with create_transport(bad) as transport:
            outcomes = list(transport.send_many(messages))
        assert isinstance(outcomes[0].error, SmtpAuthenticationError)
        assert all(isinstance(o.error, NotSent) for o in outcomes[1:])
        assert len(outcomes) == 30
        assert front.connections == 1
