"""The conformance scenarios: one body each, played over every protocol, sync and async.

Each scenario states what it records over HTTP (``expected``); every other protocol
must record :func:`~tests.conformance.observations.as_seen_by` of that. Money is the
emulator's default tariff (1.40 RUB a part to ``7…``); the clock is a manual one
starting at 14.11.2023 22:13:20 UTC, so times are literal too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from smsc_transports import (
    APIError,
    CostOutcome,
    DeliveryError,
    Message,
    MessageKind,
    MessageStatus,
    Outcome,
    PhoneResult,
    SendResult,
    StatusResult,
)
from tests.conformance.observations import (
    Bulk,
    Changed,
    Each,
    Funds,
    Listed,
    Network,
    Priced,
    Prices,
    Recipients,
    Record,
    Refused,
    Sent,
    Status,
    Step,
    Stored,
    Timeline,
    outcome,
    status_of,
)
from tests.conformance.stage import BULK, DEMO, POOR, WRONG, Driver, Play, Stage

__all__ = ["SCENARIOS", "Scenario"]

OK = "79990000001"  # delivered after the normal schedule (docs/emulator.md)
BAD = "79990004007"  # refused at send with SMSC error 7
FAILING = "79990001249"  # fails with delivery error 249: status 22
VIRTUAL = "79990001200"  # delivered with err 200, "virtual send"
PLAIN = "Your code is 1234"
CYRILLIC = (  # 154 UCS-2 characters: 3 parts of 67
    "Здравствуйте! Ваш заказ №4521 собран и ждёт вас в пункте выдачи на Тверской, 7. "
    "Срок хранения — пять дней. Спасибо, что выбираете наш магазин! До встречи."
)
EMOJI = "Готово ✅ Спасибо 😀👍🏽"  # 23 UTF-16 units: one part
BULK_SIZE = 1000
START = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # ManualClock's first moment
D = Decimal
ERR = DeliveryError
W, T, DLV = MessageStatus.WAITING, MessageStatus.TRANSFERRED, MessageStatus.DELIVERED


@dataclass(frozen=True)
class Scenario:
    """A scenario: its table row, its body, what HTTP records, the steps the cell shows."""

    name: str
    title: str
    play: Play[Record]
    expected: Record
    headline: tuple[str, ...]


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str, title: str, expected: Record, headline: tuple[str, ...] = ("send",)
) -> Callable[[Play[Record]], Play[Record]]:
    """Register the decorated body as scenario ``name``."""

    def register(body: Play[Record]) -> Play[Record]:
        SCENARIOS[name] = Scenario(name, title, body, expected, headline)
        return body

    return register


def sent_view(stage: Stage, result: SendResult, phone: str, login: str = DEMO[0]) -> Sent:
    """A send's parts and money, and the text the emulator stored for ``phone``."""
    stored = stage.stored(result.id, phone, login)
    return Sent(result.parts, result.cost, result.balance, stored.text)


async def send_step(
    stage: Stage, t: Driver, message: Message, label: str = "", login: str = DEMO[0]
) -> Step:
    """Send ``message``; record what came of it (the stored text: its first phone's)."""
    phone = message.phones[0]
    view = await outcome(t.send(message), lambda r: sent_view(stage, r, phone, login))
    return Step("send", view, label)


def server_step(stage: Stage, id: str, phone: str) -> Step:
    """The status the emulator itself holds for ``id`` to ``phone``."""
    record = stage.stored(id, phone)
    return Step("server", Stored(record.status, record.err))


# -- sends --------------------------------------------------------------------------------


def _sent(parts: int, cost: str, balance: str, text: str) -> Step:
    return Step("send", Sent(parts, D(cost), D(balance), text))


@scenario("plain", "plain send", (_sent(1, "1.40", "98.60", PLAIN),))
async def plain_send(stage: Stage) -> Record:
    async with stage.transport() as t:
        return (await send_step(stage, t, Message([OK], PLAIN)),)


@scenario("cyrillic", "Cyrillic text, 3 parts", (_sent(3, "4.20", "95.80", CYRILLIC),))
async def cyrillic_long_text(stage: Stage) -> Record:
    async with stage.transport() as t:
        return (await send_step(stage, t, Message([OK], CYRILLIC)),)


@scenario("emoji", "emoji", (_sent(1, "1.40", "98.60", EMOJI),))
async def emoji_text(stage: Stage) -> Record:
    async with stage.transport() as t:
        return (await send_step(stage, t, Message([OK], EMOJI)),)


# -- time ---------------------------------------------------------------------------------

