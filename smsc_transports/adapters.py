"""Give a sync backend an async face, and an async backend a sync one.

* :class:`ThreadedAsyncTransport` runs a :class:`Transport`'s blocking calls in its own
  thread pool (``max_workers`` calls at once), so an HTTP backend built on ``requests``
  serves asyncio code without blocking the event loop.
* :class:`LoopThreadTransport` runs an :class:`AsyncTransport` on one private event loop
  in one daemon thread, created once (not a loop per call), so an asyncio backend
  serves plain synchronous code.

Both keep ``send_many``'s contract: one outcome per message, in order, bounded memory.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Coroutine,
    Generator,
    Iterable,
    Iterator,
)
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any, Self, TypeVar

from smsc_transports.config import Settings
from smsc_transports.errors import SMSCError
from smsc_transports.message import Message
from smsc_transports.observe import Observer
from smsc_transports.results import (
    Balance,
    CostResult,
    IncomingMessage,
    Outcome,
    SendResult,
    StatusResult,
)
from smsc_transports.transport import AsyncTransport, Transport

__all__ = ["LoopThreadTransport", "ThreadedAsyncTransport"]

T = TypeVar("T")
_END = object()
_BUFFER = 256  # outcomes held between the worker thread and the event loop


class ThreadedAsyncTransport(AsyncTransport):
    """An :class:`AsyncTransport` that runs a sync :class:`Transport` in a thread pool."""

    def __init__(self, transport: Transport, *, max_workers: int = 8) -> None:
        self.sync = transport
        self.observer = transport.observer
        self.protocol = transport.protocol  # type: ignore[misc]
        self.capabilities = transport.capabilities  # type: ignore[misc]
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="smsc-async")

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Not used: wrap a transport built by the factory instead."""
        raise TypeError("build the sync transport first and wrap it")

    def observe(self, observer: Observer | None) -> None:
        """Report to ``observer``: the wrapped transport does the reporting."""
        self.observer = observer
        self.sync.observe(observer)

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def send(self, message: Message) -> SendResult:
        """Send ``message`` in a worker thread."""
        result: SendResult = await self._call(self.sync.send, message)
        return result

    async def cost(self, message: Message) -> CostResult:
        """Price ``message`` in a worker thread."""
        result: CostResult = await self._call(self.sync.cost, message)
        return result

    async def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        """Ask for a status in a worker thread."""
        result: StatusResult = await self._call(self.sync.status, id, phone, detail=detail)
        return result

    async def balance(self) -> Balance:
        """Ask for the balance in a worker thread."""
        result: Balance = await self._call(self.sync.balance)
        return result

    async def history(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        phone: str | None = None,
        count: int = 100,
    ) -> list[StatusResult]:
        """Ask for the sent messages in a worker thread."""
        found: list[StatusResult] = await self._call(
            self.sync.history, start=start, end=end, phone=phone, count=count
        )
        return found

    async def incoming(
        self, *, hours: int = 24, after_id: str | None = None, count: int = 100
    ) -> list[IncomingMessage]:
        """Ask for the received messages in a worker thread."""
        found: list[IncomingMessage] = await self._call(
            self.sync.incoming, hours=hours, after_id=after_id, count=count
        )
        return found

    async def senders(self) -> list[str]:
        """Ask for the sender IDs in a worker thread."""
        names: list[str] = await self._call(self.sync.senders)
        return names

    async def delete(self, id: str, phone: str) -> None:
        """Delete a sent message in a worker thread."""
        await self._call(self.sync.delete, id, phone)

    async def cancel(self, id: str, phone: str) -> None:
        """Cancel a scheduled message in a worker thread."""
        await self._call(self.sync.cancel, id, phone)

    async def replace(
        self,
        id: str,
        phone: str,
        *,
        text: str | None = None,
        send_at: datetime | str | None = None,
    ) -> None:
        """Replace a scheduled message's text or time in a worker thread."""
        await self._call(self.sync.replace, id, phone, text=text, send_at=send_at)

    async def send_many(
        self, messages: Iterable[Message] | AsyncIterable[Message]
    ) -> AsyncGenerator[Outcome, None]:
        """Run the sync ``send_many`` (with its batching) in a thread, streaming outcomes."""
        loop = asyncio.get_running_loop()
        outcomes: asyncio.Queue[object] = asyncio.Queue()
        stop = threading.Event()
        source: Iterable[Message]
        feeder: asyncio.Task[None] | None = None
        if isinstance(messages, AsyncIterable):
            inbox: queue.Queue[object] = queue.Queue(_BUFFER)
            feeder = asyncio.create_task(_feed(messages, inbox, stop))
            source = _drain(inbox, stop)
        else:
            source = messages

        # A semaphore bounds the outcomes in transit; handing each one over with
        # call_soon_threadsafe costs far less than a coroutine round trip per outcome.
        slots = threading.BoundedSemaphore(_BUFFER)

        def put(item: object) -> None:
            while not stop.is_set():
                if slots.acquire(timeout=0.2):
                    try:
                        loop.call_soon_threadsafe(outcomes.put_nowait, item)
                    except RuntimeError:  # the loop is gone: nobody is listening
                        stop.set()
                    return

        def work() -> None:
            try:
                for outcome in self.sync.send_many(source):
                    if stop.is_set():
                        return
                    put(outcome)
            except BaseException as exc:  # handed to the consumer, not swallowed
                put(exc)
            finally:
                put(_END)

        worker = loop.run_in_executor(self._executor, work)
        try:
            while True:
                item = await outcomes.get()
                slots.release()
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, Outcome)
                yield item
        finally:
            stop.set()
            if feeder is not None:
                feeder.cancel()
            await asyncio.wait([worker], timeout=5)

    async def aclose(self) -> None:
        """Close the wrapped transport and the thread pool."""
        try:
            await self._call(self.sync.close)
        finally:
            self._executor.shutdown(wait=False)


