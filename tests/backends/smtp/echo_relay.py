"""A hostile SMTP relay on loopback that echoes the client's AUTH lines in its 535 reply.

Some relays do this ("535 5.7.8 AUTH LOGIN cGFzcw== rejected"): the base64 there is
the password, and it would reach an exception text if only the plain password were
masked. The relay speaks just enough SMTP for aiosmtplib to try AUTH: a greeting,
EHLO with one AUTH mechanism, and a refusal of every AUTH. A real socket server, not a
mock; it records every line it received.
"""

from __future__ import annotations

import socket

from tests.faults import Listener


class EchoingRelay(Listener):
    """Offers ``AUTH <mechanism>`` and refuses it, quoting what the client sent."""

    connection_timeout = 5.0

    def __init__(self, mechanism: str) -> None:
        super().__init__("127.0.0.1", 0)
        self.mechanism = mechanism
        self.lines: list[str] = []

    def serve(self, conn: socket.socket) -> None:
        """Greet, offer AUTH, refuse it with the client's own words."""
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