HOUR = timedelta(hours=1)
# Read at: the send, 1 s before its time, 1.5 s after (transferred), 5 s after (final).
MOMENTS = (
    timedelta(0),
    HOUR - timedelta(seconds=1),
    HOUR + timedelta(seconds=1.5),
    HOUR + timedelta(seconds=5),
)


@scenario(
    "scheduled",
    "scheduled send: `status` -1 until its time",
    (
        _sent(1, "1.40", "98.60", PLAIN),
        Step("status", Timeline((W, W, T, DLV))),
        Step("server", Timeline((W, W, T, DLV))),
    ),
    headline=("send", "status"),
)
async def scheduled_send(stage: Stage) -> Record:
    async with stage.transport() as t:
        sent = await t.send(Message([OK], PLAIN, send_at=START + HOUR))
        send = Step("send", sent_view(stage, sent, OK))
        read: list[MessageStatus] = []
        held: list[MessageStatus] = []
        asked: Step | None = None
        for moment in MOMENTS:
            stage.clock.set((START + moment).timestamp())
            held.append(stage.stored(sent.id, OK).status)
            if asked is None:
                value = await outcome(t.status(sent.id, OK), status_of)
                if isinstance(value, Status):
                    read.append(value.status)
                else:
                    asked = Step("status", value)
        status = asked or Step("status", Timeline(tuple(read)))
        return (send, status, Step("server", Timeline(tuple(held))))


NEW_TEXT = "Your code is 5678"


@scenario(
    "change_scheduled",
    "scheduled send: `replace` its text, or `cancel` it",
    (
        Step("replace", Changed(W, NEW_TEXT)),
        Step("cancel", Changed(MessageStatus.STOPPED, "Sale tomorrow")),
    ),
    headline=("replace", "cancel"),
)
async def change_scheduled(stage: Stage) -> Record:
    async with stage.transport() as t:
        kept = (await t.send(Message([OK], PLAIN, send_at=START + HOUR))).phones[0]
        dropped = (await t.send(Message([OK], "Sale tomorrow", send_at=START + HOUR))).phones[0]

        def now_held(recipient: PhoneResult) -> Callable[[None], Changed]:
            def view(_: None) -> Changed:
                record = stage.stored(recipient.id or "", recipient.phone)
                return Changed(record.status, record.text)

            return view

        replaced = await outcome(t.replace(kept.id or "", kept.phone, NEW_TEXT), now_held(kept))
        cancelled = await outcome(t.cancel(dropped.id or "", dropped.phone), now_held(dropped))
        return (Step("replace", replaced), Step("cancel", cancelled))


# -- failures -----------------------------------------------------------------------------


@scenario("bad_phone", f"bad phone `{BAD}`", (Step("send", Refused("InvalidPhone", 7)),))
async def bad_phone(stage: Stage) -> Record:
    async with stage.transport() as t:
        return (await send_step(stage, t, Message([BAD], PLAIN)),)


@scenario(
    "mixed",
    "a good and a bad phone in one message",
    (_sent(1, "1.40", "98.60", PLAIN),),
)
async def good_and_bad_phone(stage: Stage) -> Record:
    async with stage.transport() as t:
        return (await send_step(stage, t, Message([OK, BAD], PLAIN)),)


@scenario("bad_credentials", "bad credentials", (Step("send", Refused("AuthenticationError", 2)),))
async def bad_credentials(stage: Stage) -> Record:
    async with stage.transport(WRONG) as t:
        return (await send_step(stage, t, Message([OK], PLAIN)),)


@scenario(
    "no_funds",
    "no funds",
    (Step("send", Refused("InsufficientFunds", 3)), Step("server", Funds(D("1.00")))),
)
async def no_funds(stage: Stage) -> Record:
    async with stage.transport(POOR) as t:
        refused = await send_step(stage, t, Message([OK], PLAIN), login=POOR[0])
        return (refused, Step("server", Funds(stage.money(POOR[0]))))


@scenario(
    "duplicate",
    "the same message twice within a minute",
    (
        _sent(1, "1.40", "98.60", PLAIN),
        Step("send", Refused("RateLimited", 9), "repeat"),
        Step("server", Funds(D("98.60"))),
    ),
    headline=("repeat",),
)
async def duplicate(stage: Stage) -> Record:
    async with stage.transport() as t:
        first = await send_step(stage, t, Message([OK], PLAIN))
        stage.clock.advance(30)
        repeat = await send_step(stage, t, Message([OK], PLAIN), "repeat")
        return (first, repeat, Step("server", Funds(stage.money())))


