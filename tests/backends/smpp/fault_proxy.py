"""An SMPP-aware fault-injecting TCP proxy for the tests (loopback only).

It forwards whole PDUs between the client and a real server and, per connection,
applies one :class:`Fault`: cut both sides once some submit_sm went up and some answers
came down (the window is cut mid-flight), reset the client instead (RST), delay every
answer, or turn into a black hole after the bind. Connections beyond the list of faults
pass through untouched, so a client that reconnects finds a working link.

Real sockets and threads, no mocks; every wait is bounded so a test can never hang on it.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from smsc_transports.wire.smpp.pdu import SUBMIT_SM, SUBMIT_SM_RESP, FrameSplitter, encode_pdu
from tests.faults import AcceptLoop

_LINGER_RESET = struct.pack("ii", 1, 0)


@dataclass(frozen=True)
class Fault:
    """What to do to one connection.

    * ``kind="cut"``: forward ``after`` submit_sm upstream and at most ``answers``
      submit_sm_resp downstream, then close both sides.
    * ``kind="reset"``: the same, but the client gets a TCP reset.
    * ``kind="delay"``: forward everything, each answer ``delay`` seconds late.
    * ``kind="blackhole"``: forward the bind and its answer, then swallow everything.
    """

    kind: str
    after: int = 0
    answers: int = 0
    delay: float = 0.0


PASS = Fault("pass")


@dataclass
class _Link:
    fault: Fault
    client: socket.socket
    server: socket.socket
    submits_up: int = 0
    answers_down: int = 0
    pdus_up: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


class SmppFaultProxy:
    """Listens on 127.0.0.1; connection ``i`` gets ``faults[i]`` (then :data:`PASS`)."""

    def __init__(self, target: tuple[str, int], faults: list[Fault] | None = None) -> None:
        self.target = target
        self.faults = list(faults or [])
        self.connections = 0
        self.swallowed = 0
        self._loop = AcceptLoop(self._accepted)
        self.port: int = self._loop.port
        self._stop = self._loop.stopping
        self._links: list[_Link] = []

    def __enter__(self) -> Self:
        self._loop.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        for link in self._links:
            _close(link.client)
            _close(link.server)
        self._loop.stop()

    def _accepted(self, client: socket.socket) -> None:
        fault = self.faults[self.connections] if self.connections < len(self.faults) else PASS
        self.connections += 1
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            _close(client)
            return
        link = _Link(fault, client, server)
        self._links.append(link)
        self._loop.spawn(self._pump, link, True)
        self._loop.spawn(self._pump, link, False)

    def _pump(self, link: _Link, upstream: bool) -> None:
        source, sink = (link.client, link.server) if upstream else (link.server, link.client)
        source.settimeout(0.2)
        splitter = FrameSplitter()
        while not self._stop.is_set() and not link.done.is_set():
            try:
                data = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            try:
                frames = splitter.feed(data)
            except Exception:
                break
            for command_id, status, sequence, body in frames:
                pdu = encode_pdu(command_id, status, sequence, body)
                if not self._forward(link, upstream, command_id, pdu):
                    continue
                try:
                    sink.sendall(pdu)
                except OSError:
                    link.done.set()
                    break
            self._maybe_cut(link)
        link.done.set()
        _close(source)
        _close(sink)

    def _forward(self, link: _Link, upstream: bool, command_id: int, pdu: bytes) -> bool:
        """Whether to pass this PDU on (and count it)."""
        fault = link.fault
        with link.lock:
            if upstream:
                link.pdus_up += 1
                if fault.kind == "blackhole" and link.pdus_up > 1:
                    self.swallowed += 1
                    return False
                if command_id == SUBMIT_SM:
                    if fault.kind in ("cut", "reset") and link.submits_up >= fault.after:
                        self.swallowed += 1
                        return False
                    link.submits_up += 1
                return True
            if fault.kind == "blackhole" and link.pdus_up > 1:
                self.swallowed += 1
                return False
            if fault.kind == "delay":
                time.sleep(fault.delay)
            if command_id == SUBMIT_SM_RESP and fault.kind in ("cut", "reset"):
                if link.answers_down >= fault.answers:
                    self.swallowed += 1
                    return False
                link.answers_down += 1
            return True

    def _maybe_cut(self, link: _Link) -> None:
        fault = link.fault
        if fault.kind not in ("cut", "reset"):
            return
        with link.lock:
            ready = link.submits_up >= fault.after and link.answers_down >= fault.answers
        if not ready or link.done.is_set():
            return
        time.sleep(0.1)  # let the server finish the submits it got
        if fault.kind == "reset":
            with contextlib.suppress(OSError):
                link.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        link.done.set()
        _close(link.client)
        _close(link.server)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
