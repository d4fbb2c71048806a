"""The MIME message around an e-mail body.

:func:`compose_mail` wraps a :class:`~smsc_transports.wire.mail.body.MailBody` into a whole
e-mail (headers, charset, transfer encoding, the 100 KB limit); :func:`parse_mail` reads
one back; :func:`check_address` refuses an address that could inject a header.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

from smsc_transports.errors import ValidationError
from smsc_transports.wire.mail.body import (
    CHARSETS,
    MAILBOXES,
    MAX_MAIL_BYTES,
    SMSC_DEFAULT_CHARSET,
    TRANSFER_ENCODINGS,
    MailBody,
    build_body,
    parse_body,
)

__all__ = [
    "ComposedMail",
    "check_address",
    "check_helo_name",
    "compose_mail",
    "parse_mail",
]

_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}")
_HELO_NAME = re.compile(r"[!-~]{1,255}")
_HEADER_BAD = re.compile(r"[\r\n\x00]")
# Codecs Python counts as text encodings that no mail is written in: one always fails
# ("undefined"), the others read bytes as escapes (warning on some) or domain labels.
_NOT_MAIL_CHARSETS = frozenset(
    {"undefined", "punycode", "idna", "unicode-escape", "raw-unicode-escape"}
)


# The MIME message ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComposedMail:
    """A message ready for SMTP: ``data`` is the whole e-mail, CRLF lines."""

    data: bytes

    @property
    def message(self) -> EmailMessage:
        """``data`` read back as an :class:`~email.message.EmailMessage` (for inspection)."""
        message = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(message, EmailMessage)
        return message


def check_helo_name(value: str) -> str:
    """Return ``value`` if it can be said in EHLO (a host name or an address literal).

    It goes on the wire as it is, so a space or a line break in it would inject a
    command: anything but 1–255 printable ASCII characters is a ValidationError.
    """
    if not _HELO_NAME.fullmatch(value):
        raise ValidationError(
            f"helo_name={value[:80]!r} must be a host name or an address literal: "
            "printable ASCII without spaces, line breaks or control characters",
            field="helo_name",
        )
    return value


def check_address(name: str, value: str) -> str:
    """Return ``value`` if it is a plain ``local@domain`` address, else raise ValidationError."""
    if _HEADER_BAD.search(value):
        raise ValidationError(f"{name} must not contain a line break", field=name)
    if not _ADDRESS.fullmatch(value):
        raise ValidationError(f"{name} {value!r} is not a plain e-mail address", field=name)
    return value


def _encode(name: str, value: str, charset: str, *, secret: bool = False) -> bytes:
    try:
        return value.encode(charset)
    except UnicodeEncodeError as exc:
        char = value[exc.start]
        where = "" if secret else f" {char!r} (U+{ord(char):04X}) at position {exc.start} of"
        raise ValidationError(
            f"charset {charset} cannot hold the character{where} the {name}; use charset=utf-8",
            field=name,
        ) from None


def _check_charset(body: MailBody, charset: str) -> None:
    """Name the field holding a character the charset lacks, before encoding the whole."""
    _encode("login", body.login, charset)
    _encode("password", body.password, charset, secret=True)
    _encode("sender", body.sender, charset)
    for phone in body.phones:
        _encode("phones", phone, charset)
    _encode("text", body.text, charset)
    for phone, text in body.pairs:
        _encode("phones", phone, charset)
        _encode("text", text, charset)


def compose_mail(
    body: MailBody,
    *,
    mail_from: str,
    mail_to: str = MAILBOXES["ru"],
    charset: str = "utf-8",
    transfer_encoding: str = "8bit",
    date: datetime | None = None,
) -> ComposedMail:
    """Return the MIME message carrying ``body``, checked against SMSC's 100 KB limit.

    ``Content-Type: text/plain; charset=...`` with ``transfer_encoding`` 8bit (what
    SMSC's own libraries send), base64 or quoted-printable (whether SMSC decodes these
    is unverified), plus ``From``, ``To``, ``Date``, ``Message-ID`` and ``MIME-Version``.
    """
    charset = charset.lower()
    if charset not in CHARSETS:
        raise ValidationError(
            f"charset {charset!r} is not one SMSC reads ({', '.join(CHARSETS)})", field="charset"
        )
    if transfer_encoding not in TRANSFER_ENCODINGS:
        raise ValidationError(
            f"transfer_encoding {transfer_encoding!r} is not one of "
            f"{', '.join(TRANSFER_ENCODINGS)}",
            field="transfer_encoding",
        )
    text = build_body(body)
    _check_charset(body, charset)
    payload = _encode("text", text, charset)
    if transfer_encoding == "base64":
        payload = base64.encodebytes(payload.replace(b"\n", b"\r\n"))
    elif transfer_encoding == "quoted-printable":
        payload = binascii.b2a_qp(payload, quotetabs=True)  # keeps line breaks as they are
    payload = payload.replace(b"\n", b"\r\n")
    stamp = format_datetime(date or datetime.now(UTC))
    msgid = make_msgid(domain=mail_from.rpartition("@")[2])
    head = f"Date: {stamp}\r\nMessage-ID: {msgid}\r\n".encode("ascii")
    data = head + _static_headers(mail_from, mail_to, charset, transfer_encoding) + payload
    if len(data) > MAX_MAIL_BYTES:
        raise ValidationError(
            f"the e-mail is {len(data)} bytes; SMSC accepts at most {MAX_MAIL_BYTES}",
            field="body",
        )
    return ComposedMail(data)


@functools.lru_cache(maxsize=64)
def _static_headers(mail_from: str, mail_to: str, charset: str, transfer_encoding: str) -> bytes:
    """The headers every message of one configuration shares, and the blank line after them.

    :class:`EmailMessage` writes them once; doing so per message would cost more than
    the SMTP exchange itself (the email package parses every header it is given).
    """
    check_address("mail_from", mail_from)
    check_address("mail_to", mail_to)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = mail_from
    message["To"] = mail_to
    message.set_content(
        b"", maintype="text", subtype="plain", cte=transfer_encoding, params={"charset": charset}
    )
    head, _, _ = message.as_bytes().partition(b"\r\n\r\n")
    return head + b"\r\n\r\n"


def parse_mail(data: bytes) -> MailBody:
    """Read the body out of a whole e-mail (any transfer encoding, SMSC's charsets).

    The first ``text/plain`` part is used (another ``text/*`` part, which then needs
    the ``[text]`` markers, if there is none); without a ``charset`` the text is read as
    koi8-r, SMSC's default. Raises :class:`ValidationError` for anything unreadable.
    """
    # compat32 reads headers lazily; the modern policy parses each one (10x slower).
    message = BytesParser(policy=policy.compat32).parsebytes(data)
    parts = [part for part in message.walk() if part.get_content_maintype() == "text"]
    parts.sort(key=lambda part: part.get_content_subtype() != "plain")  # stable: plain first
    for part in parts:
        raw = part.get_payload(decode=True)
        if not isinstance(raw, bytes):
            continue
        charset = part.get_content_charset() or SMSC_DEFAULT_CHARSET
        try:
            if codecs.lookup(charset).name in _NOT_MAIL_CHARSETS:
                raise LookupError(charset)
            text = raw.decode(charset)
        except (LookupError, ValueError):
            # ValueError: a NUL in the name, or a codec failing its own way (UnicodeError
            # from "undefined" or "punycode"), besides undecodable bytes.
            raise ValidationError(
                f"the body is not readable as {charset[:40]!r} text", field="charset"
            ) from None
        return parse_body(text)
    raise ValidationError("the e-mail has no text part", field="body")