def status_after(phone: str) -> Play[Record]:
    """A body that sends to ``phone``, lets 10 s pass, and reads the final status."""

    async def body(stage: Stage) -> Record:
        async with stage.transport() as t:
            sent = await t.send(Message([phone], PLAIN))
            stage.clock.advance(10)
            status = Step("status", await outcome(t.status(sent.id, phone), status_of))
            return (status, server_step(stage, sent.id, phone))

    return body


def _final(status: MessageStatus, error: DeliveryError) -> Record:
    # Final 3 s after the send: 22:13:23 UTC, compared to the minute.
    minute = START.replace(second=0)
    return (
        Step("status", Status(status, error, minute)),
        Step("server", Stored(status, int(error))),
    )


# Each: name, row title, phone, the final status and delivery error HTTP reads.
_FINALS = (
    ("delivered", "`status` after delivery", OK, DLV, ERR.NO_ERROR),
    (
        "failed",
        f"`status` after a failed delivery (`{FAILING}`)",
        FAILING,
        MessageStatus.INVALID_NUMBER,
        ERR.INVALID_NUMBER_FORMAT,
    ),
    (
        "virtual",
        f"`status` of a virtual send, err 200 (`{VIRTUAL}`)",
        VIRTUAL,
        DLV,
        ERR.VIRTUAL_SEND,
    ),
)
for _name, _title, _phone, _status, _error in _FINALS:
    scenario(_name, _title, _final(_status, _error), ("status",))(status_after(_phone))


# The final status and delivery error of each recipient: OK, FAILING, VIRTUAL.
_EACH = tuple((status, error) for _, _, _, status, error in _FINALS)
_MINUTE = START.replace(second=0)


@scenario(
    "several_phones",
    "several phones: status of each by its `PhoneResult.id`",
    (
        Step("send", Recipients((OK, FAILING, VIRTUAL), (True, True, True))),
        Step("status", Each(tuple(Status(s, e, _MINUTE) for s, e in _EACH))),
        Step("server", Each(tuple(Stored(s, int(e)) for s, e in _EACH))),
    ),
    headline=("send", "status"),
)
async def several_phones(stage: Stage) -> Record:
    phones = [OK, FAILING, VIRTUAL]
    async with stage.transport() as t:
        sent = await t.send(Message(phones, PLAIN))
        listed = Recipients(
            tuple(p.phone for p in sent.phones),
            tuple(p.id is not None and stage.stored(p.id, p.phone).found for p in sent.phones),
        )
        stage.clock.advance(10)
        read: list[Status | Stored] = []
        status: Step | None = None
        for recipient in sent.phones:
            value = await outcome(t.status(recipient.id or "", recipient.phone), status_of)
            if not isinstance(value, Status):
                status = Step("status", value)
                break
            read.append(value)
        held = tuple(stage.stored(p.id or "", p.phone) for p in sent.phones)
        return (
            Step("send", listed),
            status or Step("status", Each(tuple(read))),
            Step("server", Each(tuple(Stored(r.status, r.err) for r in held))),
        )


# -- asking -------------------------------------------------------------------------------


@scenario("cost", "`cost`", (Step("cost", Priced(D("4.20"), 3)),), headline=("cost",))
async def cost(stage: Stage) -> Record:
    async with stage.transport() as t:
        price = await outcome(t.cost(Message([OK], CYRILLIC)), lambda r: Priced(r.cost, r.parts))
        return (Step("cost", price),)


@scenario(
    "balance",
    "`balance`",
    (
        _sent(1, "1.40", "98.60", PLAIN),
        Step("balance", Funds(D("98.60"))),
        Step("server", Funds(D("98.60"))),
    ),
    headline=("balance",),
)
async def balance(stage: Stage) -> Record:
    async with stage.transport() as t:
        sent = await send_step(stage, t, Message([OK], PLAIN))
        amount = await outcome(t.balance(), lambda r: Funds(r.amount))
        return (sent, Step("balance", amount), Step("server", Funds(stage.money())))


# -- many ---------------------------------------------------------------------------------


def bulk_messages() -> list[Message]:
    """1,000 different one-part messages to ordinary (delivered) numbers."""
    return [Message([f"7912{n:07d}"], f"Order {n} is ready") for n in range(BULK_SIZE)]


def bulk_view(messages: Sequence[Message], outcomes: Sequence[Outcome], charged: Decimal) -> Bulk:
    """What a ``send_many`` of ``messages`` gave."""
    results = [o.result for o in outcomes if o.result is not None]
    costs = [r.cost for r in results if r.cost is not None]
    return Bulk(
        outcomes=len(outcomes),
        in_order=[(o.index, o.message) for o in outcomes] == list(enumerate(messages)),
        accepted=len(results),
        parts=sum(r.parts for r in results),
        reported_cost=sum(costs, D(0)) if costs else None,
        charged=charged,
    )


