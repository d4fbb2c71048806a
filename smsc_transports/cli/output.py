"""What every ``smsc`` subcommand shares: opening the transport and printing results.

Human text by default, one JSON line per value with ``--json``. A leaf: it imports no
other module of the CLI, so every subcommand module can import it.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, BinaryIO

from smsc_transports.errors import ValidationError
from smsc_transports.factory import create_transport
from smsc_transports.observe import Observer
from smsc_transports.results import StatusResult
from smsc_transports.transport import Transport

__all__ = [
    "STDIN",
    "describe_status",
    "emit",
    "open_transport",
    "stdin_bytes",
    "text_argument",
    "to_jsonable",
]

STDIN = "-"
"""The argument that stands for standard input (``--text -``, ``bulk -``)."""


def to_jsonable(value: Any) -> Any:
    """Return ``value`` (results, enums, money, times) as JSON-ready data, ``raw`` left out."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in asdict(value).items() if k != "raw"}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def emit(args: argparse.Namespace, value: Any, human: str) -> None:
    """Print ``value`` as one JSON line with ``--json``, else the ``human`` text."""
    if args.json:
        print(json.dumps(to_jsonable(value), ensure_ascii=False))
    else:
        print(human)


def open_transport(args: argparse.Namespace, observer: Observer | None = None) -> Transport:
    """Return the transport ``--url`` (or ``SMSC_URL``) configures, told to ``observer``."""
    return create_transport(args.url or None, observer=observer)


def describe_status(result: StatusResult) -> str:
    """Return one human line for a status: ``ID to PHONE: delivered (1, delivered)``."""
    error = f", error {int(result.error)} ({result.error.description})" if result.error else ""
    return (
        f"{result.id} to {result.phone}: {result.status.name.lower()} "
        f"({int(result.status)}, {result.status.description}){error}"
    )


def text_argument(value: str) -> str:
    """Return ``value``, or standard input's text when it is ``-``, one final newline off.

    Standard input is read as UTF-8 whatever the locale, like the bulk CSV files; the
    final line break that ``echo`` and editors add is not part of the message.
    """
    if value != STDIN:
        return value
    try:
        text = stdin_bytes("the text", field="text").read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("standard input is not UTF-8 text", field="text") from None
    return text.removesuffix("\n").removesuffix("\r")


def stdin_bytes(what: str, *, field: str | None = None) -> BinaryIO:
    """Standard input as bytes (``what`` is read from it; ``field`` names it in errors).

    Raises :class:`ValidationError` when the process was started with it closed.
    """
    if sys.stdin is None:  # started with standard input closed
        raise ValidationError(f"there is no standard input to read {what} from", field=field)
    stream: BinaryIO | None = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream without bytes beneath (an embedding program's)
        return io.BytesIO(sys.stdin.read().encode("utf-8"))
    return stream
