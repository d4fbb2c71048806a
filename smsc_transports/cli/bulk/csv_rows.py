"""The input of ``smsc bulk``: a CSV read one row at a time, each row a :class:`BulkRow`.

The header row is required and names the columns (``phone``, ``text`` and optionally
``sender``, ``time``, ``id``; case and surrounding spaces do not matter); with
``--text`` the file needs only ``phone``. Rows are numbered from 1 after the header,
blank lines not counted.

Every row gets a message id: its ``id`` column when given, else one derived from the
file name, the row number and the row's content (:func:`derived_id`), so that running
the same file again produces the same ids — the key of the journal, and what lets SMSC
recognise a repeated send (error 9). Read from standard input, the CSV's name is ``-``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self, TextIO

from smsc_transports.cli.output import STDIN, stdin_bytes
from smsc_transports.errors import ValidationError
from smsc_transports.message import Message

__all__ = [
    "COLUMNS",
    "STDIN",
    "BulkInput",
    "BulkRow",
    "derived_id",
    "estimate_rows",
    "open_input",
]

COLUMNS = ("phone", "text", "sender", "time", "id")
"""The file name that stands for standard input."""
STDIN_NAME = Path("standard input")


@dataclass(frozen=True, slots=True)
class BulkRow:
    """One data row: its ``number`` (from 1), the ``phone`` as written, and either the
    ``message`` to send or the ``error`` that makes it unsendable."""

    number: int
    phone: str
    message: Message | None = None
    error: str = ""

    @property
    def id(self) -> str:
        """The message id the row is sent with ("" for a row that cannot be sent)."""
        return "" if self.message is None else str(self.message.id)

    @property
    def key(self) -> str:
        """What identifies the row's message in the journal: its id and its phones."""
        if self.message is None:
            return ""
        return f"{self.message.id}/{','.join(self.message.phones)}"


def derived_id(tag: str, number: int, message: Message) -> str:
    """Return a stable id for row ``number`` of file ``tag`` holding ``message``.

    Twelve hex digits of a SHA-256 over the file name, row number and the row's content,
    then ``-`` and the row number: within SMSC's id rules (``[A-Za-z0-9._-]{1,40}``),
    the same on every run, and different when the row is edited (an edited row is a
    new message and is sent again).
    """
    content = "\x1f".join(
        (
            tag,
            str(number),
            ",".join(message.phones),
            message.text,
            message.sender or "",
            str(message.send_at or ""),
            str(int(message.kind)),
            str(message.translit),
        )
    )
    return f"{hashlib.sha256(content.encode('utf-8')).hexdigest()[:12]}-{number}"


def estimate_rows(path: Path) -> int:
    """Count the file's data rows the fast way (lines minus the header), for progress only.

    Reads the file in 1 MiB chunks without parsing it; a quoted field with a line break
    makes the estimate a little high, which only makes the ETA pessimistic.
    """
    lines = 0
    last = b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(lines - 1, 0)


class BulkInput:
    """An open bulk CSV: the header is checked on opening, :meth:`rows` streams the rest.

    Raises :class:`ValidationError` for a file that cannot be used at all (no header, no
    ``phone`` column, no text source, not UTF-8, broken CSV quoting); a bad *row* is not
    an error here but a :class:`BulkRow` with ``error`` set. With ``stream`` (standard
    input's bytes) the CSV is read from it, ``path`` only names it, and closing leaves
    the stream open.
    """

    def __init__(
        self,
        path: Path,
        *,
        text: str | None = None,
        sender: str | None = None,
        translit: int = 0,
        delimiter: str = ",",
        stream: BinaryIO | None = None,
    ) -> None:
        self.path = path
        self.text = text
        self.sender = sender
        self.translit = translit
        self.ignored: list[str] = []
        # A wrapper around a borrowed stream, detached on closing so the stream stays open.
        self._borrowed: io.TextIOWrapper | None = None
        if stream is not None:
            self._borrowed = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            self._stream: TextIO = self._borrowed
        else:
            try:
                self._stream = path.open(newline="", encoding="utf-8-sig")
            except OSError as exc:
                raise ValidationError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            self._reader = csv.reader(self._stream, delimiter=delimiter, strict=True)
            self._columns = self._read_header()
        except BaseException:
            self.close()
            raise

    def _read_header(self) -> dict[str, int]:
        try:
            header = next(self._reader)
        except StopIteration:
            raise ValidationError(
                f"{self.path} is empty: a header row naming the columns is required"
            ) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise self._broken(exc) from None
        columns: dict[str, int] = {}
        for position, name in enumerate(h.strip().lower() for h in header):
            if name in columns:
                raise ValidationError(f"{self.path}: the column {name!r} appears twice")
            if name in COLUMNS:
                columns[name] = position
            elif name:
                self.ignored.append(name)
        if "phone" not in columns:
            raise ValidationError(
                f"{self.path}: the header row has no 'phone' column "
                f"(expected {', '.join(COLUMNS)}; found {', '.join(h.strip() for h in header)})"
            )
        if self.text is None and "text" not in columns:
            raise ValidationError(
                f"{self.path}: no 'text' column; add one or give the text with --text"
            )
        if self.text is not None and "text" in columns:
            raise ValidationError(
                f"{self.path} has a 'text' column and --text was given: use one of them"
            )
        return columns

    def _broken(self, exc: Exception) -> ValidationError:
        line = self._reader.line_num
        if isinstance(exc, UnicodeDecodeError):
            return ValidationError(f"{self.path} near line {line} is not UTF-8 text")
        return ValidationError(f"{self.path} line {line}: broken CSV ({exc})")

    def rows(self) -> Iterator[BulkRow]:
        """Yield every data row in file order; raise ValidationError if the CSV breaks."""
        number = 0
        tag = self.path.name
        while True:
            try:
                fields = next(self._reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                raise self._broken(exc) from None
            if not any(field.strip() for field in fields):
                continue
            number += 1
            yield self._row(tag, number, fields)

    def _field(self, fields: list[str], name: str) -> str | None:
        position = self._columns.get(name)
        if position is None or position >= len(fields):
            return None
        value = fields[position].strip()
        return value or None

    def _row(self, tag: str, number: int, fields: list[str]) -> BulkRow:
        phone = self._field(fields, "phone") or ""
        if self.text is not None:
            text = self.text
        else:
            # The text is kept as written: leading spaces may be the sender's intent.
            position = self._columns["text"]
            text = fields[position] if position < len(fields) else ""
        try:
            message = Message(
                phone,
                text,
                sender=self._field(fields, "sender") or self.sender,
                id=self._field(fields, "id"),
                translit=self.translit,
                send_at=self._field(fields, "time"),
            )
            if message.id is None:
                message = message.replace(id=derived_id(tag, number, message))
        except ValidationError as exc:
            return BulkRow(number, phone, error=f"ValidationError: {exc}")
        return BulkRow(number, phone, message)

    def close(self) -> None:
        """Close the file (a borrowed stream is let go of, not closed)."""
        if self._borrowed is None:
            self._stream.close()
        else:
            self._borrowed.detach()
            self._borrowed = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_input(
    name: str, *, text: str | None, sender: str | None, translit: int, delimiter: str
) -> BulkInput:
    """Open the CSV the command line names: the file ``name``, or standard input for ``-``."""
    if name != STDIN:
        path = Path(name)
        return BulkInput(path, text=text, sender=sender, translit=translit, delimiter=delimiter)
    stream = stdin_bytes("the CSV")
    return BulkInput(
        STDIN_NAME,
        text=text,
        sender=sender,
        translit=translit,
        delimiter=delimiter,
        stream=stream,
    )
