"""The HTTP backend's connections: sockets to SMSC kept alive, and one exchange on them.

:class:`Connections` POSTs a body to an :class:`Origin` and returns the whole
:class:`~smsc_transports.wire.http.framing.Answer`, reusing a connection the last
answer left open. It speaks HTTP/1.1 through :mod:`smsc_transports.wire.http.framing`
on a plain or TLS socket, directly or through an HTTP proxy (``CONNECT`` for HTTPS,
the absolute URL for HTTP).

Every exchange has one deadline, ``timeout`` seconds from its start to the answer's
last byte: each wait on the socket gets what is left of it, so a server that sends
one byte at a time cannot hold a call for longer. An answer is read as it comes, never
waiting inside a read: :meth:`Connections.send` writes a request and its :class:`Sent`
reads what has arrived whenever asked, so a caller with several requests on the wire
waits for all of their sockets at once. What had arrived by the deadline is still read
after it (a caller may come to an answer late), within a bound. What went wrong is reported as the
retry rule (DESIGN.md, "Reliability rules") needs it: :class:`ConnectError` when the
request cannot have reached SMSC (DNS, refused, unreachable, connect timeout, TLS
handshake, a proxy that refuses the tunnel), :class:`TransportTimeout` or
:class:`OutcomeUnknown` once it may have, :class:`ProtocolError` for an answer that
is not HTTP or is cut short.
"""

from __future__ import annotations

import base64
import contextlib
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Self
from urllib.parse import unquote, urlsplit

from smsc_transports.backends.steps import wait
from smsc_transports.config import DEFAULT_HOSTS
from smsc_transports.errors import (
    ConfigurationError,
    ConnectError,
    OutcomeUnknown,
    ProtocolError,
    TransportTimeout,
)
from smsc_transports.wire.http.framing import (
    MAX_HEAD_BYTES,
    Answer,
    AnswerReader,
    request_bytes,
)

__all__ = ["Connections", "Origin", "Proxy", "Sent", "tls_context"]

# Idle connections kept per origin: enough for SMSC's 15 requests at once.
_MAX_IDLE = 16
# Enough for a 100-recipient answer in one read; a larger buffer costs more than it
# saves (each recv allocates its size first: 256 KiB took 15 µs more than 64 KiB).
_READ_SIZE = 64 * 1024
# A CONNECT answer is a head alone; this bounds a proxy that sends a body with a refusal.
_MAX_PROXY_ANSWER = 64 * 1024
# Reads in one go before the other requests on the wire get their turn: a server that
# sends faster than we read must not keep the others waiting.
_READS_AT_ONCE = 4


# Each scheme's own port, the one a URL and a Host header leave out.
_DEFAULT_PORTS = {
    scheme: port for scheme in ("http", "https") if (port := DEFAULT_HOSTS[scheme][1]) is not None
}


@dataclass(frozen=True, slots=True)
class Origin:
    """Where requests go: scheme (``http``/``https``), host and port."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, scheme: str, host: str, port: int | None) -> Origin:
        """The origin, with the scheme's own port where ``port`` is ``None``; a host
        name outside ASCII in its IDNA form, as DNS and the ``Host`` header carry it."""
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise ConfigurationError("the host name is not a valid domain name") from None
        return cls(scheme, host, port or _DEFAULT_PORTS[scheme])

    @property
    def authority(self) -> str:
        """``host[:port]`` as a ``Host`` header names it: an IPv6 host in brackets, the
        scheme's own port left out."""
        return self._name if self.port == _DEFAULT_PORTS[self.scheme] else self.host_and_port

    @property
    def host_and_port(self) -> str:
        """``host:port`` with the port always named, as ``CONNECT`` asks for it."""
        return f"{self._name}:{self.port}"

    @property
    def _name(self) -> str:
        # An IPv6 address goes in brackets wherever a port may follow it.
        return f"[{self.host}]" if ":" in self.host else self.host

    def __str__(self) -> str:
        return f"{self.scheme}://{self.authority}"


