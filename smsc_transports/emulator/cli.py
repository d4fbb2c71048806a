"""The ``smsc emulator`` subcommand: run a local SMSC until SIGINT/SIGTERM.

It prints exactly one line once listening, ``emulator ready http=PORT`` followed by
``smtp=PORT``, ``smpp=PORT``, ``smpps=PORT`` for each other front end asked for, so
scripts (and tests) can start it with ``--http-port 0`` and read the ports.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import ssl
import sys
import threading
from decimal import Decimal, InvalidOperation
from types import FrameType

from smsc_transports.emulator.server import Emulator
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from smsc_transports.emulator.state.accounts import Account, Limits
from smsc_transports.errors import ConfigurationError

__all__ = ["add_parser", "parse_account", "run"]


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


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``emulator`` subcommand; its handler is ``args.func`` (= :func:`run`)."""
    parser = subparsers.add_parser(
        "emulator",
        help="run a local SMSC emulator",
        description="Run a local SMS Center emulator (HTTP API) until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--http-port", type=int, default=0, help="HTTP port (0 = any free port)")
    parser.add_argument(
        "--account",
        action="append",
        type=parse_account,
        metavar="LOGIN:PASSWORD[:BALANCE]",
        help="an account (repeatable; default demo:demo:100.00)",
    )
    parser.add_argument(
        "--smtp-port", type=int, help="also serve e-mail-to-SMS over SMTP (0 = any free port)"
    )
    parser.add_argument("--smpp-port", type=int, help="also serve SMPP 3.4 (0 = any free port)")
    parser.add_argument(
        "--smpps-port", type=int, help="also serve SMPP over TLS (needs --tls-cert)"
    )
    parser.add_argument("--tls-cert", help="certificate (PEM) to offer STARTTLS/TLS with")
    parser.add_argument("--tls-key", help="private key (PEM) of --tls-cert")
    parser.add_argument("--callback-url", help="URL that receives status callbacks")
    parser.add_argument(
        "--deliver-after",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="seconds from sending to the final status (default 3)",
    )
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="turn off SMSC's rate limits (error 9) and IP blocking (error 4)",
    )
    parser.add_argument(
        "--no-ip-block",
        action="store_true",
        help="never block an address after frequent errors (error 4), for test suites "
        "that try wrong passwords on purpose",
    )
    parser.add_argument(
        "--echo-charset",
        action="store_true",
        help="name the charset an HTTP answer is really in, instead of SMSC's "
        "charset=windows-1251 label",
    )
    parser.add_argument(
        "--live",
        type=float,
        metavar="SECONDS",
        help="print a one-line summary (accepted, rate, refusals) on stderr every SECONDS",
    )
    parser.set_defaults(func=run)


def _tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    if not args.tls_cert:
        if args.tls_key:
            raise ConfigurationError("--tls-key needs --tls-cert (the certificate it belongs to)")
        if args.smpps_port is not None:
            raise ConfigurationError("--smpps-port needs --tls-cert (and --tls-key, unless the "
                                     "certificate file holds the key too)")  # fmt: skip
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(args.tls_cert, args.tls_key)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise ConfigurationError(f"cannot load --tls-cert {args.tls_cert}: {reason}") from None
    return context


def _limits(args: argparse.Namespace) -> Limits:
    limits = Limits.unlimited() if args.no_limits else Limits()
    return limits.without_ip_block() if args.no_ip_block else limits


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

    Options that cannot work (a TLS port without a certificate, an unreadable
    certificate, a port already taken) raise :class:`ConfigurationError` before or
    while starting, with nothing left listening.
    """
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        stop.set()

    emulator = Emulator(
        args.account,
        host=args.host,
        http_port=args.http_port,
        limits=_limits(args),
        callback_url=args.callback_url,
        transfer_after=min(1.0, args.deliver_after),
        deliver_after=args.deliver_after,
        smtp_port=args.smtp_port,
        smpp_port=args.smpp_port,
        smpps_port=args.smpps_port,
        tls_context=_tls_context(args),
        echo_charset=args.echo_charset,
    )
    previous = {}
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        try:
            emulator.start()
        except OSError as exc:
            raise ConfigurationError(str(exc.strerror or exc)) from None
        with emulator:
            print(emulator.ready_line(), flush=True)
            every = args.live if args.live and args.live > 0 else None
            while not stop.wait(every or 0.5):
                if every is not None:
                    print(_summary(emulator), file=sys.stderr, flush=True)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    sys.stdout.flush()
    return 0
