"""The sync<->async adapters keep every Transport promise across the thread boundary.

``RecordingSync`` and ``RecordingAsync`` are test doubles of a *backend*: they record
their calls, refuse the message whose text is ``FAIL`` with :class:`InvalidPhone` (an
SMSC error, so it becomes an error outcome), and raise ``RuntimeError`` for ``EXPLODE``
(a bug, so it must propagate).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Self, TypeVar

import pytest

from smsc_transports import (
    AsyncTransport,
    Balance,
    Capability,
    CostResult,
    IncomingMessage,
    InvalidPhone,
    Message,
    MessageKind,
    MessageStatus,
    NotSent,
    OperatorInfo,
    Outcome,
    SendResult,
    Settings,
    SMSCError,
    StatusResult,
    Transport,
    UnsupportedOperation,
    create_async_transport,
    create_transport,
)
from smsc_transports.adapters import _BUFFER, LoopThreadTransport, ThreadedAsyncTransport
from smsc_transports.emulator import Emulator
from smsc_transports.errors import api_error
from smsc_transports.results import CostOutcome, ScheduledJob
from smsc_transports.transport import Phones, iter_outcomes

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent

FAIL = "fail"
EXPLODE = "explode"
ALL_OPERATIONS = frozenset(
    {Capability.SEND, Capability.COST, Capability.STATUS, Capability.BALANCE}
)
TEXTS = ["a", "b", FAIL, "d", "e"]


def message(text: str) -> Message:
    return Message(phones="79991234567", text=text)


def result_for(m: Message, protocol: str) -> SendResult:
    if m.text == FAIL:
        raise InvalidPhone("invalid number", id=f"id-{m.text}")
    if m.text == EXPLODE:
        raise RuntimeError("boom")
    return SendResult(id=f"id-{m.text}", parts=1, transport=protocol)


class RecordingSync(Transport):
    """A blocking backend double."""

    protocol: ClassVar[str] = "sync-double"
    capabilities: ClassVar[frozenset[Capability]] = ALL_OPERATIONS

    def __init__(self, first_send_waits_for: threading.Event | None = None) -> None:
        self.calls: list[tuple[str, object, str]] = []
        self.closed = False
        self._lock = threading.Lock()
        self._gate = first_send_waits_for

    def _record(self, operation: str, argument: object) -> None:
        with self._lock:
            self.calls.append((operation, argument, threading.current_thread().name))

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls()

    def send(self, message: Message) -> SendResult:
        self._record("send", message.text)
        if self._gate is not None:
            self._gate.wait(timeout=3)  # a slow first answer, until the source has run dry
            self._gate = None
        return result_for(message, self.protocol)

    def cost(self, message: Message) -> CostResult:
        self._record("cost", message.text)
        return CostResult(cost=Decimal("1.40"), parts=1)

    def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        self._record("status", (id, phone, detail))
        return StatusResult(id=id, phone=phone, status=MessageStatus.DELIVERED)

    def balance(self) -> Balance:
        self._record("balance", None)
        return Balance(amount=Decimal("100.50"), currency="RUR")

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
        self._record("history", (phone, count, prev_id, email, kind))
        return [StatusResult(id="7", phone="79991234567", status=MessageStatus.DELIVERED)]

    def operator(self, phone: str) -> OperatorInfo:
        self._record("operator", phone)
        return OperatorInfo(phone=phone, operator="MTS")

    def jobs(self) -> list[ScheduledJob]:
        self._record("jobs", None)
        return [ScheduledJob(id="3", name="spring")]

    def cancel_job(self, id: str) -> None:
        self._record("cancel_job", id)

    def add_sender(self, name: str, *, comment: str | None = None) -> None:
        self._record("add_sender", (name, comment))

    def send_sender_code(self, name: str) -> None:
        self._record("send_sender_code", name)

    def confirm_sender(self, name: str, code: str) -> None:
        self._record("confirm_sender", (name, code))

    def raw(self, command: str, params: Mapping[str, object] | None = None) -> Any:
        self._record("raw", (command, dict(params or {})))
        return {"answer": command}

    def close(self) -> None:
        self.closed = True


class RecordingAsync(AsyncTransport):
    """An asyncio backend double."""

    protocol: ClassVar[str] = "async-double"
    capabilities: ClassVar[frozenset[Capability]] = ALL_OPERATIONS

    def __init__(self) -> None:
        self.calls: list[tuple[str, object, str]] = []
        self.closed = False

    def _record(self, operation: str, argument: object) -> None:
        self.calls.append((operation, argument, threading.current_thread().name))

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls()

    async def send(self, message: Message) -> SendResult:
        self._record("send", message.text)
        await asyncio.sleep(0)
        return result_for(message, self.protocol)

    async def cost(self, message: Message) -> CostResult:
        self._record("cost", message.text)
        return CostResult(cost=Decimal("1.40"), parts=1)

    async def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        self._record("status", (id, phone, detail))
        return StatusResult(id=id, phone=phone, status=MessageStatus.DELIVERED)

    async def balance(self) -> Balance:
        self._record("balance", None)
        return Balance(amount=Decimal("100.50"), currency="RUR")

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
        self._record("history", (phone, count) if prev_id is None else (phone, count, prev_id))
        return [StatusResult(id="7", phone=str(phone or ""), status=MessageStatus.DELIVERED)]

    async def operator(self, phone: str) -> OperatorInfo:
        self._record("operator", phone)
        return OperatorInfo(phone=phone, operator="MTS")

    async def jobs(self) -> list[ScheduledJob]:
        self._record("jobs", None)
        return [ScheduledJob(id="3", name="spring")]

    async def cancel_job(self, id: str) -> None:
        self._record("cancel_job", id)

    async def add_sender(self, name: str, *, comment: str | None = None) -> None:
        self._record("add_sender", (name, comment))

    async def send_sender_code(self, name: str) -> None:
        self._record("send_sender_code", name)

    async def confirm_sender(self, name: str, code: str) -> None:
        self._record("confirm_sender", (name, code))

    async def raw(self, command: str, params: Mapping[str, object] | None = None) -> Any:
        self._record("raw", (command, dict(params or {})))
        return {"answer": command}

    async def incoming(
        self, *, hours: int = 24, after_id: str | None = None, count: int = 100
    ) -> list[IncomingMessage]:
        self._record("incoming", (hours, after_id, count))
        return [IncomingMessage(id="9", phone="79991234567", text="да")]

    async def senders(self) -> list[str]:
        self._record("senders", None)
        return ["Shop"]

    async def delete(self, id: str, phone: str) -> None:
        self._record("delete", (id, phone))

    async def aclose(self) -> None:
        self.closed = True


class SendOnlySync(Transport):
    protocol: ClassVar[str] = "smtp"

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls()

    def send(self, message: Message) -> SendResult:
        return SendResult(id="1", parts=1)


class SendOnlyAsync(AsyncTransport):
    protocol: ClassVar[str] = "smtp"

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls()

    async def send(self, message: Message) -> SendResult:
        return SendResult(id="1", parts=1)


def run_bounded(main: Callable[[], Coroutine[Any, Any, T]], timeout: float = 8.0) -> T:
    """Run ``main()`` with ``asyncio.run`` in a daemon thread; fail if it does not finish.

    A hang that blocks the event loop cannot be interrupted from inside the loop, so the
    bound is enforced from outside it.
    """
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(main()))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target, name="bounded-asyncio", daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s: it hangs"
    if errors:
        raise errors[0]
    return results[0]


@contextlib.asynccontextmanager
async def closing_stream(
    stream: AsyncIterator[Outcome],
) -> AsyncIterator[AsyncIterator[Outcome]]:
    """``contextlib.aclosing`` for ``send_many``, which is typed as a plain AsyncIterator."""
    try:
        yield stream
    finally:
        assert isinstance(stream, AsyncGenerator)
        await stream.aclose()


def check_outcomes(outcomes: list[Outcome], messages: list[Message], protocol: str) -> None:
    assert [o.index for o in outcomes] == list(range(len(messages)))
    assert [o.message for o in outcomes] == messages
    for outcome in outcomes:
        if outcome.message.text == FAIL:
            assert not outcome.ok
            assert isinstance(outcome.error, InvalidPhone)
            assert outcome.error.id == "id-fail"
        else:
            assert outcome.ok
            assert outcome.unwrap() == SendResult(
                id=f"id-{outcome.message.text}", parts=1, transport=protocol
            )


class Counter:
    """A lazy (sync) source of messages that counts how many were pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    def __iter__(self) -> Iterator[Message]:
        for i in range(self.total):
            self.pulled += 1
            yield message(f"m{i}")


