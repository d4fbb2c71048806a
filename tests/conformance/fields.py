"""The field table: every ``Message`` option field played over every protocol.

Each :class:`FieldRow` is one message setting one field. Played over a protocol it
records either what SMSC stored (:class:`Effect`, read back from the emulator) or the
``ValidationError`` it was refused with before anything was sent (:class:`Refused`,
and nothing stored). :func:`expected` says what the code's declaration
(:data:`smsc_transports.field_support.FIELDS`) promises: a protocol that carries the
field stores exactly what HTTP stores; one that does not refuses it, naming the field.
The table in ``docs/conformance.md`` is written from the declaration once every row
has been checked against it, so it cannot claim what a protocol does not do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from smsc_transports import (
    Attachment,
    CallParams,
    Message,
    MessageKind,
    MessageStatus,
    ValidationError,
)
from smsc_transports.field_support import FIELDS, KINDS, FieldSupport, fields_in_use
from smsc_transports.transport import Capability
from tests.conformance.stage import PROFILES, Play, Plays, Profile, Stage

__all__ = [
    "FIELD_PROFILES",
    "FIELD_ROWS",
    "Effect",
    "FieldObservations",
    "FieldRow",
    "Refused",
    "expected",
    "render_field_table",
]

OK = "79990000001"
MAIL_TO = "user@example.org"
PLAIN = "Your code is 1234"
START = 1_700_000_000  # ManualClock's first moment (14.11.2023 22:13:20 UTC)
# One column per protocol (SMTP's companion changes nothing about sending).
FIELD_PROFILES: tuple[Profile, ...] = tuple(p for p in PROFILES if not p.companion)


@dataclass(frozen=True)
class Effect:
    """What SMSC stored for the message's first recipient."""

    parts: int
    text: str
    kind: MessageKind
    sender: str
    start: float
    valid: float
    subject: str | None
    options: tuple[tuple[str, str], ...]
    # For a message with an id: whether it is found by it (SMSC holds it under that id,
    # or the transport's status(id, phone) finds it); None for a message without one.
    found_by_id: bool | None = None


@dataclass(frozen=True)
class Refused:
    """A ``ValidationError`` for ``field`` before anything was sent (nothing stored)."""

    field: str | None
    stored: int = 0


Seen = Effect | Refused


@dataclass(frozen=True)
class FieldRow:
    """One row: a title, the field it shows, the message that sets it."""

    title: str
    field: str
    message: Callable[[], Message]

    @property
    def name(self) -> str:
        """The title: it tells the rows apart."""
        return self.title

    @property
    def play(self) -> Play[Seen]:
        """The body that sends the row's message over a stage's protocol."""
        return _play_row(self)


def _mail(**options: object) -> Message:
    return Message(MAIL_TO, "Body", sender="me@example.org", kind=MessageKind.MAIL, **options)  # type: ignore[arg-type]


def _call(**options: object) -> Message:
    return Message([OK], "Hello", kind=MessageKind.CALL, **options)  # type: ignore[arg-type]


