"""Where every conformance scenario plays: one emulator, one manual clock, one protocol.

A :class:`Profile` is one column of the table in ``docs/conformance.md``: a URL scheme
and what that protocol is expected to report. A scenario is a coroutine taking a
:class:`Stage`; it opens transports with :meth:`Stage.transport`, which gives a
:class:`Driver` over ``create_transport(url)`` (sync mode) or
``create_async_transport(url)`` (async mode), so one scenario body serves both. In sync
mode the coroutine never suspends: :func:`play` steps it by hand, with no event loop,
so the synchronous transports run exactly as synchronous code calls them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, Literal, Protocol, TypeVar
from urllib.parse import quote

from smsc_transports import (
    AsyncTransport,
    Balance,
    Capability,
    CostOutcome,
    CostResult,
    IncomingMessage,
    Message,
    MessageStatus,
    OperatorInfo,
    Outcome,
    ScheduledJob,
    SendResult,
    StatusResult,
    Transport,
    create_async_transport,
    create_transport,
)
from smsc_transports.emulator import Account, Emulator, ManualClock, StatusRecord

__all__ = [
    "ASKED",
    "BULK",
    "DEMO",
    "MODES",
    "POOR",
    "PROFILES",
    "WRONG",
    "Driver",
    "Mode",
    "Play",
    "Playable",
    "Plays",
    "Profile",
    "Stage",
    "accounts",
    "capability_of",
    "play",
    "supported_by",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
Mode = Literal["sync", "async"]
MODES: tuple[Mode, ...] = ("sync", "async")

# The operations a protocol may be unable to answer (sending, every protocol can), by
# the Capability (and UnsupportedOperation.operation) that names them.
ASKED: tuple[str, ...] = (
    "cost",
    "status",
    "balance",
    "cancel",
    "replace",
    "history",
    "incoming",
    "senders",
    "delete",
    "operator",
    "jobs",
    "raw",
)
# What HTTP answers of them (cancel/replace of one scheduled message is SMPP's only).
HTTP_ASKS = frozenset(ASKED) - {"cancel", "replace"}
# What the HTTP companion of SMTP answers: HTTP's account operations, not raw.
COMPANION_ASKS = HTTP_ASKS - {"raw"}
# The methods whose UnsupportedOperation names the capability they belong to.
_CAPABILITY_OF = {
    "cost_many": "cost",
    "add_sender": "senders",
    "send_sender_code": "senders",
    "confirm_sender": "senders",
    "cancel_job": "jobs",
}


def capability_of(operation: str) -> str:
    """The :data:`ASKED` name (a ``Capability``) of the method ``operation``."""
    return _CAPABILITY_OF.get(operation, operation)


DEMO = ("demo", "demo")
POOR = ("poor", "poor")  # 1.00 RUB: less than one SMS (1.40)
BULK = ("bulk", "bulk")  # enough for the 1,000-message send_many
WRONG = ("demo", "not-the-password")


def accounts() -> list[Account]:
    """Fresh accounts for one run: every run starts from the same money."""
    return [
        Account(*DEMO, balance=Decimal("100.00")),
        Account(*POOR, balance=Decimal("1.00")),
        Account(*BULK, balance=Decimal("2000.00")),
    ]


@dataclass(frozen=True)
class Profile:
    """One protocol as the suite configures it, and what it is expected to report.

    ``family`` is the name :class:`~smsc_transports.UnsupportedOperation` uses for the
    protocol. ``reports_cost``: the send result carries cost and balance. ``asks``: the
    operations of :data:`ASKED` it answers (the others raise ``UnsupportedOperation``).
    ``companion``: those answers come over HTTP (SMTP's ``status_via``).
    ``waiting_reads_as``: what ``status`` says of a message still waiting to leave.
    ``raw_balance``: the protocol's own name of the balance command, for ``raw``.
    """

    key: str
    title: str
    scheme: str
    family: str
    reports_cost: bool
    asks: frozenset[str]
    companion: bool = False
    waiting_reads_as: MessageStatus = MessageStatus.WAITING
    raw_balance: str = "balance"

    @property
    def front_end(self) -> str:
        """The emulator front end the scheme talks to."""
        return self.scheme.partition("+")[0]


PROFILES: tuple[Profile, ...] = (
    Profile("http", "HTTP", "http", "https", True, HTTP_ASKS),
    Profile(
        "soap",
        "SOAP",
        "soap+http",
        "soap",
        True,
        frozenset({"cost", "status", "balance", "raw"}),
        raw_balance="get_balance",
    ),
    Profile("smtp", "SMTP", "smtp", "smtp", False, frozenset()),
    Profile(
        "smtp+status_via",
        "SMTP + `status_via`",
        "smtp",
        "smtp",
        False,
        COMPANION_ASKS,
        companion=True,
    ),
    # SMPP 3.4's message_state has no "waiting": query_sm answers ENROUTE for both
    # SMSC's -1 and 0 (docs/smpp.md, "Receipts").
    Profile(
        "smpp",
        "SMPP",
        "smpp",
        "smpp",
        False,
        frozenset({"status", "cancel", "replace"}),
        waiting_reads_as=MessageStatus.TRANSFERRED,
    ),
)


def supported_by(operation: str) -> frozenset[str]:
    """The protocols an ``UnsupportedOperation`` for ``operation`` should name."""
    return frozenset(p.family for p in PROFILES if operation in p.asks and not p.companion)


class Driver(Protocol):
    """The one face of a transport the scenarios use, sync or async underneath."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the transport announces it can do."""
        ...

    async def send(self, message: Message) -> SendResult:
        """``send``."""
        ...

    async def send_many(self, messages: Sequence[Message]) -> list[Outcome]:
        """``send_many``, every outcome collected."""
        ...

    async def cost(self, message: Message) -> CostResult:
        """``cost``."""
        ...

    async def status(self, id: str, phone: str) -> StatusResult:
        """``status``."""
        ...

    async def balance(self) -> Balance:
        """``balance``."""
        ...

    async def cancel(self, id: str, phone: str) -> None:
        """``cancel``."""
        ...

    async def cost_many(self, messages: Sequence[Message]) -> list[CostOutcome]:
        """``cost_many``, every outcome collected."""
        ...

    async def history(
        self, *, phone: str | None = None, count: int = 100, prev_id: str | None = None
    ) -> list[StatusResult]:
        """``history`` with a phone filter and paging."""
        ...

    async def incoming(self) -> list[IncomingMessage]:
        """``incoming``."""
        ...

    async def senders(self) -> list[str]:
        """``senders``."""
        ...

    async def add_sender(self, name: str) -> None:
        """``add_sender``."""
        ...

    async def send_sender_code(self, name: str) -> None:
        """``send_sender_code``."""
        ...

    async def confirm_sender(self, name: str, code: str) -> None:
        """``confirm_sender``."""
        ...

    async def delete(self, id: str, phone: str) -> None:
        """``delete``."""
        ...

    async def operator(self, phone: str) -> OperatorInfo:
        """``operator``."""
        ...

    async def jobs(self) -> list[ScheduledJob]:
        """``jobs``."""
        ...

    async def cancel_job(self, id: str) -> None:
        """``cancel_job``."""
        ...

    async def raw(self, command: str, params: Mapping[str, object]) -> Any:
        """``raw``."""
        ...

    async def replace(self, id: str, phone: str, text: str) -> None:
        """``replace`` with a new text."""
        ...


class SyncDriver:
    """A :class:`Transport` called straight from the (never suspended) scenario."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.capabilities = transport.capabilities

    async def send(self, message: Message) -> SendResult:
        return self.transport.send(message)

    async def send_many(self, messages: Sequence[Message]) -> list[Outcome]:
        return list(self.transport.send_many(iter(messages)))

    async def cost(self, message: Message) -> CostResult:
        return self.transport.cost(message)

    async def status(self, id: str, phone: str) -> StatusResult:
        return self.transport.status(id, phone)

    async def balance(self) -> Balance:
        return self.transport.balance()

    async def cancel(self, id: str, phone: str) -> None:
        self.transport.cancel(id, phone)

    async def cost_many(self, messages: Sequence[Message]) -> list[CostOutcome]:
        return list(self.transport.cost_many(iter(messages)))

    async def history(
        self, *, phone: str | None = None, count: int = 100, prev_id: str | None = None
    ) -> list[StatusResult]:
        return self.transport.history(phone=phone, count=count, prev_id=prev_id)

    async def incoming(self) -> list[IncomingMessage]:
        return self.transport.incoming()

    async def senders(self) -> list[str]:
        return self.transport.senders()

    async def add_sender(self, name: str) -> None:
        self.transport.add_sender(name)

    async def send_sender_code(self, name: str) -> None:
        self.transport.send_sender_code(name)

    async def confirm_sender(self, name: str, code: str) -> None:
        self.transport.confirm_sender(name, code)

    async def delete(self, id: str, phone: str) -> None:
        self.transport.delete(id, phone)

    async def operator(self, phone: str) -> OperatorInfo:
        return self.transport.operator(phone)

    async def jobs(self) -> list[ScheduledJob]:
        return self.transport.jobs()

    async def cancel_job(self, id: str) -> None:
        self.transport.cancel_job(id)

    async def raw(self, command: str, params: Mapping[str, object]) -> Any:
        return self.transport.raw(command, params)

    async def replace(self, id: str, phone: str, text: str) -> None:
        self.transport.replace(id, phone, text=text)


class AsyncDriver:
    """An :class:`AsyncTransport` awaited on the scenario's event loop."""

    def __init__(self, transport: AsyncTransport) -> None:
        self.transport = transport
        self.capabilities = transport.capabilities

    async def send(self, message: Message) -> SendResult:
        return await self.transport.send(message)

    async def send_many(self, messages: Sequence[Message]) -> list[Outcome]:
        return [outcome async for outcome in self.transport.send_many(iter(messages))]

    async def cost(self, message: Message) -> CostResult:
        return await self.transport.cost(message)

    async def status(self, id: str, phone: str) -> StatusResult:
        return await self.transport.status(id, phone)

    async def balance(self) -> Balance:
        return await self.transport.balance()

    async def cancel(self, id: str, phone: str) -> None:
        await self.transport.cancel(id, phone)

    async def cost_many(self, messages: Sequence[Message]) -> list[CostOutcome]:
        return [outcome async for outcome in self.transport.cost_many(iter(messages))]

    async def history(
        self, *, phone: str | None = None, count: int = 100, prev_id: str | None = None
    ) -> list[StatusResult]:
        return await self.transport.history(phone=phone, count=count, prev_id=prev_id)

    async def incoming(self) -> list[IncomingMessage]:
        return await self.transport.incoming()

    async def senders(self) -> list[str]:
        return await self.transport.senders()

    async def add_sender(self, name: str) -> None:
        await self.transport.add_sender(name)

    async def send_sender_code(self, name: str) -> None:
        await self.transport.send_sender_code(name)

    async def confirm_sender(self, name: str, code: str) -> None:
        await self.transport.confirm_sender(name, code)

    async def delete(self, id: str, phone: str) -> None:
        await self.transport.delete(id, phone)

    async def operator(self, phone: str) -> OperatorInfo:
        return await self.transport.operator(phone)

    async def jobs(self) -> list[ScheduledJob]:
        return await self.transport.jobs()

    async def cancel_job(self, id: str) -> None:
        await self.transport.cancel_job(id)

    async def raw(self, command: str, params: Mapping[str, object]) -> Any:
        return await self.transport.raw(command, params)

    async def replace(self, id: str, phone: str, text: str) -> None:
        await self.transport.replace(id, phone, text=text)


@dataclass
class Stage:
    """One run: the emulator (and its manual clock), the protocol, the mode."""

    emulator: Emulator
    clock: ManualClock
    profile: Profile
    mode: Mode

    def url(self, login: str, password: str) -> str:
        """The settings URL for this protocol: the only thing that differs between runs."""
        url = self.emulator.url(self.profile.scheme, login, password)
        if self.profile.companion:
            # No account in the companion URL: it borrows the SMTP URL's (docs/smtp.md).
            url += "?status_via=" + quote(self.emulator.http_url, safe="")
        return url

    @asynccontextmanager
    async def transport(self, account: tuple[str, str] = DEMO) -> AsyncIterator[Driver]:
        """A transport for ``account`` (login, password), closed afterwards."""
        url = self.url(*account)
        if self.mode == "sync":
            sync = create_transport(url)
            try:
                yield SyncDriver(sync)
            finally:
                sync.close()
        else:
            native = create_async_transport(url)
            try:
                yield AsyncDriver(native)
            finally:
                await native.aclose()

    def stored(self, id: str, phone: str, login: str = DEMO[0]) -> StatusRecord:
        """What the emulator holds for message ``id`` to ``phone`` (not rate-limited)."""
        state = self.emulator.state
        return state.status(state.account(login), id, phone, throttled=False)

    def money(self, login: str = DEMO[0]) -> Decimal:
        """The account's balance as the emulator holds it."""
        return self.emulator.state.account(login).balance

    def over_http(self, account: tuple[str, str] = DEMO) -> Transport:
        """A sync HTTP transport on the same emulator, for setting up what only HTTP
        can make (a scheduled job), whatever protocol the scenario plays."""
        return create_transport(self.emulator.url("http", *account))


Play = Callable[[Stage], Coroutine[Any, Any, T]]


def play(scenario: Play[T], profile: Profile, mode: Mode) -> T:
    """Run ``scenario`` over ``profile`` in ``mode`` against a fresh emulator."""
    clock = ManualClock()
    front = profile.front_end
    with Emulator(
        accounts(),
        clock=clock,
        smtp_port=0 if front == "smtp" else None,
        smpp_port=0 if front == "smpp" else None,
    ) as emulator:
        run = scenario(Stage(emulator, clock, profile, mode))
        if mode == "async":
            return asyncio.run(run)
        return _step_through(run)


def _step_through(run: Coroutine[Any, Any, T]) -> T:
    """Finish a coroutine that never waits (the sync drivers never do)."""
    try:
        run.send(None)
    except StopIteration as finished:
        result: T = finished.value
        return result
    run.close()
    raise RuntimeError("a sync-mode scenario waited for something; the sync drivers never do")


class Playable(Protocol[T_co]):
    """Something a :class:`Plays` can play: a name and a body (a scenario, a field row)."""

    @property
    def name(self) -> str:
        """What tells it apart from the others of its kind."""

    @property
    def play(self) -> Play[T_co]:
        """The body to play on a :class:`Stage`."""


class Plays(Generic[T]):
    """Each (playable, protocol, mode) played once, on first demand, and kept.

    The parametrised tests and the docs-table tests read the same records, so a whole
    run plays each once, and any subset still plays what it needs.
    """

    def __init__(self) -> None:
        self._records: dict[tuple[str, str, Mode], T] = {}

    def get(self, playable: Playable[T], profile: Profile, mode: Mode) -> T:
        """What ``playable`` recorded over ``profile`` in ``mode``."""
        key = (playable.name, profile.key, mode)
        if key not in self._records:
            self._records[key] = play(playable.play, profile, mode)
        return self._records[key]
