""":class:`Emulator`: the shared state plus its network front ends, started and stopped together.

::

    with Emulator() as emu:                        # demo/demo, 100.00 RUB, free port
        transport = create_transport(emu.url())    # http://demo:demo@127.0.0.1:PORT
        ...

Front ends are a list: HTTP (which also serves SOAP at ``/sys/soap.php``, and the
emulator's own ``/_emulator/`` paths: health, and the control API when ``control``
enables it), HTTPS with ``https_port``, SMTP with ``smtp_port``, SMPP with
``smpp_port`` (and TLS with ``smpps_port``), and any listener passed as a factory in
``front_ends`` (each takes the state and returns an object with ``name``, ``port``,
``start()`` and ``stop()``); :meth:`Emulator.ready_line` names them all. With
``snapshot`` the state is loaded from that file at start and written back at stop
(and every ``snapshot_interval`` seconds).
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Protocol
from urllib.parse import quote

from smsc_transports.emulator.callback_sender import CallbackDispatcher, RetryRule
from smsc_transports.emulator.http.control import ControlSettings, ServiceApi
from smsc_transports.emulator.http.front import HttpFrontEnd
from smsc_transports.emulator.snapshot import SnapshotFile
from smsc_transports.emulator.state.accounts import Account, Limits, Tariff
from smsc_transports.emulator.state.clock import Clock
from smsc_transports.emulator.state.records import IncomingRecord
from smsc_transports.emulator.state.smsc import EmulatorState

__all__ = ["Emulator", "FrontEnd", "FrontEndFactory"]


class FrontEnd(Protocol):
    """A protocol listener on the emulator's state."""

    name: str

    @property
    def port(self) -> int:
        """The port it listens on once started."""
        ...

    def start(self) -> None:
        """Start listening (return once ready)."""
        ...

    def stop(self) -> None:
        """Stop listening and release the port."""
        ...


FrontEndFactory = Callable[[EmulatorState], FrontEnd]
"""Builds a front end on the shared state (for listeners passed in ``front_ends``)."""


