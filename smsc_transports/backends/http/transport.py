"""The HTTP(S) backend: every SMSC operation over ``/sys/*.php``.

``send_many`` folds recipients into as few requests as SMSC allows — one ``phones``
list per shared text, ``list=`` lines for different texts — runs at most
``concurrency`` requests at once (SMSC answers error 9 above 15), reads its input in
blocks so memory stays bounded, and yields exactly one outcome per input message in
input order.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import islice
from typing import Any, ClassVar, Self

from smsc_transports.backends.http.batch import Job, plan_jobs, settle_job
from smsc_transports.backends.http.client import OPTION_NAMES as HTTP_OPTIONS
from smsc_transports.backends.http.client import HttpClient
from smsc_transports.config import Settings
from smsc_transports.errors import RateLimited, SMSCError, TransportError
from smsc_transports.message import Message
from smsc_transports.observe import Observer, log_fields
from smsc_transports.results import (
    Balance,
    CostResult,
    IncomingMessage,
    Outcome,
    SendResult,
    StatusResult,
)
from smsc_transports.transport import BatchGuard, Capability, Transport
from smsc_transports.wire import http as wire

__all__ = ["HttpTransport"]

log = logging.getLogger(__name__)


class HttpTransport(Transport):
    """SMSC's HTTP API (``https://login:password@smsc.ru``).

    Options (URL query or settings): ``timeout``, ``connect_timeout``, ``verify``,
    ``proxy``, ``backup_hosts``, ``concurrency`` (requests in flight in ``send_many``,
    default 4, at most 15), ``batch_phones`` (recipients per request, default 100),
    ``block`` (input messages planned at once, default 1000), ``max_answer_bytes``;
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
        }
    )
    option_names: ClassVar[frozenset[str] | None] = HTTP_OPTIONS | {
        "concurrency",
        "batch_phones",
        "block",
    }

    def __init__(
        self,
        client: HttpClient,
        *,
        concurrency: int = 4,
        batch_phones: int = 100,
        block: int = 1000,
        observer: Observer | None = None,
    ) -> None:
        self.client = client
        self.concurrency = max(1, min(concurrency, wire.MAX_CONCURRENCY))
        self.batch_phones = max(1, batch_phones)
        self.block = max(1, block)
        self._executor: ThreadPoolExecutor | None = None
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
        )

    def __repr__(self) -> str:
        return f"<HttpTransport {self.client.bases[0]}>"

    def observe(self, observer: Observer | None) -> None:
        """Report every request to ``observer`` and let it watch the requests in flight."""
        self.observer = observer
        self.client.observed.attach(observer, self.protocol, self.concurrency)

    # Sending -----------------------------------------------------------------------

    def send(self, message: Message) -> SendResult:
        """Send one message (``cost=3``, ``op=1``) and return what SMSC accepted."""
        return settle_job(Job((message,)), self._run_job(Job((message,))))[0].unwrap()

    def send_many(self, messages: Iterable[Message]) -> Generator[Outcome, None, None]:
        """Send every message with as few requests as possible; one outcome each, in order.

        The next block of input is planned and submitted while the current one is being
        answered, so at most two blocks are held at once. Closing the generator early
        still lets the requests already submitted finish. After an error every later
        request would get too (wrong credentials, a blocked IP, no money) no request is
        made: the rest end as :class:`~smsc_transports.errors.NotSent`.
        """
        iterator = iter(messages)
        in_flight: deque[_Block] = deque()
        guard = BatchGuard()
        start = 0
        while True:
            block = list(islice(iterator, self.block))
            if block:
                in_flight.append(self._submit(block, start, guard))
                start += len(block)
            if not in_flight:
                return
            if block and len(in_flight) < 2:
                continue
            yield from self._settle(in_flight.popleft())

    def _submit(self, block: list[Message], start: int, guard: BatchGuard) -> _Block:
        jobs = plan_jobs(block, max_phones=self.batch_phones)
        pool = self._pool()
        futures = [(job, pool.submit(self._run_job, job, guard)) for job in jobs]
        return _Block(start, block, futures)

    def _settle(self, block: _Block) -> Iterator[Outcome]:
        settled: list[Outcome | None] = [None] * len(block.messages)
        for job, future in block.futures:
            for outcome in settle_job(job, _answer_of(future), block.start):
                settled[outcome.index - block.start] = outcome
        for found in settled:
            assert found is not None, "every message belongs to exactly one job"
            yield found

    def _run_job(self, job: Job, guard: BatchGuard | None = None) -> Any | SMSCError:
        """Make the job's one request; return the JSON answer or the exception it raised.

        With a ``guard``, no request is made once the batch has stopped.
        """
        if guard is not None and (skipped := guard.skipped()) is not None:
            return skipped
        # A send is repeated on another host only if SMSC can recognise the repeat.
        repeatable = job.client_id is not None
        uncertain = False
        try:
            answer, uncertain = self.client.exchange(
                "/sys/send.php",
                job.params(),
                repeatable=repeatable,
                repeat=job.may_repeat,
                messages=len(job.messages),
            )
            wire.check_error(answer, "send")
        except RateLimited as exc:
            if uncertain:
                # Our earlier attempt carried the same id and got through.
                return job.already_accepted()
            return exc
        except SMSCError as exc:
            if guard is not None:
                guard.saw(exc)
            return exc
        return answer

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="smsc-http")
        return self._executor

    # Reading -----------------------------------------------------------------------

    def cost(self, message: Message) -> CostResult:
        """Return what ``message`` would cost (``cost=1``); nothing is sent."""
        params = wire.send_params(message, cost=1)
        answer = self.client.call("/sys/send.php", params, repeatable=True, operation="cost")
        return wire.parse_cost(answer)

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
        phone: str | None = None,
        count: int = 100,
    ) -> list[StatusResult]:
        """Return sent messages, newest first (``get.php?get_messages=1``, at most 1000)."""
        params = {"get_messages": "1", "cnt": str(max(1, min(count, 1000)))}
        if start is not None:
            params["start"] = start.strftime("%d.%m.%Y")
        if end is not None:
            params["end"] = end.strftime("%d.%m.%Y")
        if phone is not None:
            params["phone"] = phone
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

    def close(self) -> None:
        """Stop the worker threads and close pooled connections."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.client.close()
        self.client.observed.attach(None, self.protocol, self.concurrency)


@dataclass(frozen=True, slots=True)
class _Block:
    """Messages read together, and the requests they were planned into."""

    start: int
    messages: list[Message]
    futures: list[tuple[Job, Future[Any]]]


def _answer_of(future: Future[Any]) -> Any | SMSCError:
    try:
        return future.result()
    except SMSCError as exc:  # pragma: no cover - _run_job returns errors, kept as a guard
        return exc
    except Exception as exc:
        # Never lose the message to an unexpected failure: it becomes its outcome.
        log.exception("unexpected failure while sending", extra=log_fields("https", "send"))
        return TransportError(f"unexpected failure while sending: {type(exc).__name__}")
