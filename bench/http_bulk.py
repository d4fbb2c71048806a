"""10,000 recipients of one text over HTTP: our ``send_many`` against one request per message.

The peer is what SMSC's own libraries do (``smsc_api.py`` 2.0, smsc-protocol.md §6): one
``urlopen`` of ``send.php?…&fmt=1`` per message, a new connection each time. Both run in
this process against the same emulator, started as a separate process with its limits
off, so that the server's work does not share this process's CPU. Besides the wall
time, each row shows the CPU time per message of this process (the client) and of the
emulator (read from ``/proc``; blank where there is none): on a busy machine the wall
time moves a lot, the CPU time little.

    python bench/http_bulk.py [--n 10000] [--batch-phones 100] [--concurrency 4] [--rounds 1]
                              [--floor]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from smsc_transports import Message, create_async_transport, create_transport

ROOT = Path(__file__).resolve().parent.parent


def start_emulator() -> tuple[subprocess.Popen[str], int]:
    """Start ``smsc emulator`` with a rich account and no limits; return it and its port."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smsc_transports.emulator",
            "--http-port",
            "0",
            "--no-limits",
            "--account",
            "bench:bench:100000000",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("emulator ready"):
        process.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    port = int(line.split("http=")[1].split()[0])
    return process, port


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) ``pid`` has used, from ``/proc``; ``None`` without it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(
    run: Callable[[], tuple[float, int, int]], server_pid: int
) -> tuple[float, int, int, float, float | None]:
    """Run one side; add this process's CPU seconds and the emulator's to its figures."""
    server_before = process_cpu(server_pid)
    cpu_before = time.process_time()
    seconds, requests, accepted = run()
    cpu = time.process_time() - cpu_before
    server_after = process_cpu(server_pid)
    server = None
    if server_before is not None and server_after is not None:
        server = server_after - server_before
    return seconds, requests, accepted, cpu, server


def phones(n: int, prefix: str) -> Iterator[str]:
    """``n`` distinct test phones (delivered by the emulator)."""
    for i in range(n):
        yield f"{prefix}{i:07d}"


def ours(port: int, n: int, batch_phones: int, concurrency: int) -> tuple[float, int, int]:
    """Send with ``send_many``; return seconds, requests made and accepted messages."""
    url = (
        f"http://bench:bench@127.0.0.1:{port}?batch_phones={batch_phones}&concurrency={concurrency}"
    )
    started = time.perf_counter()
    ids: set[str] = set()
    accepted = 0
    with create_transport(url) as transport:
        for outcome in transport.send_many(Message(p, "Sale today!") for p in phones(n, "7916")):
            if outcome.result is not None:
                accepted += 1
                ids.add(outcome.result.id)  # SMSC gives one id per request
    return time.perf_counter() - started, len(ids), accepted


def ours_async(port: int, n: int, batch_phones: int, concurrency: int) -> tuple[float, int, int]:
    """The same through ``create_async_transport`` (the sync backend in a thread pool)."""

    async def run() -> tuple[float, int, int]:
        url = (
            f"http://bench:bench@127.0.0.1:{port}"
            f"?batch_phones={batch_phones}&concurrency={concurrency}"
        )
        started = time.perf_counter()
        ids: set[str] = set()
        accepted = 0
        async with create_async_transport(url) as transport:
            messages = (Message(p, "Sale today!") for p in phones(n, "7918"))
            async for outcome in transport.send_many(messages):
                if outcome.result is not None:
                    accepted += 1
                    ids.add(outcome.result.id)
        return time.perf_counter() - started, len(ids), accepted

    return asyncio.run(run())


def official_style(port: int, n: int) -> tuple[float, int, int]:
    """One GET per message with a new connection, as SMSC's own library does."""
    started = time.perf_counter()
    accepted = 0
    for phone in phones(n, "7917"):
        query = urllib.parse.urlencode(
            {
                "login": "bench",
                "psw": "bench",
                "phones": phone,
                "mes": "Sale today!",
                "cost": "3",
                "fmt": "1",
                "charset": "utf-8",
            }
        )
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/sys/send.php?{query}", timeout=30
        ) as answer:
            fields = answer.read().decode().split(",")
        if len(fields) > 1 and not fields[1].startswith("-"):
            accepted += 1
    return time.perf_counter() - started, n, accepted


