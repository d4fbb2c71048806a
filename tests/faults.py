"""Real misbehaving peers on loopback, for faults a well-behaved server never shows.

* :class:`FaultProxy` — a TCP proxy in front of a real server that can delay the
  answer, cut the link after the request arrived, or swallow everything (blackhole).
* :class:`CannedServer` — an HTTP/1.1 server that answers every request with fixed
  bytes (an HTML page, a 500, garbage, a huge body, a half-sent answer), recording what
  it received.
* :class:`DrippingServer` — answers every request with fixed bytes, one byte at a time
  with a pause between bytes: each read returns quickly, the whole answer takes ages.

Both are real sockets on 127.0.0.1, not mocks: the client under test goes through its
whole network stack.
"""

from __future__ import annotations

import contextlib
import enum
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from smsc_transports import Message, create_transport
from smsc_transports.emulator import Emulator


class Fault(enum.Enum):
    """What the proxy does to each connection."""

    PASS = "pass"  # forward both ways
    DELAY_ANSWER = "delay"  # forward the request, hold the answer for `delay` seconds
    CUT_AFTER_REQUEST = "cut"  # forward the request, then close without an answer
    BLACKHOLE = "blackhole"  # accept, read, never answer, never forward
    RESET = "reset"  # accept and reset at once


