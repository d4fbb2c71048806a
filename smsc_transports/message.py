"""What to send: :class:`Message`, validated on construction, and :class:`MessageKind`.

A ``Message`` that exists is one SMSC can be asked to send: every rule that can be
checked without the network (phones, lengths, sender, time forms, the id's alphabet)
is checked here, so that bad input fails with :class:`ValidationError` before any
byte leaves the process.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from smsc_transports.errors import ValidationError

__all__ = ["MAX_TEXT_LENGTH", "Message", "MessageKind", "normalize_phone"]

MAX_TEXT_LENGTH = 1000
MAX_INT_ID = 2_147_483_647
MIN_VALIDITY = timedelta(minutes=1)
MAX_VALIDITY = timedelta(hours=24)


class MessageKind(enum.IntEnum):
    """Every message format SMSC sends, numbered as SMSC's own libraries and e-mail body do."""

    SMS = 0
    FLASH = 1
    PUSH = 2
    HLR = 3
    BIN = 4
    BIN_HEX = 5
    PING = 6
    MMS = 7
    MAIL = 8
    CALL = 9
    VIBER = 10
    SOC = 11
    BOT = 12
    TELEGRAM = 13

    @property
    def needs_text(self) -> bool:
        """Whether SMSC reads ``mes`` for this kind (HLR and ping ignore it)."""
        return self not in (MessageKind.HLR, MessageKind.PING, MessageKind.MMS)

    @property
    def is_sms_like(self) -> bool:
        """Whether the recipient is a phone number and the sender an SMS sender ID."""
        return self not in (MessageKind.MAIL, MessageKind.BOT, MessageKind.TELEGRAM)


# Separators people type inside numbers; SMSC wants digits only (with an optional '+').
_PHONE_NOISE = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"\+?[0-9]{5,15}")
_PHONE_SEPARATORS = re.compile(r"[,;\n]")
_GROUP = re.compile(r"G[0-9]{1,10}")
_EMAIL = re.compile(r"[^@\s,;:<>\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_TELEGRAM = re.compile(r"@?[A-Za-z][A-Za-z0-9_]{3,31}|#[0-9]{1,20}")
_STRING_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")
_SENDER_CHARS = re.compile(r"[A-Za-z0-9 !#$%&'*+,./:;<=>?@_\-]*")
_BOT = re.compile(r"@?[A-Za-z][A-Za-z0-9_]{3,64}")
# SMSC's own time forms (send.php `time`): DDMMYYhhmm, "DD.MM.YY hh:mm", "h1-h2",
# "0<unix ts>", "+<minutes>".
_TIME_FORMS = re.compile(
    r"\d{10}|\d{2}\.\d{2}\.\d{2} \d{2}:\d{2}|\d{1,2}-\d{1,2}|0\d{9,11}|\+\d{1,6}", re.ASCII
)
# Messages without extra parameters share one empty, read-only mapping.
_NO_EXTRA: Mapping[str, str | int] = MappingProxyType({})
# Parameters the transports set themselves; letting ``extra`` override them would let a
# caller change the account, the answer format or the billing mode by accident.
RESERVED_PARAMETERS = frozenset(
    {"login", "psw", "apikey", "phones", "mes", "fmt", "charset", "cost", "list", "id"}
)


def normalize_phone(value: str, kind: MessageKind = MessageKind.SMS) -> str:
    """Return ``value`` as SMSC expects it for ``kind``, or raise :class:`ValidationError`.

    Spaces, dashes, dots and brackets are dropped from phone numbers; a leading ``+``
    is kept because SMSC treats it as "do not auto-correct this number".
    """
    if not isinstance(value, str):
        raise ValidationError(f"phone must be a string, got {type(value).__name__}")
    stripped = value.strip()
    if stripped.isdigit() and stripped.isascii() and kind is not MessageKind.MAIL:
        # The common case, plain digits, is settled without a regular expression.
        if 5 <= len(stripped) <= 15:
            return stripped
    elif _GROUP.fullmatch(stripped):
        return stripped
    if kind is MessageKind.MAIL:
        if _EMAIL.fullmatch(stripped):
            return stripped
        raise ValidationError(f"invalid e-mail address: {value!r}", field="phones")
    if kind in (MessageKind.TELEGRAM, MessageKind.BOT) and _TELEGRAM.fullmatch(stripped):
        return stripped
    phone = _PHONE_NOISE.sub("", stripped)
    if _PHONE.fullmatch(phone):
        return phone
    raise ValidationError(
        f"invalid phone number: {value!r} (5 to 15 digits, optionally starting with '+')",
        field="phones",
    )


def _normalize_phones(phones: str | Iterable[str], kind: MessageKind) -> tuple[str, ...]:
    items = _PHONE_SEPARATORS.split(phones) if isinstance(phones, str) else phones
    result: list[str] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            if isinstance(phones, str):
                continue  # "7999…, 7888…," — a trailing separator is harmless
            raise ValidationError("empty phone number in the list", field="phones")
        result.append(normalize_phone(item, kind))
    if not result:
        raise ValidationError("at least one phone number is required", field="phones")
    return tuple(result)


def _check_sender(sender: str, kind: MessageKind) -> None:
    if "\r" in sender or "\n" in sender:
        raise ValidationError("sender must not contain a line break", field="sender")
    if kind is MessageKind.MAIL:
        if not _EMAIL.fullmatch(sender):
            raise ValidationError(f"e-mail sender must be an address: {sender!r}", field="sender")
        return
    if kind is MessageKind.BOT:
        if not _BOT.fullmatch(sender):
            raise ValidationError(f"bot sender must be a bot name: {sender!r}", field="sender")
        return
    if sender in ("", "."):
        return  # both mean "no default sender" to SMSC
    if sender.isascii() and sender.isdigit():
        if len(sender) > 15:
            raise ValidationError(
                f"numeric sender is {len(sender)} digits long, at most 15 allowed", field="sender"
            )
        return
    if len(sender) > 11:
        raise ValidationError(
            f"sender {sender!r} is {len(sender)} characters long, at most 11 allowed",
            field="sender",
        )
    if not _SENDER_CHARS.fullmatch(sender):
        raise ValidationError(
            f"sender {sender!r} may hold Latin letters, digits, spaces and simple symbols only",
            field="sender",
        )


def _check_id(value: int | str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"id must be an int or a string, got {type(value).__name__}")
    if isinstance(value, int):
        if not 1 <= value <= MAX_INT_ID:
            raise ValidationError(f"integer id {value} is outside 1…{MAX_INT_ID}", field="id")
    elif not _STRING_ID.fullmatch(value):
        raise ValidationError(
            f"string id {value!r} must be 1 to 40 characters of A-Z a-z 0-9 . _ -", field="id"
        )


def _check_send_at(value: datetime | str) -> None:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                "send_at must be an aware datetime (give it a tzinfo)", field="send_at"
            )
        return
    if not isinstance(value, str) or not _TIME_FORMS.fullmatch(value):
        raise ValidationError(
            f"send_at {value!r} is neither an aware datetime nor one of SMSC's time forms "
            "(DDMMYYhhmm, 'DD.MM.YY hh:mm', 'h1-h2', '0<unix time>', '+<minutes>')",
            field="send_at",
        )


