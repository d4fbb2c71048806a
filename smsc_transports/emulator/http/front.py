"""The emulator's HTTP front end: SMSC's ``/sys/*.php`` API and ``/rest/send/``.

A stdlib :class:`~http.server.ThreadingHTTPServer` (HTTP/1.1 keep-alive, one daemon
thread per connection); with a ``tls_context`` it speaks HTTPS, the TLS handshake
done in the connection's own thread. Every API error is an HTTP 200 answer in the
requested format, as SMSC does; a documented command the emulator does not model
answers error 1; an undocumented path is a plain 404; a handler bug is logged and
answered with a bare 500, and the server keeps serving. Short links made by
``tinyurl=1`` are served at ``/t/<code>`` (a redirect that counts the click). The
emulator's own paths under ``/_emulator/`` (health, control API) go to a
:class:`~smsc_transports.emulator.http.control.ServiceApi` when one is given.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from smsc_transports.emulator.http.commands import Reply, run_command
from smsc_transports.emulator.http.control import PREFIX, ServiceApi
from smsc_transports.emulator.http.params import RequestData, parse_request
from smsc_transports.emulator.http.render import render_error
from smsc_transports.emulator.state.pricing import params_error
from smsc_transports.emulator.state.smsc import EmulatorState
from smsc_transports.errors import APIError

__all__ = ["LINK_PATH", "ROUTES", "SMSC_LABEL", "HttpFrontEnd"]

log = logging.getLogger(__name__)

SOAP_PATH = "/sys/soap.php"
# path -> (command, whether the body is JSON)
ROUTES: dict[str, tuple[str, bool]] = {
    "/sys/send.php": ("send", False),
    "/sys/status.php": ("status", False),
    "/sys/balance.php": ("balance", False),
    "/sys/get.php": ("get", False),
    "/sys/senders.php": ("senders", False),
    "/sys/info.php": ("info", False),
    "/sys/jobs.php": ("jobs", False),
    "/sys/tinyurls.php": ("tinyurls", False),
    "/rest/send/": ("send", True),
    "/rest/send": ("send", True),
    # Documented commands the emulator does not model: after the login check they
    # answer as SMSC answers a command it does not know (error 1), never a bare 404.
    **{
        f"/sys/{name}.php": ("unknown", False)
        for name in (
            "phones",
            "templates",
            "op_templates",
            "users",
            "documents",
            "receive_phones",
            "ping",
            "wait_call",
        )
    },
}
LINK_PATH = "/t/"
"""Where the emulator's short links (``tinyurl=1``) are served."""
_CONTENT_TYPES = {0: "text/plain", 1: "text/plain", 2: "text/xml", 3: "application/json"}
SMSC_LABEL = "windows-1251"
"""The charset SMSC names in every answer's ``Content-Type``, whatever the body is in."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of clients (a
    # benchmark, send_many with its pool), each then waiting ~1 s to retry.
    request_queue_size = 128
    front: HttpFrontEnd

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        context = self.front.tls_context
        if context is None:
            super().finish_request(request, client_address)
            return
        # In the connection's thread, so a slow or failing handshake holds up no one.
        request.settimeout(self.front.idle_timeout)
        try:
            connection = context.wrap_socket(request, server_side=True)
        except OSError as exc:  # ssl.SSLError included; the socket is closed by then
            log.debug("TLS handshake with %s failed: %s", client_address[0], exc)
            return
        with self._open_lock:
            self._open.add(connection)
        try:
            super().finish_request(connection, client_address)
        finally:
            with self._open_lock:
                self._open.discard(connection)
            connection.close()

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Cut every open keep-alive connection so its thread ends now, not at idle timeout."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # http.server's own error answers (send_error) leave headers and body in two
    # writes; with Nagle on, each would wait ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    # The Date header of the current second, shared by every connection's thread
    # (a tuple is swapped in whole): formatting it cost ~10 µs an answer.
    _date: tuple[int, str] = (0, "")

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header's value; for now, formatted once a second."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        second = int(time.time())
        cached = _Handler._date
        if cached[0] != second:
            cached = _Handler._date = (second, super().date_time_string(second))
        return cached[1]

    def log_message(self, format: str, *args: Any) -> None:
        # The default logs the request line, query string (and so passwords) included.
        del format, args
        # A request line too broken to parse leaves ``command``/``path`` unset.
        path = str(getattr(self, "path", "")).partition("?")[0]
        log.debug("%s %s", getattr(self, "command", None), path)

    def _serve(self) -> None:
        try:
            self._answer()
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:
            log.exception("emulator HTTP handler failed")
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._write(500, b"internal error", "text/plain; charset=utf-8")

    def _answer(self) -> None:
        path, _, query = self.path.partition("?")
        if path.startswith(PREFIX) and self.server.front.service is not None:
            self._answer_service(path, query)
            return
        if path == SOAP_PATH:
            self._answer_soap(query)
            return
        if path.startswith(LINK_PATH) and self.command == "GET":
            self._follow_link(path[len(LINK_PATH) :])
            return
        route = ROUTES.get(path)
        if route is None:
            self._skip_body()
            self._write(404, b"not found", "text/plain; charset=utf-8")
            return
        command, json_body = route
        query_bytes = query.encode("latin-1", "replace")
        # A GET may carry a body too; it is read (and used) so keep-alive stays in step.
        body, refusal = self._read_body()
        if refusal is not None:
            # Refused before reading: answer in the query's format and drop the link.
            data = parse_request(query_bytes, b"", "", json_body=json_body)
            data.error = refusal
            self.close_connection = True
            self._reply(data, Reply(render_error(data.fmt, refusal), status=413))
            return
        content_type = self.headers.get("Content-Type", "")
        data = parse_request(query_bytes, body, content_type, json_body=json_body)
        front = self.server.front
        reply = run_command(front.state, command, data, self.client_address[0], front.wait)
        self._reply(data, reply)

    def _follow_link(self, code: str) -> None:
        """A short link: count the click (status 4) and redirect to the original."""
        self._skip_body()
        url = self.server.front.state.click(code)
        if url is None:
            self._write(404, b"not found", "text/plain; charset=utf-8")
            return
        self.send_response(302)
        self.send_header("Location", url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _answer_soap(self, query: str) -> None:
        # SOAP shares the HTTP port, as on SMSC: /sys/soap.php next to /sys/send.php.
        from smsc_transports.emulator.http.soap import handle_soap

        body, refusal = self._read_body()
        if refusal is not None:
            self.close_connection = True
            self._write(413, b"request too large", "text/plain; charset=utf-8")
            return
        front = self.server.front
        status, content_type, answer = handle_soap(
            front.state,
            self.command,
            query,
            body,
            front.url,
            client_ip=self.client_address[0],
            wait=front.wait,
        )
        self._write(status, answer, content_type)

    def _answer_service(self, path: str, query: str) -> None:
        body, refusal = self._read_body()
        service = self.server.front.service
        assert service is not None  # checked by the caller
        if refusal is not None:
            self.close_connection = True
            self._write(413, b'{"error": "request too large"}', "application/json")
            return
        authorization = self.headers.get("Authorization")
        status, content_type, answer = service.answer(
            self.command, path, query, body, authorization
        )
        self._write(status, answer, content_type)

    def _read_body(self) -> tuple[bytes, APIError | None]:
        """The request body, or an error when it is chunked, unsized or too big."""
        if self.headers.get("Transfer-Encoding"):
            return b"", params_error()
        length_text = self.headers.get("Content-Length", "0").strip() or "0"
        if not (length_text.isascii() and length_text.isdigit()):
            return b"", params_error()
        length = int(length_text)
        if length > self.server.front.max_body:
            return b"", params_error()
        return self.rfile.read(length), None

    def _skip_body(self) -> None:
        length = self.headers.get("Content-Length", "0").strip()
        if length.isascii() and length.isdigit() and int(length) <= self.server.front.max_body:
            self.rfile.read(int(length))
        elif length not in ("", "0"):
            self.close_connection = True

    def _reply(self, data: RequestData, reply: Reply) -> None:
        text = reply.text
        if data.fmt == 2:
            text = f'<?xml version="1.0" encoding="{data.charset}"?>\n{text}'
        try:
            body = text.encode(data.codec)
        except UnicodeEncodeError:
            # A character the charset cannot hold: JSON escapes it, XML uses a reference.
            if data.fmt == 3:
                body = json.dumps(json.loads(text)).encode(data.codec)
            else:
                errors = "xmlcharrefreplace" if data.fmt == 2 else "replace"
                body = text.encode(data.codec, errors)
        # SMSC labels every answer windows-1251 whatever charset the body is in
        # (smsc-protocol.md §1.1, recorded answers); ``echo_charset`` names the real one.
        # /rest/send/ is JSON, UTF-8 both ways: its label is the truth [U].
        smsc_label = not (self.server.front.echo_charset or self.path.startswith("/rest/"))
        label = SMSC_LABEL if smsc_label else data.charset
        self._write(reply.status, body, f"{_CONTENT_TYPES[data.fmt]}; charset={label}")

    def _write(self, status: int, body: bytes, content_type: str) -> None:
        # Headers and body leave in one write: each write gives up the interpreter
        # lock, and with several connections busy, taking it back costs a thread switch.
        wfile, self.wfile = self.wfile, io.BytesIO()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            head = self.wfile.getvalue()
        finally:
            self.wfile = wfile
        wfile.write(head + body)
        wfile.flush()


class HttpFrontEnd:
    """SMSC's HTTP API on ``host``:``port`` (0 = a free port) over ``state``.

    ``max_body`` bounds request bodies (bigger ones are refused unread with error 1);
    ``idle_timeout`` closes idle keep-alive connections. Answers are encoded in the
    charset the request asked for and labelled ``charset=windows-1251``, as SMSC
    labels them; ``echo_charset=True`` names the real charset instead. ``tls_context``
    (a server context with a certificate) makes it HTTPS, conventionally named
    ``https``. ``service`` answers the ``/_emulator/`` paths (health, control API).
    """

    def __init__(
        self,
        state: EmulatorState,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_body: int = 4 << 20,
        idle_timeout: float = 30.0,
        echo_charset: bool = False,
        tls_context: ssl.SSLContext | None = None,
        service: ServiceApi | None = None,
        name: str | None = None,
    ) -> None:
        self.state = state
        self.echo_charset = echo_charset
        self.tls_context = tls_context
        self.service = service
        self.name = name or ("https" if tls_context is not None else "http")
        self.host = host
        self.requested_port = port
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._release = threading.Event()
        self._held = 0
        self._held_lock = threading.Lock()

    @property
    def held(self) -> int:
        """How many answers are being held back right now (by slow test numbers)."""
        with self._held_lock:
            return self._held

    @property
    def port(self) -> int:
        """The port listened on (valid once started)."""
        if self._server is None:
            raise RuntimeError("the HTTP front end is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port`` (``https://`` with TLS) of the running front end."""
        scheme = "https" if self.tls_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self) -> None:
        """Bind and serve in a daemon thread (returns once listening)."""
        if self._server is not None:
            return
        # An idle keep-alive connection must not pin a thread forever.
        handler = type("_BoundHandler", (_Handler,), {"timeout": self.idle_timeout})
        server = _Server((self.host, self.requested_port), handler)
        server.front = self
        self._server = server
        self._release = threading.Event()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="smsc-emulator-http",
            daemon=True,
        )
        self._thread.start()
        self.state.set_link_base(self.url + LINK_PATH)

    def stop(self) -> None:
        """Stop serving, end held-back answers and close the socket."""
        server, self._server = self._server, None
        self._release.set()
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def wait(self, seconds: float) -> None:
        """Hold an answer back ``seconds`` (slow test numbers); ends early on stop/release."""
        if seconds <= 0:
            return
        release = self._release
        with self._held_lock:
            self._held += 1
        try:
            release.wait(seconds)
        finally:
            with self._held_lock:
                self._held -= 1

    def release_delayed(self) -> None:
        """Let every answer being held back go now (later ones are held again)."""
        release, self._release = self._release, threading.Event()
        release.set()
