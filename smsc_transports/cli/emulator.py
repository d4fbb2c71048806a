"""``smsc emulator`` and ``smsc demo``: the subcommands that run the local SMSC emulator."""

from __future__ import annotations

import argparse
import time
from typing import Any

from smsc_transports.cli.verbosity import add_verbosity_options
from smsc_transports.emulator import Emulator
from smsc_transports.emulator.cli import add_parser
from smsc_transports.emulator.cli import run as run_emulator
from smsc_transports.factory import create_transport
from smsc_transports.message import Message

__all__ = ["add_demo_parser", "add_emulator_parser", "run_demo", "run_emulator"]

DEMO_PHONE = "79990000001"  # the emulator's "always delivered" test number
STATUS_CHECKS = 4


def add_emulator_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register ``smsc emulator`` (options in :mod:`smsc_transports.emulator.cli`)."""
    add_parser(subparsers)
    # The emulator's options know nothing of the CLI's common ones, but logging is for all.
    add_verbosity_options(subparsers.choices["emulator"])
    subparsers.choices["emulator"].set_defaults(handler=run_emulator)


def add_demo_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register ``smsc demo``: start an emulator, send through it, follow the status."""
    parser = subparsers.add_parser(
        "demo", parents=[common], help="send one message through a local emulator"
    )
    parser.add_argument("--text", default="Hello from smsc_transports", help="the message to send")
    parser.add_argument("--to", default=DEMO_PHONE, help="phone (default: a test number)")
    parser.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """Send ``args.text`` through a fresh emulator over HTTP and print what happens."""
    with Emulator(transfer_after=0.3, deliver_after=1.0) as emulator:
        url = emulator.url()
        print(f"emulator listening at {emulator.http_url} (account demo/demo, 100.00 RUB)")
        with create_transport(url) as transport:
            message = Message(args.to, args.text)
            result = transport.send(message)
            print(
                f"sent over {result.transport}: id {result.id}, {result.parts} part(s), "
                f"cost {result.cost}, balance {result.balance}"
            )
            # SMSC answers error 9 to more than five status requests for one message
            # a minute, so the demo asks as a well-behaved client would: rarely.
            for _ in range(STATUS_CHECKS):
                status = transport.status(result.id, message.phones[0])
                error = ""
                if status.error:
                    error = f", error {int(status.error)}: {status.error.description}"
                print(f"status: {status.status.name.lower()} ({status.status.description}{error})")
                if status.status.is_final:
                    return 0 if status.status.is_delivered else 1
                time.sleep(0.7)
    print(f"status did not become final after {STATUS_CHECKS} checks")
    return 1