def _check_valid(value: timedelta) -> None:
    if not isinstance(value, timedelta):
        raise ValidationError("valid must be a timedelta", field="valid")
    if not MIN_VALIDITY <= value <= MAX_VALIDITY:
        raise ValidationError(f"valid {value} is outside 1 minute … 24 hours", field="valid")
    if value % timedelta(minutes=1):
        raise ValidationError("valid must be a whole number of minutes", field="valid")


def _check_extra(extra: Mapping[str, str | int]) -> None:
    for key, value in extra.items():
        if not isinstance(key, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", key):
            raise ValidationError(f"extra parameter name {key!r} is not a plain name")
        if key in RESERVED_PARAMETERS:
            raise ValidationError(
                f"extra parameter {key!r} is set by the transport; use the Message field "
                "or the transport settings instead"
            )
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError(f"extra parameter {key!r} must be a str or an int")


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one or more recipients, validated when it is built.

    ``phones`` takes a list or a comma/semicolon separated string. For
    :attr:`MessageKind.MAIL` they are e-mail addresses, for Telegram nicks or ``#ID``.
    ``send_at`` is an aware datetime or one of SMSC's own time strings; ``valid`` is the
    lifetime (1 minute … 24 hours). ``extra`` carries any other documented send
    parameter (``tinyurl``, ``maxsms``, ``subj``, ``voice``…) as-is.
    """

    phones: tuple[str, ...]
    text: str
    sender: str | None = None
    id: int | str | None = None
    kind: MessageKind = MessageKind.SMS
    translit: int = 0
    send_at: datetime | str | None = None
    valid: timedelta | None = None
    extra: Mapping[str, str | int] = field(default_factory=lambda: MappingProxyType({}))

    def __init__(
        self,
        phones: str | Iterable[str],
        text: str,
        sender: str | None = None,
        id: int | str | None = None,
        kind: MessageKind | int = MessageKind.SMS,
        translit: int = 0,
        send_at: datetime | str | None = None,
        valid: timedelta | None = None,
        extra: Mapping[str, str | int] | None = None,
    ) -> None:
        try:
            kind = kind if type(kind) is MessageKind else MessageKind(kind)
        except ValueError:
            raise ValidationError(f"unknown message kind {kind!r}", field="kind") from None
        if not isinstance(text, str):
            raise ValidationError(f"text must be a string, got {type(text).__name__}")
        if len(text) > MAX_TEXT_LENGTH:
            raise ValidationError(
                f"text is {len(text)} characters long, SMSC accepts at most {MAX_TEXT_LENGTH}",
                field="text",
            )
        if kind.needs_text and not text.strip():
            raise ValidationError(f"text is empty; a {kind.name} message needs one", field="text")
        if "\x00" in text:
            raise ValidationError("text must not contain NUL characters", field="text")
        if sender is not None:
            _check_sender(sender, kind)
        if id is not None:
            _check_id(id)
        if isinstance(translit, bool) or not isinstance(translit, int) or translit not in (0, 1, 2):
            raise ValidationError(f"translit must be 0, 1 or 2, got {translit!r}", field="translit")
        if send_at is not None:
            _check_send_at(send_at)
        if valid is not None:
            _check_valid(valid)
        extra = dict(extra) if extra else {}
        if extra:
            _check_extra(extra)
        setter = object.__setattr__
        setter(self, "phones", _normalize_phones(phones, kind))
        setter(self, "text", text)
        setter(self, "sender", sender)
        setter(self, "id", id)
        setter(self, "kind", kind)
        setter(self, "translit", translit)
        setter(self, "send_at", send_at)
        setter(self, "valid", valid)
        setter(self, "extra", MappingProxyType(extra) if extra else _NO_EXTRA)

    def __hash__(self) -> int:
        # ``extra`` is a read-only mapping and cannot be hashed; equal messages still
        # hash equal because every field hashed here takes part in equality.
        return hash((self.phones, self.text, self.sender, self.id, self.kind, self.send_at))

    def replace(self, **changes: object) -> Message:
        """Return a copy with ``changes`` applied, validated again."""
        values: dict[str, object] = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return Message(**values)  # type: ignore[arg-type]