class AcceptLoop:
    """A listening socket on loopback, its accept thread and the threads its owner starts.

    The test peers own one: ``on_accept`` gets each connection in the accept thread,
    :meth:`spawn` starts (and remembers) a thread, :meth:`stop` closes the socket and
    joins every thread, returning those that did not end.
    """

    def __init__(
        self, on_accept: Callable[[socket.socket], None], host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.sock = socket.create_server((host, port))
        self.sock.settimeout(0.2)
        self.host, self.port = self.sock.getsockname()[:2]
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self._on_accept = on_accept

    def start(self) -> None:
        """Start accepting."""
        self.spawn(self._accept)

    def spawn(self, target: Callable[..., object], *args: object) -> None:
        """Run ``target(*args)`` in a daemon thread that :meth:`stop` joins."""
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def stop(self, timeout: float = 5.0) -> list[threading.Thread]:
        """Stop accepting, close the socket, join the threads; return those still alive."""
        self.stopping.set()
        self.sock.close()
        for thread in self.threads:
            thread.join(timeout=timeout)
        return [thread for thread in self.threads if thread.is_alive()]

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._on_accept(conn)


class Listener:
    """A loopback server answering each connection in its own thread; closed on exit.

    Subclasses answer each connection in :meth:`serve`; ``connection_timeout`` bounds
    every read and write on it.
    """

    connection_timeout = 0.2

    def __init__(self, host: str, port: int) -> None:
        self.loop = AcceptLoop(self._accepted, host, port)
        self.host, self.port = self.loop.host, self.loop.port
        self._stop = self.loop.stopping

    def __enter__(self) -> Self:
        self.loop.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.loop.stop()

    def _accepted(self, conn: socket.socket) -> None:
        self.loop.spawn(self._serve_guarded, conn)

    def _serve_guarded(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(self.connection_timeout)
            with contextlib.suppress(OSError):
                self.serve(conn)

    def serve(self, conn: socket.socket) -> None:
        """Handle one accepted connection."""
        raise NotImplementedError

    def _recv(self, conn: socket.socket) -> bytes | None:
        """Read what is there; ``b""`` on EOF, ``None`` when nothing came or stopping."""
        try:
            return conn.recv(65536)
        except TimeoutError:
            return None


def whole_message(data: bytes) -> bool:
    """Whether ``data`` holds an HTTP head and all the body its Content-Length announces
    (none without one): enough framing for these peers."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(body) >= length


def _read_http_request(listener: Listener, conn: socket.socket) -> bytes:
    """Read one HTTP request with its Content-Length body (enough for these tests)."""
    data = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not listener._stop.is_set():
        chunk = listener._recv(conn)
        if chunk == b"":
            break
        if chunk:
            data += chunk
        if whole_message(data):
            break
    return data


@dataclass
class FaultProxy(Listener):
    """A TCP proxy to ``target`` that applies ``fault`` to every connection."""

    target: tuple[str, int]
    fault: Fault = Fault.PASS
    delay: float = 2.0
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    connections: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        Listener.__init__(self, self.listen_host, self.listen_port)

    def serve(self, conn: socket.socket) -> None:
        """Apply the fault to one client connection."""
        self.connections += 1
        if self.fault is Fault.RESET:
            # SO_LINGER on with a zero timeout: close() sends RST instead of FIN.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if self.fault is Fault.BLACKHOLE:
            while not self._stop.is_set() and self._recv(conn) != b"":
                pass
            return
        request = _read_http_request(self, conn)
        with socket.create_connection(self.target, timeout=10) as upstream:
            upstream.sendall(request)
            if self.fault is Fault.CUT_AFTER_REQUEST:
                time.sleep(0.2)  # let the server take the request before the cut
                return
            answer = self._read_answer(upstream)
        if self.fault is Fault.DELAY_ANSWER:
            self._stop.wait(self.delay)
        conn.sendall(answer)

    def _read_answer(self, upstream: socket.socket) -> bytes:
        upstream.settimeout(10)
        data = b""
        while True:
            if whole_message(data):
                return data
            chunk = upstream.recv(65536)
            if not chunk:
                return data
            data += chunk


@dataclass
class CannedServer(Listener):
    """An HTTP server answering every request with ``answer`` (raw bytes, headers too).

    ``script`` answers the first requests, one each, in order; ``hold`` seconds pass
    between reading a request and answering it, and ``peak`` counts the most requests
    being answered at once.
    """

    answer: bytes
    listen_host: str = "127.0.0.1"
    script: list[bytes] = field(default_factory=list)
    hold: float = 0.0
    requests: list[bytes] = field(default_factory=list, init=False)
    peak: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        Listener.__init__(self, self.listen_host, 0)
        self._lock = threading.Lock()
        self._in_flight = 0

    def serve(self, conn: socket.socket) -> None:
        """Record the request and send the canned answer, then close."""
        request = _read_http_request(self, conn)
        with self._lock:
            self.requests.append(request)
            answer = (
                self.script[len(self.requests) - 1]
                if len(self.requests) <= len(self.script)
                else self.answer
            )
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
        try:
            if self.hold:
                self._stop.wait(self.hold)
        finally:
            # Counted out before the answer goes: once it has gone, the client may start
            # its next request before this thread runs again, and both would count.
            with self._lock:
                self._in_flight -= 1
        conn.sendall(answer)


@dataclass
class DrippingServer(Listener):
    """An HTTP server sending ``answer`` one byte every ``interval`` seconds, then closing.

    The first ``prompt`` bytes go at once (the headers, say); with ``tls`` (a server
    context) it speaks HTTPS. ``finished`` counts the answers sent whole;
    ``requests`` records what arrived.
    """

    answer: bytes
    interval: float = 0.4
    prompt: int = 0
    tls: ssl.SSLContext | None = None
    listen_host: str = "127.0.0.1"
    requests: list[bytes] = field(default_factory=list, init=False)
    finished: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        Listener.__init__(self, self.listen_host, 0)

    def serve(self, conn: socket.socket) -> None:
        """Record the request, then drip the answer until done, stopped or hung up on."""
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True)
        self.requests.append(_read_http_request(self, conn))
        conn.sendall(self.answer[: self.prompt])
        for index in range(self.prompt, len(self.answer)):
            if self._stop.wait(self.interval):
                return
            conn.sendall(self.answer[index : index + 1])  # OSError once the client hangs up
        self.finished += 1


def http_answer(body: bytes, status: str = "200 OK", content_type: str = "text/html") -> bytes:
    """Return a complete HTTP/1.1 answer with ``body``."""
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """Yield a loopback port with nothing listening on it (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    yield port


@contextlib.contextmanager
def one_send_held(emulator: Emulator) -> Iterator[None]:
    """Run the block while ``emulator`` holds one send's answer back (a slow test number,
    answered after a second); at the end, let it go and wait for it."""
    url = emulator.url()

    def slow() -> None:
        with create_transport(url) as transport:
            transport.send(Message("79990003001", "slow"))

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while emulator.http.held == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emulator.http.held == 1, "the emulator is not holding the slow send"
        yield
    finally:
        emulator.http.release_delayed()
        thread.join()


# A server that sends faster than the client reads has to run in a process of its own:
# in the test's process the interpreter's lock keeps it in step with the client.
_ENDLESS_STREAMER = r"""
import socket, sys, threading, time
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
answer, marker = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
def serve(conn):
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(65536)
            if not chunk:
                return
            request += chunk
        head, _, body = request.partition(b"\r\n\r\n")
        length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:")]
        while length and len(body) < length[0]:
            body += conn.recv(65536)
        if marker in request:
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            chunks = b"1\r\nx\r\n" * 10000
            end = time.monotonic() + 30
            while time.monotonic() < end:
                conn.sendall(chunks)
        else:
            conn.sendall(answer)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"""


@contextlib.contextmanager
def endless_streamer(answer: bytes, marker: bytes) -> Iterator[int]:
    """A loopback HTTP server, in a process of its own, that answers every request
    holding ``marker`` (every request, for ``b""``) with a chunked body of one-byte
    chunks that keeps coming for 30 s, and sends ``answer`` to the others; yields its
    port. Stopped by its process id."""
    process = subprocess.Popen(
        [sys.executable, "-c", _ENDLESS_STREAMER, answer.hex(), marker.hex()],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        process.kill()
        process.wait()
