"""Turning an HTTP request's query and body into decoded SMSC parameters.

Values are percent-decoded to bytes first and only then decoded with the request's
``charset`` (``windows-1251`` when absent, as SMSC does), so Cyrillic sent in koi8-r or
windows-1251 survives. ``/rest/send/`` takes a JSON object instead (always UTF-8).
Anything malformed becomes SMSC error 1, never an exception out of the server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

from smsc_transports.emulator.state.pricing import params_error
from smsc_transports.emulator.state.records import StoredFile
from smsc_transports.errors import APIError

__all__ = ["CHARSETS", "DEFAULT_CHARSET", "Params", "RequestData", "parse_request"]

# Label SMSC accepts -> Python codec.
CHARSETS = {
    "windows-1251": "cp1251",
    "cp1251": "cp1251",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "koi8-r": "koi8_r",
}
DEFAULT_CHARSET = "windows-1251"
_DIGITS = re.compile(r"[0-9]{1,10}")


class Params:
    """Decoded parameters (the last of repeated names wins) with checked accessors.

    Every accessor raises error 1 (:class:`~smsc_transports.errors.ParameterError`) for
    a value of the wrong shape.
    """

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, name: str) -> str | None:
        """The value of ``name``, or ``None`` when absent."""
        return self.values.get(name)

    def text(self, name: str, default: str = "") -> str:
        """The value of ``name``, or ``default``."""
        return self.values.get(name, default)

    def number(self, name: str, default: int, *, low: int = 0, high: int = 2**31 - 1) -> int:
        """A non-negative integer in ``low``…``high``; empty or absent gives ``default``."""
        value = self.values.get(name, "").strip()
        if not value:
            return default
        if not _DIGITS.fullmatch(value) or not low <= int(value) <= high:
            raise params_error()
        return int(value)

    def flag(self, name: str) -> bool:
        """Whether ``name`` is set to something other than empty or ``0``."""
        return self.values.get(name, "").strip() not in ("", "0")


@dataclass
class RequestData:
    """A parsed request: its parameters, answer format and charset, or the error to answer.

    ``codec`` is the Python codec for ``charset`` (the label echoed in answers);
    ``files`` the files of a multipart body.
    """

    params: Params = field(default_factory=lambda: Params({}))
    files: tuple[StoredFile, ...] = ()
    fmt: int = 0
    charset: str = DEFAULT_CHARSET
    codec: str = CHARSETS[DEFAULT_CHARSET]
    error: APIError | None = None


def _raw_pairs(data: bytes) -> list[tuple[str, str]]:
    """Form pairs whose strings are Latin-1 stand-ins for the percent-decoded bytes."""
    text = data.decode("latin-1")
    # A bulk send's phones come comma-separated, each comma escaped as %2C, which
    # unquote turns back one Python step at a time. A comma means nothing to the form
    # syntax (only & = + and % do), so unescaping those first gives the same pairs.
    text = text.replace("%2C", ",").replace("%2c", ",")
    return parse_qsl(text, keep_blank_values=True, encoding="latin-1")


MAX_FILES = 20


def _multipart(body: bytes, content_type: str) -> tuple[list[tuple[str, str]], list[StoredFile]]:
    """Form fields of a multipart body, as Latin-1 stand-ins, and its files.

    A file without a usable name is kept with an empty one, for :func:`parse_request`
    to refuse once it knows the answer's format (as it does more than
    :data:`MAX_FILES` files).
    """
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise params_error()
    pairs: list[tuple[str, str]] = []
    files: list[StoredFile] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        filename = part.get_filename()
        if filename is None:
            pairs.append((name, payload.decode("latin-1")))
            continue
        usable = filename.strip() and len(filename) <= 255
        files.append(StoredFile(filename if usable else "", part.get_content_type(), payload))
    return pairs, files


def _json_pairs(body: bytes) -> list[tuple[str, str]]:
    """A JSON object's members as (name, text) pairs; lists become comma lists."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: arrays or objects nested deeper than the interpreter's stack.
        raise params_error() from None
    if not isinstance(document, dict):
        raise params_error()
    pairs: list[tuple[str, str]] = []
    for name, value in document.items():
        if isinstance(value, bool):
            text = "1" if value else "0"
        elif isinstance(value, str | int | float):
            text = str(value)
        elif isinstance(value, list) and all(isinstance(v, str | int) for v in value):
            text = ",".join(str(v) for v in value)
        elif value is None:
            continue
        else:
            raise params_error()
        pairs.append((name, text))
    return pairs


def _format(value: str | None) -> int:
    if value is None or value == "":
        return 0
    if value not in ("0", "1", "2", "3"):
        raise params_error()
    return int(value)


def parse_request(query: bytes, body: bytes, content_type: str, *, json_body: bool) -> RequestData:
    """Parse a request into :class:`RequestData`; problems land in ``error`` (code 1)."""
    data = RequestData(fmt=3 if json_body else 0)
    try:
        raw = _raw_pairs(query) if query else []
        mime = content_type.split(";", 1)[0].strip().lower()
        if json_body:
            json_pairs = _json_pairs(body) if body.strip() else []
        elif mime == "multipart/form-data":
            fields, files = _multipart(body, content_type)
            raw += fields
            data.files = tuple(files)
        elif body:
            raw += _raw_pairs(body)
        named = dict(raw)
        if not json_body:
            data.fmt = _format(named.get("fmt", "").strip())
        label = named.get("charset", "").strip().lower() or DEFAULT_CHARSET
        if json_body:
            label = "utf-8"  # JSON is UTF-8 both ways, whatever ``charset`` says
        elif label not in CHARSETS:
            raise params_error()
        data.charset, data.codec = label, CHARSETS[label]
        if len(data.files) > MAX_FILES or any(not f.name for f in data.files):
            raise params_error()
        values = {
            k.encode("latin-1").decode(data.codec): v.encode("latin-1").decode(data.codec)
            for k, v in raw
        }
        if json_body:
            values.update(dict(json_pairs))
        data.params = Params(values)
    except UnicodeError:
        data.error = params_error()
    except APIError as error:
        data.error = error
    except (ValueError, LookupError, TypeError):  # anything else the parsers choke on
        data.error = params_error()
    return data
