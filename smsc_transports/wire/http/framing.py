"""HTTP/1.1 as the HTTP backend speaks it to SMSC, sans-I/O: requests out, answers in.

The backend asks one thing of HTTP: a ``POST`` with a body of known length, and the
answer to it, on a connection kept alive between requests (RFC 9112). :func:`request_bytes`
writes the request; an :class:`AnswerReader` is fed the bytes that come back, in pieces
of any size, and says when the answer is whole. The reader frames the body by
``Content-Length``, by ``chunked`` transfer coding or by the end of the connection, as
RFC 9112 §6.3 orders them, skips interim (1xx) answers, and refuses with
:class:`ProtocolError` what a hostile or broken server might send instead: a head
larger than :data:`MAX_HEAD_BYTES` or with more than :data:`MAX_HEADERS` fields, a body
larger than the caller's limit, lengths that disagree, a chunk size that is not hex.
It also says whether the connection may carry the next request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from smsc_transports.errors import ProtocolError, ValidationError

__all__ = ["MAX_HEADERS", "MAX_HEAD_BYTES", "Answer", "AnswerReader", "request_bytes"]

# A real answer's head is a few hundred bytes; these bound what a hostile one may make
# us hold (the same bounds http.client applies).
MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
# A chunk-size line: hex digits and perhaps extensions, which are ignored.
_MAX_CHUNK_LINE = 1024
_HEX = frozenset(b"0123456789abcdefABCDEF")
_FORBIDDEN_IN_HEAD = ("\r", "\n", "\x00")


def request_bytes(
    method: str, target: str, host: str, headers: Sequence[tuple[str, str]], body: bytes
) -> bytes:
    """The request ``method target`` to ``host`` with ``headers`` and ``body``, whole.

    ``Host`` and ``Content-Length`` are written here. A value holding a line break is
    refused (:class:`ValidationError`): it would smuggle a header or a second request;
    so is one that Latin-1, HTTP's own charset, cannot carry.
    """
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{name}: {value}" for name, value in headers)
    lines.append(f"Content-Length: {len(body)}")
    if any(mark in line for line in lines for mark in _FORBIDDEN_IN_HEAD):
        raise ValidationError("an HTTP request line or header holds a line break")
    try:
        head = "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError:
        raise ValidationError(
            "an HTTP request line or header holds a non-Latin-1 character"
        ) from None
    return head + b"\r\n\r\n" + body


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole HTTP answer: status, headers (names in lower case, repeated fields
    joined with ", ") and body; ``keep_alive`` says whether the connection may carry
    another request."""

    status: int
    reason: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


# The reader's states: reading the head, no body, a body of known length, chunks, or
# all that comes until the connection ends; then done.
_HEAD, _EMPTY, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS, _UNTIL_CLOSE, _DONE = (
    range(9)
)