class AsyncCounter:
    """A lazy async source of messages; ``exhausted`` is set once it has no more."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0
        self.exhausted = threading.Event()

    async def __aiter__(self) -> AsyncIterator[Message]:
        for i in range(self.total):
            self.pulled += 1
            yield message(f"m{i}")
        self.exhausted.set()


class TrackedSync(RecordingSync):
    """``RecordingSync`` whose ``send_many`` sets ``finished`` once its generator is closed.

    That is how the adapter's worker thread lets go of the backend's stream (and lets the
    requests it has submitted finish), so ``finished`` shows the worker has stopped.
    """

    def __init__(self, first_send_waits_for: threading.Event | None = None) -> None:
        super().__init__(first_send_waits_for)
        self.finished = threading.Event()

    def send_many(self, messages: Iterable[Message]) -> Generator[Outcome, None, None]:
        try:
            yield from super().send_many(messages)
        finally:
            self.finished.set()


# --- pass-through ------------------------------------------------------------------


def test_threaded_async_passes_every_operation_through_in_worker_threads() -> None:
    backend = RecordingSync()
    transport = ThreadedAsyncTransport(backend, max_workers=2)
    assert transport.protocol == "sync-double"
    assert transport.capabilities == ALL_OPERATIONS

    async def main() -> tuple[SendResult, CostResult, StatusResult, Balance, str]:
        async with transport:
            return (
                await transport.send(message("a")),
                await transport.cost(message("c")),
                await transport.status("33", "79991234567", detail=1),
                await transport.balance(),
                threading.current_thread().name,
            )

    sent, cost, status, balance, loop_thread = asyncio.run(main())
    assert sent == SendResult(id="id-a", parts=1, transport="sync-double")
    assert cost == CostResult(cost=Decimal("1.40"), parts=1)
    assert status == StatusResult(id="33", phone="79991234567", status=MessageStatus.DELIVERED)
    assert balance == Balance(amount=Decimal("100.50"), currency="RUR")
    assert [(op, arg) for op, arg, _ in backend.calls] == [
        ("send", "a"),
        ("cost", "c"),
        ("status", ("33", "79991234567", 1)),
        ("balance", None),
    ]
    assert all(thread != loop_thread for _, _, thread in backend.calls)
    assert backend.closed


def test_threaded_async_raises_the_backends_smsc_error() -> None:
    transport = ThreadedAsyncTransport(RecordingSync())

    async def main() -> None:
        await transport.send(message(FAIL))

    with pytest.raises(InvalidPhone) as excinfo:
        asyncio.run(main())
    assert excinfo.value.id == "id-fail"


def test_loop_thread_passes_every_operation_through_on_its_loop_thread() -> None:
    backend = RecordingAsync()
    with LoopThreadTransport(backend) as transport:
        assert transport.protocol == "async-double"
        assert transport.capabilities == ALL_OPERATIONS
        assert transport.send(message("a")) == SendResult(
            id="id-a", parts=1, transport="async-double"
        )
        assert transport.cost(message("c")) == CostResult(cost=Decimal("1.40"), parts=1)
        assert transport.status("33", "79991234567", detail=2) == StatusResult(
            id="33", phone="79991234567", status=MessageStatus.DELIVERED
        )
        assert transport.balance() == Balance(amount=Decimal("100.50"), currency="RUR")
    assert [(op, arg) for op, arg, _ in backend.calls] == [
        ("send", "a"),
        ("cost", "c"),
        ("status", ("33", "79991234567", 2)),
        ("balance", None),
    ]
    assert {thread for _, _, thread in backend.calls} == {"smsc-loop"}
    assert backend.closed


def test_loop_thread_raises_the_backends_smsc_error() -> None:
    with LoopThreadTransport(RecordingAsync()) as transport, pytest.raises(InvalidPhone):
        transport.send(message(FAIL))


# --- send_many ---------------------------------------------------------------------


@pytest.mark.timeout(10)
@pytest.mark.parametrize("count", [len(TEXTS), 700], ids=["five", "more-than-the-buffer"])
def test_threaded_async_send_many_yields_one_outcome_per_input_in_order(count: int) -> None:
    texts = (TEXTS * (count // len(TEXTS) + 1))[:count]
    messages = [message(t) for t in texts]
    transport = ThreadedAsyncTransport(RecordingSync())

    async def main() -> list[Outcome]:
        async with transport:
            return [o async for o in transport.send_many(messages)]

    check_outcomes(run_bounded(main), messages, "sync-double")


@pytest.mark.timeout(10)
def test_threaded_async_send_many_takes_an_async_iterable() -> None:
    # Fewer messages than the adapter buffers, so this runs in-process safely; the
    # longer source is exercised in a child interpreter below.
    messages = [message(t) for t in TEXTS * 40]
    assert len(messages) < _BUFFER
    transport = ThreadedAsyncTransport(RecordingSync())

    async def source() -> AsyncIterator[Message]:
        for m in messages:
            await asyncio.sleep(0)
            yield m

    async def main() -> list[Outcome]:
        async with transport:
            return [o async for o in transport.send_many(source())]

    check_outcomes(run_bounded(main), messages, "sync-double")


@pytest.mark.timeout(10)
def test_loop_thread_send_many_yields_one_outcome_per_input_in_order() -> None:
    messages = [message(t) for t in TEXTS * 3]
    with LoopThreadTransport(RecordingAsync()) as transport:
        outcomes = list(transport.send_many(iter(messages)))
    check_outcomes(outcomes, messages, "async-double")


def test_send_many_of_nothing_yields_nothing() -> None:
    async def main() -> list[Outcome]:
        transport = ThreadedAsyncTransport(RecordingSync())
        async with transport:
            return [o async for o in transport.send_many([])]

    assert run_bounded(main) == []
    with LoopThreadTransport(RecordingAsync()) as transport:
        assert list(transport.send_many([])) == []


# --- scenarios that could hang: each runs in a child interpreter ---------------------
#
# A deadlock that blocks the event loop also leaves a ThreadPoolExecutor worker spinning,
# and the interpreter joins those workers at exit: run in-process, one such hang would
# wedge the whole pytest run. A child interpreter can simply be killed.


def run_isolated(scenario: Callable[[], None], timeout: float = 7.0) -> None:
    """Run the module-level ``scenario`` in a fresh interpreter; fail if it hangs or fails."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
        f"from {scenario.__module__} import {scenario.__name__} as scenario; scenario()"
    )
    try:
        completed = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{scenario.__name__} still running after {timeout} s: it hangs")
    assert completed.returncode == 0, completed.stderr[-4000:]