@dataclass(frozen=True, slots=True)
class Proxy:
    """An HTTP proxy: where it listens, and the ``Proxy-Authorization`` its URL implies."""

    host: str
    port: int
    authorization: str | None

    @classmethod
    def parse(cls, url: str) -> Proxy:
        """Read a proxy URL ``http://[user:password@]host[:port]``.

        Raises :class:`ConfigurationError` (never showing the URL: it may hold a
        password) for another scheme or a URL without a host.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ConfigurationError("the proxy URL cannot be read") from None
        if parts.scheme.lower() != "http" or not parts.hostname:
            raise ConfigurationError(
                "the proxy must be an http:// URL with a host "
                f"(got a {parts.scheme or 'scheme-less'} URL)"
            )
        authorization = None
        if parts.username is not None:
            pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            authorization = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        return cls(parts.hostname, port or 80, authorization)

    def __repr__(self) -> str:
        return f"<Proxy {self.host}:{self.port}>"


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """The TLS settings for SMSC: ``True`` checks certificates against the certifi
    bundle (as ``requests`` does), a path against that file or directory of CA
    certificates, ``False`` not at all."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify is True:
        import certifi  # requests' own dependency: installed with it

        return ssl.create_default_context(cafile=certifi.where())
    try:
        if os.path.isdir(verify):
            return ssl.create_default_context(capath=verify)
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"verify={verify}: cannot read CA certificates ({exc})") from None


class _Connection:
    """One socket to an origin (perhaps a tunnel through a proxy)."""

    __slots__ = ("origin", "sock")

    def __init__(self, origin: Origin, sock: socket.socket) -> None:
        self.origin = origin
        self.sock = sock

    def idle_and_open(self) -> bool:
        """Whether the connection is still fit for a request: nothing to read on it.

        A server closes a kept-alive connection when it likes; its end-of-file (or
        anything else it sent unasked) makes the socket readable.
        """
        sock = self.sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return False
        return not _readable(sock)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _readable(sock: socket.socket) -> bool:
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


class _Expired(Exception):
    """The exchange's deadline passed."""


