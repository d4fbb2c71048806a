"""``smsc status --watch``, ``smsc history``, ``smsc inbox`` and ``smsc senders``.

History, inbox and sender IDs exist only in SMSC's HTTP API (``get.php``,
``senders.php``): those three subcommands ask the transport for its
:class:`~smsc_transports.transport.Capability` and refuse one without it with a
:class:`~smsc_transports.errors.ConfigurationError` (exit status 2) that names the
``https://`` scheme. ``--watch`` works over every transport that can ask for a status.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from smsc_transports.cli.output import describe_status, emit, open_transport, to_jsonable
from smsc_transports.errors import (
    APIError,
    ConfigurationError,
    RateLimited,
    TransportError,
    ValidationError,
)
from smsc_transports.results import IncomingMessage, StatusResult
from smsc_transports.transport import Capability, Transport
from smsc_transports.wire.http import MOSCOW

__all__ = [
    "DEFAULT_INTERVAL",
    "MIN_INTERVAL",
    "add_account_parsers",
    "pause",
    "require_capability",
    "watch_command",
    "watch_status",
]

# SMSC answers error 9 to a sixth status request for one message within a minute
# (smsc-protocol.md §1.12): 12 s is the shortest interval that can never trip it.
MIN_INTERVAL = 12.0
DEFAULT_INTERVAL = 15.0


def pause(seconds: float) -> None:
    """Wait between two status polls (tests replace this to drive a manual clock)."""
    time.sleep(seconds)


def watch_status(
    transport: Transport,
    id: str,
    phone: str,
    *,
    interval: float = DEFAULT_INTERVAL,
    timeout: float | None = None,
    on_change: Callable[[StatusResult], None] = lambda result: None,
    on_retry: Callable[[str], None] = lambda reason: None,
    wait: Callable[[float], None] | None = None,
) -> StatusResult | None:
    """Poll the status of ``id`` to ``phone`` until it is final; return the final one.

    ``on_change`` gets the first status and every later one that differs (status or
    delivery error). Error 9 and network failures are waited out (``on_retry`` hears
    why); any other SMSC error is raised. Returns ``None`` when ``timeout`` seconds of
    waiting passed without a final status.
    """
    if interval < MIN_INTERVAL:
        raise ValidationError(
            f"--interval {interval:g} is too short: SMSC allows 5 status requests per "
            f"message a minute, so poll every {MIN_INTERVAL:g} s or slower",
            field="interval",
        )
    sleep = wait or pause
    waited = 0.0
    last: tuple[int, int | None] | None = None
    while True:
        try:
            result = transport.status(id, phone)
        except RateLimited:
            on_retry("SMSC says too many status requests (error 9); waiting")
        except APIError:
            raise
        except TransportError as exc:
            on_retry(f"{type(exc).__name__}: {exc}; trying again")
        else:
            seen = (int(result.status), None if result.error is None else int(result.error))
            if seen != last:
                last = seen
                on_change(result)
            if result.status.is_final:
                return result
        if timeout is not None and waited + interval > timeout:
            return None
        sleep(interval)
        waited += interval


def watch_command(args: argparse.Namespace) -> int:
    """``smsc status ID PHONE --watch``: 0 when delivered, 1 when failed or timed out."""

    def show(result: StatusResult) -> None:
        stamp = datetime.now().astimezone().strftime("%H:%M:%S")  # the reader's own clock
        emit(args, result, f"{stamp} {describe_status(result)}")
        sys.stdout.flush()  # a watcher piped into another program wants each line now

    def warn(reason: str) -> None:
        print(f"smsc: {reason}", file=sys.stderr)

    with open_transport(args) as transport:
        final = watch_status(
            transport,
            args.message_id,
            args.phone,
            interval=args.interval,
            timeout=args.timeout,
            on_change=show,
            on_retry=warn,
        )
    if final is None:
        print(f"smsc: no final status within {args.timeout:g} s", file=sys.stderr)
        return 1
    return 0 if final.status.is_delivered else 1


def require_capability(transport: Transport, capability: Capability, command: str) -> Transport:
    """Return ``transport`` if it can do ``capability``, else raise ConfigurationError.

    Only SMSC's HTTP API has the account operations, so the error names ``https://``.
    """
    if capability in transport.capabilities:
        return transport
    raise ConfigurationError(
        f"smsc {command} needs SMSC's HTTP API, which this {transport.protocol or 'transport'} "
        "transport cannot reach: give an https:// settings URL "
        "(--url https://LOGIN:PASSWORD@smsc.ru or SMSC_URL)"
    )


def _print_list(args: argparse.Namespace, items: list[object], lines: list[str]) -> None:
    if args.json:
        print(json.dumps(to_jsonable(items), ensure_ascii=False))
    else:
        for line in lines:
            print(line)


def _when(value: datetime | None) -> str:
    return value.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M:%S") if value else "-"


def history_command(args: argparse.Namespace) -> int:
    """``smsc history``: messages sent from the account, newest first."""
    start = None
    if args.days is not None:
        if args.days < 0:
            raise ValidationError("--days must not be negative", field="days")
        # SMSC's history dates are Moscow dates, whatever the local time zone.
        start = datetime.now(MOSCOW).date() - timedelta(days=args.days)
    with open_transport(args) as transport:
        found = require_capability(transport, Capability.HISTORY, "history").history(
            start=start, phone=args.phone, count=args.count
        )
    lines = [
        f"{_when(r.sent_at)}  {r.id}  {r.phone}  {r.status.name.lower()}"
        + (f"  {r.cost}" if r.cost is not None else "")
        + (f"  {r.text!r}" if r.text else "")
        for r in found
    ]
    _print_list(args, list(found), lines or ["no messages"])
    return 0


def inbox_command(args: argparse.Namespace) -> int:
    """``smsc inbox``: messages received on the account in the last hours."""
    if not 1 <= args.hours <= 168:
        raise ValidationError("--hours must be 1 to 168 (SMSC keeps a week)", field="hours")
    with open_transport(args) as transport:
        found: list[IncomingMessage] = require_capability(
            transport, Capability.INCOMING, "inbox"
        ).incoming(hours=args.hours, count=args.count)
    lines = [
        f"{_when(m.received_at)}  {m.phone}"
        + (f" -> {m.to_phone}" if m.to_phone else "")
        + f": {m.text}"
        for m in found
    ]
    _print_list(args, list(found), lines or ["no messages"])
    return 0


def senders_command(args: argparse.Namespace) -> int:
    """``smsc senders``: the sender IDs registered on the account."""
    with open_transport(args) as transport:
        names = require_capability(transport, Capability.SENDERS, "senders").senders()
    _print_list(args, list(names), names or ["no sender IDs registered"])
    return 0


def add_account_parsers(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register ``history``, ``inbox`` and ``senders`` (``--watch`` is on ``status``)."""
    p = subparsers.add_parser("history", parents=[common], help="messages sent (HTTP only)")
    p.add_argument("--days", type=int, help="only the last N days (Moscow dates)")
    p.add_argument("--phone", help="only messages to this number")
    p.add_argument("--count", type=int, default=100, help="at most N messages (≤ 1000)")
    p.set_defaults(handler=history_command)

    p = subparsers.add_parser("inbox", parents=[common], help="messages received (HTTP only)")
    p.add_argument("--hours", type=int, default=24, help="the last N hours (1-168, default 24)")
    p.add_argument("--count", type=int, default=100, help="at most N messages")
    p.set_defaults(handler=inbox_command)

    p = subparsers.add_parser("senders", parents=[common], help="registered sender IDs (HTTP only)")
    p.set_defaults(handler=senders_command)
