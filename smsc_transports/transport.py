"""The one interface every protocol implements: :class:`Transport` and :class:`AsyncTransport`.

A backend subclasses one of them, declares its URL ``schemes``, its ``protocol`` name
and its ``capabilities``, builds itself ``from_settings`` and implements ``send``; the
operations its protocol cannot do raise :class:`UnsupportedOperation` naming the
protocols that can. ``adapters.py`` gives a sync backend an async face and an async
backend a sync one, so each backend writes its I/O once.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import date, datetime
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from smsc_transports.config import Settings
from smsc_transports.errors import NotSent, SMSCError, UnsupportedOperation, stops_sending
from smsc_transports.message import Message, MessageKind
from smsc_transports.observe import Observer
from smsc_transports.results import (
    Balance,
    CostOutcome,
    CostResult,
    IncomingMessage,
    OperatorInfo,
    Outcome,
    ScheduledJob,
    SendResult,
    StatusResult,
)

__all__ = [
    "AsyncTransport",
    "BatchGuard",
    "Capability",
    "Transport",
    "iter_costs",
    "iter_outcomes",
]

Result = TypeVar("Result")
Wrapped = TypeVar("Wrapped")
Item = TypeVar("Item")

Phones = str | Sequence[str]
"""One phone number (or e-mail address), or several."""


class Capability(enum.StrEnum):
    """An operation a transport can perform.

    ``RECEIPTS`` means the protocol pushes delivery receipts (and incoming messages) to
    the transport as they happen; ``INCOMING`` means :meth:`Transport.incoming` can list
    the messages received on the account; ``CANCEL``/``REPLACE`` that
    :meth:`Transport.cancel`/:meth:`Transport.replace` can ask the server to stop or
    change one scheduled message (the server may still not have the operation).
    ``SENDERS`` covers listing, adding and confirming sender names; ``JOBS`` listing
    and cancelling scheduled mailings; ``OPERATOR`` the network of a number; ``RAW``
    calling any endpoint by name; ``ATTACHMENTS`` files on MMS and e-mail messages.
    """

    SEND = "send"
    BULK = "bulk"
    COST = "cost"
    STATUS = "status"
    BALANCE = "balance"
    RECEIPTS = "receipts"
    INCOMING = "incoming"
    HISTORY = "history"
    SENDERS = "senders"
    DELETE = "delete"
    OPERATOR = "operator"
    JOBS = "jobs"
    RAW = "raw"
    ATTACHMENTS = "attachments"
    CANCEL = "cancel"
    REPLACE = "replace"


# Which protocols can do what (before companions): the hint an UnsupportedOperation gives.
PROTOCOLS_FOR: dict[Capability, tuple[str, ...]] = {
    Capability.OPERATOR: ("https",),
    Capability.JOBS: ("https",),
    Capability.RAW: ("https", "soap"),
    Capability.ATTACHMENTS: ("https",),
    Capability.COST: ("https", "soap"),
    Capability.STATUS: ("https", "soap", "smpp"),
    Capability.BALANCE: ("https", "soap"),
    Capability.RECEIPTS: ("smpp",),
    Capability.INCOMING: ("https",),
    Capability.HISTORY: ("https",),
    Capability.SENDERS: ("https",),
    Capability.DELETE: ("https",),
    Capability.CANCEL: ("smpp",),
    Capability.REPLACE: ("smpp",),
}


class _Base:
    protocol: ClassVar[str] = ""
    schemes: ClassVar[tuple[str, ...]] = ()
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.SEND})
    # The settings options (URL query names) the backend reads. The factory refuses any
    # other name, so a misspelt option is an error instead of a silent default; None
    # (a backend that declares nothing) turns the check off.
    option_names: ClassVar[frozenset[str] | None] = None
    # Who hears what the transport does (smsc_transports.observe); None costs nothing.
    observer: Observer | None = None

    def observe(self, observer: Observer | None) -> None:
        """Report to ``observer`` from now on (``None``: report nothing).

        A backend that has parts of its own to tell (a client, a session) overrides this
        and passes the observer on; one that does not still takes it, and reports nothing.
        """
        self.observer = observer

    def _unsupported(self, capability: Capability) -> UnsupportedOperation:
        return UnsupportedOperation(
            capability.value, self.protocol, PROTOCOLS_FOR.get(capability, ())
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} protocol={self.protocol!r}>"


class Transport(_Base, abc.ABC):
    """A synchronous connection to SMSC over one protocol; use it as a context manager."""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the transport from :class:`~smsc_transports.config.Settings`."""

    @abc.abstractmethod
    def send(self, message: Message) -> SendResult:
        """Send ``message``; return what SMSC accepted, or raise an :class:`SMSCError`."""

    def send_many(self, messages: Iterable[Message]) -> Generator[Outcome, None, None]:
        """Send each message; yield exactly one :class:`Outcome` per message, in order.

        Consumes ``messages`` lazily, so memory stays bounded for any length of input.
        Close the generator to stop early. Backends override this to batch or pipeline.
        """
        return iter_outcomes(messages, self.send)

    def cost(self, message: Message) -> CostResult:
        """Return what sending ``message`` would cost, without sending it."""
        raise self._unsupported(Capability.COST)

    def cost_many(self, messages: Iterable[Message]) -> Iterator[CostOutcome]:
        """Price each message; yield exactly one :class:`CostOutcome` per message, in order.

        Nothing is sent. Raises :class:`UnsupportedOperation` at once over a protocol
        that cannot price. Consumes ``messages`` lazily; backends override this to
        price many messages in one request (HTTP does), the default asks :meth:`cost`
        once per message.
        """
        if Capability.COST not in self.capabilities:
            raise self._unsupported(Capability.COST)
        return iter_costs(messages, self.cost)

    def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        """Return the status of message ``id`` to ``phone`` (``detail`` is SMSC's ``all``)."""
        raise self._unsupported(Capability.STATUS)

    def balance(self) -> Balance:
        """Return the account balance."""
        raise self._unsupported(Capability.BALANCE)

    def history(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        phone: Phones | None = None,
        count: int = 100,
        prev_id: str | None = None,
        email: Phones | None = None,
        kind: MessageKind | None = None,
    ) -> list[StatusResult]:
        """Return messages sent from the account, newest first (at most ``count``).

        Filters: sent from ``start`` to ``end`` (days, inclusive), to ``phone`` or
        ``email`` (one or several), of ``kind``. ``prev_id`` pages back: pass the
        ``int_id`` of the last result to get the ones sent before it.
        """
        raise self._unsupported(Capability.HISTORY)

    def incoming(
        self, *, hours: int = 24, after_id: str | None = None, count: int = 100
    ) -> list[IncomingMessage]:
        """Return messages received on the account in the last ``hours``."""
        raise self._unsupported(Capability.INCOMING)

    def senders(self) -> list[str]:
        """Return the sender IDs registered on the account."""
        raise self._unsupported(Capability.SENDERS)

    def add_sender(self, name: str, *, comment: str | None = None) -> None:
        """Ask SMSC to register the sender ID ``name`` (``comment``: for the moderator)."""
        raise self._unsupported(Capability.SENDERS)

    def send_sender_code(self, name: str) -> None:
        """Have SMSC send a confirmation code to the numeric sender ID ``name``."""
        raise self._unsupported(Capability.SENDERS)

    def confirm_sender(self, name: str, code: str) -> None:
        """Confirm the numeric sender ID ``name`` with the ``code`` SMSC sent to it."""
        raise self._unsupported(Capability.SENDERS)

    def delete(self, id: str, phone: str) -> None:
        """Delete message ``id`` to ``phone`` from the account's history."""
        raise self._unsupported(Capability.DELETE)

    def operator(self, phone: str) -> OperatorInfo:
        """Return the country, operator and region of ``phone``."""
        raise self._unsupported(Capability.OPERATOR)

    def jobs(self) -> list[ScheduledJob]:
        """Return the mailings scheduled on the account."""
        raise self._unsupported(Capability.JOBS)

    def cancel_job(self, id: str) -> None:
        """Cancel the scheduled mailing ``id``."""
        raise self._unsupported(Capability.JOBS)

    def raw(self, command: str, params: Mapping[str, object] | None = None) -> Any:
        """Call SMSC's ``command`` by name with ``params``; return its parsed answer.

        The transport adds the credentials (never to a URL) and the answer format, and
        raises SMSC's error answers as the typed :class:`~smsc_transports.errors.APIError`
        subclasses: the way to any part of SMSC's API this library has no method for.
        """
        raise self._unsupported(Capability.RAW)

    def cancel(self, id: str, phone: str) -> None:
        """Stop message ``id`` to ``phone`` before it is sent (a scheduled message).

        ``id`` is the recipient's :attr:`~smsc_transports.results.PhoneResult.id`.
        Raises :class:`UnsupportedOperation` when the protocol, or the server, cannot;
        an :class:`~smsc_transports.errors.APIError` when the message has already left.
        """
        raise self._unsupported(Capability.CANCEL)

    def replace(
        self,
        id: str,
        phone: str,
        *,
        text: str | None = None,
        send_at: datetime | str | None = None,
    ) -> None:
        """Give scheduled message ``id`` to ``phone`` a new ``text`` and/or ``send_at``.

        Errors as :meth:`cancel`; a text that does not fit one SMS is a
        :class:`~smsc_transports.errors.ValidationError` before anything is sent.
        """
        raise self._unsupported(Capability.REPLACE)

    def close(self) -> None:
        """Release connections; the transport cannot be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncTransport(_Base, abc.ABC):
    """The asyncio twin of :class:`Transport`: the same operations as coroutines."""

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the transport from :class:`~smsc_transports.config.Settings`."""

    @abc.abstractmethod
    async def send(self, message: Message) -> SendResult:
        """Send ``message``; return what SMSC accepted, or raise an :class:`SMSCError`."""

    async def send_many(
        self, messages: Iterable[Message] | AsyncIterable[Message]
    ) -> AsyncGenerator[Outcome, None]:
        """Send each message; yield exactly one :class:`Outcome` per message, in order.

        After an error every later message would get too (wrong credentials, a blocked
        IP, no money) nothing more is sent: the rest end as
        :class:`~smsc_transports.errors.NotSent`.
        """
        async for outcome in _aeach(messages, self.send, Outcome):
            yield outcome

    async def cost(self, message: Message) -> CostResult:
        """Return what sending ``message`` would cost, without sending it."""
        raise self._unsupported(Capability.COST)

    def cost_many(
        self, messages: Iterable[Message] | AsyncIterable[Message]
    ) -> AsyncIterator[CostOutcome]:
        """Price each message; yield exactly one :class:`CostOutcome` per message, in order.

        Raises :class:`UnsupportedOperation` at once over a protocol that cannot price;
        the default awaits :meth:`cost` once per message.
        """
        if Capability.COST not in self.capabilities:
            raise self._unsupported(Capability.COST)
        return _aeach(messages, self.cost, CostOutcome)

    async def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        """Return the status of message ``id`` to ``phone`` (``detail`` is SMSC's ``all``)."""
        raise self._unsupported(Capability.STATUS)

    async def balance(self) -> Balance:
        """Return the account balance."""
        raise self._unsupported(Capability.BALANCE)

    async def history(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        phone: Phones | None = None,
        count: int = 100,
        prev_id: str | None = None,
        email: Phones | None = None,
        kind: MessageKind | None = None,
    ) -> list[StatusResult]:
        """Return messages sent from the account, newest first (see :meth:`Transport.history`)."""
        raise self._unsupported(Capability.HISTORY)

    async def incoming(
        self, *, hours: int = 24, after_id: str | None = None, count: int = 100
    ) -> list[IncomingMessage]:
        """Return messages received on the account in the last ``hours``."""
        raise self._unsupported(Capability.INCOMING)

    async def senders(self) -> list[str]:
        """Return the sender IDs registered on the account."""
        raise self._unsupported(Capability.SENDERS)

    async def add_sender(self, name: str, *, comment: str | None = None) -> None:
        """Ask SMSC to register the sender ID ``name`` (``comment``: for the moderator)."""
        raise self._unsupported(Capability.SENDERS)

    async def send_sender_code(self, name: str) -> None:
        """Have SMSC send a confirmation code to the numeric sender ID ``name``."""
        raise self._unsupported(Capability.SENDERS)

    async def confirm_sender(self, name: str, code: str) -> None:
        """Confirm the numeric sender ID ``name`` with the ``code`` SMSC sent to it."""
        raise self._unsupported(Capability.SENDERS)

    async def delete(self, id: str, phone: str) -> None:
        """Delete message ``id`` to ``phone`` from the account's history."""
        raise self._unsupported(Capability.DELETE)

    async def operator(self, phone: str) -> OperatorInfo:
        """Return the country, operator and region of ``phone``."""
        raise self._unsupported(Capability.OPERATOR)

    async def jobs(self) -> list[ScheduledJob]:
        """Return the mailings scheduled on the account."""
        raise self._unsupported(Capability.JOBS)

    async def cancel_job(self, id: str) -> None:
        """Cancel the scheduled mailing ``id``."""
        raise self._unsupported(Capability.JOBS)

    async def raw(self, command: str, params: Mapping[str, object] | None = None) -> Any:
        """Call SMSC's ``command`` by name; see :meth:`Transport.raw`."""
        raise self._unsupported(Capability.RAW)

    async def cancel(self, id: str, phone: str) -> None:
        """Stop message ``id`` to ``phone`` before it is sent (a scheduled message).

        ``id`` is the recipient's :attr:`~smsc_transports.results.PhoneResult.id`.
        Raises :class:`UnsupportedOperation` when the protocol, or the server, cannot;
        an :class:`~smsc_transports.errors.APIError` when the message has already left.
        """
        raise self._unsupported(Capability.CANCEL)

    async def replace(
        self,
        id: str,
        phone: str,
        *,
        text: str | None = None,
        send_at: datetime | str | None = None,
    ) -> None:
        """Give scheduled message ``id`` to ``phone`` a new ``text`` and/or ``send_at``.

        Errors as :meth:`cancel`; a text that does not fit one SMS is a
        :class:`~smsc_transports.errors.ValidationError` before anything is sent.
        """
        raise self._unsupported(Capability.REPLACE)

    async def aclose(self) -> None:
        """Release connections; the transport cannot be used afterwards."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class BatchGuard:
    """Stops a batch at the first error every later message would get too.

    A ``send_many`` asks :meth:`skipped` before sending each message (or request) and
    tells :meth:`saw` each error, or lets :meth:`attempt` (:meth:`aattempt`) do both
    around one call; after one that :func:`~smsc_transports.errors.stops_sending`,
    every later message ends as :class:`~smsc_transports.errors.NotSent` without a
    request. Worker threads may share one guard: the worst a race costs is one more
    request that was already on its way.
    """

    __slots__ = ("cause",)

    def __init__(self) -> None:
        self.cause: SMSCError | None = None

    def saw(self, error: SMSCError) -> None:
        """Remember ``error`` if it stops the batch (the first such error wins)."""
        if self.cause is None and stops_sending(error):
            self.cause = error

    def skipped(self) -> NotSent | None:
        """The error of a message not sent because the batch stopped, or ``None``."""
        return None if self.cause is None else NotSent(self.cause)

    def attempt(self, call: Callable[[Item], Result], item: Item) -> Result | SMSCError:
        """``call(item)``'s value, or the :class:`SMSCError` it raised (told to :meth:`saw`),
        or, once the batch has stopped, :meth:`skipped`'s error without calling."""
        if self.cause is not None:
            return NotSent(self.cause)
        try:
            return call(item)
        except SMSCError as exc:
            self.saw(exc)
            return exc

    async def aattempt(
        self, call: Callable[[Item], Awaitable[Result]], item: Item
    ) -> Result | SMSCError:
        """The asyncio twin of :meth:`attempt`."""
        if self.cause is not None:
            return NotSent(self.cause)
        try:
            return await call(item)
        except SMSCError as exc:
            self.saw(exc)
            return exc