class _Clock:
    """One exchange's deadline: what is left of it for the next wait on the socket."""

    __slots__ = ("at",)

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds until the deadline (zero or less once it has passed)."""
        return self.at - time.monotonic()

    def left(self, sock: socket.socket) -> None:
        """Give ``sock`` what is left of the deadline as its timeout; raise
        :class:`_Expired` when nothing is."""
        remaining = self.remaining()
        if remaining <= 0:
            raise _Expired
        sock.settimeout(remaining)


class Connections:
    """Connections to SMSC's hosts, kept alive between requests, one request at a time each.

    Thread-safe: each exchange takes a connection of its own from the idle ones of
    its origin (or opens one) and gives it back when the answer allows.
    """

    def __init__(
        self,
        *,
        timeout: float,
        connect_timeout: float,
        max_answer_bytes: int,
        tls: ssl.SSLContext | None = None,
        proxy: Proxy | None = None,
    ) -> None:
        self.timeout = timeout
        self.connect_timeout = connect_timeout  # within what is left of ``timeout``
        self.max_answer_bytes = max_answer_bytes
        self.tls = tls
        self.proxy = proxy
        self._idle: dict[Origin, list[_Connection]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def post(
        self, origin: Origin, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> Answer:
        """POST ``body`` to ``path`` at ``origin`` and return the whole answer.

        ``headers`` are sent as they are (``Host`` and ``Content-Length`` are added).
        """
        with self.send(origin, path, headers, body) as sent:
            return sent.receive()

    def send(self, origin: Origin, path: str, headers: list[tuple[str, str]], body: bytes) -> Sent:
        """Write the POST of :meth:`post` now; its :class:`Sent` reads the answer.

        Use the :class:`Sent` as a context manager: a connection whose answer was not
        read is closed on leaving it.
        """
        where = f"{origin}{path}"
        target = path
        if self.proxy is not None and origin.scheme == "http":
            target = where  # a proxy is asked for the absolute URL
            if self.proxy.authorization:
                headers = [*headers, ("Proxy-Authorization", self.proxy.authorization)]
        request = request_bytes("POST", target, origin.authority, headers, body)
        clock = _Clock(self.timeout)
        connection = self._take(origin)
        if connection is None:
            connection = self._open(origin, where, clock)
        try:
            with _lost(where, self.timeout):
                clock.left(connection.sock)
                connection.sock.sendall(request)
        except BaseException:
            connection.close()
            raise
        return Sent(self, connection, where, clock)

    def close(self) -> None:
        """Close the idle connections; those in use close when their exchange ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    # Reusing -------------------------------------------------------------------------

    def _take(self, origin: Origin) -> _Connection | None:
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                if not idle:
                    return None
                connection = idle.pop()
            if connection.idle_and_open():
                return connection
            connection.close()

    def give_back(self, connection: _Connection) -> None:
        """Keep ``connection`` for a later request (its answer was read to the end)."""
        with self._lock:
            idle = self._idle.setdefault(connection.origin, [])
            if not self._closed and len(idle) < _MAX_IDLE:
                idle.append(connection)
                return
        connection.close()

    # Connecting --------------------------------------------------------------------

    def _open(self, origin: Origin, where: str, clock: _Clock) -> _Connection:
        """A new connection to ``origin``; any failure is a :class:`ConnectError`."""
        proxy = self.proxy
        address = (origin.host, origin.port) if proxy is None else (proxy.host, proxy.port)
        try:
            sock = socket.create_connection(address, timeout=self._connect_wait(clock))
        except OSError as exc:
            refused = "proxy refused" if proxy is not None else "cannot connect to"
            raise ConnectError(f"{refused} {where}: {_reason(exc)}") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if proxy is not None and origin.scheme == "https":
                self._tunnel(sock, origin, where, clock)
            if origin.scheme == "https":
                sock = self._handshake(sock, origin, where, clock)
        except BaseException:
            with contextlib.suppress(OSError):
                sock.close()
            raise
        return _Connection(origin, sock)

    def _connect_wait(self, clock: _Clock) -> float:
        """How long a step of connecting may wait: ``connect_timeout``, within what is
        left of the exchange's deadline."""
        return max(min(self.connect_timeout, clock.remaining()), 0.001)

    def _tunnel(self, sock: socket.socket, origin: Origin, where: str, clock: _Clock) -> None:
        """Ask the proxy for a tunnel to ``origin`` (``CONNECT``); a refusal, or no
        answer in time, is a :class:`ConnectError`: nothing reached SMSC yet."""
        assert self.proxy is not None
        authority = origin.host_and_port
        headers = []
        if self.proxy.authorization:
            headers.append(("Proxy-Authorization", self.proxy.authorization))
        request = request_bytes("CONNECT", authority, authority, headers, b"")
        try:
            answer = _converse(sock, request, AnswerReader(_MAX_PROXY_ANSWER, tunnel=True), clock)
        except (_Expired, TimeoutError):
            raise ConnectError(f"proxy refused {where}: no answer to CONNECT in time") from None
        except _Closed:
            raise ConnectError(f"proxy refused {where}: it closed the connection") from None
        except (OSError, ProtocolError) as exc:
            raise ConnectError(f"proxy refused {where}: {_reason(exc)}") from None
        if not 200 <= answer.status < 300:
            raise ConnectError(f"proxy refused {where}: {answer.status} {answer.reason[:80]}")

    def _handshake(
        self, sock: socket.socket, origin: Origin, where: str, clock: _Clock
    ) -> ssl.SSLSocket:
        assert self.tls is not None, "an https origin has a TLS context"
        try:
            sock.settimeout(self._connect_wait(clock))
            return self.tls.wrap_socket(sock, server_hostname=origin.host)
        except (OSError, ssl.CertificateError) as exc:
            raise ConnectError(f"cannot connect to {where}: {_reason(exc)}") from None


class Sent:
    """A request written on a connection, whose answer is read as it comes.

    Its deadline runs from the start of the request, as for :meth:`Connections.post`.
    :meth:`read_arrived` never waits; ``fileno`` and ``deadline`` let a caller wait for
    more (:func:`~smsc_transports.backends.steps.wait`, or for several at once).
    """

    __slots__ = ("_connection", "_connections", "_incoming", "_where")

    def __init__(
        self, connections: Connections, connection: _Connection, where: str, clock: _Clock
    ) -> None:
        self._connections = connections
        self._connection: _Connection | None = connection
        self._where = where
        self._incoming = _Incoming(
            connection.sock, AnswerReader(connections.max_answer_bytes), clock
        )

    def fileno(self) -> int:
        """The socket's descriptor, readable once more of the answer has come (-1 once
        the answer has been read)."""
        return -1 if self._connection is None else self._incoming.fileno()

    @property
    def deadline(self) -> float:
        """See :attr:`_Incoming.deadline`."""
        return self._incoming.deadline

    def receive(self) -> Answer:
        """Wait for the whole answer and return it."""
        while (answer := self.read_arrived()) is None:
            wait(self)
        return answer

    def read_arrived(self) -> Answer | None:
        """Read what has arrived, without waiting: the answer once it is whole (the
        connection then goes back to the pool when the answer allows), ``None`` while
        more is to come (or has come, and waits for its turn). Once the deadline has
        passed, an answer still not whole is late (:class:`TransportTimeout`)."""
        connection, connections = self._connection, self._connections
        assert connection is not None, "an answer is read once"
        answer = None
        try:
            with _lost(self._where, connections.timeout):
                answer = self._incoming.read()
        except BaseException:
            self._connection = None
            connection.close()
            raise
        if answer is not None:
            self._connection = None
            if answer.keep_alive:
                connections.give_back(connection)
            else:
                connection.close()
        return answer

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # An answer left unread would be taken for the next request's: close.
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Closed(Exception):
    """The server closed the connection before the first byte of its answer."""