@scenario(
    "send_many",
    "`send_many` of 1,000",
    (Step("send_many", Bulk(1000, True, 1000, 1000, D("1400.00"), D("1400.00"))),),
    headline=("send_many",),
)
async def send_many(stage: Stage) -> Record:
    messages = bulk_messages()
    before = stage.money(BULK[0])
    async with stage.transport(BULK) as t:
        outcomes = await t.send_many(messages)
    return (Step("send_many", bulk_view(messages, outcomes, before - stage.money(BULK[0]))),)


# -- the rest of the account API ----------------------------------------------------------


def _price(item: CostOutcome) -> Priced | Refused:
    if item.result is not None:
        return Priced(item.result.cost, item.result.parts)
    error = item.error
    if isinstance(error, APIError):
        return Refused(type(error).__name__, error.code)
    raise AssertionError(f"cost_many gave {error!r}")


@scenario(
    "cost_many",
    "`cost_many` of three messages, one to a bad phone",
    (
        Step(
            "cost_many",
            Prices((Priced(D("1.40"), 1), Priced(D("4.20"), 3), Refused("InvalidPhone", 7))),
        ),
        Step("server", Funds(D("100.00"))),
    ),
    headline=("cost_many",),
)
async def cost_many(stage: Stage) -> Record:
    messages = [Message([OK], PLAIN), Message([OK], CYRILLIC), Message([BAD], PLAIN)]
    async with stage.transport() as t:
        priced = await outcome(
            t.cost_many(messages), lambda found: Prices(tuple(_price(o) for o in found))
        )
        return (Step("cost_many", priced), Step("server", Funds(stage.money())))


def _rows(found: list[StatusResult]) -> tuple[tuple[str, str | None], ...]:
    return tuple((entry.phone, entry.text) for entry in found)


@scenario(
    "history",
    "`history` of one phone, two a page, paged back by `prev_id`",
    (
        Step(
            "history",
            Listed((((OK, "third"), (OK, "second")), ((OK, "first"),), ())),
        ),
    ),
    headline=("history",),
)
async def history(stage: Stage) -> Record:
    async with stage.transport() as t:
        for text in ("first", "second"):
            await t.send(Message([OK], text))
        await t.send(Message([VIRTUAL], "to another phone"))
        await t.send(Message([OK], "third"))
        pages: list[object] = []
        last: list[str | None] = [None]  # the int_id the next page starts before

        def page_of(found: list[StatusResult]) -> Listed:
            last[0] = found[-1].int_id if found else None
            return Listed(_rows(found))

        while len(pages) < 4:  # three pages expected: bounded if paging never ends
            page = await outcome(t.history(phone=OK, count=2, prev_id=last[0]), page_of)
            if not isinstance(page, Listed):
                return (Step("history", page),)
            pages.append(page.items)
            if not page.items:
                break
        return (Step("history", Listed(tuple(pages))),)


@scenario(
    "incoming",
    "`incoming`",
    (Step("incoming", Listed((("79990000003", "Stop"), ("79990000002", "Yes, please")))),),
    headline=("incoming",),
)
async def incoming(stage: Stage) -> Record:
    stage.emulator.state.add_incoming(DEMO[0], "79990000002", "Yes, please")
    stage.clock.advance(5)
    stage.emulator.state.add_incoming(DEMO[0], "79990000003", "Stop")
    async with stage.transport() as t:
        listed = await outcome(
            t.incoming(), lambda found: Listed(tuple((m.phone, m.text) for m in found))
        )
        return (Step("incoming", listed),)


NUMBER = "79990000009"  # a numeric sender name: registered once its code is confirmed


