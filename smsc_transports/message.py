"""What to send: :class:`Message`, validated on construction, and :class:`MessageKind`.

A ``Message`` that exists is one SMSC can be asked to send: every rule that can be
checked without the network (phones, lengths, sender, time forms, the id's alphabet)
is checked here, so that bad input fails with :class:`ValidationError` before any
byte leaves the process.
"""

from __future__ import annotations

import enum
import ipaddress
import mimetypes
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from smsc_transports.errors import ValidationError
from smsc_transports.frozen import seal, stores

__all__ = [
    "MAX_TEXT_LENGTH",
    "Attachment",
    "CallParams",
    "Message",
    "MessageKind",
    "is_plain_phone",
    "normalize_phone",
]

MAX_TEXT_LENGTH = 1000
MAX_INT_ID = 2_147_483_647
MIN_VALIDITY = timedelta(minutes=1)
MAX_VALIDITY = timedelta(hours=24)
MAX_PARTS = 255  # what one concatenated SMS can hold (an 8-bit part count)
MAX_BINARY_OCTETS = 1000  # SMSC's 1000-character limit, as octets
# send.php ``period`` (0.1 … 720 hours, in tenths) and ``freq`` (1 … 1440 minutes), §1.4.
_PERIOD_STEP = timedelta(minutes=6)
_MAX_PERIOD = timedelta(hours=720)
_MAX_FREQ = timedelta(minutes=1440)


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
        return self not in _TEXTLESS_KINDS

    @property
    def is_sms_like(self) -> bool:
        """Whether the recipient is a phone number and the sender an SMS sender ID."""
        return self not in (MessageKind.MAIL, MessageKind.BOT, MessageKind.TELEGRAM)


_TEXTLESS_KINDS = frozenset({MessageKind.HLR, MessageKind.PING, MessageKind.MMS})
_BINARY_KINDS = frozenset({MessageKind.BIN, MessageKind.BIN_HEX})
_MAIL = MessageKind.MAIL

# Separators people type inside numbers; SMSC wants digits only (with an optional '+').
_PHONE_NOISE = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"\+?[0-9]{5,15}")
_PHONE_SEPARATORS = re.compile(r"[,;\n]")
_GROUP = re.compile(r"G[0-9]{1,10}")
_EMAIL = re.compile(r"[^@\s,;:<>\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
_TELEGRAM = re.compile(r"@?[A-Za-z][A-Za-z0-9_]{3,31}|#[0-9]{1,20}")
# A string id: the caller's Message.id, and the ids SMSC's answers, commands and e-mail
# bodies name.
STRING_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")
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
    {"login", "psw", "apikey", "phones", "mes", "fmt", "charset", "cost", "list", "id", "op"}
    | {"err"}
)
# How each kind is asked for in send.php (smsc-protocol.md §1.4): SMS needs no flag,
# and a bot message names its bot in ``bot=`` (its sender).
KIND_FLAGS: Mapping[MessageKind, str] = MappingProxyType(
    {
        MessageKind.FLASH: "flash",
        MessageKind.PUSH: "push",
        MessageKind.HLR: "hlr",
        MessageKind.BIN: "bin",
        MessageKind.BIN_HEX: "bin",
        MessageKind.PING: "ping",
        MessageKind.MMS: "mms",
        MessageKind.MAIL: "mail",
        MessageKind.CALL: "call",
        MessageKind.VIBER: "viber",
        MessageKind.SOC: "soc",
        MessageKind.TELEGRAM: "tg",
    }
)
# send.php parameters a typed field stands for (the field's name in the value): ``extra``
# refuses them, so one option has one spelling and every protocol can check it.
TYPED_PARAMETERS: Mapping[str, str] = MappingProxyType(
    {
        "sender": "sender",
        "bot": "sender (with kind=BOT)",
        "translit": "translit",
        "time": "send_at",
        "tz": "tz",
        "valid": "valid",
        "maxsms": "max_parts",
        "subj": "subject",
        "voice": "voice",
        "param": "call_params",
        "period": "spread_over",
        "freq": "spread_every",
        "tinyurl": "short_links",
        "pp": "partner_id",
        "userip": "user_ip",
        **{flag: "kind" for flag in KIND_FLAGS.values()},
    }
)
_VOICE = re.compile(r"[mw][2-4]?(?:,[a-z]{2})?", re.ASCII)
_PARTNER = re.compile(r"[A-Za-z0-9_-]{1,40}", re.ASCII)
_SUBJECT_LENGTH = 200
_SPLIT_KINDS = (MessageKind.SMS, MessageKind.FLASH, MessageKind.PUSH)
_NO_OPTIONS = (None,) * 9