class Emulator:
    """A local SMSC: an :class:`EmulatorState` served over HTTP (and SOAP), SMTP and SMPP.

    ``accounts`` default to ``demo``/``demo`` with 100.00 RUB. ``clock``, ``limits``,
    ``tariff``, ``transfer_after``, ``deliver_after`` and ``callback_url`` go to the
    state; ``http_port`` 0 picks a free port. HTTP always runs; ``smtp_port``,
    ``smpp_port`` and ``smpps_port`` (0 = a free port; TLS ones need ``tls_context``)
    add the other front ends, ``front_ends`` any listener of your own; ``https_port``
    serves the HTTP API over TLS with ``tls_context`` too, and ``certificate`` (PEM
    bytes) is then offered at ``/_emulator/ca.pem``. HTTP answers are labelled
    ``charset=windows-1251`` whatever they are encoded in, as SMSC's are;
    ``echo_charset=True`` names the charset the body is really in. ``control`` enables
    the control API on the HTTP ports (:class:`~.http.control.ControlSettings`);
    ``callback_retry`` is when failed callbacks are tried again
    (:class:`~.callback_sender.RetryRule`); ``snapshot`` is a file the state is loaded
    from at start and saved to at stop and every ``snapshot_interval`` seconds. Use as
    a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        accounts: Iterable[Account] | None = None,
        *,
        host: str = "127.0.0.1",
        http_port: int = 0,
        clock: Clock | None = None,
        limits: Limits | None = None,
        tariff: Tariff | None = None,
        callback_url: str | None = None,
        transfer_after: float = 1.0,
        deliver_after: float = 3.0,
        max_body: int = 4 << 20,
        callback_interval: float = 0.2,
        front_ends: Iterable[FrontEndFactory] = (),
        smtp_port: int | None = None,
        smpp_port: int | None = None,
        smpps_port: int | None = None,
        tls_context: ssl.SSLContext | None = None,
        echo_charset: bool = False,
        https_port: int | None = None,
        certificate: bytes | None = None,
        control: ControlSettings | None = None,
        callback_retry: RetryRule | None = None,
        snapshot: str | os.PathLike[str] | None = None,
        snapshot_interval: float | None = None,
    ) -> None:
        control = control or ControlSettings()
        control.check(host)
        self.host = host
        self.state = EmulatorState(
            accounts,
            clock=clock,
            limits=limits,
            tariff=tariff,
            transfer_after=transfer_after,
            deliver_after=deliver_after,
            callback_url=callback_url,
        )
        self.service = ServiceApi(self.state, self, control, certificate=certificate)
        self.http = HttpFrontEnd(
            self.state,
            host=host,
            port=http_port,
            max_body=max_body,
            echo_charset=echo_charset,
            service=self.service,
        )
        self.front_ends: list[FrontEnd] = [self.http]
        if https_port is not None:
            if tls_context is None:
                raise ValueError("https_port needs a tls_context with a certificate")
            self.front_ends.append(
                HttpFrontEnd(
                    self.state,
                    host=host,
                    port=https_port,
                    max_body=max_body,
                    echo_charset=echo_charset,
                    tls_context=tls_context,
                    service=self.service,
                )
            )
        self.front_ends += [factory(self.state) for factory in front_ends]
        if smtp_port is not None:
            # STARTTLS is offered when a certificate is given, as SMTP servers do.
            from smsc_transports.emulator.smtp import SmtpFrontEnd

            self.front_ends.append(
                SmtpFrontEnd(self.state, host=host, port=smtp_port, tls_context=tls_context)
            )
        if smpp_port is not None or smpps_port is not None:
            from smsc_transports.emulator.smpp.front import SmppFrontEnd

            if smpp_port is not None:
                self.front_ends.append(SmppFrontEnd(self.state, host=host, port=smpp_port))
            if smpps_port is not None:
                if tls_context is None:
                    raise ValueError("smpps_port needs a tls_context with a certificate")
                self.front_ends.append(
                    SmppFrontEnd(
                        self.state,
                        host=host,
                        port=smpps_port,
                        tls_context=tls_context,
                        name="smpps",
                    )
                )
        self.callbacks = CallbackDispatcher(
            self.state, interval=callback_interval, retry=callback_retry
        )
        self.snapshot = (
            None
            if snapshot is None
            else SnapshotFile(snapshot, self.state, interval=snapshot_interval)
        )
        self._running = False

    def start(self) -> Emulator:
        """Start every front end (and the callback ticker when a callback URL is set).

        A front end that cannot listen (its port taken, say) raises :class:`OSError`
        naming its address; the ones already started are stopped again.
        """
        if self._running:
            return self
        if self.snapshot is not None:
            # Before listening: a damaged snapshot, or a file that cannot be written,
            # stops the start with nothing served (rather than losing the state at exit).
            self.snapshot.load()
            self.snapshot.save()
        started: list[FrontEnd] = []
        try:
            for front in self.front_ends:
                try:
                    front.start()
                except OSError as exc:
                    host = getattr(front, "host", self.host)
                    port = getattr(front, "requested_port", "?")
                    reason = exc.strerror or str(exc)
                    raise OSError(
                        exc.errno, f"cannot listen on {host}:{port} ({front.name}): {reason}"
                    ) from exc
                started.append(front)
        except BaseException:
            for front in reversed(started):
                front.stop()
            raise
        if self.state.callbacks_wanted:
            self.callbacks.start()
        if self.snapshot is not None:
            self.snapshot.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop everything started (saving the snapshot, if any); safe to call twice."""
        was_running, self._running = self._running, False
        self.callbacks.stop()
        for front in reversed(self.front_ends):
            front.stop()
        if was_running and self.snapshot is not None:
            self.snapshot.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the front ends are listening."""
        return self._running

    @property
    def http_port(self) -> int:
        """The HTTP front end's port."""
        return self.http.port

    @property
    def http_url(self) -> str:
        """``http://127.0.0.1:PORT``: where SMSC's ``/sys/*.php`` paths are served."""
        return self.http.url

    @property
    def ports(self) -> dict[str, int]:
        """Each front end's port by name (``{"http": 54321, ...}``)."""
        return {front.name: front.port for front in self.front_ends}

    def ready_line(self) -> str:
        """``emulator ready http=PORT [smpp=PORT ...]``: what the CLI prints when listening."""
        ports = " ".join(f"{name}={port}" for name, port in self.ports.items())
        return f"emulator ready {ports}"

    def url(
        self,
        scheme: str = "http",
        login: str = "demo",
        password: str = "demo",  # noqa: S107  # the demo account's well-known password
    ) -> str:
        """A settings URL for the library's factory, e.g. ``http://demo:demo@127.0.0.1:PORT``.

        ``scheme`` picks the front end: ``http`` (or ``https``), ``soap`` (served on the
        HTTP port), ``smtp``, ``smpp``, or any other front end's name; a ``+suffix``
        (``soap+http``) is kept in the URL and ignored for the choice.
        """
        # SOAP is served on the HTTP port, at /sys/soap.php, as on SMSC.
        name = scheme.partition("+")[0]
        ports = self.ports
        if name == "soap" or (name == "https" and "https" not in ports):
            name = "http"
        if name not in ports:
            raise ValueError(f"the emulator has no {scheme} front end")
        credentials = f"{quote(login, safe='')}:{quote(password, safe='')}"
        return f"{scheme}://{credentials}@{self.host}:{ports[name]}"

    def flush_callbacks(self) -> int:
        """Deliver the callbacks due now (after moving a manual clock); return how many."""
        return self.callbacks.flush()

    def push_incoming(
        self, login: str, phone: str, text: str, to_phone: str | None = None
    ) -> IncomingRecord:
        """An incoming message to ``login``: stored, posted to its callback URL, and pushed
        as deliver_sm to a receiving SMPP bind when an SMPP front end runs."""
        for front in self.front_ends:
            push = getattr(front, "push_incoming", None)
            if callable(push) and self._running:
                record: IncomingRecord = push(login, phone, text, to_phone)
                return record
        return self.state.add_incoming(login, phone, text, to_phone)

    def release_delayed(self) -> None:
        """End every HTTP answer currently held back by a slow test number."""
        self.http.release_delayed()
