"""Pricing 5,000 different texts over HTTP: ``cost_many`` against one ``cost`` per message.

What ``smsc bulk --dry-run`` does with each: ``cost_many`` prices a block with
``list=`` lines, ``batch_phones`` recipients a request; the peer is what SMSC's own
libraries offer (``get_sms_cost``, smsc-protocol.md §6): one ``send.php?cost=1`` per
message, a new connection each time. Our own ``cost()`` per message (one keep-alive
session) is shown too. All run in this process against one emulator started as a
separate process with its limits off.

    python bench/http_pricing.py [--n 5000] [--batch-phones 100]
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_bulk import start_emulator  # the sibling script's emulator start

from smsc_transports import Message, create_transport


def messages(n: int) -> list[Message]:
    """``n`` messages to distinct test phones, each with its own text."""
    return [Message(f"7916{i:07d}", f"Order {i} is ready for pickup") for i in range(n)]


def ours_many(port: int, n: int, batch_phones: int) -> tuple[float, Decimal, int]:
    """Price with ``cost_many``; return seconds, total cost and priced messages."""
    url = f"http://bench:bench@127.0.0.1:{port}?batch_phones={batch_phones}"
    batch = messages(n)
    started = time.perf_counter()
    with create_transport(url) as transport:
        results = [o.result for o in transport.cost_many(batch) if o.result is not None]
    return time.perf_counter() - started, sum((r.cost for r in results), Decimal(0)), len(results)


def ours_each(port: int, n: int) -> tuple[float, Decimal, int]:
    """Price with one ``cost()`` per message over one keep-alive session."""
    batch = messages(n)
    started = time.perf_counter()
    with create_transport(f"http://bench:bench@127.0.0.1:{port}") as transport:
        results = [transport.cost(m) for m in batch]
    return time.perf_counter() - started, sum((r.cost for r in results), Decimal(0)), len(results)


def official_style(port: int, n: int) -> tuple[float, Decimal, int]:
    """One GET of ``send.php?cost=1&fmt=1`` per message, a new connection each time."""
    total = Decimal(0)
    priced = 0
    started = time.perf_counter()
    for message in messages(n):
        query = urllib.parse.urlencode(
            {"login": "bench", "psw": "bench", "phones": message.phones[0],
             "mes": message.text, "cost": "1", "fmt": "1", "charset": "utf-8"}
        )  # fmt: skip
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/sys/send.php?{query}", timeout=30
        ) as answer:
            fields = answer.read().decode().split(",")
        if len(fields) > 1 and not fields[1].startswith("-"):
            total += Decimal(fields[0])
            priced += 1
    return time.perf_counter() - started, total, priced


def main() -> None:
    """Run the three once against one emulator and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--batch-phones", type=int, default=100)
    args = parser.parse_args()
    process, port = start_emulator()
    try:
        ours_many(port, 300, args.batch_phones)  # warm up imports, connections, caches
        official_style(port, 50)
        many = ours_many(port, args.n, args.batch_phones)
        each = ours_each(port, args.n)
        peer = official_style(port, args.n)
    finally:
        process.terminate()
        process.wait(timeout=10)
    requests_many = -(-args.n // args.batch_phones)
    print(f"{args.n} messages, each its own text, same emulator (separate process), one run\n")
    print(f"{'client':<42} {'requests':>9} {'priced':>7} {'total':>10} {'seconds':>8} {'msg/s':>8}")
    for name, requests, (seconds, total, priced) in (
        (f"smsc_transports cost_many (batch {args.batch_phones})", requests_many, many),
        ("smsc_transports cost() per message", args.n, each),
        ("one GET per message (SMSC's own lib)", args.n, peer),
    ):
        print(
            f"{name:<42} {requests:>9} {priced:>7} {total:>10} {seconds:>8.2f} "
            f"{args.n / seconds:>8.0f}"
        )
    assert many[1] == each[1] == peer[1], "the three must agree on the price"
    print(f"\nratio: cost_many is {peer[0] / many[0]:.1f}x faster than one GET per message, "
          f"{each[0] / many[0]:.1f}x faster than cost() per message")  # fmt: skip


if __name__ == "__main__":
    main()