def stdlib_floor(port: int, n: int, batch_phones: int, concurrency: int) -> tuple[float, int, int]:
    """What the requests alone cost: the same POSTs made with ``http.client`` and read
    with ``json``, nothing checked and no result built (not a usable client: a floor)."""
    local = threading.local()

    def post(batch: list[str]) -> Any:
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = http.client.HTTPConnection("127.0.0.1", port)
        form = {"login": "bench", "psw": "bench", "phones": ",".join(batch)}
        form |= {"mes": "Sale today!", "cost": "3", "op": "1", "fmt": "3", "charset": "utf-8"}
        body = urllib.parse.urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/sys/send.php", body, headers)
        return json.loads(connection.getresponse().read())

    started = time.perf_counter()
    numbers = list(phones(n, "7919"))
    batches = [numbers[i : i + batch_phones] for i in range(0, n, batch_phones)]
    accepted = 0
    ids: set[str] = set()
    with ThreadPoolExecutor(concurrency) as pool:
        for answer in pool.map(post, batches):
            ids.add(str(answer["id"]))
            accepted += sum(1 for entry in answer["phones"] if not entry.get("error"))
    return time.perf_counter() - started, len(ids), accepted


def main() -> None:
    """Run both sides against one emulator, ``--rounds`` times in turn; print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch-phones", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1, help="rounds, alternating the sides")
    parser.add_argument(
        "--floor", action="store_true", help="add a row of bare http.client requests (a floor)"
    )
    args = parser.parse_args()
    process, port = start_emulator()
    n = args.n
    sides: list[tuple[str, Callable[[], tuple[float, int, int]]]] = [
        (
            f"smsc_transports send_many (batch {args.batch_phones})",
            lambda: ours(port, n, args.batch_phones, args.concurrency),
        ),
        (
            "same, create_async_transport",
            lambda: ours_async(port, n, args.batch_phones, args.concurrency),
        ),
        ("one GET per message (SMSC's own lib)", lambda: official_style(port, n)),
    ]
    if args.floor:
        sides.append(
            (
                "floor: bare http.client + json, no checks",
                lambda: stdlib_floor(port, n, args.batch_phones, args.concurrency),
            )
        )
    runs: dict[str, list[tuple[float, int, int, float, float | None]]] = {}
    try:
        # Warm both sides up (imports, first connections, the emulator's caches) first.
        ours(port, 500, args.batch_phones, args.concurrency)
        official_style(port, 100)
        for _ in range(args.rounds):
            for name, run in sides:
                runs.setdefault(name, []).append(measured(run, process.pid))
    finally:
        process.terminate()
        process.wait(timeout=10)
    rounds = f"median of {args.rounds} rounds" if args.rounds > 1 else "one run"
    print(f"{n} recipients, one text, same emulator (separate process), {rounds}\n")
    print(
        f"{'client':<40} {'requests':>9} {'accepted':>9} {'seconds':>9} {'msg/s':>9}"
        f" {'client CPU':>11} {'server CPU':>11}"
    )
    print(f"{'':<40} {'':>9} {'':>9} {'':>9} {'':>9} {'µs/msg':>11} {'µs/msg':>11}")
    medians = {}
    for name, _ in sides:
        seconds = statistics.median(r[0] for r in runs[name])
        cpu = statistics.median(r[3] for r in runs[name])
        servers = [r[4] for r in runs[name] if r[4] is not None]
        server = statistics.median(servers) if servers else None
        requests, ok = runs[name][-1][1], runs[name][-1][2]
        medians[name] = (seconds, requests)
        server_text = f"{server / n * 1e6:>11.1f}" if server is not None else f"{'':>11}"
        print(
            f"{name:<40} {requests:>9} {ok:>9} {seconds:>9.2f} {n / seconds:>9.0f}"
            f" {cpu / n * 1e6:>11.1f} {server_text}"
        )
    our_time, our_requests = medians[sides[0][0]]
    peer_time, peer_requests = medians[sides[2][0]]
    print(
        f"\nratio: {peer_time / our_time:.1f}x faster, "
        f"{peer_requests / our_requests:.0f}x fewer requests"
    )
    if args.rounds > 1:
        pairs = [p[0] / o[0] for o, p in zip(runs[sides[0][0]], runs[sides[2][0]], strict=True)]
        print("ratio by round: " + ", ".join(f"{r:.1f}x" for r in pairs))


if __name__ == "__main__":
    main()
