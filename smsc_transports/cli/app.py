"""The ``smsc`` command: send, price, check status and balance, count parts, run the emulator.

Configured by ``--url`` or ``SMSC_URL``; human output by default, ``--json`` for
scripts; ``-v``/``-q`` for more or less logging on stderr; ``-`` for a text (or a bulk
file) read from standard input. Exits non-zero with SMSC's error on failure: the codes
are :data:`EXIT_STATUSES`, which ``smsc --help`` and ``docs/cli.md`` list. The basic
subcommands live here; the others live in their own modules of this package and are
registered by :func:`_extensions`. All of them share :mod:`smsc_transports.cli.output`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from smsc_transports import __version__
from smsc_transports.cli.account import add_account_parsers, watch_command
from smsc_transports.cli.bulk import add_bulk_parser
from smsc_transports.cli.completion import add_completion_parser
from smsc_transports.cli.emulator import add_demo_parser, add_emulator_parser
from smsc_transports.cli.output import describe_status, emit, open_transport, text_argument
from smsc_transports.cli.verbosity import add_verbosity_options, with_logging
from smsc_transports.encoding import count_parts
from smsc_transports.errors import (
    APIError,
    ConfigurationError,
    SMSCError,
    UnsupportedOperation,
    ValidationError,
)
from smsc_transports.message import Message, MessageKind

__all__ = ["EXIT_STATUSES", "build_parser", "main"]

EXIT_STATUSES = {
    0: "done (bulk: every row accepted; status --watch: delivered)",
    1: "SMSC or the network refused (bulk: a row failed; --watch: failed, timed out)",
    2: "bad usage or settings: an option, phone, text, file, unsupported operation",
    130: "interrupted (Ctrl-C)",
}
"""Every exit status of ``smsc`` and what it means."""

KINDS = [kind.name.lower() for kind in MessageKind]
KIND_HELP = "message kind (default sms)"
TRANSLIT_HELP = "1 or 2: send Cyrillic in Latin letters (SMSC's two transliterations)"


def _message(args: argparse.Namespace) -> Message:
    return Message(
        phones=args.to,
        text=text_argument(args.text),
        sender=args.sender,
        id=args.id,
        kind=MessageKind[args.kind.upper()],
        translit=args.translit,
        send_at=args.time,
    )


def cmd_parts(args: argparse.Namespace) -> int:
    """Print the encoding and part count of a text."""
    parts = count_parts(text_argument(args.text), kind=MessageKind[args.kind.upper()])
    emit(
        args,
        parts,
        f"{parts.encoding}: {parts.parts} part(s), {parts.units} units, "
        f"{parts.per_part} per part, {parts.remaining} left in the last part",
    )
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    """Send one message and print its id, parts and cost."""
    message = _message(args)
    with open_transport(args) as transport:
        result = transport.send(message)
    # Not every protocol reports a price (SMPP, SMTP): say so rather than stay silent.
    cost = f", cost {result.cost}" if result.cost is not None else ", cost unknown"
    balance = f", balance {result.balance}" if result.balance is not None else ""
    human = f"sent: id {result.id}, {result.parts} part(s){cost}{balance}"
    own = [p for p in result.phones if p.id is not None and p.id != result.id]
    if own:
        # Over SMPP each recipient has its own id: the one `smsc status` needs for it.
        listed = ", ".join(f"{p.phone} {p.id}" for p in result.phones if p.id is not None)
        human += f"\nids per phone: {listed}"
    emit(args, result, human)
    return 0


def cmd_cost(args: argparse.Namespace) -> int:
    """Print what a message would cost."""
    message = _message(args)
    with open_transport(args) as transport:
        result = transport.cost(message)
    emit(args, result, f"cost {result.cost} for {result.parts} part(s)")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print a message's status, or follow it to a final one with ``--watch``."""
    if args.watch:
        return watch_command(args)
    with open_transport(args) as transport:
        result = transport.status(args.message_id, args.phone, detail=args.detail)
    emit(args, result, describe_status(result))
    return 0


