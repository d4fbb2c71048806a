"""The ``smsc emulator`` subcommand: run a local SMSC until SIGINT/SIGTERM.

It prints exactly one line once listening, ``emulator ready http=PORT`` followed by
``https=PORT``, ``smtp=PORT``, ``smpp=PORT``, ``smpps=PORT`` for each other front end
asked for, so scripts (and tests) can start it with ``--http-port 0`` and read the
ports. ``--config FILE`` reads a scenario file (:mod:`~.scenario`); options given on
the command line win over the file. On SIGTERM or SIGINT it stops every listener,
writes the snapshot (``--snapshot``) and exits with status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import os
import signal
import ssl
import sys
import tempfile
import threading
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import FrameType

from smsc_transports.emulator.callback_sender import RetryRule
from smsc_transports.emulator.certificate import self_signed, server_context
from smsc_transports.emulator.http.control import ControlSettings
from smsc_transports.emulator.scenario import Scenario, SmppScenario, SmtpScenario, load_scenario
from smsc_transports.emulator.server import Emulator, FrontEnd, FrontEndFactory
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from smsc_transports.emulator.state.accounts import Account, Limits
from smsc_transports.emulator.state.clock import ScaledClock
from smsc_transports.emulator.state.smsc import EmulatorState
from smsc_transports.errors import ConfigurationError

__all__ = ["TOKEN_VARIABLE", "add_parser", "build_emulator", "parse_account", "run", "scenario_of"]

TOKEN_VARIABLE = "SMSC_EMULATOR_TOKEN"  # noqa: S105  # a variable's name, not its value
"""The environment variable read for the control API's token when no option gives one."""


def parse_account(value: str) -> Account:
    """``LOGIN:PASSWORD[:BALANCE]`` as an :class:`Account` (argparse type)."""
    login, colon, rest = value.partition(":")
    if not login or not colon or not rest:
        raise argparse.ArgumentTypeError("expected LOGIN:PASSWORD[:BALANCE]")
    password, balance = rest, Decimal("100.00")
    head, colon, tail = rest.rpartition(":")
    if colon and head:
        # The last field is a balance only if it reads as a number: a password may hold ":".
        with contextlib.suppress(InvalidOperation):
            amount = Decimal(tail)
            if amount.is_finite():
                balance, password = amount, head
    return Account(login, password, balance=balance)


