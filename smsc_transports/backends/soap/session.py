"""zeep's ``requests`` session for the SOAP backend: deadlines and errors.

zeep talks to SMSC through a ``requests.Session``; this module bounds each call and
maps what ``requests`` raises onto this library's errors, as the retry rule
(DESIGN.md, "Reliability rules") needs them.

``requests`` applies its read timeout to each ``recv``, so a server that sends one
byte at a time, each inside the timeout, could hold a call for ever. Every attempt
therefore runs under a :class:`CallDeadline`: the session's connections
(:func:`watched_session`) register with the deadline of the call using them, and a
:class:`Watchdog` thread shuts their sockets down when it passes, which ends the
blocked read at once; :func:`mapped_requests_errors` then reports a
:class:`TransportTimeout`.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.exceptions

from smsc_transports.errors import (
    ConnectError,
    OutcomeUnknown,
    ProtocolError,
    TransportError,
    TransportTimeout,
)

__all__ = [
    "CallDeadline",
    "Watchdog",
    "mapped_requests_errors",
    "never_connected",
    "read_bounded",
    "watched_session",
]

log = logging.getLogger(__name__)

# How long an idle watchdog thread waits for the next call before it ends.
_WATCHDOG_IDLE = 10.0


class CallDeadline:
    """One attempt's deadline and the connections it is using.

    :meth:`expire` shuts down the sockets of those connections (and of any that joins
    later); ``cut`` says whether it shut one down, in which case what was read may be
    incomplete and the attempt counts as timed out.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.cut = False
        self._connections: set[_WatchedConnection] = set()
        self._lock = threading.Lock()

    def watch(self, connection: _WatchedConnection) -> None:
        """Count ``connection`` as this call's until it goes back to its pool."""
        with self._lock:
            connection.smsc_deadline = self
            self._connections.add(connection)
            if self.expired:
                self._cut(connection)

    def forget(self, connection: _WatchedConnection) -> None:
        """``connection`` went back to its pool: another call may take it, never cut it."""
        with self._lock:
            self._connections.discard(connection)
            if connection.smsc_deadline is self:
                connection.smsc_deadline = None

    def expire(self) -> None:
        """Mark the deadline passed and shut down every connection the call is using."""
        with self._lock:
            self.expired = True
            for connection in self._connections:
                self._cut(connection)

    def _cut(self, connection: _WatchedConnection) -> None:
        # An answer with "Connection: close" takes the socket away from the connection
        # (http.client hands it to the response), so the one connect() made is kept too.
        sock = connection.sock or connection.smsc_socket
        if sock is None:
            return  # not connected yet: connect() checks the deadline when it returns
        self.cut = True
        with contextlib.suppress(OSError):
            # socket.socket's own shutdown, also for a TLS socket: SSLSocket.shutdown
            # would drop its SSL object under the feet of the thread reading from it.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


# The deadline of the attempt running in this thread or task. requests has no way to
# hand a per-call value down to urllib3's connections; a context variable reaches them
# without any state shared between threads.
_CURRENT_DEADLINE: contextvars.ContextVar[CallDeadline | None] = contextvars.ContextVar(
    "smsc_transports_call_deadline", default=None
)


class Watchdog:
    """One thread that expires the deadlines of the attempts still running past them.

    The thread starts with the first attempt and ends after a while without one, or
    on :meth:`close`; a later attempt starts it again.
    """

    def __init__(self, name: str = "smsc-deadline") -> None:
        self._name = name
        self._condition = threading.Condition()
        self._running: set[CallDeadline] = set()
        self._thread: threading.Thread | None = None
        self._wake_at = math.inf
        self._closing = False

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[CallDeadline]:
        """Run the block as one attempt that may take at most ``seconds`` in all."""
        call = CallDeadline(seconds)
        with self._condition:
            self._running.add(call)
            if self._thread is None:
                self._closing = False
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            elif call.at < self._wake_at:
                self._condition.notify()
        token = _CURRENT_DEADLINE.set(call)
        try:
            yield call
        finally:
            _CURRENT_DEADLINE.reset(token)
            with self._condition:
                self._running.discard(call)

    def close(self) -> None:
        """Stop the thread (running attempts keep their sockets, uncut)."""
        with self._condition:
            thread = self._thread
            self._closing = True
            self._condition.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self) -> None:
        with self._condition:
            while not self._closing:
                now = time.monotonic()
                for call in [call for call in self._running if call.at <= now]:
                    self._running.discard(call)
                    call.expire()
                if self._running:
                    self._wake_at = min(call.at for call in self._running)
                    self._condition.wait(self._wake_at - now)
                    continue
                self._wake_at = math.inf
                self._condition.wait(_WATCHDOG_IDLE)
                if not self._running:
                    break
            self._thread = None


