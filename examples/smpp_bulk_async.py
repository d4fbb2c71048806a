"""Send 1,000 SMS over one SMPP bind with asyncio, then collect their delivery receipts.

::

    python examples/smpp_bulk_async.py                   # 1,000 through a local emulator
    python examples/smpp_bulk_async.py --count 20000
    SMSC_URL='smpp://login:password@smpp.smsc.ru' SMSC_BULK_PHONES=79991234567,79997654321 \\
        python examples/smpp_bulk_async.py               # one message to each number, real SMSC

``send_many`` pipelines the messages through the transport's window of unanswered
``submit_sm`` (``?window=64`` by default) and yields one outcome per message, in input
order, holding only a few windows in memory however long the input. Receipts
(``deliver_sm``) arrive as messages reach their final status; ``receipts()`` yields them
as :class:`~smsc_transports.StatusResult` values.

On the emulator, one message in ten goes to a number whose delivery fails and one in a
hundred to a number refused at once, so every kind of outcome shows up in the counts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlsplit

from smsc_transports import Message, create_async_transport
from smsc_transports.backends.smpp import AsyncSmppTransport
from smsc_transports.emulator import Account, Emulator, Limits, ManualClock

RECEIPT_QUIET = 60.0  # stop waiting for receipts after this many seconds without one


def emulator_phone(index: int) -> str:
    """An emulator test number: mostly delivered, some failing, a few refused at once."""
    if index % 100 == 99:
        return "79990004007"  # refused at send: error 7, invalid number
    if index % 10 == 9:
        return "79990001013"  # accepted, then fails: status 20, delivery error 13
    return f"7999000{index % 1000:04d}"  # 79990000ddd: delivered


def messages(phones: list[str] | None, count: int) -> Iterator[Message]:
    """The messages to send, made one at a time as ``send_many`` asks for them."""
    if phones is not None:
        for index, phone in enumerate(phones):
            yield Message([phone], f"Bulk message {index + 1}")
        return
    for index in range(count):
        yield Message([emulator_phone(index)], f"Bulk message {index + 1}")


async def send_and_collect(
    url: str, phones: list[str] | None, count: int, clock: ManualClock | None
) -> int:
    """Send everything, print the counts and the receipts; return how many went missing."""
    if urlsplit(url).scheme not in ("smpp", "smpps"):
        sys.exit("only SMPP pushes delivery receipts: use an smpp:// or smpps:// URL")
    transport = create_async_transport(url)
    assert isinstance(transport, AsyncSmppTransport)  # what smpp:// URLs build
    async with transport:
        started = time.monotonic()
        accepted: set[str] = set()
        refused: Counter[str] = Counter()
        async for outcome in transport.send_many(messages(phones, count)):
            if outcome.result is not None:
                accepted.add(outcome.result.id)
            else:
                refused[type(outcome.error).__name__] += 1
        seconds = time.monotonic() - started
        total = len(accepted) + refused.total()
        rate = total / max(seconds, 1e-9)
        counts = f"{len(accepted)} accepted, {refused.total()} refused"
        print(f"sent {total} messages in {seconds:.2f} s ({rate:.0f}/s): {counts}")
        for name, number in sorted(refused.items()):
            print(f"  refused: {name} x {number}")

        if clock is not None:
            clock.advance(3)  # the emulator delivers 3 s after sending
        statuses: Counter[str] = Counter()
        waiting = set(accepted)
        async for receipt in transport.receipts(timeout=RECEIPT_QUIET):
            if receipt.id in waiting:
                waiting.discard(receipt.id)
                statuses[receipt.status.name] += 1
            if not waiting:
                break
        print(f"receipts: {statuses.total()} of {len(accepted)}")
        for name, number in statuses.most_common():
            print(f"  {name}: {number}")
        if waiting:
            print(f"no receipt within {RECEIPT_QUIET:.0f} quiet seconds for {len(waiting)}")
        return len(waiting)


def main() -> None:
    """Parse the options, pick SMSC or an emulator, run the bulk send."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1000, help="messages (emulator only)")
    options = parser.parse_args()
    url = os.environ.get("SMSC_URL")
    if url:
        listed = os.environ.get("SMSC_BULK_PHONES", "")
        phones = [phone.strip() for phone in listed.split(",") if phone.strip()]
        if not phones:
            sys.exit("SMSC_URL is set: also set SMSC_BULK_PHONES (comma-separated numbers)")
        missing = asyncio.run(send_and_collect(url, phones, len(phones), None))
    else:
        # A rich account and no rate limits: 1,000 sends would exceed the demo balance.
        account = Account("demo", "demo", balance=Decimal("1000000"))
        clock = ManualClock()
        emulator = Emulator([account], clock=clock, limits=Limits.unlimited(), smpp_port=0)
        with emulator:
            url = emulator.url("smpp")
            missing = asyncio.run(send_and_collect(url, None, options.count, clock))
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
