"""The threaded SMPP transport's connections: one reader thread per bind.

The thread connects (TLS for ``smpps``, with the server name checked), binds, then reads
in a ``select`` loop: answers go through the session, and whatever they let through
is written from the same thread, so the window refills without waking the caller. It
also drives keepalive and timeouts, and reconnects with back-off (and jitter) when the
link drops; while its link is down, its unwritten submits move to the transport's other
bound binds (:meth:`~smsc_transports.wire.smpp.session.binds.Binds.rehome`). Callers
write from their own thread through :meth:`ReaderThread.flush`; one write lock per link
keeps PDUs whole, and the state lock — one for every bind of a transport, as they share
the receipt store — is always taken after it, never before.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

from smsc_transports.backends.smpp.tls import client_context
from smsc_transports.errors import (
    APIError,
    ConnectError,
    ProtocolError,
    SMSCError,
    TransportError,
    TransportTimeout,
)
from smsc_transports.observe import log_fields
from smsc_transports.wire.smpp.session.binds import BindRetry, Binds
from smsc_transports.wire.smpp.session.link import (
    TICK,
    LinkState,
    SmppSession,
    reconnect_delay,
)
from smsc_transports.wire.smpp.session.options import SmppOptions

__all__ = ["ReaderThread"]

log = logging.getLogger("smsc_transports.backends.smpp")


class ReaderThread:
    """Connects, binds, reads and reconnects for one :class:`SmppSession` of ``binds``.

    ``changed`` (with its lock, :attr:`lock`) guards every session of ``binds``, and is
    notified whenever a message is settled, a query answered, an event queued or a
    link's state changes. ``on_moved`` is called (no lock held) after this link's
    unwritten submits moved to other binds, so that their links write them.
    """

    def __init__(
        self,
        options: SmppOptions,
        binds: Binds,
        session: SmppSession,
        changed: threading.Condition,
        on_moved: Callable[[], object] = lambda: None,
    ) -> None:
        self.options = options
        self.binds = binds
        self.session = session
        self.changed = changed
        self.lock = changed
        self.on_moved = on_moved
        self.closed = False
        # When a refused bind tries again; its ``refused`` is set when the SMSC refused
        # the bind and no other bind was up: the thread ended, and the transport's next
        # operation starts it again (SmppTransport._ensure).
        self.retry = BindRetry(options, binds.random.random)
        self._write_lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._opening: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()

    def ensure(self) -> None:
        """Start the reader thread unless it runs (it connects and binds by itself)."""
        if self.closed:
            raise TransportError("the SMPP transport is closed")
        with self.lock:
            if self._reader is not None and self._reader.is_alive():
                return
            self.session.window.down_error = None
            self.retry.refused = None
            self._stop.clear()
            self._reader = threading.Thread(target=self._run, name="smsc-smpp-reader", daemon=True)
            self._reader.start()

    def _run(self) -> None:
        """The reader thread: connect, bind, read until the link ends, reconnect."""
        failures = 0
        options = self.options
        draw = self.binds.random.random
        while not self._stop.is_set():
            host, port = options.addresses[failures % len(options.addresses)]
            try:
                self._open(host, port)
            except APIError as exc:
                # The SMSC refused the bind. With another bind up this one tries again
                # after the back-off; with none, the caller hears the refusal now.
                delay = self.retry.refusal(exc)
                with self.lock:
                    later = self.binds.others_bound(self.session)
                self._give_up(exc, fatal=not later)
                if not later:
                    return
                log.warning(
                    "SMPP bind refused, trying again in %.1f s: %s",
                    delay,
                    exc,
                    extra=log_fields("smpp", "bind", error=exc),
                )
                if self._stop.wait(delay):
                    return
                continue
            except (OSError, TransportError) as exc:
                if self._stop.is_set():
                    return
                failures += 1
                log.warning(
                    "SMPP connect to %s failed (%d): %s",
                    host,
                    failures,
                    exc,
                    extra=log_fields("smpp", "connect", error=exc),
                )
                if failures >= options.reconnect_attempts:
                    self._give_up(_as_connect_error(exc, host), fatal=False)
                else:
                    self._rehome()
                if self._stop.wait(reconnect_delay(options, failures, draw)):
                    return
                continue
            failures = 0
            self.retry.bound()
            with self.lock:
                self.session.window.down_error = None
                self.changed.notify_all()
            cause = self._read_loop()
            self._drop(cause)
            if self._stop.wait(reconnect_delay(options, 0, draw)):
                return

    def _give_up(self, error: SMSCError, *, fatal: bool) -> None:
        with self.lock:
            self.binds.give_up(self.session, error)
            self.session.window.finished.clear()
            if fatal:
                # This thread ends now: the next send must start a new one, even if it
                # comes before this thread has quite finished.
                self._reader = None
                self.retry.refused = error
            self.changed.notify_all()
        self.on_moved()
        if fatal:
            log.error("SMPP bind refused: %s", error, extra=log_fields("smpp", "bind", error=error))

    def _rehome(self) -> None:
        with self.lock:
            moved = self.binds.rehome(self.session)
        if moved:
            self.on_moved()

    def _open(self, host: str, port: int) -> None:
        """Connect (TLS for smpps) and bind; the socket is ours once bound."""
        sock = self._connect(host, port)
        self._opening = sock  # so that close() can interrupt a bind in progress
        try:
            self._bind(sock, host)
        except BaseException:
            with self.lock:
                self.session.link_lost(ConnectError("bind failed"))
            sock.close()
            raise
        finally:
            self._opening = None
        sock.settimeout(self.options.timeout)  # bounds writes; reads wait in select()
        self._sock = sock
        log.info(
            "SMPP bound to %s:%d as %s",
            host,
            port,
            self.options.bind,
            extra=log_fields("smpp", "bind"),
        )

    def _connect(self, host: str, port: int) -> socket.socket:
        options = self.options
        try:
            raw = socket.create_connection((host, port), timeout=options.timeout)
        except TimeoutError as exc:
            raise ConnectError(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:
            raise ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        context = client_context(options)
        if context is None:
            return raw
        try:
            # server_hostname makes the check of the certificate's name happen at all.
            return context.wrap_socket(raw, server_hostname=host)
        except (ssl.SSLError, OSError) as exc:
            raw.close()
            raise ConnectError(f"TLS with {host} failed: {exc}") from exc

    def _bind(self, sock: socket.socket, host: str) -> None:
        with self.lock:
            bind = self.session.begin_bind()
        sock.sendall(bind)
        sock.settimeout(TICK)
        deadline = time.monotonic() + self.options.timeout
        while True:
            with self.lock:
                state = self.session.state
                error = self.session.bind_error
            if state != LinkState.BINDING:
                if error is None:
                    return  # accepted, even if the SMSC already unbinds: the loop answers
                raise error
            if time.monotonic() > deadline:
                raise TransportTimeout(f"no bind response from {host} in time")
            if self._stop.is_set():
                raise ConnectError("the transport is closing")
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise ConnectError(f"{host} closed the connection during bind")
            with self.lock:
                self.session.feed(data)

    def _read_loop(self) -> BaseException:
        sock = self._sock
        assert sock is not None
        session = self.session
        next_tick = time.monotonic() + TICK
        self.flush()
        while True:
            if session.peer_unbound:
                # The flush wrote the unbind_resp and no submit after it (the session
                # left BOUND when it read the unbind); unwritten ones wait for a bind.
                return ConnectError("the SMSC unbound")
            if self._stop.is_set() and (session.state == LinkState.CLOSED or self.closed):
                return ConnectError("transport closed")
            now = time.monotonic()
            with self.lock:
                wake = session.window.wakeup(now)
            wait = max(0.0, min(next_tick - now, TICK if wake is None else wake))
            try:
                pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
                if pending or select.select([sock], [], [], wait)[0]:
                    data = sock.recv(262144)
                    if not data:
                        return ConnectError("the SMSC closed the connection")
                    with self.lock:
                        session.feed(data)
                        self._wake_waiters()
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + TICK
                    with self.lock:
                        reason = session.tick()
                        self._wake_waiters()
                    if reason is not None:
                        return TransportTimeout(reason)
                self.flush()
            except ProtocolError as exc:
                log.warning(
                    "SMPP protocol violation, dropping the link: %s",
                    exc,
                    extra=log_fields("smpp", "read", error=exc),
                )
                return exc
            except (OSError, ValueError) as exc:
                return ConnectError(f"SMPP link failed: {exc}")
            except Exception as exc:  # a bug must cost the link, never the reader thread
                log.exception("unexpected failure in the SMPP reader")
                return ProtocolError(f"unexpected failure reading SMPP: {exc!r}")

    def _wake_waiters(self) -> None:
        if self.session.news() is not None:
            self.changed.notify_all()

    def _drop(self, cause: BaseException) -> None:
        with self._write_lock:
            sock, self._sock = self._sock, None
            if sock is not None:
                sock.close()
        with self.lock:
            self.session.link_lost(cause)
            moved = self.binds.rehome(self.session)
            self.session.window.finished.clear()
            self.changed.notify_all()
        if moved:
            self.on_moved()

    def flush(self) -> None:
        """Write whatever the session has for the wire (from any thread)."""
        with self._write_lock:
            sock = self._sock
            if sock is None:
                return
            with self.lock:
                data = self.session.output()
            if not data:
                return
            try:
                sock.sendall(data)
            except OSError as exc:
                # The reader sees the dead socket and does the bookkeeping.
                log.warning(
                    "SMPP write failed: %s", exc, extra=log_fields("smpp", "write", error=exc)
                )
                _shutdown(sock)

    def write_now(self, data: bytes) -> None:
        """Write ``data`` at once if the link is up (the unbind at close)."""
        with self._write_lock, contextlib.suppress(OSError):
            if self._sock is not None:
                self._sock.sendall(data)

    def stop(self) -> None:
        """Reconnect no more (a link that drops from now on stays down)."""
        self._stop.set()

    def shut(self) -> None:
        """Close the sockets and wait (bounded) for the reader thread to end."""
        self.closed = True
        self._stop.set()
        opening = self._opening
        if opening is not None:
            _shutdown(opening)
        with self._write_lock:
            if self._sock is not None:
                _shutdown(self._sock)
        if self._reader is not None:
            self._reader.join(timeout=5)

    @property
    def running(self) -> bool:
        """Whether the reader thread runs."""
        return self._reader is not None and self._reader.is_alive()


def _as_connect_error(exc: BaseException, host: str) -> SMSCError:
    if isinstance(exc, SMSCError):
        return exc
    return ConnectError(f"cannot reach {host}: {exc}")


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
