"""SMTP messages per second: one reused connection (ours) against a connection per message.

    python bench/smtp_bulk.py [--messages 5000]

Every side sends the same messages to the same local ``aiosmtpd`` server (a handler
that only counts), in one run:

* ours, pipelined — ``AsyncSmtpTransport.send_many`` over one connection, the server
  advertising ``PIPELINING`` (one round trip per message);
* ours, one at a time — the same with ``pipelining=0`` (MAIL, RCPT, DATA, content,
  each waiting for its reply), still one connection;
* smtplib, a connection per message — what SMSC's own libraries do:
  ``smtplib.SMTP(host).sendmail(...)`` and ``quit()`` for every message, the body
  behind a bare ``Content-Type`` header.

The server runs in a child process (so it never competes with the client for the
GIL); the clients run one after the other in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import smtplib
import time
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized

from aiosmtpd.smtp import SMTP, Envelope, Session

from smsc_transports import Message
from smsc_transports.backends.smtp import AsyncSmtpTransport
from smsc_transports.config import Settings

LOGIN, PASSWORD, PHONE = "bench", "bench-pw", "79990000001"


class _Handler:
    """Counts messages in shared memory; offers PIPELINING while ``pipelining`` is set."""

    def __init__(self, pipelining: Synchronized[int], messages: Synchronized[int]) -> None:
        self.pipelining = pipelining
        self.messages = messages

    async def handle_EHLO(  # noqa: N802  # aiosmtpd finds hooks by name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if self.pipelining.value:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        with self.messages.get_lock():
            self.messages.value += 1
        return "250 OK"


def _serve(
    ports: Queue[int],
    pipelining: Synchronized[int],
    messages: Synchronized[int],
    connections: Synchronized[int],
) -> None:
    """The server process: aiosmtpd on a free port until terminated."""
    loop = asyncio.new_event_loop()
    handler = _Handler(pipelining, messages)

    def session() -> SMTP:
        with connections.get_lock():
            connections.value += 1
        return SMTP(handler, hostname="bench.local", loop=loop)

    server = loop.run_until_complete(loop.create_server(session, "127.0.0.1", 0))
    ports.put(int(server.sockets[0].getsockname()[1]))
    loop.run_forever()


class _Server:
    """:func:`_serve` in a child process, so the server never competes for our GIL."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipelining: Synchronized[int] = context.Value("i", 1)
        self.messages: Synchronized[int] = context.Value("i", 0)
        self.connections: Synchronized[int] = context.Value("i", 0)
        self._ports: Queue[int] = context.Queue()
        self._process = context.Process(
            target=_serve,
            args=(self._ports, self.pipelining, self.messages, self.connections),
            daemon=True,
        )

    def __enter__(self) -> int:
        self._process.start()
        return self._ports.get(timeout=30)

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.join(10)


def _messages(count: int) -> list[Message]:
    return [Message(PHONE, f"Код подтверждения: {n:06d}") for n in range(count)]


def ours(port: int, count: int, pipelining: bool) -> float:
    """Seconds for ``send_many`` of ``count`` messages over one connection."""
    url = f"smtp://{LOGIN}:{PASSWORD}@127.0.0.1:{port}?pipelining={int(pipelining)}"

    async def run() -> float:
        transport = AsyncSmtpTransport.from_settings(Settings.from_url(url))
        start = time.perf_counter()
        sent = 0
        async for outcome in transport.send_many(_messages(count)):
            sent += outcome.ok
        elapsed = time.perf_counter() - start
        await transport.aclose()
        if sent != count:
            raise SystemExit(f"only {sent} of {count} sent")
        return elapsed

    return asyncio.run(run())


def smtplib_per_message(port: int, count: int) -> float:
    """Seconds for ``count`` messages, each on its own smtplib connection like SMSC's libs."""
    start = time.perf_counter()
    for n, message in enumerate(_messages(count), 1):
        body = f"{LOGIN}:{PASSWORD}:{n}:0:0,0,:{PHONE}:{message.text}"
        data = ("Content-Type: text/plain; charset=utf-8\n\n" + body).encode()
        server = smtplib.SMTP("127.0.0.1", port, local_hostname="bench.local", timeout=30)
        server.sendmail("api@smsc.ru", "send@send.smsc.ru", data)
        server.quit()
    return time.perf_counter() - start


def main() -> None:
    """Run every side once against one server and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    count = parser.parse_args().messages
    server = _Server()
    rows: list[tuple[str, float, int]] = []
    with server as port:
        sides: list[tuple[str, bool, Callable[[], float]]] = [
            ("ours: one connection, pipelined", True, lambda: ours(port, count, True)),
            ("ours: one connection, one at a time", False, lambda: ours(port, count, False)),
            ("smtplib: a connection per message", True, lambda: smtplib_per_message(port, count)),
        ]
        for name, pipelining, side in sides:
            server.pipelining.value = int(pipelining)
            before = server.connections.value
            rows.append((name, side(), server.connections.value - before))
        received = server.messages.value
    if received != count * len(rows):
        raise SystemExit(f"the server counted {received} messages, expected {count * len(rows)}")
    baseline = rows[-1][1]
    print(f"{'side':<38} {'messages':>8} {'conns':>6} {'seconds':>8} {'msg/s':>8} {'ratio':>6}")
    for name, seconds, connections in rows:
        print(
            f"{name:<38} {count:>8} {connections:>6} {seconds:>8.2f} "
            f"{count / seconds:>8.0f} {baseline / seconds:>5.1f}x"
        )


if __name__ == "__main__":
    main()
