"""A hostile SMTP relay on loopback that echoes the client's AUTH lines in its 535 reply.

Some relays do this ("535 5.7.8 AUTH LOGIN cGFzcw== rejected"): the base64 there is
the password, and it would reach an exception text if only the plain password were
masked. The relay speaks just enough SMTP for aiosmtplib to try AUTH: a greeting,
EHLO with one AUTH mechanism, and a refusal of every AUTH. A real socket server, not a
mock; it records every line it received.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self


class EchoingRelay:
    """Offers ``AUTH <mechanism>`` and refuses it, quoting what the client sent."""

    def __init__(self, mechanism: str) -> None:
        self.mechanism = mechanism
        self.lines: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn, contextlib.suppress(OSError):
                conn.settimeout(5)
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"220 relay.test ESMTP\r\n")
        pending_login = False
        for raw in reader:
            line = raw.decode("ascii", "replace").rstrip("\r\n")
            self.lines.append(line)
            command = line.upper()
            if command.startswith(("EHLO", "HELO")):
                conn.sendall(f"250-relay.test\r\n250 AUTH {self.mechanism}\r\n".encode())
            elif command.startswith("AUTH LOGIN") and len(line.split()) == 3:
                pending_login = True
                conn.sendall(b"334 UGFzc3dvcmQ6\r\n")  # "Password:"
            elif pending_login:
                pending_login = False
                conn.sendall(f"535 5.7.8 AUTH LOGIN {line} rejected\r\n".encode())
            elif command.startswith("AUTH"):
                conn.sendall(f"535 5.7.8 bad credentials for {line}\r\n".encode())
            elif command.startswith("QUIT"):
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"502 5.5.2 not here\r\n")
