"""A scripted SMPP server for the hostile-peer tests: each connection runs a script.

A script is a function ``(peer: Peer) -> None`` that reads PDUs and writes whatever
bytes it likes — a bad length, a truncated PDU, an answer to a sequence number nobody
used. Connections beyond the list run :func:`well_behaved`, so a client that drops a
hostile link and reconnects can be seen to recover.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.short_message import decode_short_message
from tests.faults import AcceptLoop

Script = Callable[["Peer"], None]


class Peer:
    """The server's side of one connection, with bounded blocking reads."""

    def __init__(self, conn: socket.socket, stop: threading.Event) -> None:
        self.conn = conn
        self.stop = stop
        self.splitter = w.FrameSplitter()
        self.frames: list[w.Frame] = []
        self.received: list[w.Frame] = []
        self.next_id = 0

    def read(self, timeout: float = 5.0) -> w.Frame | None:
        """The next PDU from the client, or ``None`` on EOF, stop or timeout."""
        try:
            self.conn.settimeout(0.1)
        except OSError:
            return None  # the server is shutting down and closed the connection
        waited = 0.0
        while not self.frames:
            if self.stop.is_set() or waited > timeout:
                return None
            try:
                data = self.conn.recv(65536)
            except TimeoutError:
                waited += 0.1
                continue
            except OSError:
                return None
            if not data:
                return None
            self.frames.extend(self.splitter.feed(data))
        frame = self.frames.pop(0)
        self.received.append(frame)
        return frame

    def send(self, data: bytes) -> None:
        """Write raw bytes (errors ignored: the client may have gone)."""
        with contextlib.suppress(OSError):
            self.conn.sendall(data)

    def bind(self) -> bool:
        """Read the bind and accept it; ``False`` if something else came."""
        frame = self.read()
        if frame is None or frame[0] not in (
            w.BIND_TRANSCEIVER,
            w.BIND_TRANSMITTER,
            w.BIND_RECEIVER,
        ):
            return False
        self.send(w.encode_bind_resp(frame[0], 0, frame[2], w.BindResponse("hostile")))
        return True

    def answer(self, frame: w.Frame, status: int = 0) -> str:
        """Answer a request as a good SMSC would; return the id given to a submit."""
        command_id, _, sequence, body = frame
        if command_id == w.SUBMIT_SM:
            decode_short_message(body)
            self.next_id += 1
            message_id = str(self.next_id) if not status else ""
            self.send(w.encode_message_id_resp(w.SUBMIT_SM_RESP, status, sequence, message_id))
            return message_id
        if command_id in (w.ENQUIRE_LINK, w.UNBIND):
            self.send(w.encode_pdu(command_id | w.RESPONSE, 0, sequence))
        return ""


def well_behaved(peer: Peer) -> None:
    """Bind, then answer everything correctly until the client leaves."""
    if peer.bind():
        answer_until_unbind(peer)


def answer_until_unbind(peer: Peer) -> None:
    """Answer everything correctly until the client unbinds or leaves."""
    while (frame := peer.read(timeout=30)) is not None:
        peer.answer(frame)
        if frame[0] == w.UNBIND:
            return


class ScriptedServer:
    """Listens on 127.0.0.1; connection ``i`` runs ``scripts[i]`` (then well-behaved)."""

    def __init__(self, scripts: list[Script]) -> None:
        self.scripts = scripts
        self.connections = 0
        self.peers: list[Peer] = []
        self._loop = AcceptLoop(self._accepted)
        self.port: int = self._loop.port
        self._stop = self._loop.stopping

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
        for peer in self.peers:
            with contextlib.suppress(OSError):
                peer.conn.close()
        self._loop.stop()

    def _accepted(self, conn: socket.socket) -> None:
        script = (
            self.scripts[self.connections] if self.connections < len(self.scripts) else well_behaved
        )
        self.connections += 1
        peer = Peer(conn, self._stop)
        self.peers.append(peer)
        self._loop.spawn(self._run, script, peer)

    def _run(self, script: Script, peer: Peer) -> None:
        try:
            script(peer)
        finally:
            with contextlib.suppress(OSError):
                peer.conn.close()