@scenario(
    "senders",
    "sender names: `add_sender`, `send_sender_code`, `confirm_sender`, `senders`",
    (
        Step("add_sender", Listed(("Shop",))),
        Step("add_sender", Listed(("Shop",)), "number"),
        Step("send_sender_code", Listed((True,))),
        Step("confirm_sender", Refused("ParameterError", 1), "wrong code"),
        Step("confirm_sender", Listed(("Shop", NUMBER))),
        Step("senders", Listed(("Shop", NUMBER))),
    ),
    headline=("add_sender", "send_sender_code", "confirm_sender", "senders"),
)
async def senders(stage: Stage) -> Record:
    state = stage.emulator.state

    def held(_: None) -> Listed:
        return Listed(state.senders(state.account(DEMO[0])))

    def code_held(_: None) -> Listed:
        return Listed((state.sender_code(DEMO[0], NUMBER) is not None,))

    async with stage.transport() as t:
        added = await outcome(t.add_sender("Shop"), held)
        number = await outcome(t.add_sender(NUMBER), held)
        coded = await outcome(t.send_sender_code(NUMBER), code_held)
        wrong = await outcome(t.confirm_sender(NUMBER, "wrong"), held)
        code = state.sender_code(DEMO[0], NUMBER) or "none"
        confirmed = await outcome(t.confirm_sender(NUMBER, code), held)
        listed = await outcome(t.senders(), lambda names: Listed(tuple(names)))
        return (
            Step("add_sender", added),
            Step("add_sender", number, "number"),
            Step("send_sender_code", coded),
            Step("confirm_sender", wrong, "wrong code"),
            Step("confirm_sender", confirmed),
            Step("senders", listed),
        )


@scenario(
    "delete",
    "`delete` a delivered message",
    (Step("delete", Stored(MessageStatus.NOT_FOUND, 0)),),
    headline=("delete",),
)
async def delete(stage: Stage) -> Record:
    async with stage.transport() as t:
        recipient = (await t.send(Message([OK], PLAIN))).phones[0]
        stage.clock.advance(10)
        id = recipient.id or ""

        def now_held(_: None) -> Stored:
            record = stage.stored(id, OK)
            return Stored(record.status, record.err)

        return (Step("delete", await outcome(t.delete(id, OK), now_held)),)


@scenario(
    "operator",
    "`operator` of a number",
    (
        Step(
            "operator",
            Network("Russia", "Emulator Test", "Emulator Test Region", "250", "99"),
        ),
    ),
    headline=("operator",),
)
async def operator(stage: Stage) -> Record:
    async with stage.transport() as t:
        found = await outcome(
            t.operator(OK),
            lambda o: Network(o.country, o.operator, o.region, o.mcc, o.mnc),
        )
        return (Step("operator", found),)


@scenario(
    "jobs",
    "scheduled mailings: `jobs`, `cancel_job`",
    (
        Step("jobs", Listed((("spring", "Spring sale", (OK,), "0"),))),
        # The job's message stops, and its price comes back.
        Step("cancel_job", Listed((Stored(MessageStatus.STOPPED, 0), Funds(D("100.00"))))),
    ),
    headline=("jobs", "cancel_job"),
)
async def jobs(stage: Stage) -> Record:
    # A job can only be made over HTTP (jobs.php?add=1): set up there, asked over each.
    with stage.over_http() as http:
        made = http.raw(
            "jobs", {"add": 1, "name": "spring", "phones": OK, "mes": "Spring sale", "time": "+60"}
        )
    job_id = str(made["id"])
    state = stage.emulator.state
    [(job, _)] = state.jobs(state.account(DEMO[0]))

    def message_held(_: None) -> Listed:
        record = stage.stored(job.message_id, OK)
        return Listed((Stored(record.status, record.err), Funds(stage.money())))

    async with stage.transport() as t:
        listed = await outcome(
            t.jobs(),
            lambda found: Listed(tuple((j.name, j.text, j.phones, j.status) for j in found)),
        )
        cancelled = await outcome(t.cancel_job(job_id), message_held)
        return (Step("jobs", listed), Step("cancel_job", cancelled))


@scenario(
    "raw",
    "`raw`: the balance command by the protocol's own name",
    (Step("raw", Funds(D("100.00"))),),
    headline=("raw",),
)
async def raw(stage: Stage) -> Record:
    async with stage.transport() as t:
        answer = await outcome(
            t.raw(stage.profile.raw_balance, {}), lambda found: Funds(D(found["balance"]))
        )
        return (Step("raw", answer),)


BINARY = b"\x00" + bytes(range(0x80, 0x90))  # no header: its first octet is 00


@scenario(
    "binary",
    "binary message (`data`): send and `status`",
    (
        _sent(1, "1.40", "98.60", BINARY.hex()),
        Step("status", Status(DLV, ERR.NO_ERROR, _MINUTE)),
        Step("server", Stored(DLV, 0)),
    ),
    headline=("send", "status"),
)
async def binary(stage: Stage) -> Record:
    async with stage.transport() as t:
        sent = await t.send(Message([OK], kind=MessageKind.BIN, data=BINARY))
        send = Step("send", sent_view(stage, sent, OK))
        stage.clock.advance(10)
        status = await outcome(t.status(sent.id, OK), status_of)
        return (send, Step("status", status), server_step(stage, sent.id, OK))
