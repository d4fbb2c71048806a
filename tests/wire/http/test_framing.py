"""framing: HTTP/1.1 answers read from bytes in pieces of any size, requests written whole.

The reader is fed the bytes a server sends, split wherever a network might split
them; the answer (status, headers, body, whether the connection may be kept) must
not depend on the split, and whatever a broken or hostile server sends instead of an
answer must be a :class:`ProtocolError` that says what was wrong.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.errors import ProtocolError, ValidationError
from smsc_transports.wire.http.framing import (
    MAX_HEAD_BYTES,
    MAX_HEADERS,
    Answer,
    AnswerReader,
    request_bytes,
)

BIG = 1 << 20


def _split(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """``data`` cut at the offsets ``cuts`` (any order, repeats allowed: empty pieces)."""
    points = [0, *sorted(min(max(cut, 0), len(data)) for cut in cuts), len(data)]
    return [data[start:stop] for start, stop in itertools.pairwise(points)]


def _read(
    pieces: Sequence[bytes], *, max_body: int = BIG, tunnel: bool = False, close: bool = False
) -> tuple[Answer, AnswerReader]:
    """Feed ``pieces`` one by one; with ``close``, the server then closes the connection.

    Checks that the answer comes exactly once, from the piece that completes it.
    """
    reader = AnswerReader(max_body, tunnel=tunnel)
    answer = None
    for piece in pieces:
        got = reader.feed(piece)
        if got is not None:
            assert answer is None, "the answer came twice"
            answer = got
    if close:
        ended = reader.end()
        assert answer is None or ended == answer
        answer = ended
    assert answer is not None, "the answer never came"
    return answer, reader


def _refusal(data: bytes, *, max_body: int = BIG, close: bool = False) -> str:
    """The text of the :class:`ProtocolError` that reading ``data`` ends in."""
    reader = AnswerReader(max_body)
    with pytest.raises(ProtocolError) as caught:
        reader.feed(data)
        if close:
            reader.end()
    return str(caught.value)


# One answer of each framing, whole, with what must be read from it.
EXAMPLES = {
    "content-length": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
        b'{"id": 123}',
        False,
        (200, "OK", b'{"id": 123}', True),
    ),
    "chunked with extensions and trailers": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;name=value\r\n{"id\r\n7 ; ext="quoted;value"\r\n": 123}\r\n'
        b"0;last\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n",
        False,
        (200, "OK", b'{"id": 123}', True),
    ),
    "until the connection ends": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it\r\n\r\nand more",
        True,
        (200, "OK", b"all of it\r\n\r\nand more", False),
    ),
    "after interim answers": (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        False,
        (201, "Created", b"ok", True),
    ),
    "204 without a body": (
        b"HTTP/1.1 204 No Content\r\n\r\n",
        False,
        (204, "No Content", b"", True),
    ),
    "304 with the length of what it does not send": (
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 120\r\n\r\n",
        False,
        (304, "Not Modified", b"", True),
    ),
    "empty body of length 0": (
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
        False,
        (500, "Internal Server Error", b"", True),
    ),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_framing_reads_the_answer_whole(name: str) -> None:
    data, close, (status, reason, body, keep_alive) = EXAMPLES[name]
    answer, reader = _read([data], close=close)
    assert (answer.status, answer.reason, answer.body, answer.keep_alive) == (
        status,
        reason,
        body,
        keep_alive,
    )
    assert reader.received == len(data)
    assert reader.leftover == b""


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_answer_is_the_same_fed_one_byte_at_a_time(name: str) -> None:
    data, close, _ = EXAMPLES[name]
    whole, _ = _read([data], close=close)
    bytewise, _ = _read([data[i : i + 1] for i in range(len(data))], close=close)
    assert bytewise == whole


@given(
    st.sampled_from(sorted(EXAMPLES)),
    st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_the_answer_is_the_same_whatever_the_split(name: str, cuts: list[int]) -> None:
    data, close, _ = EXAMPLES[name]
    whole, _ = _read([data], close=close)
    assert _read(_split(data, cuts), close=close)[0] == whole


def _framed(body: bytes, framing: str, chunk_cuts: list[int]) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
    if framing == "length":
        return head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    if framing == "close":
        return head + b"\r\n" + body
    chunks = [chunk for chunk in _split(body, chunk_cuts) if chunk]
    coded = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + coded + b"0\r\n\r\n"


@given(
    st.binary(max_size=300),
    st.sampled_from(["length", "chunked", "close"]),
    st.lists(st.integers(min_value=0, max_value=300), max_size=6),
    st.lists(st.integers(min_value=0, max_value=700), max_size=10),
)
def test_any_body_reads_back_whole_whatever_its_framing_and_split(
    body: bytes, framing: str, chunk_cuts: list[int], cuts: list[int]
) -> None:
    data = _framed(body, framing, chunk_cuts)
    answer, reader = _read(_split(data, cuts), close=framing == "close")
    assert answer.body == body
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.keep_alive is (framing != "close")
    assert reader.received == len(data)


def test_a_body_bytes_are_never_read_as_a_head() -> None:
    # A body that looks like an answer's head is a body.
    inner = b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n"
    data = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(inner) + inner
    answer, reader = _read([data])
    assert (answer.status, answer.body, reader.leftover) == (200, inner, b"")


def test_header_names_are_lower_case_and_repeated_fields_joined() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Mixed-Case:\t value \t\r\n"
        b"set-cookie: b=2\r\nEmpty:\r\nContent-Length: 0\r\n\r\n"
    )
    answer, _ = _read([data])
    assert answer.headers == {
        "set-cookie": "a=1, b=2",
        "x-mixed-case": "value",
        "empty": "",
        "content-length": "0",
    }


def test_an_interim_answer_s_headers_are_not_the_answer_s() -> None:
    data = (
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    )
    answer, _ = _read([data])
    assert "link" not in answer.headers
    assert answer.status == 200


def test_a_status_line_without_a_reason_is_read() -> None:
    answer, _ = _read([b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"])
    assert (answer.status, answer.reason, answer.body) == (200, "", b"ok")


# Whether the connection may carry the next request -----------------------------------


@pytest.mark.parametrize(
    ("head", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2", True),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2", False),
        (b"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 2", False),
        (b"HTTP/1.1 200 OK\r\nConnection: upgrade\r\nContent-Length: 2", True),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2", False),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2", True),
        (b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2", True),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2", False),
    ],
)
def test_keep_alive_follows_the_version_and_the_connection_header(
    head: bytes, keep_alive: bool
) -> None:
    answer, _ = _read([head + b"\r\n\r\nok"])
    assert answer.body == b"ok"
    assert answer.keep_alive is keep_alive


def test_a_body_that_ends_with_the_connection_never_keeps_it() -> None:
    data = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nuntil the end"
    reader = AnswerReader(BIG)
    assert reader.feed(data) is None  # only the end of the connection ends this body
    answer = reader.end()
    assert (answer.body, answer.keep_alive) == (b"until the end", False)


def test_a_length_beside_a_transfer_coding_is_ignored_and_the_connection_not_kept() -> None:
    # RFC 9112 §6.3: the coding wins; the pair is how requests are smuggled.
    data = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"
    )
    answer, _ = _read([data])
    assert (answer.body, answer.keep_alive) == (b"hello", False)


def test_a_coding_other_than_chunked_last_reads_until_the_end() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    answer, _ = _read([data], close=True)
    assert answer.body == b"5\r\nhello\r\n0\r\n\r\n"
    assert answer.keep_alive is False


def test_gzip_then_chunked_is_read_as_chunks() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n\x1f\x8b\r\n0\r\n\r\n"
    answer, _ = _read([data])
    assert (answer.body, answer.keep_alive) == (b"\x1f\x8b", True)


def test_bytes_after_the_answer_in_the_same_piece_are_leftover_and_end_the_keep_alive() -> None:
    extra = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    answer, reader = _read([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + extra])
    assert answer.body == b"ok"
    assert reader.leftover == extra
    assert answer.keep_alive is False


def test_bytes_after_the_answer_in_a_later_piece_are_leftover() -> None:
    reader = AnswerReader(BIG)
    first = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    answer = reader.feed(first)
    assert answer is not None and answer.keep_alive
    assert reader.feed(b"unasked") is None
    assert reader.feed(b" bytes") is None
    assert reader.leftover == b"unasked bytes"
    assert reader.received == len(first) + len(b"unasked bytes")
    assert reader.end() is answer  # the close completes nothing more


# Refusals: each a ProtocolError that says what was wrong ------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
        b"<html><body>hello</body></html>\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.2 200 OK\r\n\r\n",
        b"http/1.1 200 OK\r\n\r\n",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1  200 OK\r\n\r\n",
        b"\r\n\r\n",
    ],
)
def test_a_garbage_status_line_is_refused(data: bytes) -> None:
    assert "not an HTTP/1.x status line" in _refusal(data)


@pytest.mark.parametrize("digits", ["\xb200", "2\xb30", "20\xb9", "\xbd00"])
def test_a_status_code_of_digits_int_cannot_read_is_refused(digits: str) -> None:
    # Latin-1 superscripts are digits to str.isdigit but not to int(): a ValueError
    # escaped the reader instead of a ProtocolError.
    data = f"HTTP/1.1 {digits} OK\r\nContent-Length: 0\r\n\r\n".encode("latin-1")
    assert "not an HTTP/1.x status line" in _refusal(data)


# Pieces of real answers, so that the heads, lengths and chunks are reached (random bytes
# alone almost never hold a whole head), mixed with arbitrary bytes.
_PIECES = st.sampled_from(
    [
        b"HTTP/1.1 200 OK\r\n",
        b"HTTP/1.0 204 No Content\r\n",
        b"Content-Length: 3\r\n",
        b"Content-Length: 3, 4\r\n",
        b"Transfer-Encoding: chunked\r\n",
        b"Connection: close\r\n",
        b"\r\n",
        b"3\r\nabc\r\n",
        b"0\r\n",
        b"\xb2",
    ]
)


@given(st.lists(_PIECES | st.binary(max_size=20), max_size=12).map(b"".join))
def test_whatever_a_server_sends_the_reader_answers_or_refuses_with_a_protocol_error(
    data: bytes,
) -> None:
    reader = AnswerReader(100)
    try:
        reader.feed(data)
        reader.end()
    except ProtocolError:
        pass


@given(st.binary(max_size=60))
def test_whatever_follows_a_status_line_is_read_or_refused_with_a_protocol_error(
    tail: bytes,
) -> None:
    for head in (b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"):
        reader = AnswerReader(100)
        try:
            reader.feed(head + tail)
            reader.end()
        except ProtocolError:
            pass


def test_a_head_larger_than_the_limit_is_refused_before_its_end_arrives() -> None:
    reader = AnswerReader(BIG)
    assert reader.feed(b"HTTP/1.1 200 OK\r\nX-Filler: ") is None
    with pytest.raises(ProtocolError) as caught:
        for _ in range(MAX_HEAD_BYTES // 1024 + 2):
            reader.feed(b"a" * 1024)
    assert f"head is larger than {MAX_HEAD_BYTES} bytes" in str(caught.value)


def test_a_head_larger_than_the_limit_is_refused_when_it_comes_whole() -> None:
    data = b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n"
    assert f"head is larger than {MAX_HEAD_BYTES} bytes" in _refusal(data)


def test_a_head_just_under_the_limit_is_read() -> None:
    start = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Filler: "
    data = start + b"a" * (MAX_HEAD_BYTES - len(start)) + b"\r\n\r\n"
    answer, _ = _read([data])
    assert len(answer.headers["x-filler"]) == MAX_HEAD_BYTES - len(start)


def _fields(count: int) -> bytes:
    lines = [b"X-Field-%d: %d" % (n, n) for n in range(count - 1)] + [b"Content-Length: 0"]
    return b"HTTP/1.1 200 OK\r\n" + b"\r\n".join(lines) + b"\r\n\r\n"


def test_more_header_fields_than_the_limit_are_refused() -> None:
    assert f"more than {MAX_HEADERS} header fields" in _refusal(_fields(MAX_HEADERS + 1))


def test_as_many_header_fields_as_the_limit_are_read() -> None:
    answer, _ = _read([_fields(MAX_HEADERS)])
    assert len(answer.headers) == MAX_HEADERS


@pytest.mark.parametrize(
    "line",
    [b"No colon here", b": no name", b" folded: line", b"Bad Name: value", b"Name : value"],
)
def test_a_garbled_header_line_is_refused(line: bytes) -> None:
    data = b"HTTP/1.1 200 OK\r\n" + line + b"\r\nContent-Length: 0\r\n\r\n"
    assert "garbled answer header" in _refusal(data)


@pytest.mark.parametrize(
    "value", [b"abc", b"-1", b"+5", b"1e3", b"0x10", b"", b"5 5", b"\xb2", b"1" * 19]
)
def test_a_content_length_that_is_not_a_length_is_refused(value: bytes) -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: " + value + b"\r\n\r\n"
    assert "Content-Length is not a length" in _refusal(data)


@pytest.mark.parametrize(
    "lengths",
    [b"Content-Length: 5, 6\r\n", b"Content-Length: 5\r\nContent-Length: 6\r\n"],
)
def test_lengths_that_disagree_are_refused(lengths: bytes) -> None:
    data = b"HTTP/1.1 200 OK\r\n" + lengths + b"\r\nhello"
    assert "different lengths" in _refusal(data)


def test_lengths_that_agree_are_one_length() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5 , 5\r\n\r\nhello"
    assert _read([data])[0].body == b"hello"


def test_a_content_length_over_the_limit_is_refused_before_the_body_arrives() -> None:
    reader = AnswerReader(10)
    with pytest.raises(ProtocolError) as caught:
        reader.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")
    assert "larger than 10 bytes" in str(caught.value)


def test_a_body_of_exactly_the_limit_is_read() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"
    assert _read([data], max_body=10)[0].body == b"0123456789"
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n"
    )
    assert _read([data], max_body=10)[0].body == b"0123456789"
    data = b"HTTP/1.1 200 OK\r\n\r\n0123456789"
    assert _read([data], max_body=10, close=True)[0].body == b"0123456789"


def test_a_chunk_announced_over_the_limit_is_refused_before_it_arrives() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n6\r\n"
    assert "larger than 10 bytes" in _refusal(data, max_body=10)


def test_small_chunks_adding_up_over_the_limit_are_refused() -> None:
    chunks = b"1\r\nx\r\n" * 11
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    assert "larger than 10 bytes" in _refusal(data, max_body=10)


def test_a_body_until_the_end_over_the_limit_is_refused_as_it_arrives() -> None:
    reader = AnswerReader(10)
    assert reader.feed(b"HTTP/1.1 200 OK\r\n\r\n0123456789") is None
    with pytest.raises(ProtocolError) as caught:
        reader.feed(b"!")
    assert "larger than 10 bytes" in str(caught.value)


@pytest.mark.parametrize(
    "size_line", [b"zz", b"", b"0x10", b"-1", b" ; ext", b"1" * 17, b"\xb2", b"5 5"]
)
def test_a_chunk_size_that_is_not_hex_is_refused(size_line: bytes) -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\nhello\r\n"
    assert "garbled chunked answer: chunk size" in _refusal(data)


def test_a_chunk_size_line_without_end_is_refused_once_too_long() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" + b"e" * 2000
    assert "chunk-size line is too long" in _refusal(data)


def test_a_chunk_not_followed_by_its_line_end_is_refused() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n"
    assert "a chunk does not end its line" in _refusal(data)


def test_a_trailer_line_without_end_is_refused_once_too_long() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + b"t" * MAX_HEAD_BYTES
    assert "trailer is too long" in _refusal(data)


@pytest.mark.parametrize(
    "data",
    [b"", b"HTTP/1.1 200 OK\r\nContent-Len", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"],
)
def test_a_connection_ended_in_the_head_is_refused(data: bytes) -> None:
    assert "the connection ended in its head" in _refusal(data, close=True)


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhell",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: 1\r\n",
    ],
)
def test_a_connection_ended_in_the_body_is_refused(data: bytes) -> None:
    assert "ended before its last byte" in _refusal(data, close=True)


# A proxy's answer to CONNECT -------------------------------------------------------


def test_a_tunnel_s_2xx_answer_has_no_body_and_what_follows_is_the_tunnel_s() -> None:
    tls_hello = b"\x16\x03\x03\x00\x7a"
    data = b"HTTP/1.1 200 Connection established\r\nContent-Length: 99\r\n\r\n" + tls_hello
    answer, reader = _read([data], tunnel=True)
    assert (answer.status, answer.body) == (200, b"")
    assert reader.leftover == tls_hello


def test_a_tunnel_s_refusal_is_read_with_its_body() -> None:
    data = (
        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
        b'Proxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 6\r\n\r\ndenied'
    )
    answer, _ = _read(_split(data, [3, 50]), tunnel=True)
    assert (answer.status, answer.reason, answer.body) == (
        407,
        "Proxy Authentication Required",
        b"denied",
    )


def test_without_tunnel_a_2xx_answer_to_connect_would_have_a_body() -> None:
    data = b"HTTP/1.1 200 Connection established\r\nContent-Length: 2\r\n\r\nok"
    assert _read([data])[0].body == b"ok"


# Requests --------------------------------------------------------------------------


def test_a_request_is_written_with_host_and_content_length() -> None:
    request = request_bytes(
        "POST",
        "/sys/send.php",
        "smsc.ru:8443",
        [("User-Agent", "smsc-transports"), ("Content-Type", "text/plain")],
        b"a=1&b=2",
    )
    assert request == (
        b"POST /sys/send.php HTTP/1.1\r\nHost: smsc.ru:8443\r\n"
        b"User-Agent: smsc-transports\r\nContent-Type: text/plain\r\n"
        b"Content-Length: 7\r\n\r\na=1&b=2"
    )


def test_an_empty_body_has_length_zero() -> None:
    request = request_bytes("CONNECT", "smsc.ru:443", "smsc.ru:443", [], b"")
    assert (
        request == b"CONNECT smsc.ru:443 HTTP/1.1\r\nHost: smsc.ru:443\r\nContent-Length: 0\r\n\r\n"
    )


@given(st.binary(max_size=200))
def test_the_body_goes_as_it_is_after_the_head(body: bytes) -> None:
    request = request_bytes("POST", "/", "h", [("X", "y")], body)
    head, _, rest = request.partition(b"\r\n\r\n")
    assert rest == body
    assert b"\r\nContent-Length: %d" % len(body) in head


@pytest.mark.parametrize("mark", ["\r", "\n", "\r\n", "\x00"])
@pytest.mark.parametrize("where", ["target", "host", "name", "value"])
def test_a_line_break_or_nul_anywhere_in_the_head_is_refused(mark: str, where: str) -> None:
    parts = {"target": "/sys/send.php", "host": "smsc.ru", "name": "X-Name", "value": "value"}
    parts[where] = parts[where][:3] + mark + "Injected: 1" + parts[where][3:]
    with pytest.raises(ValidationError) as caught:
        request_bytes(
            "POST", parts["target"], parts["host"], [(parts["name"], parts["value"])], b""
        )
    assert "line break" in str(caught.value)


@pytest.mark.parametrize("where", ["target", "host", "value"])
def test_a_head_that_latin_1_cannot_carry_is_refused_as_bad_input(where: str) -> None:
    # A user agent or host name in Cyrillic: a UnicodeEncodeError escaped instead.
    parts = {"target": "/sys/send.php", "host": "smsc.ru", "value": "value"}
    parts[where] = "смс"
    with pytest.raises(ValidationError):
        request_bytes("POST", parts["target"], parts["host"], [("User-Agent", parts["value"])], b"")


def test_interim_answers_are_held_to_one_head_s_bound_in_all() -> None:
    # One or two interim answers are normal; a server sending them without end would
    # otherwise keep the reader skipping them for as long as it liked.
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    allowed = MAX_HEAD_BYTES // len(interim)
    reader = AnswerReader(1000)
    assert reader.feed(interim * allowed) is None
    with pytest.raises(ProtocolError, match="interim"):
        reader.feed(interim)
    # Under the bound, the answer after them is read as usual.
    answer = AnswerReader(1000).feed(
        interim * 3 + b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    )
    assert answer is not None and answer.body == b"ok"
