"""SMSC's e-mail-to-SMS body as data, and back.

The body (smsc-protocol.md §2) is one of:

* long form ([C], documented): ``login:psw:id:time,tz:translit,format,sender,test:phones:mes``
* list form ([C]): ``login:psw:id:time,tz:translit,format,sender,test::list`` where
  ``list`` is ``phone:message`` lines
* short form ([C], what SMSC's own libraries send):
  ``login:psw:id:time:translit,format,sender:phones:message``

An empty login means the password is an API key. Only the text may hold ``:`` (it is
the remainder) or new lines; every other field is checked so that no value can move a
separator: a bad value raises :class:`ValidationError` naming its field, before any
byte is sent. :func:`parse_body` reads a body back (:func:`~.mime.parse_mail` a whole
e-mail); the emulator's SMTP front end and the tests use the same parser.

Line endings of the text are normalised to ``\\n`` (a lone ``\\r`` counts as one).
:func:`build_body` ends the body with one line ending and :func:`parse_body` removes
exactly one, so a text's own trailing new lines survive the trip.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from smsc_transports.errors import ValidationError
from smsc_transports.field_support import refuse_uncarried
from smsc_transports.message import STRING_ID, Message, MessageKind
from smsc_transports.wire.http import message_text, time_param

__all__ = [
    "CHARSETS",
    "MAILBOXES",
    "MAX_MAIL_BYTES",
    "SMSC_DEFAULT_CHARSET",
    "TRANSFER_ENCODINGS",
    "BodyForm",
    "MailBody",
    "TransferEncoding",
    "body_from_message",
    "build_body",
    "mail_time",
    "new_message_id",
    "parse_body",
]

BodyForm = Literal["long", "short"]
TransferEncoding = Literal["8bit", "base64", "quoted-printable"]
TRANSFER_ENCODINGS: tuple[str, ...] = get_args(TransferEncoding)
# The charsets SMSC names for e-mail bodies; it assumes koi8-r when none is given.
CHARSETS = ("utf-8", "koi8-r", "windows-1251")
SMSC_DEFAULT_CHARSET = "koi8-r"
MAX_MAIL_BYTES = 100 * 1024  # "max e-mail size 100 KB" (§2, [C])
# Where SMSC reads mail, per regional platform (§2, [C]).
MAILBOXES = {
    "ru": "send@send.smsc.ru",
    "kz": "send@send.smsc.kz",
    "ua": "send@send.smsc.ua",
    "com": "send@send.smscentre.com",
}

_NEWLINES = re.compile(r"\r\n?")
# SMSC's server takes what lies between these markers as the body (§2, [C]); a field
# holding one would move the body's start or end.
_MARKER = re.compile(r"\[/?text\]", re.IGNORECASE)
_OPEN, _CLOSE = re.compile(r"\[text\]", re.I), re.compile(r"\[/text\]", re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_OPTION_DIGITS = 9
_TZ = re.compile(r"[+-]?\d{1,2}(?:\.\d{1,2})?")
_DOTTED_TIME = re.compile(r"(\d\d)\.(\d\d)\.(\d\d) (\d\d):(\d\d)")


@dataclass(frozen=True, slots=True)
class MailBody:
    """Every field of an e-mail body, as :func:`build_body` writes and :func:`parse_body` reads.

    ``login`` empty means ``password`` is an API key. ``id``, ``time``, ``tz`` and
    ``sender`` are ``""`` when absent. ``format`` is SMSC's format number (the values of
    :class:`~smsc_transports.message.MessageKind`). Either ``phones`` and ``text`` are
    set, or ``pairs`` (the list form: one ``(phone, text)`` per line). The short
    ``form`` has no ``tz`` and no ``test``.
    """

    login: str
    password: str
    id: str = ""
    time: str = ""
    tz: str = ""
    translit: int = 0
    format: int = 0
    sender: str = ""
    test: bool = False
    phones: tuple[str, ...] = ()
    text: str = ""
    pairs: tuple[tuple[str, str], ...] = ()
    form: BodyForm = "long"

    def __repr__(self) -> str:
        # The body carries the account password; never let it reach a log or a traceback.
        return (
            f"MailBody(login={self.login!r}, password='***', id={self.id!r}, "
            f"phones={self.phones!r}, pairs={len(self.pairs)}, form={self.form!r})"
        )


# Building ------------------------------------------------------------------------------


def _check_field(
    name: str, value: str, forbidden: str, *, secret: bool = False, spaces: bool = True
) -> None:
    """Refuse a value holding a separator, a line break, a body marker (or a space)."""
    shown = "the value" if secret else repr(value)
    bad = next((char for char in forbidden if char in value), None)
    if bad is not None:
        problem = f"{bad!r}: it separates the e-mail body's fields"
    elif _CONTROL.search(value) or (not spaces and any(c.isspace() for c in value)):
        problem = "a space, line break or control character"
    elif _MARKER.search(value):
        problem = "[text] or [/text]: SMSC reads them as the body's markers"
    else:
        return
    raise ValidationError(f"{name} must not contain {problem} ({shown})", field=name)


def _check_phone(phone: str) -> None:
    if not phone:
        raise ValidationError("empty phone number", field="phones")
    # ',' and ';' separate recipients for SMSC, '|' starts a list line's phone.
    _check_field("phones", phone, ":,;|", spaces=False)


def _check_text(text: str, *, in_list: bool) -> str:
    text = _NEWLINES.sub("\n", text)
    if "\x00" in text or (in_list and "\n" in text):
        raise ValidationError(
            "text must not contain NUL, nor a line break in the list form", field="text"
        )
    if _MARKER.search(text):
        raise ValidationError("text must not contain [text] or [/text] markers", field="text")
    return text


def _check_head(body: MailBody) -> None:
    """Check every field before the phones (and the phones themselves)."""
    _check_field("login", body.login, ":[]", spaces=False)
    _check_field("password", body.password, ":", secret=True)
    if body.id and not STRING_ID.fullmatch(body.id):
        raise ValidationError(
            f"id {body.id!r} must be 1 to 40 characters of A-Z a-z 0-9 . _ -", field="id"
        )
    _check_field("time", body.time, ":,")
    if body.tz and not _TZ.fullmatch(body.tz):
        raise ValidationError(f"tz {body.tz!r} must be a number of hours", field="tz")
    if body.translit not in (0, 1, 2):
        raise ValidationError(
            f"translit must be 0, 1 or 2, got {body.translit!r}", field="translit"
        )
    if not 0 <= body.format <= 99:
        raise ValidationError(f"format {body.format!r} is not an SMSC format", field="format")
    _check_field("sender", body.sender, ":,")
    for phone in body.phones:
        _check_phone(phone)
    if bool(body.phones) == bool(body.pairs):
        raise ValidationError(
            "give either phones and a text, or list pairs (phone, text)", field="phones"
        )


def build_body(body: MailBody) -> str:
    """Return the e-mail body for ``body``, ending with one ``\\n``.

    Raises :class:`ValidationError` naming the field when a value would move a
    separator (a ``:`` outside the text, a ``,`` inside a comma group, a line break
    anywhere but the text), or when the short form is asked to carry ``tz``, ``test``
    or a list.
    """
    _check_head(body)
    if body.form == "short":
        for name, used in (("tz", body.tz), ("test", body.test), ("pairs", body.pairs)):
            if used:
                raise ValidationError(f"the short body form has no {name}", field=name)
        head = [body.login, body.password, body.id, body.time]
        head.append(f"{body.translit},{body.format},{body.sender}")
    elif body.form == "long":
        head = [body.login, body.password, body.id, f"{body.time},{body.tz}"]
        head.append(f"{body.translit},{body.format},{body.sender},{int(body.test)}")
    else:
        raise ValidationError(f"unknown body form {body.form!r}", field="body_form")
    if body.pairs:
        lines = []
        for phone, text in body.pairs:
            _check_phone(phone)
            lines.append(f"{phone}:{_check_text(text, in_list=True)}")
        return ":".join([*head, "", "\n".join(lines)]) + "\n"
    return ":".join([*head, ",".join(body.phones), _check_text(body.text, in_list=False)]) + "\n"


def mail_time(send_at: datetime | str) -> str:
    """Return ``send_at`` as the body's ``time`` field (which must not contain ``:``).

    A datetime becomes ``0<unix time>``; ``DD.MM.YY hh:mm`` becomes the equivalent
    ``DDMMYYhhmm``; SMSC's other forms have no ``:`` and pass as they are.
    """
    value = time_param(send_at)
    if match := _DOTTED_TIME.fullmatch(value):
        return "".join(match.groups())
    return value


def body_from_message(
    message: Message,
    *,
    login: str,
    password: str,
    id: str,
    form: BodyForm = "long",
    tz: str = "",
    test: bool = False,
) -> MailBody:
    """Return the body fields that send ``message`` under ``id``.

    The body has fields for the id, time, tz, translit, format and sender; ``tz`` is
    the message's own when it has one, else the transport's. A binary message goes as
    format 5 with its octets in hex (a body cannot hold raw octets). Any other option
    (``valid``, ``max_parts``, ``extra``…) raises :class:`ValidationError` naming the
    protocols that can send it, rather than be lost silently.
    """
    refuse_uncarried(message, "smtp")
    # An empty sender field means "the account's default"; SMSC spells "none" as ".".
    sender = "." if message.sender == "" else message.sender or ""
    binary = message.data is not None
    return MailBody(
        login=login,
        password=password,
        id=id,
        time="" if message.send_at is None else mail_time(message.send_at),
        tz=tz if message.tz is None else str(message.tz),
        translit=message.translit,
        format=int(MessageKind.BIN_HEX if binary else message.kind),
        sender=sender,
        test=test,
        phones=message.phones,
        text=message_text(message),
        form=form,
    )


def new_message_id() -> str:
    """Return a fresh message id that fits SMSC's rule (≤ 40 of ``A-Za-z0-9._-``)."""
    return secrets.token_hex(10)