def normalize_phone(value: str, kind: MessageKind = MessageKind.SMS) -> str:
    """Return ``value`` as SMSC expects it for ``kind``, or raise :class:`ValidationError`.

    Spaces, dashes, dots and brackets are dropped from phone numbers; a leading ``+``
    is kept because SMSC treats it as "do not auto-correct this number".
    """
    if not isinstance(value, str):
        raise ValidationError(f"phone must be a string, got {type(value).__name__}")
    stripped = value.strip()
    # The common case, plain digits, is settled without a regular expression.
    if is_plain_phone(stripped, kind) or _GROUP.fullmatch(stripped):
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


def is_plain_phone(value: str, kind: MessageKind) -> bool:
    """Whether ``value`` is a phone number in plain digits (5 to 15 ASCII digits, for any
    kind but e-mail), which :func:`normalize_phone` keeps exactly as it is."""
    return 5 <= len(value) <= 15 and value.isdigit() and value.isascii() and kind is not _MAIL


def _normalize_phones(phones: str | Iterable[str], kind: MessageKind) -> tuple[str, ...]:
    if type(phones) is str and is_plain_phone(phones, kind):
        # One number in plain digits, the usual bulk recipient: nothing to split or strip.
        return (phones,)
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
    elif not STRING_ID.fullmatch(value):
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


def _checked_extra_and_files(
    extra: Mapping[str, str | int] | None,
    attachments: Iterable[Attachment] | None,
    kind: MessageKind,
) -> tuple[Mapping[str, str | int], tuple[Attachment, ...]]:
    """``extra`` as a checked, read-only copy and ``attachments`` as a checked tuple."""
    if not extra and not attachments:
        return _NO_EXTRA, ()  # what most messages carry: nothing to copy or check
    checked = _NO_EXTRA
    if extra:
        copied = dict(extra)
        _check_extra(copied)
        checked = MappingProxyType(copied)
    files = tuple(attachments) if attachments else ()
    if files:
        _check_attachments(files, kind)
    return checked, files