@contextlib.contextmanager
def _lost(where: str, timeout: float) -> Iterator[None]:
    """Turn what went wrong on the socket once the request may have left into the
    errors of the retry rule."""
    try:
        yield
    except (_Expired, TimeoutError):
        raise TransportTimeout(
            f"no answer from {where} within {timeout:g} s (the timeout bounds the "
            "whole exchange); the request may have arrived"
        ) from None
    except _Closed:
        raise OutcomeUnknown(
            f"connection to {where} lost before the answer: the server closed it"
        ) from None
    except ProtocolError as exc:
        raise ProtocolError(f"{exc} (from {where})") from None
    except OSError as exc:
        raise OutcomeUnknown(
            f"connection to {where} lost before the answer: {_reason(exc)}"
        ) from None


def _converse(sock: socket.socket, request: bytes, reader: AnswerReader, clock: _Clock) -> Answer:
    """Send ``request`` and read its answer, each wait bounded by ``clock``."""
    clock.left(sock)
    sock.sendall(request)
    incoming = _Incoming(sock, reader, clock)
    while (answer := incoming.read()) is None:
        wait(incoming)
    return answer


class _Incoming:
    """An answer read as it comes on ``sock``: its reader and its deadline; what a wait
    for more of it waits on (:class:`~smsc_transports.backends.steps.Waiting`).

    What had arrived by the deadline is still read after it, but no more than an answer
    may hold (``max_body`` of its reader, and a head), so a server that keeps sending
    cannot keep the call reading.
    """

    __slots__ = ("clock", "late_limit", "more", "reader", "sock")

    def __init__(self, sock: socket.socket, reader: AnswerReader, clock: _Clock) -> None:
        self.sock = sock
        self.reader = reader
        self.clock = clock
        self.late_limit: int | None = None  # bytes received when reading must end
        self.more = False  # whether the last read stopped with more there to read

    def fileno(self) -> int:
        """The socket's descriptor."""
        return self.sock.fileno()

    @property
    def deadline(self) -> float:
        """When the answer is late (:func:`time.monotonic`); now, when more of it had
        come than one read in one go took: a wait for it ends at once."""
        return time.monotonic() if self.more else self.clock.at

    def read(self) -> Answer | None:
        """Feed the reader what has arrived, without waiting: the answer once it is
        whole, ``None`` while more is to come or after a few reads in one go
        (:class:`_Expired` once the answer is late)."""
        reader, sock = self.reader, self.sock
        sock.settimeout(0.0)
        self.more = False
        for _ in range(_READS_AT_ONCE):
            try:
                data = sock.recv(_READ_SIZE)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                if self.clock.remaining() <= 0:
                    raise _Expired from None
                return None  # nothing more yet (over TLS: a record not yet whole)
            if not data:
                if reader.received == 0:
                    raise _Closed
                return reader.end()
            answer = reader.feed(data)
            if answer is not None:
                return answer
            if self.clock.remaining() <= 0:
                if self.late_limit is None:
                    self.late_limit = reader.received + reader.max_body + MAX_HEAD_BYTES
                elif reader.received > self.late_limit:
                    raise _Expired
        # Perhaps more is there (over TLS perhaps inside the TLS layer, where no wait on
        # the socket would see it): read on at once, after the others' turn.
        self.more = True
        return None


def _reason(exc: BaseException) -> str:
    """The operating system's or the TLS library's words for ``exc``, briefly."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return str(exc.strerror)
    return str(exc)[:200] or type(exc).__name__
