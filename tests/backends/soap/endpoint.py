"""Where the SOAP tests find ``/sys/soap.php``: on the emulator's HTTP port once it routes
there, else on a small stand-in server over the same emulator state.

The stand-in is a stdlib threading HTTP server that hands every request to
:func:`~smsc_transports.emulator.http.soap.handle_soap`, exactly as the emulator's HTTP
front end does, so the tests are the same either way.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from smsc_transports.emulator import Emulator, EmulatorState
from smsc_transports.emulator.http.soap import handle_soap


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: EmulatorState
    release: threading.Event


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are written separately; with Nagle on, a keep-alive client
    # waits out its delayed ACK (40 ms) on every answer.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length", "0") or "0")
        body = self.rfile.read(length) if length else b""
        if path != "/sys/soap.php":
            status, content_type, answer = 404, "text/plain", b"not found"
        else:
            host, port = self.server.server_address[:2]
            status, content_type, answer = handle_soap(
                self.server.state,
                self.command,
                query,
                body,
                f"http://{host!s}:{port}",
                client_ip=self.client_address[0],
                wait=self.server.release.wait,
            )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@contextlib.contextmanager
def stand_in(state: EmulatorState) -> Iterator[int]:
    """Serve ``/sys/soap.php`` over ``state`` on a free loopback port; yield the port."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state = state
    server.release = threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def emulator_routes_soap(emulator: Emulator) -> bool:
    """Whether the emulator's own HTTP port answers ``/sys/soap.php?wsdl``."""
    answer = requests.get(f"{emulator.http_url}/sys/soap.php?wsdl", timeout=5)
    return answer.status_code == 200 and b"send_sms" in answer.content


@contextlib.contextmanager
def soap_port(emulator: Emulator) -> Iterator[int]:
    """The port where ``emulator``'s state answers SOAP (its own, or a stand-in's)."""
    if emulator_routes_soap(emulator):
        yield emulator.http_port
        return
    with stand_in(emulator.state) as port:
        yield port