class _WatchedConnection(urllib3.connection.HTTPConnection):
    """A connection that registers with the deadline of the call using it."""

    smsc_deadline: CallDeadline | None = None
    smsc_socket: socket.socket | None = None

    def connect(self) -> None:
        call = _CURRENT_DEADLINE.get()
        if call is not None:
            call.watch(self)
        super().connect()
        self.smsc_socket = self.sock
        if call is not None and call.expired:
            call.expire()  # the deadline passed while connecting: cut the new socket now

    def request(self, *args: Any, **kwargs: Any) -> None:
        call = _CURRENT_DEADLINE.get()
        if call is not None:
            call.watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedConnection, urllib3.connection.HTTPSConnection):
    """The TLS twin of :class:`_WatchedConnection`."""


def _forget(connection: object) -> None:
    if isinstance(connection, _WatchedConnection) and connection.smsc_deadline is not None:
        connection.smsc_deadline.forget(connection)


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedConnection

    def _put_conn(self, conn: Any) -> None:
        _forget(conn)
        super()._put_conn(conn)


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _put_conn(self, conn: Any) -> None:
        _forget(conn)
        super()._put_conn(conn)


class _WatchedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter with pools of :class:`_WatchedConnection` (direct and via proxy)."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _watched_pools()

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            # A SOCKS proxy brings connection classes of its own; those are not watched.
            manager.pool_classes_by_scheme = _watched_pools()
        return manager


def _watched_pools() -> dict[str, type[urllib3.HTTPConnectionPool]]:
    return {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def watched_session() -> requests.Session:
    """Return a ``requests.Session`` whose connections a :class:`Watchdog` can cut."""
    session = requests.Session()
    session.mount("https://", _WatchedAdapter())
    session.mount("http://", _WatchedAdapter())
    return session


def never_connected(exc: requests.ConnectionError) -> bool:
    """Whether a requests ``ConnectionError`` happened before a connection existed."""
    reason: object = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(
        reason,
        urllib3.exceptions.NewConnectionError
        | urllib3.exceptions.NameResolutionError
        | urllib3.exceptions.ConnectTimeoutError,
    )


def read_bounded(response: requests.Response, limit: int, what: str = "SMSC answer") -> bytes:
    """Read ``response``'s body, refusing (``ProtocolError``) more than ``limit`` bytes.

    The body is streamed, so a hostile server cannot make us hold more than ``limit``.
    """
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ProtocolError(f"{what} is larger than {limit} bytes; refused")
        chunks.append(chunk)
    return b"".join(chunks)


@contextlib.contextmanager
def mapped_requests_errors(
    where: str,
    timeout: float,
    why: Callable[[BaseException], str],
    deadline: CallDeadline | None = None,
) -> Iterator[None]:
    """Turn ``requests`` exceptions raised inside into this library's transport errors.

    ``why`` renders an exception as a safe (secret-free) excerpt. When ``deadline`` cut
    the connection, whatever the block raised or read becomes a
    :class:`TransportTimeout`: the answer cannot be trusted whole.
    """
    try:
        with _requests_errors(where, timeout, why):
            yield
    except Exception:
        if deadline is not None and deadline.cut:
            raise _late(where, deadline) from None
        raise
    if deadline is not None and deadline.cut:
        raise _late(where, deadline)


def _late(where: str, deadline: CallDeadline) -> TransportTimeout:
    return TransportTimeout(
        f"no answer from {where} within {deadline.seconds:g} s (the timeout bounds the "
        "whole exchange); the request may have arrived"
    )


def socket_reason(exc: BaseException) -> str | None:
    """The operating system's words for the failure at the bottom of ``exc``, if any.

    ``requests`` wraps urllib3's error, which wraps the socket's, each adding a line of
    its own; "Connection refused" or "Name or service not known" is what a reader needs.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and isinstance(current.errno, int) and current.strerror:
            return str(current.strerror)
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in current.args if isinstance(a, BaseException)), None)
        current = inner or current.__cause__ or current.__context__
    return None


@contextlib.contextmanager
def _requests_errors(
    where: str, timeout: float, why: Callable[[BaseException], str]
) -> Iterator[None]:
    try:
        yield
    except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
        raise ConnectError(f"cannot connect to {where}: {why(exc)}") from None
    except requests.exceptions.ProxyError as exc:
        raise ConnectError(f"proxy refused {where}: {why(exc)}") from None
    except requests.ReadTimeout:
        raise TransportTimeout(f"no answer from {where} within {timeout:g} s") from None
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
        raise ProtocolError(f"truncated or garbled answer from {where}") from None
    except requests.ConnectionError as exc:
        if never_connected(exc):
            raise ConnectError(
                f"cannot connect to {where}: {socket_reason(exc) or why(exc)}"
            ) from None
        raise OutcomeUnknown(f"connection to {where} lost before the answer: {why(exc)}") from None
    except requests.RequestException as exc:
        raise TransportError(f"request to {where} failed: {why(exc)}") from None