def scenario_async_source_longer_than_the_buffer() -> None:
    # The source runs dry while the backend is still busy with the first message and
    # the adapter's input queue is full: the end-of-input marker must wait for room
    # without blocking the event loop, which the worker needs to hand back outcomes.
    source = AsyncCounter(_BUFFER + 1)
    transport = ThreadedAsyncTransport(RecordingSync(first_send_waits_for=source.exhausted))

    async def main() -> list[Outcome]:
        async with transport:
            return [o async for o in transport.send_many(source)]

    outcomes = asyncio.run(main())
    assert [o.index for o in outcomes] == list(range(_BUFFER + 1))
    assert all(o.ok for o in outcomes)


@pytest.mark.timeout(10)
def test_threaded_send_many_of_an_async_source_longer_than_the_buffer_completes() -> None:
    run_isolated(scenario_async_source_longer_than_the_buffer)


def scenario_break_out_of_threaded_send_many() -> None:
    source = Counter(100_000)
    transport = ThreadedAsyncTransport(RecordingSync())

    async def main() -> int:
        seen = 0
        async for _ in transport.send_many(source):
            seen += 1
            if seen == 3:
                break
        await transport.aclose()
        return seen

    assert asyncio.run(main()) == 3
    assert source.pulled <= 2 * _BUFFER + 3  # the handoff's bound, not the input's size


