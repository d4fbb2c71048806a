"""``smsc emulator`` and ``smsc demo``: the subcommands that run the local SMSC emulator."""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from smsc_transports.cli.output import to_jsonable
from smsc_transports.cli.verbosity import add_verbosity_options
from smsc_transports.emulator import Account, Emulator
from smsc_transports.emulator.cli import add_parser
from smsc_transports.emulator.cli import run as run_emulator
from smsc_transports.errors import ConfigurationError
from smsc_transports.factory import create_transport
from smsc_transports.message import Message
from smsc_transports.results import SendResult
from smsc_transports.statuses import MessageStatus
from smsc_transports.transport import Transport

__all__ = ["add_demo_parser", "add_emulator_parser", "run_demo", "run_emulator"]

DEMO_PHONE = "79990000001"  # the emulator's "always delivered" test number
DEMO_PROTOCOLS = ("https", "soap", "smtp", "smpp")
DEMO_PASSWORD = "demo"  # noqa: S105  # a throwaway account of a throwaway local emulator
STATUS_CHECKS = 4


def add_emulator_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register ``smsc emulator`` (options in :mod:`smsc_transports.emulator.cli`)."""
    add_parser(subparsers)
    # The emulator's options know nothing of the CLI's common ones, but logging is for all.
    add_verbosity_options(subparsers.choices["emulator"])
    subparsers.choices["emulator"].set_defaults(handler=run_emulator)


def add_demo_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register ``smsc demo``: one message over all four protocols of a fresh emulator."""
    parser = subparsers.add_parser(
        "demo", parents=[common], help="send one message over every protocol of a local emulator"
    )
    parser.add_argument("--text", default="Hello from smsc_transports", help="the message to send")
    parser.add_argument("--to", default=DEMO_PHONE, help="phone (default: a test number)")
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """Send one message through a fresh emulator over all four protocols, side by side.

    The same :class:`Message` goes out over HTTP, SOAP, SMTP and SMPP; the results, then
    each copy's status as it moves, are printed as a table (one JSON object with
    ``--json``). Exit 0 when every copy was delivered.
    """
    if getattr(args, "url", None):
        raise ConfigurationError(
            "smsc demo runs a local emulator of its own and takes no --url; "
            "to send through SMSC: smsc send --url URL --to PHONE --text TEXT"
        )
    say: Callable[[str], object] = (lambda line: None) if args.json else print
    message = Message(args.to, args.text)
    # SMSC refuses the same message twice from one account within a minute (error 9),
    # so each protocol sends from an account of its own.
    accounts = [Account(name, DEMO_PASSWORD) for name in DEMO_PROTOCOLS]
    with Emulator(
        accounts, transfer_after=0.3, deliver_after=1.0, smtp_port=0, smpp_port=0
    ) as emulator:
        ports = emulator.ports
        say(
            f"emulator on {emulator.host}: HTTP and SOAP on port {ports['http']}, SMTP on "
            f"{ports['smtp']}, SMPP on {ports['smpp']}; one account per protocol"
        )

        def url(scheme: str, login: str) -> str:
            return emulator.url(scheme, login=login, password=DEMO_PASSWORD)

        # SMTP answers nothing but "accepted": its status is asked over HTTP (status_via).
        companion = quote(url("http", "smtp"), safe="")
        urls = {
            "https": url("http", "https"),
            "soap": url("soap+http", "soap"),
            "smtp": f"{url('smtp', 'smtp')}?status_via={companion}",
            "smpp": url("smpp", "smpp"),
        }
        with contextlib.ExitStack() as stack:
            transports = {
                name: stack.enter_context(create_transport(url)) for name, url in urls.items()
            }
            sent = {name: transport.send(message) for name, transport in transports.items()}
            say(f"\nthe same message, sent over each protocol to {message.phones[0]}:")
            rows = [("protocol", "id", "parts", "cost")] + [
                (name, r.id, str(r.parts), "unknown" if r.cost is None else str(r.cost))
                for name, r in sent.items()
            ]
            widths = [max(len(row[column]) for row in rows) + 2 for column in range(4)]
            for row in rows:
                cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                say("  " + "".join(cells).rstrip())
            rounds = _follow_statuses(transports, sent, message.phones[0], say)
    final = rounds[-1] if rounds else {}
    delivered = len(final) == len(DEMO_PROTOCOLS) and all(s.is_delivered for s in final.values())
    if args.json:
        names = [{name: status.name.lower() for name, status in r.items()} for r in rounds]
        print(json.dumps(to_jsonable({"sent": sent, "statuses": names, "delivered": delivered})))
    elif not final or not all(status.is_final for status in final.values()):
        say(f"\nstatuses did not become final after {STATUS_CHECKS} checks")
    else:
        say("\ndelivered over every protocol" if delivered else "\nnot every copy was delivered")
    return 0 if delivered else 1


def _follow_statuses(
    transports: dict[str, Transport],
    sent: dict[str, SendResult],
    phone: str,
    say: Callable[[str], object],
) -> list[dict[str, MessageStatus]]:
    """Poll each copy's status until all are final; return every round's statuses."""
    say("\nstatus, as SMSC moves each copy along:")
    say(_row("after", *transports))
    started = time.monotonic()
    rounds: list[dict[str, MessageStatus]] = []
    # SMSC answers error 9 to more than five status requests for one message a minute,
    # so the demo asks as a well-behaved client would: rarely.
    for _ in range(STATUS_CHECKS):
        statuses = {name: t.status(sent[name].id, phone).status for name, t in transports.items()}
        rounds.append(statuses)
        say(
            _row(
                f"{time.monotonic() - started:.1f} s", *(s.name.lower() for s in statuses.values())
            )
        )
        if all(status.is_final for status in statuses.values()):
            break
        time.sleep(0.7)
    return rounds


def _row(first: str, *cells: str) -> str:
    return f"  {first:<8}" + "".join(f"{cell:<13}" for cell in cells).rstrip()
