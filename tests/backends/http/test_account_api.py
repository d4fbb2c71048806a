"""The rest of SMSC's HTTP API against the emulator: cost_many, history paging and
filters, the operator of a number, scheduled jobs, sender names and raw calls, sync and
async."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from smsc_transports import (
    Capability,
    InvalidPhone,
    Message,
    MessageForbidden,
    MessageKind,
    MessageStatus,
    ParameterError,
    ValidationError,
    create_async_transport,
    create_transport,
)
from smsc_transports.backends.http import HttpTransport
from smsc_transports.emulator import Account, Emulator, ManualClock
from smsc_transports.emulator.state.records import SendOutcome, SendRequest

DELIVERED = "79990000001"
OTHER = "79990000002"
THIRD = "79990000003"


@pytest.fixture
def transport(emulator: Emulator) -> Iterator[HttpTransport]:
    with create_transport(emulator.url()) as opened:
        assert isinstance(opened, HttpTransport)
        yield opened


# cost_many -------------------------------------------------------------------------


def test_cost_many_prices_different_texts_in_one_request_one_result_each(
    transport: HttpTransport, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = [
        Message(DELIVERED, "short"),
        Message(OTHER, "x" * 200),  # two parts
        Message([THIRD, "79990000004"], "same for two"),
    ]
    # The emulator's own pricing is observed (and left to answer): how many requests.
    priced: list[SendRequest] = []
    real_cost = emulator.state.cost

    def counting(account: Account, request: SendRequest) -> SendOutcome:
        priced.append(request)
        return real_cost(account, request)

    monkeypatch.setattr(emulator.state, "cost", counting)
    outcomes = list(transport.cost_many(messages))
    assert len(priced) == 1
    assert len(priced[0].pairs) == 4  # one list= line per recipient
    monkeypatch.undo()
    priced_each = [o.unwrap() for o in outcomes]
    singles = [transport.cost(m) for m in messages]
    assert [(p.cost, p.parts) for p in priced_each] == [(s.cost, s.parts) for s in singles]
    assert [p.parts for p in priced_each] == [1, 2, 2]
    assert transport.balance().amount == Decimal("100.00")  # nothing was sent


def test_cost_many_gives_a_refused_message_its_own_error_and_prices_the_rest(
    transport: HttpTransport,
) -> None:
    outcomes = list(transport.cost_many([Message(DELIVERED, "a"), Message("79990004007", "b")]))
    assert outcomes[0].ok
    assert isinstance(outcomes[1].error, InvalidPhone)
    assert [o.index for o in outcomes] == [0, 1]


def test_cost_many_over_async_matches_sync(emulator: Emulator) -> None:
    messages = [Message(DELIVERED, "a"), Message(OTHER, "b" * 170)]

    async def main() -> list[tuple[Decimal, int]]:
        async with create_async_transport(emulator.url()) as transport:
            return [
                (o.unwrap().cost, o.unwrap().parts) async for o in transport.cost_many(messages)
            ]

    with create_transport(emulator.url()) as transport:
        expected = [(o.unwrap().cost, o.unwrap().parts) for o in transport.cost_many(messages)]
    assert asyncio.run(main()) == expected == [(Decimal("1.40"), 1), (Decimal("2.80"), 2)]


# history ---------------------------------------------------------------------------


def test_history_pages_back_with_prev_id_until_nothing_is_left(
    transport: HttpTransport, manual_clock: ManualClock
) -> None:
    sent = []
    for n in range(5):
        sent.append(transport.send(Message(f"7999000000{n + 1}", f"message {n}")).id)
        manual_clock.advance(61)
    pages = []
    prev_id = None
    while page := transport.history(count=2, prev_id=prev_id):
        pages.append([entry.id for entry in page])
        prev_id = page[-1].int_id
        assert prev_id is not None
    assert pages == [[sent[4], sent[3]], [sent[2], sent[1]], [sent[0]]]


def test_history_filters_by_phone_list_and_kind(transport: HttpTransport) -> None:
    transport.send(Message(DELIVERED, "sms"))
    transport.send(Message(OTHER, "flash", kind=MessageKind.FLASH))
    transport.send(Message(THIRD, "third"))
    assert {e.phone for e in transport.history(phone=[DELIVERED, OTHER])} == {DELIVERED, OTHER}
    assert [e.text for e in transport.history(kind=MessageKind.FLASH)] == ["flash"]


def test_history_refuses_a_bad_prev_id_before_sending(transport: HttpTransport) -> None:
    with pytest.raises(ValidationError, match="prev_id"):
        transport.history(prev_id="1; drop")


# operator --------------------------------------------------------------------------


def test_operator_names_country_operator_and_codes(transport: HttpTransport) -> None:
    found = transport.operator("+7 999 000-00-01")
    assert (found.phone, found.country, found.mcc, found.mnc) == (DELIVERED, "Russia", "250", "99")
    assert found.operator == "Emulator Test"


def test_operator_of_a_malformed_number_is_refused_before_sending(
    transport: HttpTransport,
) -> None:
    with pytest.raises(ValidationError):
        transport.operator("not a number")


# jobs ------------------------------------------------------------------------------


def schedule(transport: HttpTransport, name: str, minutes: int = 60) -> str:
    answer = transport.raw(
        "jobs",
        {"add": 1, "name": name, "phones": DELIVERED, "mes": "later", "time": f"+{minutes}"},
    )
    return str(answer["id"])


def test_jobs_lists_a_scheduled_mailing_and_cancel_stops_and_refunds_it(
    transport: HttpTransport, manual_clock: ManualClock
) -> None:
    job_id = schedule(transport, "spring")
    charged = transport.balance().amount
    assert charged < Decimal("100.00")
    [job] = transport.jobs()
    assert (job.id, job.name, job.phones, job.text, job.status) == (
        job_id,
        "spring",
        (DELIVERED,),
        "later",
        "0",
    )
    assert job.send_at is not None
    transport.cancel_job(job_id)
    assert transport.jobs()[0].status == "2"
    assert transport.balance().amount == Decimal("100.00")
    message_id = str(job.raw["sms_id"])
    manual_clock.advance(3600 * 2)
    assert transport.status(message_id, DELIVERED).status is MessageStatus.STOPPED


def test_a_job_that_already_ran_cannot_be_cancelled(
    transport: HttpTransport, manual_clock: ManualClock
) -> None:
    job_id = schedule(transport, "now", minutes=1)
    manual_clock.advance(120)
    with pytest.raises(ParameterError):
        transport.cancel_job(job_id)


def test_cancel_job_refuses_a_malformed_id_before_sending(transport: HttpTransport) -> None:
    with pytest.raises(ValidationError):
        transport.cancel_job("1&del=1")


# sender names ----------------------------------------------------------------------


def test_a_numeric_sender_is_usable_only_after_its_code_is_confirmed(
    emulator: Emulator,
) -> None:
    emulator.state.add_account(Account("shop", "secret", senders=("Shop",)))
    with create_transport(emulator.url(login="shop", password="secret")) as transport:
        transport.add_sender("79990000009")
        assert "79990000009" not in transport.senders()
        with pytest.raises(MessageForbidden):
            transport.send(Message(DELIVERED, "hi", sender="79990000009"))
        transport.send_sender_code("79990000009")
        with pytest.raises(ParameterError):
            transport.confirm_sender("79990000009", "wrong")
        code = emulator.state.sender_code("shop", "79990000009")
        assert code is not None
        transport.confirm_sender("79990000009", code)
        assert transport.senders() == ["Shop", "79990000009"]
        assert transport.send(Message(DELIVERED, "hi", sender="79990000009")).id


def test_an_alphanumeric_sender_is_registered_at_once(transport: HttpTransport) -> None:
    transport.add_sender("NewShop", comment="our new brand")
    assert "NewShop" in transport.senders()


def test_sender_names_are_checked_before_sending(transport: HttpTransport) -> None:
    with pytest.raises(ValidationError):
        transport.add_sender("far too long a sender name")
    with pytest.raises(ValidationError, match="numeric"):
        transport.send_sender_code("Shop")


# raw -------------------------------------------------------------------------------


def test_raw_calls_any_command_and_maps_errors_to_typed_ones(transport: HttpTransport) -> None:
    answer = transport.raw("info", {"get_operator": 1, "phone": DELIVERED})
    assert answer["country"] == "Russia"
    with pytest.raises(ParameterError) as caught:
        transport.raw("jobs", {"cancel": 1, "id": "404"})
    assert caught.value.operation == "jobs"


@pytest.mark.parametrize(
    ("command", "params"),
    [
        ("../send", {}),
        ("INFO", {}),
        ("info", {"psw": "other"}),
        ("info", {"fmt": "0"}),
        ("info", {"bad name": "x"}),
        ("info", {"flag": True}),
    ],
)
def test_raw_refuses_bad_names_and_the_transports_own_parameters(
    transport: HttpTransport, command: str, params: dict[str, object]
) -> None:
    with pytest.raises(ValidationError):
        transport.raw(command, params)


def test_capabilities_name_the_new_operations(transport: HttpTransport) -> None:
    assert {Capability.OPERATOR, Capability.JOBS, Capability.RAW} <= transport.capabilities


# async -----------------------------------------------------------------------------


def test_every_new_operation_works_through_the_async_transport(
    emulator: Emulator, manual_clock: ManualClock
) -> None:
    async def main() -> None:
        async with create_async_transport(emulator.url()) as transport:
            await transport.send(Message(DELIVERED, "one"))
            manual_clock.advance(timedelta(minutes=2).total_seconds())
            await transport.send(Message(OTHER, "two"))
            newest = await transport.history(count=1)
            older = await transport.history(count=5, prev_id=newest[0].int_id)
            assert [e.text for e in newest + older] == ["two", "one"]
            assert (await transport.operator(DELIVERED)).country == "Russia"
            job = await transport.raw(
                "jobs", {"add": 1, "phones": DELIVERED, "mes": "x", "time": "+30"}
            )
            assert [j.id for j in await transport.jobs()] == [str(job["id"])]
            await transport.cancel_job(str(job["id"]))
            await transport.add_sender("Brand")
            assert "Brand" in await transport.senders()

    asyncio.run(main())


# HLR --------------------------------------------------------------------------------


def test_an_hlr_lookup_reads_back_typed_over_http_sync_and_async(
    emulator: Emulator, manual_clock: ManualClock
) -> None:
    roaming = "79990007002"  # the emulator's roaming HLR test number

    with create_transport(emulator.url()) as transport:
        sent = transport.send(Message(roaming, "", kind=MessageKind.HLR))
        manual_clock.advance(10)
        hlr = transport.status(sent.id, roaming).hlr

    async def main() -> object:
        async with create_async_transport(emulator.url()) as transport:
            return (await transport.status(sent.id, roaming, detail=1)).hlr

    assert hlr is not None
    assert (hlr.mcc, hlr.mnc, hlr.country) == ("250", "99", "Russia")
    assert (hlr.roaming_country, hlr.roaming_operator) == ("Turkey", "Emulator Roaming")
    assert hlr.imsi is not None and hlr.imsi.startswith("25099")
    assert asyncio.run(main()) == hlr


def test_the_fmt_1_hlr_line_smscs_libraries_read_parses_to_the_same_fields(
    emulator: Emulator, manual_clock: ManualClock
) -> None:
    import requests

    from smsc_transports.wire.http import parse_hlr_line

    home = "79990007000"
    with create_transport(emulator.url()) as transport:
        sent = transport.send(Message(home, "", kind=MessageKind.HLR))
        manual_clock.advance(10)
        typed = transport.status(sent.id, home).hlr
    form = {"login": "demo", "psw": "demo", "id": sent.id, "phone": home, "fmt": 1}
    line = requests.post(emulator.http_url + "/sys/status.php", data=form, timeout=5).text
    assert parse_hlr_line(line, sent.id, home).hlr == typed


# observer ---------------------------------------------------------------------------


def test_the_observer_hears_one_cost_request_carrying_every_message_of_cost_many(
    emulator: Emulator,
) -> None:
    from smsc_transports.observe import Tally

    tally = Tally()
    messages = [Message(DELIVERED, "a"), Message(OTHER, "b"), Message(THIRD, "c")]
    with create_transport(emulator.url(), observer=tally) as transport:
        assert all(o.ok for o in transport.cost_many(messages))
        transport.operator(DELIVERED)
    assert tally.operations[("https", "cost", "ok")] == 1
    assert tally.messages[("https", "cost", "ok")] == 3
    assert tally.operations[("https", "operator", "ok")] == 1