@pytest.mark.timeout(10)
def test_breaking_out_of_threaded_send_many_does_not_hang() -> None:
    run_isolated(scenario_break_out_of_threaded_send_many)


def scenario_close_threaded_send_many_with_full_buffers() -> None:
    source = Counter(100_000)
    backend = TrackedSync()
    transport = ThreadedAsyncTransport(backend)

    async def main() -> None:
        async with closing_stream(transport.send_many(source)) as stream:
            async for _ in stream:
                await asyncio.sleep(0.3)  # let the worker fill the buffer and block
                break
        # aclose has returned: the worker has let go of the backend's stream already
        assert backend.finished.is_set()
        pulled = source.pulled
        await asyncio.sleep(0.2)
        assert source.pulled == pulled
        await transport.aclose()

    asyncio.run(main())
    assert source.pulled <= 2 * _BUFFER + 3  # the handoff's bound, not the input's size


@pytest.mark.timeout(10)
def test_closing_threaded_send_many_early_with_full_buffers_stops_the_worker() -> None:
    run_isolated(scenario_close_threaded_send_many_with_full_buffers)


def scenario_close_threaded_send_many_of_an_async_source() -> None:
    source = AsyncCounter(10_000)
    transport = ThreadedAsyncTransport(RecordingSync())

    async def main() -> None:
        async with closing_stream(transport.send_many(source)) as stream:
            async for _ in stream:
                await asyncio.sleep(0.3)  # let the feeder fill its queue
                break
        await transport.aclose()

    asyncio.run(main())
    assert source.pulled < 10_000


@pytest.mark.timeout(10)
def test_closing_threaded_send_many_of_an_async_iterable_early_does_not_hang() -> None:
    run_isolated(scenario_close_threaded_send_many_of_an_async_source)


def scenario_close_loop_thread_send_many() -> None:
    source = Counter(100_000)
    with LoopThreadTransport(RecordingAsync()) as transport:
        stream = transport.send_many(source)
        assert isinstance(stream, Generator)
        first = next(stream)
        stream.close()
        assert first.index == 0
        assert transport.send(message("after")).id == "id-after"
    assert source.pulled < 10


@pytest.mark.timeout(10)
def test_closing_loop_thread_send_many_early_does_not_hang() -> None:
    run_isolated(scenario_close_loop_thread_send_many)


def scenario_cancel_the_task_consuming_threaded_send_many() -> None:
    gate = threading.Event()
    source = Counter(100_000)
    backend = TrackedSync(first_send_waits_for=gate)
    transport = ThreadedAsyncTransport(backend)
    seen: list[Outcome] = []

    async def consume() -> None:
        async for outcome in transport.send_many(source):
            seen.append(outcome)

    async def main() -> None:
        task = asyncio.create_task(consume())
        await asyncio.sleep(0.2)  # the consumer waits for the first, slow, outcome
        task.cancel()
        gate.set()
        try:
            await task
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("the cancelled consumer finished normally")
        assert task.cancelled()
        assert backend.finished.is_set()  # the worker was stopped and waited for
        await transport.aclose()

    asyncio.run(main())
    assert seen == []
    assert source.pulled <= 2 * _BUFFER + 3  # the handoff's bound, not the input's size


@pytest.mark.timeout(10)
def test_cancelling_the_consuming_task_stops_the_worker() -> None:
    run_isolated(scenario_cancel_the_task_consuming_threaded_send_many)