# Parsing -------------------------------------------------------------------------------


def _number(name: str, value: str, default: int = 0) -> int:
    if not value:
        return default
    # Every option is a small number; a long run of digits would cost int() quadratic
    # time, and past 4300 digits raise a bare ValueError.
    if not value.isdigit() or not value.isascii() or len(value) > _MAX_OPTION_DIGITS:
        raise ValidationError(f"{name} must be a small number, got {value[:20]!r}", field=name)
    return int(value)


def _unwrap(text: str) -> str:
    text = _NEWLINES.sub("\n", text)
    if opening := _OPEN.search(text):
        text = text[opening.end() :]
        if closing := _CLOSE.search(text):
            text = text[: closing.start()]
    text = text.lstrip(" \t\n")
    return text[:-1] if text.endswith("\n") else text


def _phones(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[,;]", value) if p.strip())


def parse_body(text: str) -> MailBody:
    """Read a body in the long, list or short form; raise :class:`ValidationError` if malformed.

    Tolerant of CRLF or LF, leading blank lines, a ``[text]…[/text]`` wrapping, spaces
    around phones and empty trailing phone separators.
    """
    fields = _unwrap(text).split(":", 6)
    if len(fields) < 7:
        raise ValidationError(
            f"the body has {len(fields)} ':'-separated fields, expected 7: "
            "login:psw:id:time,tz:translit,format,sender,test:phones:mes",
            field="body",
        )
    login, password, msg_id, when, options, phones, rest = fields
    opts = options.split(",")
    if len(opts) == 4:
        form: BodyForm = "long"
        test = _number("test", opts[3])
        if test not in (0, 1):
            raise ValidationError("test must be 0 or 1", field="test")
    elif len(opts) == 3:
        form, test = "short", 0
    else:
        raise ValidationError(
            f"the options field has {len(opts)} comma-separated values, expected "
            "translit,format,sender,test (or translit,format,sender)",
            field="options",
        )
    time, _, tz = when.partition(",")
    if tz and not _TZ.fullmatch(tz):
        raise ValidationError(f"tz {tz[:20]!r} must be a number of hours", field="tz")
    if msg_id and not STRING_ID.fullmatch(msg_id):
        raise ValidationError(f"id {msg_id[:50]!r} is not an SMSC message id", field="id")
    common = {
        "login": login,
        "password": password,
        "id": msg_id,
        "time": time,
        "tz": tz,
        "translit": _number("translit", opts[0]),
        "format": _number("format", opts[1]),
        "sender": opts[2],
        "test": bool(test),
        "form": form,
    }
    if _phones(phones):
        return MailBody(phones=_phones(phones), text=rest, **common)  # type: ignore[arg-type]
    pairs = []
    for number, line in enumerate(rest.split("\n"), 1):
        if not line.strip():
            continue
        phone, colon, message = line.partition(":")
        if not colon or not phone.strip():
            raise ValidationError(
                f"list line {number} is not phone:message (no phones field either)",
                field="phones",
            )
        pairs.append((phone.strip(), message))
    if not pairs:
        raise ValidationError("the body names no phones", field="phones")
    return MailBody(pairs=tuple(pairs), **common)  # type: ignore[arg-type]