def iter_outcomes(
    messages: Iterable[Message], send: Callable[[Message], SendResult]
) -> Generator[Outcome, None, None]:
    """Call ``send`` for each message and yield its :class:`Outcome`, errors included.

    Stops sending at an error every later message would get too (see :class:`BatchGuard`).
    """
    return _each(messages, send, Outcome)


def iter_costs(
    messages: Iterable[Message], cost: Callable[[Message], CostResult]
) -> Generator[CostOutcome, None, None]:
    """Call ``cost`` for each message and yield its :class:`CostOutcome`, errors included.

    Stops asking at an error every later message would get too (see :class:`BatchGuard`).
    """
    return _each(messages, cost, CostOutcome)


def _each(
    messages: Iterable[Message],
    call: Callable[[Message], Result],
    wrap: Callable[..., Wrapped],
) -> Generator[Wrapped, None, None]:
    """``wrap(index, message, result=…)`` or ``wrap(index, message, error=…)`` per message."""
    guard = BatchGuard()
    for index, message in enumerate(messages):
        yield _wrapped(wrap, index, message, guard.attempt(call, message))


async def _aeach(
    messages: Iterable[Message] | AsyncIterable[Message],
    call: Callable[[Message], Awaitable[Result]],
    wrap: Callable[..., Wrapped],
) -> AsyncGenerator[Wrapped, None]:
    """The asyncio twin of :func:`_each`."""
    guard = BatchGuard()
    index = 0
    async for message in _aiter(messages):
        yield _wrapped(wrap, index, message, await guard.aattempt(call, message))
        index += 1


def _wrapped(
    wrap: Callable[..., Wrapped], index: int, message: Message, got: Result | SMSCError
) -> Wrapped:
    if isinstance(got, SMSCError):
        return wrap(index, message, error=got)
    return wrap(index, message, result=got)


async def _aiter(messages: Iterable[Message] | AsyncIterable[Message]) -> AsyncIterator[Message]:
    if isinstance(messages, AsyncIterable):
        async for message in messages:
            yield message
    else:
        for message in messages:
            yield message