def scenario_loop_closed_while_the_consumer_pauses() -> None:
    # The loop is closed with the stream unfinished and never closed (no
    # shutdown_asyncgens): nobody will ever take the buffered outcomes, so the worker,
    # waiting for room, must notice the closed loop and stop. (``stream`` stays referenced
    # to the end, so that it is not its finalisation that stops the worker.)
    source = Counter(100_000)
    backend = TrackedSync()
    transport = ThreadedAsyncTransport(backend)
    loop = asyncio.new_event_loop()
    stream = transport.send_many(source)
    assert isinstance(stream, AsyncGenerator)
    first = loop.run_until_complete(anext(stream))
    assert first.index == 0
    loop.run_until_complete(asyncio.sleep(0.3))  # the worker fills the buffer
    loop.close()
    assert backend.finished.wait(3), "the worker goes on after its loop closed"
    assert source.pulled <= 2 * _BUFFER + 3  # the handoff's bound, not the input's size


@pytest.mark.timeout(10)
def test_a_closed_loop_stops_the_worker_of_a_paused_stream() -> None:
    run_isolated(scenario_loop_closed_while_the_consumer_pauses)


def scenario_loop_closed_while_the_consumer_waits() -> None:
    # The consumer waits for the first, slow, outcome when its loop is closed: handing
    # that outcome over fails, and the worker must stop rather than produce the rest.
    gate = threading.Event()
    source = Counter(100_000)
    backend = TrackedSync(first_send_waits_for=gate)
    transport = ThreadedAsyncTransport(backend)
    loop = asyncio.new_event_loop()
    stream = transport.send_many(source)
    assert isinstance(stream, AsyncGenerator)

    async def first() -> Outcome:
        return await anext(stream)

    waiting = loop.create_task(first())
    loop.run_until_complete(asyncio.sleep(0.2))
    assert not waiting.done()
    loop.close()
    gate.set()
    assert backend.finished.wait(3), "the worker goes on after its loop closed"
    assert source.pulled <= 2 * _BUFFER + 3  # the handoff's bound, not the input's size


@pytest.mark.timeout(10)
def test_a_closed_loop_stops_the_worker_of_a_waiting_stream() -> None:
    run_isolated(scenario_loop_closed_while_the_consumer_waits)


# --- order and bounds across many outcomes ---------------------------------------------


@pytest.mark.timeout(10)
@pytest.mark.parametrize("operation", ["send_many", "cost_many"])
def test_threaded_stream_keeps_order_through_bursts_and_pauses(operation: str) -> None:
    # The consumer pauses now and then, so the worker runs ahead, fills the buffer and
    # waits: outcomes cross the thread boundary in batches of every size.
    messages = [message(f"m{i}") for i in range(5 * _BUFFER + 3)]
    transport = ThreadedAsyncTransport(RecordingSync())

    async def main() -> list[tuple[int, Message]]:
        seen: list[tuple[int, Message]] = []
        async with transport:
            stream = getattr(transport, operation)(iter(messages))
            async for outcome in stream:
                seen.append((outcome.index, outcome.message))
                assert outcome.ok
                if len(seen) % 150 == 1:
                    await asyncio.sleep(0.02)
        return seen

    assert run_bounded(main) == list(enumerate(messages))


@pytest.mark.timeout(10)
def test_threaded_send_many_runs_ahead_of_a_stalled_consumer_by_at_most_two_buffers() -> None:
    # The worker waits while the buffer holds _BUFFER outcomes; the consumer takes the
    # whole buffer at once, so at most another _BUFFER are taken and not yet yielded,
    # and the worker holds one more. The backend's own send_many pulls one at a time.
    source = Counter(100_000)
    transport = ThreadedAsyncTransport(RecordingSync())

    async def main() -> list[int]:
        pulled = []
        async with closing_stream(transport.send_many(source)) as stream:
            async for _ in stream:
                await asyncio.sleep(0.3)
                pulled.append(source.pulled)
                if len(pulled) == 3:
                    break
        await transport.aclose()
        return pulled

    pulled = run_bounded(main)
    assert max(pulled) <= 2 * _BUFFER + 1 + 2  # + the two outcomes already yielded


@pytest.mark.timeout(10)
def test_an_exception_after_many_outcomes_arrives_after_all_of_them() -> None:
    texts = [f"m{i}" for i in range(2 * _BUFFER + 10)]
    messages = [message(t) for t in [*texts, EXPLODE, "z"]]
    transport = ThreadedAsyncTransport(RecordingSync())
    seen: list[str] = []

    async def main() -> None:
        async with transport:
            async for outcome in transport.send_many(messages):
                seen.append(outcome.message.text)
                if len(seen) % 100 == 1:
                    # the worker gets ahead: the last pause leaves it finished, with the
                    # last outcomes still waiting before its exception
                    await asyncio.sleep(0.05)

    with pytest.raises(RuntimeError, match="boom"):
        run_bounded(main)
    assert seen == texts