class AnswerReader:
    """Reads one HTTP/1.1 answer from bytes fed in pieces.

    :meth:`feed` takes what arrived and returns the :class:`Answer` once it is whole
    (``None`` until then); :meth:`end` says the server closed the connection and
    returns the answer that the close completes, or raises :class:`ProtocolError` for
    one it cuts short. ``leftover`` holds bytes that came after the answer (a server
    that sends them cannot be trusted with the next request). A body larger than
    ``max_body`` bytes is refused as soon as it is announced or has arrived. With
    ``tunnel``, the answer is a proxy's to ``CONNECT``: a 2xx one has no body, and the
    bytes after its head belong to the tunnel.
    """

    def __init__(self, max_body: int, *, tunnel: bool = False) -> None:
        self.max_body = max_body
        self.tunnel = tunnel
        self.received = 0
        self.leftover = b""
        self._state = _HEAD
        self._buffer = bytearray()
        self._parts: list[bytes] = []
        self._size = 0
        self._remaining = 0
        self._status = 0
        self._interim = 0  # bytes of interim (1xx) heads so far
        self._reason = ""
        self._version = ""
        self._headers: dict[str, str] = {}
        self._keep_alive = False
        self._answer: Answer | None = None
        self._steps = {
            _HEAD: self._read_head,
            _EMPTY: self._finish,
            _LENGTH: self._read_length,
            _UNTIL_CLOSE: self._read_all,
            _CHUNK_SIZE: self._read_chunk_size,
            _CHUNK_DATA: self._read_chunk,
            _CHUNK_END: self._read_chunk_end,
            _TRAILERS: self._skip_trailers,
        }

    def feed(self, data: bytes) -> Answer | None:
        """Take ``data`` (the next bytes from the server); the answer once it is whole."""
        self.received += len(data)
        if self._state == _DONE:
            self.leftover += data
            return None
        self._buffer += data
        steps = self._steps
        # Each step reads what it can and says whether it moved on to another state.
        while self._state != _DONE:
            if not steps[self._state]():
                return None
        return self._answer

    def end(self) -> Answer:
        """The server closed the connection: the answer it completes, if any."""
        if self._state == _UNTIL_CLOSE:
            self._keep_alive = False
            self._finish()
        if self._answer is not None:
            return self._answer
        if self._state == _HEAD:
            raise ProtocolError("truncated or garbled answer: the connection ended in its head")
        raise ProtocolError("truncated answer: the connection ended before its last byte")

    # The head ----------------------------------------------------------------------

    def _read_head(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise ProtocolError(f"the answer's head is larger than {MAX_HEAD_BYTES} bytes")
            return False
        if end > MAX_HEAD_BYTES:
            raise ProtocolError(f"the answer's head is larger than {MAX_HEAD_BYTES} bytes")
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + 4]
        status_line, *fields = head.split("\r\n")
        self._status_line(status_line)
        if len(fields) > MAX_HEADERS:
            raise ProtocolError(f"the answer has more than {MAX_HEADERS} header fields")
        headers: dict[str, str] = {}
        for line in fields:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip() or " " in name:
                raise ProtocolError(f"garbled answer header: {line[:80]!r}")
            key = name.lower()
            value = value.strip(" \t")
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        if 100 <= self._status < 200:
            # An interim answer (100 Continue, 103 Early Hints): the next one comes. A
            # server may send one or two; their heads together are held to one head's bound.
            self._interim += end + 4
            if self._interim > MAX_HEAD_BYTES:
                raise ProtocolError(f"more than {MAX_HEAD_BYTES} bytes of interim answers")
            return True
        coding = headers.get("content-encoding", "identity").strip().lower()
        if coding != "identity":
            # Nothing here decodes one (the client asks for none: Accept-Encoding: identity).
            raise ProtocolError(f"the answer comes in the {coding[:40]!r} content coding")
        self._headers = headers
        self._frame(headers)
        return True

    def _status_line(self, line: str) -> None:
        version, _, rest = line.partition(" ")
        code, _, reason = rest.partition(" ")
        if (
            version not in ("HTTP/1.1", "HTTP/1.0")
            or len(code) != 3
            or not code.isascii()
            or not code.isdigit()
        ):
            raise ProtocolError(f"garbled answer: not an HTTP/1.x status line: {line[:80]!r}")
        self._version, self._status, self._reason = version, int(code), reason

    def _frame(self, headers: dict[str, str]) -> None:
        """Choose how the body is delimited (RFC 9112 §6.3) and whether the connection
        outlives the answer (§9.3)."""
        tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
        if self._version == "HTTP/1.1":
            self._keep_alive = "close" not in tokens
        else:
            self._keep_alive = "keep-alive" in tokens and "close" not in tokens
        coding = headers.get("transfer-encoding")
        length = headers.get("content-length")
        if self._status in (204, 304) or (self.tunnel and 200 <= self._status < 300):
            self._state = _EMPTY
        elif coding is not None:
            # A length beside a transfer coding is a smuggling attempt, or a broken
            # proxy: the coding wins, and the connection is not trusted again.
            if length is not None:
                self._keep_alive = False
            if coding.rsplit(",", 1)[-1].strip().lower() == "chunked":
                self._state = _CHUNK_SIZE
            else:
                self._state, self._keep_alive = _UNTIL_CLOSE, False
        elif length is not None:
            self._remaining = self._content_length(length)
            self._state = _LENGTH
        else:
            self._state, self._keep_alive = _UNTIL_CLOSE, False

    def _content_length(self, value: str) -> int:
        values = {v.strip() for v in value.split(",")}
        if len(values) != 1:
            raise ProtocolError(f"the answer gives different lengths: {value[:80]!r}")
        (text,) = values
        if not text.isdigit() or not text.isascii() or len(text) > 18:
            raise ProtocolError(f"the answer's Content-Length is not a length: {text[:80]!r}")
        length = int(text)
        if length > self.max_body:
            raise ProtocolError(f"SMSC answer is larger than {self.max_body} bytes; refused")
        return length

    # The body ----------------------------------------------------------------------

    def _take(self, count: int) -> None:
        if not count:
            return
        self._size += count
        if self._size > self.max_body:
            raise ProtocolError(f"SMSC answer is larger than {self.max_body} bytes; refused")
        self._parts.append(bytes(self._buffer[:count]))
        del self._buffer[:count]
        self._remaining = max(self._remaining - count, 0)

    def _read_length(self) -> bool:
        self._take(min(self._remaining, len(self._buffer)))
        return not self._remaining and self._finish()

    def _read_all(self) -> bool:
        self._take(len(self._buffer))
        return False  # only the end of the connection ends this body

    def _read_chunk(self) -> bool:
        self._take(min(self._remaining, len(self._buffer)))
        if self._remaining:
            return False
        self._state = _CHUNK_END
        return True

    def _read_chunk_end(self) -> bool:
        if len(self._buffer) < 2:
            return False
        if self._buffer[:2] != b"\r\n":
            raise ProtocolError("garbled chunked answer: a chunk does not end its line")
        del self._buffer[:2]
        self._state = _CHUNK_SIZE
        return True

    def _read_chunk_size(self) -> bool:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > _MAX_CHUNK_LINE:
                raise ProtocolError("garbled chunked answer: a chunk-size line is too long")
            return False
        line = bytes(self._buffer[:end]).split(b";", 1)[0].strip(b" \t")
        del self._buffer[: end + 2]
        if not line or len(line) > 16 or not set(line) <= _HEX:
            raise ProtocolError(f"garbled chunked answer: chunk size {line[:20]!r}")
        size = int(line, 16)
        if self._size + size > self.max_body:
            raise ProtocolError(f"SMSC answer is larger than {self.max_body} bytes; refused")
        if size == 0:
            self._state = _TRAILERS
        else:
            self._remaining, self._state = size, _CHUNK_DATA
        return True

    def _skip_trailers(self) -> bool:
        # Trailer fields carry nothing SMSC's answers use: read past them to the blank line.
        while True:
            end = self._buffer.find(b"\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD_BYTES:
                    raise ProtocolError("garbled chunked answer: its trailer is too long")
                return False
            del self._buffer[: end + 2]
            if end == 0:
                return self._finish()

    def _finish(self) -> bool:
        self._state = _DONE
        self.leftover = bytes(self._buffer)
        self._buffer.clear()
        body = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
        self._answer = Answer(
            self._status,
            self._reason,
            self._headers,
            body,
            self._keep_alive and not self.leftover,
        )
        return True