def _delays(value: str) -> RetryRule:
    """``10,60,600`` (seconds) as a :class:`RetryRule`; ``""`` or ``none`` never retries."""
    if value.strip().lower() in ("", "none"):
        return RetryRule(())
    try:
        return RetryRule(tuple(float(part) for part in value.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError("expected seconds, comma-separated: 10,60,600") from None


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``emulator`` subcommand; its handler is ``args.func`` (= :func:`run`)."""
    parser = subparsers.add_parser(
        "emulator",
        help="run a local SMSC emulator",
        description="Run a local SMS Center emulator (HTTP API) until interrupted. "
        "Options given here win over the scenario file's (--config).",
    )
    add = parser.add_argument
    add("--config", metavar="FILE", help="a scenario file (TOML; see docs/emulator.md)")
    add("--host", help="address to listen on (default 127.0.0.1)")
    add("--http-port", type=int, help="HTTP port (default 0 = any free port)")
    add("--https-port", type=int, help="also serve the HTTP API over TLS (0 = any free port)")
    add(
        "--account",
        action="append",
        type=parse_account,
        metavar="LOGIN:PASSWORD[:BALANCE]",
        help="an account (repeatable; default demo:demo:100.00)",
    )
    add("--smtp-port", type=int, help="also serve e-mail-to-SMS over SMTP (0 = any free port)")
    add("--smpp-port", type=int, help="also serve SMPP 3.4 (0 = any free port)")
    add("--smpps-port", type=int, help="also serve SMPP over TLS (0 = any free port)")
    add("--tls-cert", help="certificate (PEM) for HTTPS, SMPPS and SMTP's STARTTLS; "
        "without it, TLS listeners get a self-signed one")  # fmt: skip
    add("--tls-key", help="private key (PEM) of --tls-cert")
    add("--tls-dir", help="folder for the self-signed certificate made when no --tls-cert "
        "is given (kept and reused; default a temporary folder)")  # fmt: skip
    add("--callback-url", help="URL that receives status callbacks")
    add("--callback-retries", type=_delays, metavar="SECONDS,...",
        help="retry a failed callback after these delays "
        "(default 10,60,600; none = never)")  # fmt: skip
    add(
        "--deliver-after",
        type=float,
        metavar="SECONDS",
        help="seconds from sending to the final status (default 3)",
    )
    add("--clock-speed", type=float, metavar="X",
        help="emulator seconds per real second "
        "(default 1; 0 = moves only by the control API)")  # fmt: skip
    add("--no-limits", action="store_true",
        help="turn off SMSC's rate limits (error 9) and IP blocking (error 4)")  # fmt: skip
    add("--no-ip-block", action="store_true",
        help="never block an address after frequent errors (error 4), for test suites "
        "that try wrong passwords on purpose")  # fmt: skip
    add("--echo-charset", action="store_true",
        help="name the charset an HTTP answer is really in, instead of SMSC's "
        "charset=windows-1251 label")  # fmt: skip
    add("--control", action="store_true", help="enable the control API on the HTTP port(s)")
    add("--control-token", help=f"token the control API requires (or ${TOKEN_VARIABLE}); "
        "needed when --host is not loopback")  # fmt: skip
    add("--snapshot", metavar="FILE", help="load the state from FILE at start, save it at exit")
    add("--snapshot-interval", type=float, metavar="SECONDS",
        help="also save the snapshot every SECONDS")  # fmt: skip
    add("--live", type=float, metavar="SECONDS",
        help="print a one-line summary (accepted, rate, refusals) on stderr "
        "every SECONDS")  # fmt: skip
    parser.set_defaults(func=run)


def scenario_of(args: argparse.Namespace) -> Scenario:
    """The scenario file's settings (or the defaults), with the command line's on top."""
    scenario = load_scenario(args.config) if args.config else Scenario()
    simple = {
        "host": args.host,
        "http_port": args.http_port,
        "https_port": args.https_port,
        "callback_url": args.callback_url,
        "deliver_after": args.deliver_after,
        "clock_speed": args.clock_speed,
        "retry": args.callback_retries,
        "snapshot": None if args.snapshot is None else Path(args.snapshot),
        "snapshot_interval": args.snapshot_interval,
        "tls_cert": None if args.tls_cert is None else Path(args.tls_cert),
        "tls_key": None if args.tls_key is None else Path(args.tls_key),
        "tls_dir": None if args.tls_dir is None else Path(args.tls_dir),
    }
    for name, value in simple.items():
        if value is not None:
            setattr(scenario, name, value)
    if args.account:
        scenario.accounts = [*scenario.accounts, *args.account]
    if args.no_limits:
        scenario.limits = Limits.unlimited()
    if args.no_ip_block:
        scenario.limits = (scenario.limits or Limits()).without_ip_block()
    if args.echo_charset:
        scenario.echo_charset = True
    token = args.control_token or scenario.control.token or os.environ.get(TOKEN_VARIABLE)
    enabled = args.control or scenario.control.enabled
    scenario.control = ControlSettings(enabled=enabled, token=token or None)
    if args.smtp_port is not None:
        # As before scenario files: a certificate on the command line means STARTTLS.
        base = scenario.smtp or SmtpScenario(tls="starttls" if args.tls_cert else "none")
        scenario.smtp = dataclasses.replace(base, port=args.smtp_port)
    if args.smpp_port is not None or args.smpps_port is not None:
        base_smpp = scenario.smpp or SmppScenario(port=None)
        if args.smpp_port is not None:
            base_smpp = dataclasses.replace(base_smpp, port=args.smpp_port)
        if args.smpps_port is not None:
            base_smpp = dataclasses.replace(base_smpp, tls_port=args.smpps_port)
        scenario.smpp = base_smpp
    _check(scenario)
    return scenario


def _check(scenario: Scenario) -> None:
    if scenario.tls_cert is None and scenario.tls_key is not None:
        raise ConfigurationError("--tls-key needs --tls-cert (the certificate it belongs to)")
    if scenario.snapshot_interval is not None and scenario.snapshot is None:
        raise ConfigurationError("--snapshot-interval needs --snapshot FILE")
    if scenario.snapshot_interval is not None and not scenario.snapshot_interval > 0:
        raise ConfigurationError("--snapshot-interval must be above 0 seconds")
    if not scenario.clock_speed >= 0:
        raise ConfigurationError("--clock-speed must be 0 or more")
    try:
        scenario.control.check(scenario.host)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


@contextlib.contextmanager
def build_emulator(scenario: Scenario) -> Iterator[Emulator]:
    """An :class:`Emulator` (not started) for ``scenario``; a self-signed certificate it
    made in a temporary folder is removed when the context ends."""
    with contextlib.ExitStack() as stack:
        cert, key = scenario.tls_cert, scenario.tls_key
        wants_tls = (
            scenario.https_port is not None
            or (scenario.smpp is not None and scenario.smpp.tls_port is not None)
            or (scenario.smtp is not None and scenario.smtp.tls != "none")
        )
        if cert is None and wants_tls:
            folder = scenario.tls_dir
            if folder is None:
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="smsc-tls-")))
            cert, key = self_signed(folder, scenario.host)
            print(f"emulator: self-signed certificate {cert} (also served at /_emulator/ca.pem)",
                  file=sys.stderr, flush=True)  # fmt: skip
        tls: ssl.SSLContext | None = None if cert is None else server_context(cert, key)
        certificate = None
        if cert is not None:
            with contextlib.suppress(OSError):
                certificate = _certificate_only(cert.read_bytes())
        yield Emulator(
            scenario.accounts or None,
            host=scenario.host,
            http_port=scenario.http_port,
            https_port=scenario.https_port,
            clock=ScaledClock(scenario.clock_speed, scenario.clock_start),
            limits=scenario.limits,
            tariff=scenario.tariff,
            callback_url=scenario.callback_url,
            transfer_after=(
                min(1.0, scenario.deliver_after)
                if scenario.transfer_after is None
                else scenario.transfer_after
            ),
            deliver_after=scenario.deliver_after,
            front_ends=_front_ends(scenario, tls),
            tls_context=tls,
            certificate=certificate,
            control=scenario.control,
            callback_retry=scenario.retry,
            snapshot=scenario.snapshot,
            snapshot_interval=scenario.snapshot_interval,
            echo_charset=scenario.echo_charset,
        )


def _certificate_only(pem: bytes) -> bytes:
    """The certificate blocks of a PEM file, never a private key stored beside them."""
    blocks = pem.split(b"-----END CERTIFICATE-----")
    kept = [
        b[b.index(b"-----BEGIN CERTIFICATE-----") :]
        for b in blocks
        if b"-----BEGIN CERTIFICATE-----" in b
    ]
    return b"".join(block + b"-----END CERTIFICATE-----\n" for block in kept)


def _front_ends(scenario: Scenario, tls: ssl.SSLContext | None) -> list[FrontEndFactory]:
    factories: list[FrontEndFactory] = []
    host = scenario.host
    smtp = scenario.smtp
    if smtp is not None:

        def smtp_front(state: EmulatorState) -> FrontEnd:
            from smsc_transports.emulator.smtp import SmtpFrontEnd

            return SmtpFrontEnd(
                state,
                host=host,
                port=smtp.port,
                tls_context=None if smtp.tls == "none" else tls,
                implicit_tls=smtp.tls == "implicit",
                auth_users=smtp.auth or None,
                auth_required=smtp.auth_required,
                require_starttls=smtp.require_starttls,
            )

        factories.append(smtp_front)
    smpp = scenario.smpp
    if smpp is not None:
        for port, name in ((smpp.port, "smpp"), (smpp.tls_port, "smpps")):
            if port is None:
                continue

            def smpp_front(state: EmulatorState, port: int = port, name: str = name) -> FrontEnd:
                return SmppFrontEnd(
                    state,
                    host=host,
                    port=port,
                    tls_context=tls if name == "smpps" else None,
                    name=name,
                    throttle_rate=smpp.throttle_rate,
                    receipt_ids=smpp.receipt_ids,
                )

            factories.append(smpp_front)
    return factories


def _summary(emulator: Emulator) -> str:
    """The ``--live`` line: what the state accepted and refused, and the SMPP links."""
    line = emulator.state.activity.summary()
    smpp = [front for front in emulator.front_ends if isinstance(front, SmppFrontEnd)]
    if smpp:
        links = sum(len(front.live) for front in smpp)
        throttled = sum(front.throttled for front in smpp)
        line += f" · SMPP links {links}, submits throttled {throttled}"
    return line


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM, then stop cleanly; return the exit status (0).

    Options that cannot work (a bad scenario file, a TLS port without a certificate,
    an unreadable certificate or snapshot, a port already taken) raise
    :class:`ConfigurationError` before or while starting, with nothing left listening.
    """
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    scenario = scenario_of(args)
    previous = {}
    in_main = threading.current_thread() is threading.main_thread()
    thresholds = gc.get_threshold()
    if in_main:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
        # The emulator keeps every message it accepted: a heap of long-lived objects
        # that only grows. With CPython's default thresholds (700, 10, 10) a bulk load
        # collects the youngest objects every ~100 recipients and walks the whole heap
        # (every message stored so far: ~40 ms at 100,000) every few ten thousand. A
        # first threshold of 10,000 makes both 14 times rarer. This process is the
        # emulator (run as a program, in its main thread); its own come back on exit.
        gc.set_threshold(10_000, 10, 10)
    try:
        with build_emulator(scenario) as emulator:
            try:
                emulator.start()
            except OSError as exc:
                raise ConfigurationError(str(exc.strerror or exc)) from None
            except ValueError as exc:  # a damaged snapshot
                raise ConfigurationError(str(exc)) from None
            with emulator:
                if emulator.snapshot is None or not emulator.snapshot.loaded:
                    for text in scenario.incoming:
                        emulator.push_incoming(text.login, text.phone, text.text, text.to)
                print(emulator.ready_line(), flush=True)
                every = args.live if args.live and args.live > 0 else None
                while not stop.wait(every or 0.5):
                    if every is not None:
                        print(_summary(emulator), file=sys.stderr, flush=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if in_main:
            gc.set_threshold(*thresholds)
    sys.stdout.flush()
    return 0