def _check_extra(extra: Mapping[str, str | int]) -> None:
    for key, value in extra.items():
        if not isinstance(key, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", key):
            raise ValidationError(f"extra parameter name {key!r} is not a plain name")
        if key in RESERVED_PARAMETERS:
            raise ValidationError(
                f"extra parameter {key!r} is set by the transport; use the Message field "
                "or the transport settings instead",
                field="extra",
            )
        if key in TYPED_PARAMETERS:
            raise ValidationError(
                f"extra parameter {key!r} has a typed field: use Message({TYPED_PARAMETERS[key]}"
                "=...), which every protocol maps or refuses",
                field="extra",
            )
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError(f"extra parameter {key!r} must be a str or an int")


# The most one file may hold when it is read into an Attachment; what SMSC accepts per
# message is the transport's ``max_attachment_bytes`` (smaller, configurable: [U]).
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS = 20
_ATTACHMENT_KINDS = frozenset({"MMS", "MAIL"})
# What a file name may not hold: path separators, quotes (they end a multipart header
# parameter), control characters.
_BAD_NAME = re.compile(r'[/\\"\x00-\x1f\x7f]')
_URL_NOISE = re.compile(r"[\s\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with an MMS or an e-mail message: its bytes, or a URL SMSC fetches.

    Build one with :meth:`from_path`, :meth:`from_bytes` or :meth:`from_url`. Over HTTP
    the bytes travel as ``file0``, ``file1``… parts of a ``multipart/form-data`` POST
    (as SMSC's PHP and JS libraries send them) under ``name`` alone — never the local
    path —, and a URL as SMSC's ``fileurl`` parameter. Other protocols cannot carry
    files and refuse such a message with :class:`ValidationError` before sending
    anything (:mod:`smsc_transports.field_support`).
    """

    name: str
    content: bytes | None = field(default=None, repr=False)
    url: str | None = None
    content_type: str = "application/octet-stream"

    def __post_init__(self) -> None:
        if (self.content is None) == (self.url is None):
            raise ValidationError("an attachment holds either bytes or a URL", field="attachments")
        _check_file_name(self.name)
        if not re.fullmatch(r"[A-Za-z0-9.+-]{1,60}/[A-Za-z0-9.+-]{1,60}", self.content_type):
            raise ValidationError(
                f"content type {self.content_type!r} is not a type/subtype", field="attachments"
            )
        if self.content is not None:
            if not isinstance(self.content, bytes):
                raise ValidationError("attachment content must be bytes", field="attachments")
            if not self.content:
                raise ValidationError(f"attachment {self.name!r} is empty", field="attachments")
            if len(self.content) > MAX_ATTACHMENT_BYTES:
                raise ValidationError(
                    f"attachment {self.name!r} is {len(self.content)} bytes, at most "
                    f"{MAX_ATTACHMENT_BYTES} allowed",
                    field="attachments",
                )
        if self.url is not None:
            _check_file_url(self.url)

    def __repr__(self) -> str:
        held = f"url={self.url!r}" if self.url is not None else f"{self.size} bytes"
        return f"Attachment({self.name!r}, {held}, {self.content_type!r})"

    @property
    def size(self) -> int:
        """How many bytes the attachment holds (0 for a URL)."""
        return len(self.content) if self.content is not None else 0

    @classmethod
    def from_bytes(cls, name: str, content: bytes, content_type: str | None = None) -> Attachment:
        """An attachment of ``content`` named ``name`` (type guessed from the name if not given)."""
        return cls(name, content=content, content_type=content_type or _guess_type(name))

    @classmethod
    def from_path(
        cls,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        content_type: str | None = None,
    ) -> Attachment:
        """An attachment read from the file at ``path`` now, named by its base name.

        The file is read at once (an unreadable or too big file fails here, before
        anything is sent); only ``name`` goes to SMSC, never the directory.
        """
        file = Path(path)
        try:
            size = file.stat().st_size
            if size > MAX_ATTACHMENT_BYTES:
                raise ValidationError(
                    f"{file.name!r} is {size} bytes, at most {MAX_ATTACHMENT_BYTES} allowed",
                    field="attachments",
                )
            content = file.read_bytes()
        except OSError as exc:
            raise ValidationError(
                f"cannot read the attachment {file.name!r}: {exc.strerror or exc}",
                field="attachments",
            ) from None
        return cls.from_bytes(name or file.name, content, content_type)

    @classmethod
    def from_url(cls, url: str, *, name: str | None = None) -> Attachment:
        """A file SMSC fetches itself from ``url`` (``fileurl``): http or https, no password."""
        _check_file_url(url)
        base = name or (urlsplit(url).path.rsplit("/", 1)[-1] or "file")
        return cls(base, url=url, content_type=_guess_type(base))


def _guess_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def _check_file_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise ValidationError(
            "an attachment needs a name of 1 to 100 characters", field="attachments"
        )
    if _BAD_NAME.search(name) or name in (".", ".."):
        raise ValidationError(
            f"attachment name {name!r} holds a path separator, a quote or a control character",
            field="attachments",
        )


def _check_file_url(url: str) -> None:
    if not isinstance(url, str) or len(url) > 2000 or _URL_NOISE.search(url):
        raise ValidationError("an attachment URL is one line of at most 2000 characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ValidationError(f"attachment URL {url!r} is not an http(s) URL", field="attachments")
    if parts.username is not None or parts.password is not None:
        # SMSC would keep (and show) the URL: a password in it would leak.
        raise ValidationError(
            "an attachment URL must not carry a user or password", field="attachments"
        )


def _check_attachments(items: tuple[Attachment, ...], kind: MessageKind) -> None:
    if not items:
        return
    if kind.name not in _ATTACHMENT_KINDS:
        raise ValidationError(
            f"only MMS and MAIL messages carry attachments, not {kind.name}", field="attachments"
        )
    if any(not isinstance(item, Attachment) for item in items):
        raise ValidationError("attachments must be Attachment values", field="attachments")
    if len(items) > MAX_ATTACHMENTS:
        raise ValidationError(f"at most {MAX_ATTACHMENTS} attachments", field="attachments")
    if sum(item.url is not None for item in items) > 1:
        raise ValidationError("SMSC takes one fileurl per message", field="attachments")
    names = [item.name for item in items]
    if len(set(names)) != len(names):
        raise ValidationError("two attachments share a name", field="attachments")


@dataclass(frozen=True, slots=True)
class CallParams:
    """How a voice call (``kind=CALL``) is placed: SMSC's ``param=wait,interval,attempts``.

    ``wait``: seconds to wait for an answer (0–99); ``interval``: seconds between
    attempts (10–3600); ``attempts``: how many calls at most (1–9). SMSC's defaults
    are 22, 20 and 5 (smsc-protocol.md §1.4, [S]).
    """

    wait: int = 22
    interval: int = 20
    attempts: int = 5

    def __post_init__(self) -> None:
        for name, low, high in (("wait", 0, 99), ("interval", 10, 3600), ("attempts", 1, 9)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValidationError(
                    f"call_params.{name} must be a whole number in {low}…{high}, got {value!r}",
                    field="call_params",
                )

    @property
    def parameter(self) -> str:
        """The value of SMSC's ``param``."""
        return f"{self.wait},{self.interval},{self.attempts}"


_ZONED_TIME = re.compile(r"\d{10}|\d{2}\.\d{2}\.\d{2} \d{2}:\d{2}|\d{1,2}-\d{1,2}", re.ASCII)


def _check_text(text: str, kind: MessageKind) -> None:
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            f"text is {len(text)} characters long, SMSC accepts at most {MAX_TEXT_LENGTH}",
            field="text",
        )
    if kind not in _TEXTLESS_KINDS and not text.strip():
        raise ValidationError(f"text is empty; a {kind.name} message needs one", field="text")
    if "\x00" in text:
        raise ValidationError("text must not contain NUL characters", field="text")


def _check_tz(tz: int, send_at: datetime | str | None) -> None:
    if isinstance(tz, bool) or not isinstance(tz, int) or not -12 <= tz <= 12:
        raise ValidationError(f"tz must be whole hours from Moscow, -12…12, got {tz!r}", field="tz")
    # tz says in which zone SMSC reads a date or an hour window; a datetime carries its
    # own zone and "+minutes"/"0<unix time>" need none, so there tz would change nothing.
    if not isinstance(send_at, str) or not _ZONED_TIME.fullmatch(send_at):
        raise ValidationError(
            "tz applies to send_at given as DDMMYYhhmm, 'DD.MM.YY hh:mm' or 'h1-h2' "
            "(an aware datetime carries its own zone)",
            field="tz",
        )


def _check_kind_field(name: str, kind: MessageKind, kinds: tuple[MessageKind, ...]) -> None:
    if kind not in kinds:
        names = ", ".join(k.name for k in kinds)
        raise ValidationError(
            f"{name} applies to {names} messages only, not {kind.name}: SMSC would ignore it",
            field=name,
        )


def _check_whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be a whole number in {low}…{high}", field=name)
    return value


def _check_spread(over: timedelta | None, every: timedelta | None) -> None:
    if every is not None and over is None:
        raise ValidationError(
            "spread_every needs spread_over (SMSC ignores freq alone)", field="spread_every"
        )
    if over is not None:
        if not isinstance(over, timedelta) or not _PERIOD_STEP <= over <= _MAX_PERIOD:
            raise ValidationError(
                "spread_over must be a timedelta of 6 minutes … 720 hours", field="spread_over"
            )
        if over % _PERIOD_STEP:
            raise ValidationError(
                "spread_over must be whole tenths of an hour (6 minutes)", field="spread_over"
            )
    if every is not None:
        if not isinstance(every, timedelta) or not timedelta(minutes=1) <= every <= _MAX_FREQ:
            raise ValidationError(
                "spread_every must be a timedelta of 1 … 1440 minutes", field="spread_every"
            )
        if every % timedelta(minutes=1):
            raise ValidationError("spread_every must be whole minutes", field="spread_every")


def _check_subject(subject: str, kind: MessageKind) -> None:
    _check_kind_field("subject", kind, (MessageKind.MAIL, MessageKind.MMS))
    if not isinstance(subject, str) or not subject.strip():
        raise ValidationError("subject must be a non-empty string", field="subject")
    if len(subject) > _SUBJECT_LENGTH or any(ord(c) < 32 or c == "\x7f" for c in subject):
        raise ValidationError(
            f"subject must be one line of at most {_SUBJECT_LENGTH} characters", field="subject"
        )


def _binary_data(kind: MessageKind, text: str, data: bytes | None) -> bytes | None:
    """The octets of a BIN/BIN_HEX message, from ``data`` or (older form) from ``text``."""
    if kind not in _BINARY_KINDS:
        if data is not None:
            raise ValidationError("data is for kind=BIN or BIN_HEX messages", field="data")
        return None
    if data is None:
        # The older spelling: hex digits (BIN_HEX) or U+0000…U+00FF characters (BIN).
        try:
            if kind is MessageKind.BIN_HEX:
                data = bytes.fromhex(text) if re.fullmatch(r"[0-9A-Fa-f]*", text) else None
            else:
                data = text.encode("latin-1")
        except (ValueError, UnicodeEncodeError):
            data = None
        if data is None:
            raise ValidationError(
                "binary text must be hex digits (BIN_HEX) or characters U+0000…U+00FF (BIN); "
                "or give the octets as data=bytes",
                field="text",
            )
    elif text:
        raise ValidationError(
            "give a binary message's content as data or as text, not both", field="data"
        )
    if not isinstance(data, bytes | bytearray):
        raise ValidationError(f"data must be bytes, got {type(data).__name__}", field="data")
    data = bytes(data)
    if not data:
        raise ValidationError("binary data is empty", field="data")
    if len(data) > MAX_BINARY_OCTETS:
        raise ValidationError(
            f"binary data is {len(data)} octets, at most {MAX_BINARY_OCTETS}", field="data"
        )
    # SMSC reads the first octet as the user data header's length (00: no header).
    if data[0] > len(data) - 1:
        raise ValidationError(
            f"the first octet of binary data is the header length ({data[0]}), longer than "
            "what follows; start with 00 for no header",
            field="data",
        )
    return data


def _check_options(
    kind: MessageKind,
    send_at: datetime | str | None,
    *,
    tz: int | None,
    max_parts: int | None,
    subject: str | None,
    voice: str | None,
    call_params: CallParams | None,
    spread_over: timedelta | None,
    spread_every: timedelta | None,
    short_links: bool,
    partner_id: str | None,
    user_ip: str | None,
) -> str | None:
    """Check the typed options; return ``user_ip`` in its canonical spelling."""
    if tz is not None:
        _check_tz(tz, send_at)
    if max_parts is not None:
        _check_whole("max_parts", max_parts, 1, MAX_PARTS)
        _check_kind_field("max_parts", kind, _SPLIT_KINDS)
    if subject is not None:
        _check_subject(subject, kind)
    if voice is not None:
        _check_kind_field("voice", kind, (MessageKind.CALL,))
        if not isinstance(voice, str) or not _VOICE.fullmatch(voice):
            raise ValidationError(
                f"voice must be m, m2…m4, w or w2…w4, optionally with ',<language>': {voice!r}",
                field="voice",
            )
    if call_params is not None:
        _check_kind_field("call_params", kind, (MessageKind.CALL,))
        if not isinstance(call_params, CallParams):
            raise ValidationError("call_params must be a CallParams", field="call_params")
    _check_spread(spread_over, spread_every)
    if not isinstance(short_links, bool):
        raise ValidationError("short_links must be True or False", field="short_links")
    if partner_id is not None and (
        not isinstance(partner_id, str) or not _PARTNER.fullmatch(partner_id)
    ):
        raise ValidationError(
            "partner_id must be 1 to 40 characters of A-Z a-z 0-9 _ -", field="partner_id"
        )
    if user_ip is not None:
        try:
            user_ip = str(ipaddress.ip_address(user_ip))
        except ValueError:
            raise ValidationError(
                f"user_ip {user_ip!r} is not an IP address", field="user_ip"
            ) from None
    return user_ip


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one or more recipients, validated when it is built.

    ``phones`` takes a list or a comma/semicolon separated string. For
    :attr:`MessageKind.MAIL` they are e-mail addresses, for Telegram nicks or ``#ID``.
    ``send_at`` is an aware datetime or one of SMSC's own time strings; ``valid`` is the
    lifetime (1 minute … 24 hours).

    The options SMSC documents have typed fields, each named after what it does, with
    SMSC's ``send.php`` parameter in brackets:

    * ``tz`` (``tz``): whole hours from Moscow in which a date or hour-window ``send_at``
      string is read.
    * ``max_parts`` (``maxsms``): at most this many parts; SMSC cuts a longer text.
    * ``subject`` (``subj``): the subject of an e-mail or MMS.
    * ``voice`` (``voice``: ``m``, ``m2``…``m4``, ``w``…``w4``, optionally ``,en``) and
      ``call_params`` (``param``, a :class:`CallParams`) for voice calls.
    * ``spread_over`` (``period``) and ``spread_every`` (``freq``): spread a mailing.
    * ``short_links`` (``tinyurl=1``): shorten links and track clicks.
    * ``partner_id`` (``pp``), ``user_ip`` (``userip``): referral id, end user's address.
    * ``data``: the octets of a ``BIN``/``BIN_HEX`` message; the first octet is the
      user data header's length (``00`` for none), as SMSC reads binary messages.
    * ``attachments`` (``file0``, ``file1``… multipart parts, ``fileurl``): files of an
      MMS or an e-mail (:class:`Attachment`; the HTTP API alone carries them).

    ``extra`` carries any other send parameter as-is (what SMSC adds later); a name a
    typed field stands for is refused. Every protocol sends, maps or refuses each field
    (:mod:`smsc_transports.field_support`); none is dropped silently.
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
    tz: int | None = None
    max_parts: int | None = None
    subject: str | None = None
    voice: str | None = None
    call_params: CallParams | None = None
    spread_over: timedelta | None = None
    spread_every: timedelta | None = None
    short_links: bool = False
    partner_id: str | None = None
    user_ip: str | None = None
    data: bytes | None = None
    attachments: tuple[Attachment, ...] = ()

    def __init__(
        self,
        phones: str | Iterable[str],
        text: str = "",
        sender: str | None = None,
        id: int | str | None = None,
        kind: MessageKind | int = MessageKind.SMS,
        translit: int = 0,
        send_at: datetime | str | None = None,
        valid: timedelta | None = None,
        extra: Mapping[str, str | int] | None = None,
        *,
        tz: int | None = None,
        max_parts: int | None = None,
        subject: str | None = None,
        voice: str | None = None,
        call_params: CallParams | None = None,
        spread_over: timedelta | None = None,
        spread_every: timedelta | None = None,
        short_links: bool = False,
        partner_id: str | None = None,
        user_ip: str | None = None,
        data: bytes | None = None,
        attachments: Iterable[Attachment] | None = None,
    ) -> None:
        try:
            kind = kind if type(kind) is MessageKind else MessageKind(kind)
        except ValueError:
            raise ValidationError(f"unknown message kind {kind!r}", field="kind") from None
        if not isinstance(text, str):
            raise ValidationError(f"text must be a string, got {type(text).__name__}")
        if data is not None or kind in _BINARY_KINDS:
            data = _binary_data(kind, text, data)
        if data is not None:
            text = ""  # a binary message's content is its data
        else:
            _check_text(text, kind)
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
        # Most messages set none of the options: skip their checks (a bulk send builds many).
        if (tz, max_parts, subject, voice, call_params, spread_over, spread_every, partner_id,
            user_ip) != _NO_OPTIONS or short_links is not False:  # fmt: skip
            user_ip = _check_options(
                kind,
                send_at,
                tz=tz,
                max_parts=max_parts,
                subject=subject,
                voice=voice,
                call_params=call_params,
                spread_over=spread_over,
                spread_every=spread_every,
                short_links=short_links,
                partner_id=partner_id,
                user_ip=user_ip,
            )
        extra, files = _checked_extra_and_files(extra, attachments, kind)
        phones = _normalize_phones(phones, kind)
        # Stored as into a plain object, then sealed: a bulk send builds one per recipient.
        draft = stores(self)
        draft.phones = phones
        draft.text = text
        draft.sender = sender
        draft.id = id
        draft.kind = kind
        draft.translit = translit
        draft.send_at = send_at
        draft.valid = valid
        draft.extra = extra
        draft.tz = tz
        draft.max_parts = max_parts
        draft.subject = subject
        draft.voice = voice
        draft.call_params = call_params
        draft.spread_over = spread_over
        draft.spread_every = spread_every
        draft.short_links = short_links
        draft.partner_id = partner_id
        draft.user_ip = user_ip
        draft.data = data
        draft.attachments = files
        seal(draft, Message)

    def __hash__(self) -> int:
        # ``extra`` is a read-only mapping and cannot be hashed; equal messages still
        # hash equal because every field hashed here takes part in equality.
        return hash(
            (self.phones, self.text, self.sender, self.id, self.kind, self.send_at, self.data)
        )

    @property
    def header(self) -> bytes:
        """A binary message's user data header (with its length octet), ``b""`` if none."""
        if not self.data or not self.data[0]:
            return b""
        return self.data[: 1 + self.data[0]]

    @property
    def payload(self) -> bytes:
        """A binary message's octets after its header (and after the ``00`` of no header)."""
        if not self.data:
            return b""
        return self.data[1 + self.data[0] :]

    def replace(self, **changes: object) -> Message:
        """Return a copy with ``changes`` applied, validated again."""
        values: dict[str, object] = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        if values.get("data") is not None and "text" not in changes:
            values["text"] = ""
        return Message(**values)  # type: ignore[arg-type]
