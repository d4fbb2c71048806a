"""Reading callback fields from a request: query strings, form bodies, multipart bodies.

Pure functions over bytes; :mod:`.apps` calls them. Every failure is a
:class:`~smsc_transports.errors.ValidationError` (answered 400) except a body type
that is not a form at all, :class:`UnsupportedBody` (answered 415).
"""

from __future__ import annotations

import codecs
import email.parser
import email.policy
from collections.abc import Iterable
from email.message import Message as EmailMessage
from email.utils import collapse_rfc2231_value
from urllib.parse import parse_qsl

from smsc_transports.errors import ValidationError

__all__ = [
    "MAX_FIELDS",
    "UnsupportedBody",
    "charset_of",
    "check_charset",
    "decode_pairs",
    "multipart_pairs",
]

MAX_FIELDS = 200
# Codecs Python lists as text encodings that no form is written in: one always fails
# ("undefined"), the others read arbitrary bytes as escapes or domain labels.
_NOT_FORM_CHARSETS = frozenset(
    {"undefined", "punycode", "idna", "unicode-escape", "raw-unicode-escape", "mbcs"}
)


class UnsupportedBody(Exception):
    """A body in a format the receiver does not read (answered 415)."""


def check_charset(charset: str) -> None:
    """Raise ValidationError unless ``charset`` names a text encoding Python has."""
    try:
        info = codecs.lookup(charset)
    except (LookupError, ValueError, TypeError):
        raise ValidationError(f"unknown charset {charset[:40]!r}") from None
    # bytes.decode refuses bytes-to-bytes codecs (base64, zlib...) by this same flag.
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_FORM_CHARSETS:
        raise ValidationError(f"{charset[:40]!r} is not a text encoding")


def charset_of(params: str) -> str | None:
    """The ``charset`` parameter of a Content-Type's ``params``, checked to exist."""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
            check_charset(charset)
            return charset
    return None


def decode_pairs(raw: bytes, charset: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a query string or form-encoded body."""
    try:
        text = raw.decode(charset)
        return parse_qsl(
            text, keep_blank_values=True, encoding=charset, errors="strict",
            max_num_fields=MAX_FIELDS,
        )  # fmt: skip
    except (UnicodeError, LookupError):
        raise ValidationError(f"the form is not valid {charset}") from None
    except ValueError:
        raise ValidationError(f"more than {MAX_FIELDS} fields") from None


def multipart_pairs(content_type: str, body: bytes, charset: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a ``multipart/form-data`` body; files are skipped."""
    if "\r" in content_type or "\n" in content_type:
        raise ValidationError("malformed Content-Type")
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not parsed.is_multipart():
        raise ValidationError("malformed multipart body")
    pairs: list[tuple[str, str]] = []
    parts: Iterable[EmailMessage] = parsed.get_payload()  # type: ignore[assignment]
    for part in parts:
        if not isinstance(part, EmailMessage) or part.get_filename():
            continue  # files are not callback fields
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            payload = b""
        part_charset = part.get_content_charset() or charset
        check_charset(part_charset)
        try:
            value = payload.decode(part_charset)
        except (ValueError, LookupError):
            # ValueError covers UnicodeError and codecs that fail in their own ways.
            raise ValidationError("a multipart field is not valid text") from None
        pairs.append((collapse_rfc2231_value(name), value))
        if len(pairs) > MAX_FIELDS:
            raise ValidationError(f"more than {MAX_FIELDS} fields")
    return pairs
