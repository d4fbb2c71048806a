"""Run the same traffic through either face of the SMPP backend: threads or asyncio.

:func:`run_face` sends a list of messages with ``send_many`` on ``SmppTransport``
(``"sync"``) or ``AsyncSmppTransport`` (``"async"``), collecting every outcome and, through
the hooks, every receipt and every unreadable deliver_sm, until the transport is closed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from smsc_transports import (
    Message,
    Outcome,
    ProtocolError,
    StatusResult,
    create_async_transport,
    create_transport,
)
from smsc_transports.backends.smpp import AsyncSmppTransport, SmppTransport
from smsc_transports.observe import Observer

FACES = ("sync", "async")


@dataclass
class Run:
    """What one face gave back: outcomes in input order, then the events heard."""

    outcomes: list[Outcome] = field(default_factory=list)
    receipts: list[StatusResult] = field(default_factory=list)
    malformed: list[ProtocolError] = field(default_factory=list)
    binds: int = 0
    seconds: float = 0.0  # send_many, first message to last outcome
    cpu: float = 0.0  # process CPU over the same span


def run_face(
    face: str,
    url: str,
    messages: list[Message],
    *,
    linger: Callable[[Run], bool] | None = None,
    linger_timeout: float = 5.0,
    connect: bool = False,
    observer: Observer | None = None,
) -> Run:
    """Send ``messages`` through ``face``; before closing, wait (bounded) for ``linger``.

    ``connect``: bind first, so that ``seconds`` times the sending alone.
    """
    run = Run()
    if face == "sync":
        with create_transport(url, observer=observer) as transport:
            assert isinstance(transport, SmppTransport)
            transport.on_receipt = run.receipts.append
            transport.on_malformed = run.malformed.append
            if connect:
                transport.connect()
            started, cpu = time.monotonic(), time.process_time()
            run.outcomes = list(transport.send_many(messages))
            run.seconds, run.cpu = time.monotonic() - started, time.process_time() - cpu
            deadline = time.monotonic() + linger_timeout
            while linger is not None and not linger(run) and time.monotonic() < deadline:
                time.sleep(0.01)
        run.binds = transport.stats().binds
        return run

    async def main() -> None:
        async with create_async_transport(url, observer=observer) as transport:
            assert isinstance(transport, AsyncSmppTransport)
            transport.on_receipt = run.receipts.append
            transport.on_malformed = run.malformed.append
            if connect:
                await transport.connect()
            started, cpu = time.monotonic(), time.process_time()
            run.outcomes = [outcome async for outcome in transport.send_many(messages)]
            run.seconds, run.cpu = time.monotonic() - started, time.process_time() - cpu
            deadline = time.monotonic() + linger_timeout
            while linger is not None and not linger(run) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        run.binds = transport.stats().binds

    asyncio.run(main())
    return run