async def _feed(
    messages: AsyncIterable[Message], inbox: queue.Queue[object], stop: threading.Event
) -> None:
    async def put(item: object) -> bool:
        # Never block the event loop on a full queue: the worker that drains it needs
        # the loop to hand back outcomes.
        while not stop.is_set():
            try:
                inbox.put_nowait(item)
                return True
            except queue.Full:
                await asyncio.sleep(0.005)
        return False

    try:
        async for message in messages:
            if not await put(message):
                return
    finally:
        await put(_END)


def _drain(inbox: queue.Queue[object], stop: threading.Event) -> Iterator[Message]:
    while not stop.is_set():
        try:
            item = inbox.get(timeout=0.2)
        except queue.Empty:
            continue
        if item is _END:
            return
        assert isinstance(item, Message)
        yield item


class LoopThreadTransport(Transport):
    """A sync :class:`Transport` over an :class:`AsyncTransport` on a private loop thread."""

    def __init__(self, transport: AsyncTransport) -> None:
        self.async_transport = transport
        self.observer = transport.observer
        self.protocol = transport.protocol  # type: ignore[misc]
        self.capabilities = transport.capabilities  # type: ignore[misc]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="smsc-loop", daemon=True
        )
        self._thread.start()
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Not used: wrap a transport built by the factory instead."""
        raise TypeError("build the async transport first and wrap it")

    def observe(self, observer: Observer | None) -> None:
        """Report to ``observer``: the wrapped transport does the reporting."""
        self.observer = observer
        self.async_transport.observe(observer)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coro.close()
            raise SMSCError("the transport is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def send(self, message: Message) -> SendResult:
        """Send ``message`` on the private loop and wait for the answer."""
        return self._run(self.async_transport.send(message))

    def cost(self, message: Message) -> CostResult:
        """Price ``message`` on the private loop."""
        return self._run(self.async_transport.cost(message))

    def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        """Ask for a status on the private loop."""
        return self._run(self.async_transport.status(id, phone, detail=detail))

    def balance(self) -> Balance:
        """Ask for the balance on the private loop."""
        return self._run(self.async_transport.balance())

    def history(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        phone: str | None = None,
        count: int = 100,
    ) -> list[StatusResult]:
        """Ask for the sent messages on the private loop."""
        return self._run(
            self.async_transport.history(start=start, end=end, phone=phone, count=count)
        )

    def incoming(
        self, *, hours: int = 24, after_id: str | None = None, count: int = 100
    ) -> list[IncomingMessage]:
        """Ask for the received messages on the private loop."""
        return self._run(self.async_transport.incoming(hours=hours, after_id=after_id, count=count))

    def senders(self) -> list[str]:
        """Ask for the sender IDs on the private loop."""
        return self._run(self.async_transport.senders())

    def delete(self, id: str, phone: str) -> None:
        """Delete a sent message on the private loop."""
        self._run(self.async_transport.delete(id, phone))

    def cancel(self, id: str, phone: str) -> None:
        """Cancel a scheduled message on the private loop."""
        self._run(self.async_transport.cancel(id, phone))

    def replace(
        self,
        id: str,
        phone: str,
        *,
        text: str | None = None,
        send_at: datetime | str | None = None,
    ) -> None:
        """Replace a scheduled message's text or time on the private loop."""
        self._run(self.async_transport.replace(id, phone, text=text, send_at=send_at))

    def send_many(self, messages: Iterable[Message]) -> Generator[Outcome, None, None]:
        """Drive the async ``send_many`` step by step from the calling thread."""
        stream = self.async_transport.send_many(messages)
        try:
            while True:
                try:
                    yield self._run(_next(stream))
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None and not self._closed:
                self._run(aclose())

    def close(self) -> None:
        """Close the wrapped transport and stop the loop thread."""
        if self._closed:
            return
        try:
            self._run(self.async_transport.aclose())
        finally:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                self._loop.close()


async def _next(stream: AsyncIterator[Outcome]) -> Outcome:
    return await stream.__anext__()