def test_async_send_many_over_http_keeps_order_through_a_pausing_consumer(
    shared_emulator: Emulator,
) -> None:
    # A real peer: the HTTP backend batches these into several requests per block, and
    # the consumer's pauses let whole blocks of outcomes pile up in the buffer.
    messages = [Message(f"7913{i:07d}", f"order {i % 7}") for i in range(3 * _BUFFER + 17)]

    async def main() -> list[Outcome]:
        seen: list[Outcome] = []
        async with create_async_transport(shared_emulator.url()) as transport:
            async for outcome in transport.send_many(iter(messages)):
                seen.append(outcome)
                if len(seen) % 200 == 1:
                    await asyncio.sleep(0.05)
        return seen

    outcomes = run_bounded(main, timeout=30)
    assert [(o.index, o.message) for o in outcomes] == list(enumerate(messages))
    assert all(o.ok for o in outcomes)


# --- errors that are not SMSC's ------------------------------------------------------


@pytest.mark.timeout(10)
def test_a_non_smsc_exception_in_the_sync_backend_reaches_the_async_consumer() -> None:
    messages = [message(t) for t in ["a", FAIL, EXPLODE, "z"]]
    transport = ThreadedAsyncTransport(RecordingSync())
    seen: list[Outcome] = []

    async def main() -> None:
        async with transport:
            async for outcome in transport.send_many(messages):
                seen.append(outcome)

    with pytest.raises(RuntimeError, match="boom"):
        run_bounded(main)
    assert [o.message.text for o in seen] == ["a", FAIL]


@pytest.mark.timeout(10)
def test_a_non_smsc_exception_in_the_async_backend_reaches_the_sync_consumer() -> None:
    messages = [message(t) for t in ["a", EXPLODE, "z"]]
    seen: list[Outcome] = []
    with LoopThreadTransport(RecordingAsync()) as transport:
        with pytest.raises(RuntimeError, match="boom"):
            seen.extend(transport.send_many(messages))
        assert transport.send(message("still-works")).id == "id-still-works"


# --- closing -------------------------------------------------------------------------


def test_loop_thread_close_stops_its_thread_and_later_calls_fail() -> None:
    before = set(threading.enumerate())
    backend = RecordingAsync()
    transport = LoopThreadTransport(backend)
    started = [t for t in threading.enumerate() if t not in before]
    assert len(started) == 1
    (loop_thread,) = started
    assert loop_thread.is_alive()
    assert loop_thread.daemon

    transport.close()
    assert not loop_thread.is_alive()
    assert backend.closed
    with pytest.raises(SMSCError, match="closed"):
        transport.send(message("late"))
    with pytest.raises(SMSCError, match="closed"):
        transport.balance()
    transport.close()  # a second close is harmless


def test_threaded_async_aclose_closes_the_backend() -> None:
    backend = RecordingSync()
    asyncio.run(ThreadedAsyncTransport(backend).aclose())
    assert backend.closed


def test_adapters_are_not_built_from_settings() -> None:
    with pytest.raises(TypeError):
        ThreadedAsyncTransport.from_settings(Settings(scheme="https"))
    with pytest.raises(TypeError):
        LoopThreadTransport.from_settings(Settings(scheme="https"))


# --- unsupported operations ----------------------------------------------------------

UNSUPPORTED = [
    ("cost", ("https", "soap")),
    ("status", ("https", "soap", "smpp")),
    ("balance", ("https", "soap")),
]


def call_sync(transport: Transport, operation: str) -> object:
    if operation == "cost":
        return transport.cost(message("x"))
    if operation == "status":
        return transport.status("1", "79991234567")
    return transport.balance()


async def call_async(transport: AsyncTransport, operation: str) -> object:
    if operation == "cost":
        return await transport.cost(message("x"))
    if operation == "status":
        return await transport.status("1", "79991234567")
    return await transport.balance()


def check_unsupported(
    error: UnsupportedOperation, operation: str, protocols: tuple[str, ...]
) -> None:
    assert error.operation == operation
    assert error.protocol == "smtp"
    assert error.supported_by == protocols
    for protocol in protocols:
        assert protocol in str(error)


@pytest.mark.parametrize(("operation", "protocols"), UNSUPPORTED)
def test_the_sync_base_refuses_unsupported_operations_naming_protocols(
    operation: str, protocols: tuple[str, ...]
) -> None:
    with pytest.raises(UnsupportedOperation) as excinfo:
        call_sync(SendOnlySync(), operation)
    check_unsupported(excinfo.value, operation, protocols)


@pytest.mark.parametrize(("operation", "protocols"), UNSUPPORTED)
def test_the_async_base_refuses_unsupported_operations_naming_protocols(
    operation: str, protocols: tuple[str, ...]
) -> None:
    with pytest.raises(UnsupportedOperation) as excinfo:
        asyncio.run(call_async(SendOnlyAsync(), operation))
    check_unsupported(excinfo.value, operation, protocols)


