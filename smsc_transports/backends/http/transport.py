"""The HTTP(S) backend: every SMSC operation over ``/sys/*.php``.

``send_many`` folds recipients into as few requests as SMSC allows — one ``phones``
list per shared text, ``list=`` lines for different texts — keeps at most
``concurrency`` requests on the wire (SMSC answers error 9 above 15), all from the
caller's thread (:mod:`~smsc_transports.backends.http.pipeline`), reads its input in
blocks so memory stays bounded, and yields exactly one outcome per input message in
input order.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any, ClassVar, Protocol, Self, TypeVar

from smsc_transports.backends.http.batch import Job, plan_jobs, settle_costs, settle_job
from smsc_transports.backends.http.client import OPTION_NAMES as HTTP_OPTIONS
from smsc_transports.backends.http.client import HttpClient
from smsc_transports.backends.http.pipeline import Pipeline, Ticket
from smsc_transports.backends.pacing import repeat_read
from smsc_transports.backends.steps import Ahead, Steps, at_once, run
from smsc_transports.config import Settings
from smsc_transports.errors import RateLimited, SMSCError, TransportError
from smsc_transports.message import Message, MessageKind
from smsc_transports.observe import Observer, log_fields
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
from smsc_transports.transport import BatchGuard, Capability, Phones, Transport
from smsc_transports.wire import http as wire

__all__ = ["HttpTransport"]

log = logging.getLogger(__name__)

# How often the requests on the wire are looked after while the input is read (seconds).
_POLL_INTERVAL = 0.002


class HttpTransport(Transport):
    """SMSC's HTTP API (``https://login:password@smsc.ru``).

    Options (URL query or settings): ``timeout``, ``connect_timeout``, ``verify``,
    ``proxy``, ``backup_hosts``, ``concurrency`` (requests on the wire at once in
    ``send_many`` and ``cost_many``, default 4, at most 15), ``batch_phones``
    (recipients per request, default 100), ``block`` (input messages planned at once,
    default 1000), ``max_answer_bytes``,
    ``max_attachment_bytes`` (the files of one message together, default 1 MiB);
    opt-in limits ``max_rate``, ``max_concurrent``, ``retry_rate_limited``,
    ``retry_backoff``, ``retry_max_wait`` (``docs/http.md``).
    """

    protocol: ClassVar[str] = "https"
    schemes: ClassVar[tuple[str, ...]] = ("https", "http")
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.SEND,
            Capability.BULK,
            Capability.COST,
            Capability.STATUS,
            Capability.BALANCE,
            Capability.INCOMING,
            Capability.HISTORY,
            Capability.SENDERS,
            Capability.DELETE,
            Capability.OPERATOR,
            Capability.JOBS,
            Capability.RAW,
            Capability.ATTACHMENTS,
        }
    )
    option_names: ClassVar[frozenset[str] | None] = HTTP_OPTIONS | {
        "concurrency",
        "batch_phones",
        "block",
        "max_attachment_bytes",
    }

    def __init__(
        self,
        client: HttpClient,
        *,
        concurrency: int = 4,
        batch_phones: int = 100,
        block: int = 1000,
        max_attachment_bytes: int = wire.DEFAULT_MAX_ATTACHMENT_BYTES,
        observer: Observer | None = None,
    ) -> None:
        self.client = client
        self.concurrency = max(1, min(concurrency, wire.MAX_CONCURRENCY))
        self.batch_phones = max(1, batch_phones)
        self.block = max(1, block)
        self.max_attachment_bytes = max(1, max_attachment_bytes)
        if observer is not None:
            self.observe(observer)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the transport; credentials are required, options are optional."""
        return cls(
            HttpClient.for_settings(settings),
            concurrency=settings.get_int("concurrency", 4),
            batch_phones=settings.get_int("batch_phones", 100),
            block=settings.get_int("block", 1000),
            max_attachment_bytes=settings.get_int(
                "max_attachment_bytes", wire.DEFAULT_MAX_ATTACHMENT_BYTES
            ),
        )

    def __repr__(self) -> str:
        return f"<HttpTransport {self.client.origins[0]}>"

    def observe(self, observer: Observer | None) -> None:
        """Report every request to ``observer`` and let it watch the requests in flight."""
        self.observer = observer
        self.client.observed.attach(observer, self.protocol, self.concurrency)

    # Sending -----------------------------------------------------------------------

    def send(self, message: Message) -> SendResult:
        """Send one message (``cost=3``, ``op=1``) and return what SMSC accepted."""
        job = Job((message,))
        return settle_job(job, run(self._job_steps(job)))[0].unwrap()

    def send_many(self, messages: Iterable[Message]) -> Generator[Outcome, None, None]:
        """Send every message with as few requests as possible; one outcome each, in order.

        The next block of input is planned while the current one is being answered, so
        at most two blocks are held at once; up to ``concurrency`` requests are on the
        wire while the caller works through the outcomes. Closing the generator early
        reads the answers of the requests already written and writes no more (an error
        on the way out, from the input or an interrupt, leaves them unread). After an
        error every later request would get too (wrong credentials, a blocked IP, no
        money) no request is made: the rest end as
        :class:`~smsc_transports.errors.NotSent`.
        """
        iterator = iter(messages)
        in_flight: deque[_Block] = deque()
        guard = BatchGuard()
        start = 0
        with self._pipeline(guard) as pipeline:
            while True:
                block = self._read_block(iterator, pipeline)
                if block:
                    in_flight.append(self._submit(block, start, guard, pipeline))
                    start += len(block)
                if not in_flight:
                    return
                if block and len(in_flight) < 2:
                    continue
                yield from self._settle(in_flight.popleft(), pipeline)

    def _read_block(self, messages: Iterator[Message], pipeline: Pipeline[Any]) -> list[Message]:
        """The next ``block`` messages of the input (fewer at its end). The requests on
        the wire go on meanwhile: an input that is slow to give its messages must not
        hold up the requests of the block before."""
        block: list[Message] = []
        polled = time.monotonic()
        for message in messages:
            block.append(message)
            if len(block) == self.block:
                break
            if (now := time.monotonic()) - polled >= _POLL_INTERVAL:
                pipeline.poll()
                polled = now
        return block

    def _submit(
        self, block: list[Message], start: int, guard: BatchGuard, pipeline: Pipeline[Any]
    ) -> _Block:
        jobs = plan_jobs(block, max_phones=self.batch_phones)
        tickets = [
            (job, pipeline.add(partial(self._begin, self._job_steps, job, guard))) for job in jobs
        ]
        return _Block(start, block, tickets)

    def _settle(self, block: _Block, pipeline: Pipeline[Any]) -> Iterator[Outcome]:
        pieces = (
            settle_job(job, pipeline.value(ticket), block.start) for job, ticket in block.tickets
        )
        return _in_order(pieces, block.start, len(block.messages))

    def _job_steps(self, job: Job) -> Steps[Any]:
        """Make the job's one request; return the JSON answer.

        A refusal for load is returned, as what it tells of the job, not raised: a
        :class:`BatchGuard` stops a batch only at errors raised.
        """
        # A send is repeated on another host only if SMSC can recognise the repeat.
        repeatable = job.client_id is not None
        uncertain = False
        try:
            answer, uncertain = yield from self.client.exchange_steps(
                "/sys/send.php",
                job.params(),
                repeatable=repeatable,
                repeat=job.may_repeat,
                messages=len(job.messages),
                files=self._files(job),
            )
            wire.check_error(answer, "send")
        except RateLimited as exc:
            if uncertain:
                return job.in_doubt(exc) if wire.refused_for_load(exc) else job.already_accepted()
            return exc
        return answer

    def _begin(self, steps: Callable[[Job], Steps[Any]], job: Job, guard: BatchGuard) -> Ahead[Any]:
        """Write ``job``'s request now, unless the batch has stopped (then the job's
        outcome is :class:`~smsc_transports.errors.NotSent`, and nothing is written)."""
        skipped = guard.skipped()
        if skipped is not None:
            return Ahead(at_once(partial(_given, skipped)))
        return Ahead(steps(job))

    def _files(self, job: Job) -> list[wire.FilePart]:
        """The multipart files of a job (only ever a message alone has any)."""
        if len(job.messages) != 1:
            return []
        return wire.file_parts(job.messages[0], self.max_attachment_bytes)

    def _pipeline(self, guard: BatchGuard) -> Pipeline[Any]:
        """The requests of one ``send_many`` or ``cost_many`` on the wire; an error
        that ends one is told to ``guard``.

        Under a ``max_concurrent`` cap they never hold their places while the caller has
        control, so that a request the caller makes in between gets one.
        """
        cap = self.client.pacer.max_concurrent
        depth = self.concurrency if cap is None else min(self.concurrency, cap)
        return Pipeline(depth, partial(_settled, guard), overlap=cap is None)

    # Reading -----------------------------------------------------------------------

    def cost(self, message: Message) -> CostResult:
        """Return what ``message`` would cost (``cost=1``); nothing is sent."""
        params = wire.send_params(message, cost=1)
        files = wire.file_parts(message, self.max_attachment_bytes)
        answer = self.client.call(
            "/sys/send.php", params, repeatable=True, operation="cost", files=files
        )
        return wire.parse_cost(answer)

    def cost_many(self, messages: Iterable[Message]) -> Generator[CostOutcome, None, None]:
        """Price every message with as few requests as ``send_many`` would send; nothing
        is sent. One :class:`CostOutcome` per message, in input order.

        Messages are planned exactly as ``send_many`` plans them (one ``phones`` list per
        shared text, ``list=`` lines for different texts) and priced with ``cost=1`` and
        ``op=1``; each message's price is the sum of its recipients'. Should SMSC answer
        a several-message request without per-number costs, those messages are priced
        one by one instead.
        """
        return self._cost_blocks(iter(messages))

    def _cost_blocks(self, messages: Iterator[Message]) -> Generator[CostOutcome, None, None]:
        guard = BatchGuard()
        start = 0
        with self._pipeline(guard) as pipeline:
            while block := self._read_block(messages, pipeline):
                jobs = plan_jobs(block, max_phones=self.batch_phones, sending=False)
                tickets = [
                    (job, pipeline.add(partial(self._begin, self._price_steps, job, guard)))
                    for job in jobs
                ]
                pieces = (
                    [
                        outcome or self._cost_alone(index, message, guard)
                        for index, message, outcome in settle_costs(
                            job, pipeline.value(ticket), start
                        )
                    ]
                    for job, ticket in tickets
                )
                yield from _in_order(pieces, start, len(block))
                start += len(block)

    def _price_steps(self, job: Job) -> Steps[Any]:
        answer, _ = yield from self.client.exchange_steps(
            "/sys/send.php",
            job.params(cost=1),
            repeatable=True,
            repeat=repeat_read,
            operation="cost",
            messages=len(job.messages),
            files=self._files(job),
        )
        wire.check_error(answer, "cost")
        return answer

    def _cost_alone(self, index: int, message: Message, guard: BatchGuard) -> CostOutcome:
        got = guard.attempt(self.cost, message)
        if isinstance(got, SMSCError):
            return CostOutcome(index, message, error=got)
        return CostOutcome(index, message, result=got)

    def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        """Return the status of message ``id`` to ``phone`` (``detail``: SMSC's ``all``)."""
        params = wire.status_params([str(id)], [phone], detail)
        answer = self.client.call("/sys/status.php", params, repeatable=True)
        return wire.parse_status(answer, str(id), phone)

    def statuses(self, pairs: Sequence[tuple[str, str]], *, detail: int = 0) -> list[StatusResult]:
        """Return the statuses of several (id, phone) pairs in one request."""
        if not pairs:
            return []
        params = wire.status_params([str(i) for i, _ in pairs], [p for _, p in pairs], detail)
        answer = self.client.call("/sys/status.php", params, repeatable=True)
        return wire.parse_statuses(answer)

    def delete(self, id: str, phone: str) -> None:
        """Delete a sent message from SMSC's history (``status.php?del=1``)."""
        params = {**wire.status_params([str(id)], [phone]), "del": "1"}
        answer = self.client.call("/sys/status.php", params, repeatable=True, operation="delete")
        wire.check_error(answer, "delete")

    def balance(self) -> Balance:
        """Return the balance with its currency and credit (``cur=1``)."""
        answer = self.client.call("/sys/balance.php", wire.balance_params(), repeatable=True)
        return wire.parse_balance(answer)

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
        """Return sent messages, newest first (``get.php?get_messages=1``, at most 1000).

        ``prev_id`` (the ``int_id`` of the last one read) pages back; the filters are
        SMSC's ``start``, ``end``, ``phone``, ``email`` and ``format``.
        """
        params = wire.history_params(
            start=start,
            end=end,
            phone=phone,
            count=max(1, min(count, wire.MAX_HISTORY)),
            prev_id=prev_id,
            email=email,
            kind=kind,
        )
        answer = self.client.call("/sys/get.php", params, repeatable=True, operation="history")
        if isinstance(answer, list) and not answer:
            return []
        return wire.parse_statuses(answer)

    def incoming(
        self, *, hours: int = 24, after_id: str | None = None, count: int = 100
    ) -> list[IncomingMessage]:
        """Return messages received on the account (``get.php?get_answers=1``)."""
        params = {
            "get_answers": "1",
            "hour": str(max(1, min(hours, 168))),
            "cnt": str(max(1, min(count, 10000))),
        }
        if after_id is not None:
            params["after_id"] = after_id
        answer = self.client.call("/sys/get.php", params, repeatable=True, operation="incoming")
        return wire.parse_incoming(answer)

    def senders(self) -> list[str]:
        """Return the account's registered sender IDs (``senders.php?get=1``)."""
        answer = self.client.call("/sys/senders.php", {"get": "1"}, repeatable=True)
        return wire.parse_senders(answer)

    def add_sender(self, name: str, *, comment: str | None = None) -> None:
        """Ask SMSC to register the sender ID ``name`` (``senders.php?add=1``)."""
        self._command("/sys/senders.php", wire.add_sender_params(name, comment), "senders")

    def send_sender_code(self, name: str) -> None:
        """Have SMSC text a code to the numeric sender ``name`` (``send_code=1``)."""
        self._command("/sys/senders.php", wire.sender_code_params(name), "senders")

    def confirm_sender(self, name: str, code: str) -> None:
        """Confirm the numeric sender ``name`` with ``code`` (``check_code=1``)."""
        self._command("/sys/senders.php", wire.confirm_sender_params(name, code), "senders")

    def operator(self, phone: str) -> OperatorInfo:
        """Return the country, operator and region of ``phone`` (``info.php?get_operator=1``)."""
        params = wire.operator_params(phone)
        answer = self.client.call("/sys/info.php", params, repeatable=True, operation="operator")
        return wire.parse_operator(answer, params["phone"])

    def jobs(self) -> list[ScheduledJob]:
        """Return the mailings scheduled on the account (``jobs.php?get_all=1``)."""
        answer = self.client.call("/sys/jobs.php", wire.jobs_params(), repeatable=True)
        return wire.parse_jobs(answer)

    def cancel_job(self, id: str) -> None:
        """Cancel the scheduled mailing ``id`` (``jobs.php?cancel=1``)."""
        self._command("/sys/jobs.php", wire.cancel_job_params(id), "jobs")

    def raw(self, command: str, params: Mapping[str, object] | None = None) -> Any:
        """POST ``params`` to ``/sys/<command>.php``; return the parsed JSON answer.

        Credentials, ``fmt=3`` and ``charset=utf-8`` are added (in the body, as for every
        call); an error answer raises its :class:`~smsc_transports.errors.APIError`. A raw
        call is never repeated on a backup host once it may have arrived: the library
        cannot tell whether repeating it is harmless.
        """
        path, checked = wire.raw_request(command, params)
        answer = self.client.call(path, checked, repeatable=False)
        wire.check_error(answer, command)
        return answer

    def _command(self, path: str, params: Mapping[str, str], operation: str) -> None:
        # Registering a sender or cancelling a job twice does no harm: repeatable.
        answer = self.client.call(path, params, repeatable=True, operation=operation)
        wire.check_done(answer, operation)

    def close(self) -> None:
        """Close the connections kept alive."""
        self.client.close()
        self.client.observed.attach(None, self.protocol, self.concurrency)