_HOUR = timedelta(hours=1)
FIELD_ROWS: tuple[FieldRow, ...] = (
    FieldRow("`sender`", "sender", lambda: Message([OK], PLAIN, sender="Shop")),
    FieldRow("`id='order-17'`", "id", lambda: Message([OK], PLAIN, id="order-17")),
    FieldRow("`kind=FLASH`", "kind", lambda: Message([OK], PLAIN, kind=MessageKind.FLASH)),
    FieldRow("`translit=1`", "translit", lambda: Message([OK], "Привет, мир", translit=1)),
    FieldRow(
        "`send_at` (aware datetime)",
        "send_at",
        lambda: Message([OK], PLAIN, send_at=datetime.fromtimestamp(START + 3600, UTC)),
    ),
    FieldRow(
        "`tz=2` with `send_at='15.11.23 10:00'`",
        "tz",
        lambda: Message([OK], PLAIN, send_at="15.11.23 10:00", tz=2),
    ),
    FieldRow("`valid` (2 hours)", "valid", lambda: Message([OK], PLAIN, valid=2 * _HOUR)),
    FieldRow(
        "`max_parts=1` on a 400-character text",
        "max_parts",
        lambda: Message([OK], "Long text. " * 36 + "The end", max_parts=1),
    ),
    FieldRow("`subject` (an e-mail)", "subject", lambda: _mail(subject="Your order")),
    FieldRow("`voice` (a call)", "voice", lambda: _call(voice="w")),
    FieldRow(
        "`call_params` (a call)", "call_params", lambda: _call(call_params=CallParams(30, 60, 3))
    ),
    FieldRow("`spread_over`", "spread_over", lambda: Message([OK], PLAIN, spread_over=2 * _HOUR)),
    FieldRow(
        "`spread_every` (with `spread_over`)",
        "spread_every",
        lambda: Message([OK], PLAIN, spread_over=2 * _HOUR, spread_every=timedelta(minutes=15)),
    ),
    FieldRow("`short_links`", "short_links", lambda: Message([OK], PLAIN, short_links=True)),
    FieldRow("`partner_id`", "partner_id", lambda: Message([OK], PLAIN, partner_id="p7")),
    FieldRow("`user_ip`", "user_ip", lambda: Message([OK], PLAIN, user_ip="192.0.2.10")),
    FieldRow(
        "`data`, `BIN` without a header",
        "data",
        lambda: Message([OK], kind=MessageKind.BIN, data=b"\x00" + bytes(range(0x80, 0x90))),
    ),
    FieldRow(
        "`data`, `BIN` with a header (UDH)",
        "data",
        lambda: Message([OK], kind=MessageKind.BIN, data=bytes.fromhex("0605040b8423f0dc0601ae")),
    ),
    FieldRow(
        "`attachments` (a file by URL, an e-mail)",
        "attachments",
        lambda: _mail(attachments=[Attachment.from_url("https://example.org/order.pdf")]),
    ),
    FieldRow("`extra={'later': '1'}`", "extra", lambda: Message([OK], PLAIN, extra={"later": "1"})),
)


def _stored_count(stage: Stage) -> int:
    state = stage.emulator.state
    return len(state.history(state.account("demo"), cnt=1000))


def _play_row(row: FieldRow) -> Play[Seen]:
    """The body that sends the row's message; what SMSC stored, or the refusal."""

    async def body(stage: Stage) -> Seen:
        message = row.message()
        phone = message.phones[0]
        found_by_id = None
        async with stage.transport() as transport:
            try:
                result = await transport.send(message)
            except ValidationError as exc:
                return Refused(exc.field, _stored_count(stage))
            if message.id is not None:
                mine = str(message.id)
                found_by_id = stage.stored(mine, phone).status is not MessageStatus.NOT_FOUND
                if not found_by_id and Capability.STATUS in transport.capabilities:
                    asked = await transport.status(mine, phone)
                    found_by_id = asked.status is not MessageStatus.NOT_FOUND
        record = stage.stored(result.id, phone)
        return Effect(
            parts=result.parts,
            text=record.text,
            kind=record.kind,
            sender=record.sender,
            start=record.send_timestamp,
            valid=record.valid,
            subject=record.subject,
            options=record.options,
            found_by_id=found_by_id,
        )

    return body


class FieldObservations(Plays[Seen]):
    """Each (row, protocol, mode) played once, on first demand."""


def expected(row: FieldRow, profile: Profile, http: Seen) -> Seen:
    """What the declaration promises over ``profile``, given what HTTP stored."""
    message = row.message()
    for name in fields_in_use(message):
        if profile.family not in FIELDS[name].carried:
            return Refused(name)
    return http


def support(row: FieldRow) -> FieldSupport:
    """The declaration the row shows: its field's, or for ``kind`` its message's kind's."""
    if row.field == "kind":
        return KINDS[row.message().kind]
    return FIELDS[row.field]


def cell(row: FieldRow, profile: Profile) -> str:
    """The table cell: how the protocol carries the row's field, or that it refuses it."""
    how = support(row).carried.get(profile.family)
    if how is None:
        return "refused"
    if how == "as named" or how.startswith("in "):
        return f"sent {how}"
    if how.startswith("`") and how.endswith("`query`"):
        return f"sent as {how}"
    if profile.family == "https":
        return f"sent as {how}"
    if how.startswith(("applied", "text cut", "kept")):
        return how
    return f"mapped to {how}"


def render_field_table() -> str:
    """The Markdown table of every row's cells (checked against play by the tests)."""
    head = ["field", *(p.title for p in FIELD_PROFILES)]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(["---"] * len(head)) + " |"]
    for row in FIELD_ROWS:
        parameter = support(row).parameter
        title = f"{row.title} (`{parameter}`)" if row.field != "extra" else row.title
        cells = [cell(row, p) for p in FIELD_PROFILES]
        lines.append("| " + " | ".join([title, *cells]) + " |")
    return "\n".join(lines)