@pytest.mark.parametrize(("operation", "protocols"), UNSUPPORTED)
def test_adapters_pass_unsupported_operation_through(
    operation: str, protocols: tuple[str, ...]
) -> None:
    with pytest.raises(UnsupportedOperation) as excinfo:
        asyncio.run(call_async(ThreadedAsyncTransport(SendOnlySync()), operation))
    check_unsupported(excinfo.value, operation, protocols)
    with (
        LoopThreadTransport(SendOnlyAsync()) as transport,
        pytest.raises(UnsupportedOperation) as excinfo,
    ):
        call_sync(transport, operation)
    check_unsupported(excinfo.value, operation, protocols)


def test_the_base_send_many_turns_smsc_errors_into_outcomes() -> None:
    messages = [message(t) for t in TEXTS]
    check_outcomes(list(RecordingSync().send_many(messages)), messages, "sync-double")

    async def main() -> list[Outcome]:
        return [o async for o in RecordingAsync().send_many(messages)]

    check_outcomes(asyncio.run(main()), messages, "async-double")


# --- bounded memory ------------------------------------------------------------------


def test_the_base_send_many_pulls_one_message_at_a_time() -> None:
    source = Counter(100_000)
    stream = RecordingSync().send_many(source)
    next(stream)
    assert source.pulled == 1


@pytest.mark.timeout(10)
def test_threaded_send_many_pulls_lazily_with_bounded_buffering() -> None:
    source = Counter(100_000)
    transport = ThreadedAsyncTransport(RecordingSync())

    async def main() -> tuple[int, int]:
        async with closing_stream(transport.send_many(source)) as stream:
            async for _ in stream:
                at_first = source.pulled
                await asyncio.sleep(0.5)  # the worker runs ahead only as far as the buffer
                after_wait = source.pulled
                break
        await transport.aclose()
        return at_first, after_wait

    at_first, after_wait = run_bounded(main)
    assert at_first < 1_000
    assert after_wait < 1_000
    assert source.pulled < 1_000


@pytest.mark.timeout(10)
def test_loop_thread_send_many_pulls_lazily() -> None:
    source = Counter(100_000)
    with LoopThreadTransport(RecordingAsync()) as transport:
        stream = transport.send_many(source)
        assert isinstance(stream, Generator)
        next(stream)
        assert source.pulled == 1
        next(stream)
        assert source.pulled == 2
        stream.close()


def test_account_operations_a_protocol_lacks_are_refused_through_both_faces(
    emulator: Emulator,
) -> None:
    with create_transport(emulator.url("soap")) as soap:
        for call in (soap.history, soap.incoming, soap.senders):
            with pytest.raises(UnsupportedOperation, match="https"):
                call()
        with pytest.raises(UnsupportedOperation, match="https"):
            soap.delete("1", "79990000001")

    async def refused() -> list[str]:
        async with create_async_transport(emulator.url("soap")) as transport:
            found = []
            for call in (transport.history, transport.incoming, transport.senders):
                with pytest.raises(UnsupportedOperation) as caught:
                    await call()
                found.append(caught.value.operation)
            return found

    assert asyncio.run(refused()) == ["history", "incoming", "senders"]


class RefusingAfter:
    """A send that accepts ``accept`` messages, then answers SMSC's error 2 to each."""

    def __init__(self, accept: int) -> None:
        self.accept = accept
        self.calls = 0

    def __call__(self, message: Message) -> SendResult:
        self.calls += 1
        if self.calls > self.accept:
            raise api_error(2, "authorise error")
        return SendResult(id=str(self.calls), parts=1)


class AsyncRefusingAfter(AsyncTransport):
    protocol: ClassVar[str] = "test"

    def __init__(self, accept: int) -> None:
        self.send_one = RefusingAfter(accept)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(0)

    async def send(self, message: Message) -> SendResult:
        return self.send_one(message)


def test_the_default_send_many_stops_at_an_error_every_later_message_would_get() -> None:
    messages = [message(str(n)) for n in range(10)]
    send = RefusingAfter(accept=3)
    outcomes = list(iter_outcomes(messages, send))
    assert send.calls == 4  # three accepted, one refused, then nothing more is sent
    assert [type(o.error).__name__ for o in outcomes[3:5]] == ["AuthenticationError", "NotSent"]
    assert all(isinstance(o.error, NotSent) for o in outcomes[4:]) and len(outcomes) == 10

    transport = AsyncRefusingAfter(accept=3)

    async def drain() -> list[Outcome]:
        return [outcome async for outcome in transport.send_many(messages)]

    async_outcomes = asyncio.run(drain())
    assert transport.send_one.calls == 4
    assert [type(o.error) for o in async_outcomes] == [type(o.error) for o in outcomes]


def test_loop_thread_passes_the_account_operations_through_on_its_loop_thread() -> None:
    backend = RecordingAsync()
    with LoopThreadTransport(backend) as transport:
        assert [r.id for r in transport.history(phone="79991234567", count=5)] == ["7"]
        assert [m.text for m in transport.incoming(hours=2, after_id="8")] == ["да"]
        assert transport.senders() == ["Shop"]
        transport.delete("7", "79991234567")
    assert [(op, arg) for op, arg, _ in backend.calls] == [
        ("history", ("79991234567", 5)),
        ("incoming", (2, "8", 100)),
        ("senders", None),
        ("delete", ("7", "79991234567")),
    ]
    assert {thread for _, _, thread in backend.calls} == {"smsc-loop"}