@dataclass(frozen=True, slots=True)
class _Block:
    """Messages read together, and the requests they were planned into."""

    start: int
    messages: list[Message]
    tickets: list[tuple[Job, Ticket[Any]]]


_Item = TypeVar("_Item", bound="_Indexed")


class _Indexed(Protocol):
    """An outcome: it knows its message's position in the input."""

    @property
    def index(self) -> int:
        """The message's position in the input."""


def _in_order(pieces: Iterable[list[_Item]], start: int, count: int) -> Iterator[_Item]:
    """Yield the outcomes of a block (indexes ``start`` to ``start + count - 1``) in
    order, each as soon as it and every one before it have come, from ``pieces`` in any
    order.

    Outcomes reach the caller while later requests are still answered, and a caller that
    drops them lets them go before the garbage collector has to walk them (the jobs of a
    bulk text cover their block in order, so little waits here).
    """
    held: list[_Item | None] = [None] * count
    ready = 0
    for piece in pieces:
        for item in piece:
            held[item.index - start] = item
        while ready < count and (found := held[ready]) is not None:
            held[ready] = None
            ready += 1
            yield found
    assert ready == count, "every message belongs to exactly one job"


def _settled(guard: BatchGuard, call: Ahead[Any]) -> Any | SMSCError:
    """A job's ended call: its answer, or the error that is its outcome."""
    try:
        return call.finish()
    except SMSCError as exc:
        guard.saw(exc)
        return exc
    except Exception as exc:
        # Never lose the message to an unexpected failure: it becomes its outcome.
        log.exception("unexpected failure while sending", extra=log_fields("https", "send"))
        return TransportError(f"unexpected failure while sending: {type(exc).__name__}")


def _given(value: SMSCError) -> SMSCError:
    return value