def cmd_balance(args: argparse.Namespace) -> int:
    """Print the account balance."""
    with open_transport(args) as transport:
        result = transport.balance()
    currency = f" {result.currency}" if result.currency else ""
    credit = f" (credit {result.credit})" if result.credit is not None else ""
    emit(args, result, f"balance {result.amount}{currency}{credit}")
    return 0


def _add_message_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, help="phone number(s), comma separated")
    parser.add_argument(
        "--text", required=True, help="the message text; - reads it from standard input"
    )
    parser.add_argument("--sender", help="sender ID")
    parser.add_argument("--id", help="your own message id (lets SMSC recognise a repeat)")
    parser.add_argument("--time", help="when to send, in one of SMSC's time forms")
    parser.add_argument("--translit", type=int, choices=(0, 1, 2), default=0, help=TRANSLIT_HELP)
    parser.add_argument("--kind", default="sms", choices=KINDS, help=KIND_HELP)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``smsc`` argument parser."""
    statuses = "\n".join(f"  {code:<4} {meaning}" for code, meaning in EXIT_STATUSES.items())
    parser = argparse.ArgumentParser(
        prog="smsc",
        description=__doc__.split("\n", 1)[0],
        epilog=f"exit status:\n{statuses}\n\nevery subcommand's options: smsc COMMAND --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", help="settings URL (default: $SMSC_URL)")
    common.add_argument("--json", action="store_true", help="print JSON")
    add_verbosity_options(common)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parts", parents=[common], help="count the SMS parts of a text")
    p.add_argument("text", help="the text; - reads it from standard input")
    p.add_argument("--kind", default="sms", choices=KINDS, help=KIND_HELP)
    p.set_defaults(handler=cmd_parts)

    p = sub.add_parser("send", parents=[common], help="send a message")
    _add_message_arguments(p)
    p.set_defaults(handler=cmd_send)

    p = sub.add_parser("cost", parents=[common], help="price a message without sending it")
    _add_message_arguments(p)
    p.set_defaults(handler=cmd_cost)

    p = sub.add_parser("status", parents=[common], help="a message's delivery status")
    p.add_argument("message_id", metavar="ID", help="the id the send answered")
    p.add_argument("phone", help="the recipient to ask about")
    p.add_argument(
        "--detail",
        type=int,
        choices=(0, 1, 2),
        default=0,
        help="SMSC's all=: 1 adds the send time, cost, text...; 2 also country, operator, region",
    )
    p.add_argument("--watch", action="store_true", help="poll until the status is final")
    p.add_argument(
        "--interval",
        type=float,
        default=15.0,
        help="seconds between polls with --watch (default 15, at least 12: SMSC allows "
        "5 status requests per message a minute)",
    )
    p.add_argument("--timeout", type=float, help="give up --watch after this many seconds")
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("balance", parents=[common], help="the account balance")
    p.set_defaults(handler=cmd_balance)

    for extend in _extensions():
        extend(sub, common)
    # The completion script describes the whole parser; handing it over here spares the
    # completion module an import of this one.
    parser.set_defaults(root=parser)
    return parser


def _extensions() -> list[Callable[[Any, argparse.ArgumentParser], None]]:
    # The completion parser goes last so that the script it prints covers every other one.
    return [
        add_bulk_parser,
        add_account_parsers,
        add_emulator_parser,
        add_demo_parser,
        add_completion_parser,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``smsc`` command; return its exit status."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = with_logging(args.handler)
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("smsc: interrupted", file=sys.stderr)
        return 130
    # An operation the configured protocol cannot do is a settings problem, like a bad URL.
    except (ValidationError, ConfigurationError, UnsupportedOperation) as exc:
        print(f"smsc: {exc}", file=sys.stderr)
        return 2
    except APIError as exc:
        print(f"smsc: {exc}", file=sys.stderr)
        return 1
    except SMSCError as exc:
        print(f"smsc: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