NEW_ACCOUNT_CALLS = [
    ("operator", "79991234567"),
    ("jobs", None),
    ("cancel_job", "3"),
    ("add_sender", ("Shop", "our shop")),
    ("send_sender_code", "79990000001"),
    ("confirm_sender", ("79990000001", "1234")),
    ("raw", ("info", {"get_operator": "1"})),
]


def test_loop_thread_passes_paging_operator_jobs_senders_and_raw_through() -> None:
    backend = RecordingAsync()
    with LoopThreadTransport(backend) as transport:
        assert [r.id for r in transport.history(phone="79991234567", count=5, prev_id="40")] == [
            "7"
        ]
        assert transport.operator("79991234567").operator == "MTS"
        assert [j.id for j in transport.jobs()] == ["3"]
        transport.cancel_job("3")
        transport.add_sender("Shop", comment="our shop")
        transport.send_sender_code("79990000001")
        transport.confirm_sender("79990000001", "1234")
        assert transport.raw("info", {"get_operator": "1"}) == {"answer": "info"}
    assert [(op, arg) for op, arg, _ in backend.calls] == [
        ("history", ("79991234567", 5, "40")),
        *NEW_ACCOUNT_CALLS,
    ]
    assert {thread for _, _, thread in backend.calls} == {"smsc-loop"}


def test_threaded_async_passes_paging_operator_jobs_senders_and_raw_through() -> None:
    backend = RecordingSync()

    async def main() -> list[object]:
        transport = ThreadedAsyncTransport(backend)
        try:
            answers: list[object] = [
                [r.id for r in await transport.history(prev_id="40", kind=MessageKind.SMS)],
                (await transport.operator("79991234567")).operator,
                [j.id for j in await transport.jobs()],
            ]
            await transport.cancel_job("3")
            await transport.add_sender("Shop", comment="our shop")
            await transport.send_sender_code("79990000001")
            await transport.confirm_sender("79990000001", "1234")
            answers.append(await transport.raw("info", {"get_operator": "1"}))
            return answers
        finally:
            await transport.aclose()

    answers = run_bounded(main)
    assert answers == [["7"], "MTS", ["3"], {"answer": "info"}]
    assert [(op, arg) for op, arg, _ in backend.calls] == [
        ("history", (None, 100, "40", None, MessageKind.SMS)),
        *NEW_ACCOUNT_CALLS,
    ]
    assert all(thread.startswith("smsc-async") for _, _, thread in backend.calls)


def test_cost_many_yields_one_priced_outcome_per_message_through_both_adapters() -> None:
    texts = ["a", "b", "c"]
    with LoopThreadTransport(RecordingAsync()) as transport:
        through_loop = list(transport.cost_many(message(t) for t in texts))

    async def main() -> list[CostOutcome]:
        transport = ThreadedAsyncTransport(RecordingSync())
        try:
            return [o async for o in transport.cost_many(message(t) for t in texts)]
        finally:
            await transport.aclose()

    through_threads = run_bounded(main)
    for outcomes in (through_loop, through_threads):
        assert [(o.index, o.message.text) for o in outcomes] == list(enumerate(texts))
        assert all(o.unwrap().cost == Decimal("1.40") for o in outcomes)


def test_cost_many_is_refused_at_once_where_the_protocol_cannot_price() -> None:
    with pytest.raises(UnsupportedOperation, match="cost is not available over smtp"):
        SendOnlySync().cost_many([message("a")])
    with pytest.raises(UnsupportedOperation, match="cost is not available over smtp"):
        SendOnlyAsync().cost_many([message("a")])
    with LoopThreadTransport(SendOnlyAsync()) as transport, pytest.raises(UnsupportedOperation):
        transport.cost_many([message("a")])


def test_threaded_async_closes_once_and_refuses_later_calls(emulator: Emulator) -> None:
    # A real HTTP transport against the emulator: the adapter owns its thread pool, so
    # it is the one that knows it is closed (a second aclose, a call after it).
    async def close_twice_then_call() -> None:
        transport = ThreadedAsyncTransport(create_transport(emulator.url()), max_workers=2)
        assert (await transport.balance()).amount > 0
        await transport.aclose()
        await transport.aclose()  # harmless
        with pytest.raises(SMSCError, match="closed"):
            await transport.balance()
        with pytest.raises(SMSCError, match="closed"):
            await transport.send(Message("79990000001", "late"))
        with pytest.raises(SMSCError, match="closed"):
            transport.send_many([Message("79990000001", "late")])
        with pytest.raises(SMSCError, match="closed"):
            transport.cost_many([Message("79990000001", "late")])

    asyncio.run(close_twice_then_call())
