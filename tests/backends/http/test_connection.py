"""The HTTP backend's own connections, on real loopback sockets: kept alive, proxied, TLS.

The peers are real servers on 127.0.0.1: the emulator, a keep-alive server that
answers with scripted bytes and counts its connections, a byte relay that counts the
connections through it, and a minimal HTTP proxy (absolute URLs for ``http://``,
``CONNECT`` tunnels for ``https://``) that records what it was asked and with which
``Proxy-Authorization``. No mocks.
"""

from __future__ import annotations

import base64
import gzip
import json
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from smsc_transports import (
    ConfigurationError,
    ConnectError,
    ProtocolError,
    create_transport,
)
from smsc_transports.backends.http.client import HttpClient
from smsc_transports.backends.http.connection import Proxy
from smsc_transports.backends.http.transport import HttpTransport
from smsc_transports.emulator import Emulator
from tests.faults import Listener, closed_port, whole_message

BALANCE = json.dumps({"balance": "100.00", "currency": "RUB"}).encode()
PROXY_USER = "proxy-user"
PROXY_PASSWORD = "pr0xy-s3cret;pw"  # a test value
PROXY_TOKEN = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()
# Far longer than any wait here takes; a hang guard, not a measured duration.
HANG_GUARD = 10.0


def answer(body: bytes = BALANCE, *headers: str, status: str = "200 OK") -> bytes:
    """An HTTP/1.1 answer with ``body`` framed by Content-Length and ``headers`` added."""
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json", *headers]
    if not any(h.lower().startswith(("content-length:", "transfer-encoding:")) for h in headers):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def read_request(listener: Listener, conn: socket.socket) -> bytes | None:
    """One request (head and Content-Length body); ``None`` when the client ended the
    connection (or the server is stopping) before a whole one came."""
    data = b""
    while not listener.loop.stopping.is_set():
        if whole_message(data):
            return data
        try:
            chunk = conn.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            return None
        data += chunk
    return None


def header(request: bytes, name: str) -> str | None:
    """The value of the request's header ``name``, if it has one."""
    for line in request.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        key, _, value = line.decode("latin-1").partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def pipe(one: socket.socket, other: socket.socket, stop: threading.Event) -> None:
    """Copy bytes both ways until either side ends (or the test stops)."""
    while not stop.is_set():
        readable, _, _ = select.select([one, other], [], [], 0.1)
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            (other if sock is one else one).sendall(data)


@dataclass
class KeepAliveServer(Listener):
    """An HTTP/1.1 server that keeps each connection for the next request.

    ``answers(n)`` gives the pieces of the answer to the ``n``-th request (from 0, over
    all connections), each sent in a write of its own. ``close_after`` closes a
    connection after that many answers on it, saying nothing (as a server whose idle
    timeout passed does). ``requests`` records ``(connection number, request)``;
    ``accepted`` counts connections; ``client_ended`` is set when a client closes one.
    """

    answers: Callable[[int], Sequence[bytes]] = lambda _: [answer()]
    close_after: int | None = None
    tls: ssl.SSLContext | None = None
    accepted: int = field(default=0, init=False)
    requests: list[tuple[int, bytes]] = field(default_factory=list, init=False)
    server_closed: threading.Event = field(default_factory=threading.Event, init=False)
    client_ended: threading.Event = field(default_factory=threading.Event, init=False)

    def __post_init__(self) -> None:
        Listener.__init__(self, "127.0.0.1", 0)
        self._lock = threading.Lock()

    def _accepted(self, conn: socket.socket) -> None:
        self.accepted += 1  # in the accept thread: one at a time
        self.loop.spawn(self._serve_guarded, conn)

    def serve(self, conn: socket.socket) -> None:
        """Answer requests on one connection until the client or ``close_after`` ends it."""
        number = self.accepted
        if self.tls is not None:
            with self.tls.wrap_socket(conn, server_side=True) as secure:
                self._answer(secure, number)
        else:
            self._answer(conn, number)

    def _answer(self, conn: socket.socket, number: int) -> None:
        served = 0
        while True:
            request = read_request(self, conn)
            if request is None:
                if not self.loop.stopping.is_set():
                    self.client_ended.set()
                return
            with self._lock:
                index = len(self.requests)
                self.requests.append((number, request))
            for piece in self.answers(index):
                conn.sendall(piece)
            served += 1
            if served == self.close_after:
                conn.close()
                self.server_closed.set()
                return


@dataclass
class CountingRelay(Listener):
    """Copies bytes to and from ``target``, counting the connections made through it."""

    target: tuple[str, int] = ("127.0.0.1", 0)
    accepted: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        Listener.__init__(self, "127.0.0.1", 0)

    def _accepted(self, conn: socket.socket) -> None:
        self.accepted += 1
        self.loop.spawn(self._serve_guarded, conn)

    def serve(self, conn: socket.socket) -> None:
        """Relay one connection."""
        with socket.create_connection(self.target, timeout=5) as upstream:
            pipe(conn, upstream, self.loop.stopping)


@dataclass
class HttpProxy(Listener):
    """A minimal HTTP proxy: ``CONNECT host:port`` opens a tunnel; a request for an
    absolute ``http://`` URL is forwarded (as origin-form, without the proxy's own
    header) and its answer sent back.

    ``seen`` records each request line with its ``Proxy-Authorization``; ``refuse``
    answers every ``CONNECT`` with those bytes instead, ``hang_up`` closes the
    connection without an answer, ``silent`` never answers it.
    """

    refuse: bytes | None = None
    hang_up: bool = False
    silent: bool = False
    seen: list[tuple[str, str | None]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        Listener.__init__(self, "127.0.0.1", 0)

    @property
    def url(self) -> str:
        """The proxy URL with the test credentials."""
        return f"http://{PROXY_USER}:{quote(PROXY_PASSWORD, safe='')}@127.0.0.1:{self.port}"

    def serve(self, conn: socket.socket) -> None:
        """Serve the requests of one client connection."""
        while (request := read_request(self, conn)) is not None:
            line = request.split(b"\r\n", 1)[0].decode("latin-1")
            self.seen.append((line, header(request, "Proxy-Authorization")))
            method, target, _ = line.split(" ")
            if method == "CONNECT":
                self._connect(conn, target)
                return
            self._forward(conn, request, target)

    def _connect(self, conn: socket.socket, target: str) -> None:
        if self.hang_up:
            return
        if self.silent:
            self.loop.stopping.wait()
            return
        if self.refuse is not None:
            conn.sendall(self.refuse)
            return
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=5)
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with upstream:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pipe(conn, upstream, self.loop.stopping)

    def _forward(self, conn: socket.socket, request: bytes, target: str) -> None:
        url = urlsplit(target)
        assert url.scheme == "http" and url.hostname and url.port, target
        head, _, body = request.partition(b"\r\n\r\n")
        method = head.split(b" ", 1)[0]
        fields = [
            line
            for line in head.split(b"\r\n")[1:]
            if not line.lower().startswith(b"proxy-authorization:")
        ]
        forwarded = b"\r\n".join(
            [method + b" " + url.path.encode() + b" HTTP/1.1", *fields, b"Connection: close"]
        )
        with socket.create_connection((url.hostname, url.port), timeout=5) as upstream:
            upstream.sendall(forwarded + b"\r\n\r\n" + body)
            reply = b""
            while chunk := upstream.recv(65536):
                reply += chunk
        conn.sendall(reply)


def client_of(transport: object) -> HttpClient:
    """The HTTP client inside a transport made by ``create_transport``."""
    assert isinstance(transport, HttpTransport)
    return transport.client


def wait_until_the_idle_socket_is_readable(transport: object) -> bool:
    """Wait until what the server sent after its answer (its close, unasked bytes)
    reached the client's idle socket (polled, not read); nothing to wait for when the
    client saw it with the answer and kept no socket. Says whether a socket was kept.

    On loopback it is there almost at once; waiting for it makes the test
    deterministic instead of depending on that.
    """
    idle = client_of(transport).connections._idle  # private: the only way to see the socket
    sockets = [connection.sock for connections in idle.values() for connection in connections]
    assert len(sockets) <= 1
    if sockets:
        readable, _, _ = select.select(sockets, [], [], HANG_GUARD)
        assert readable, "what the server sent never arrived"
    return bool(sockets)


# Keeping connections alive -------------------------------------------------------


def test_requests_to_the_emulator_share_one_connection(emulator: Emulator) -> None:
    with CountingRelay(target=("127.0.0.1", emulator.http.port)) as relay:
        with create_transport(f"http://demo:demo@127.0.0.1:{relay.port}") as transport:
            for _ in range(4):
                assert transport.balance().amount > 0
        assert relay.accepted == 1


def test_requests_to_a_keep_alive_server_share_one_connection() -> None:
    with (
        KeepAliveServer() as server,
        create_transport(f"http://shop:pw@127.0.0.1:{server.port}") as transport,
    ):
        for _ in range(3):
            assert str(transport.balance().amount) == "100.00"
    assert server.accepted == 1
    assert [number for number, _ in server.requests] == [1, 1, 1]
    assert all(header(request, "Accept-Encoding") == "identity" for _, request in server.requests)


def test_a_connection_the_server_closed_while_idle_is_replaced_not_failed() -> None:
    with (
        KeepAliveServer(close_after=1) as server,
        create_transport(f"http://shop:pw@127.0.0.1:{server.port}") as transport,
    ):
        transport.balance()
        assert server.server_closed.wait(HANG_GUARD)
        assert wait_until_the_idle_socket_is_readable(transport)  # kept, then closed
        transport.balance()  # no error
    assert server.accepted == 2
    # One request on each connection: the first was not sent again.
    assert [number for number, _ in server.requests] == [1, 2]
    assert all(b"/sys/balance.php" in request for _, request in server.requests)


def test_a_chunked_answer_from_a_real_server_is_read_whole() -> None:
    body = json.dumps({"balance": "12345.67", "currency": "RUB", "credit": "0.00"}).encode()
    pieces = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"%x;name=first\r\n%s\r\n" % (10, body[:10]),
        b"%x\r\n%s\r\n" % (len(body) - 10, body[10:]),
        b"0\r\nX-Trailer: done\r\n\r\n",
    ]
    with (
        KeepAliveServer(answers=lambda _: pieces) as server,
        create_transport(f"http://shop:pw@127.0.0.1:{server.port}") as transport,
    ):
        assert str(transport.balance().amount) == "12345.67"
        assert str(transport.balance().amount) == "12345.67"
    assert server.accepted == 1  # the chunked answer left the connection usable


def test_an_answer_saying_connection_close_is_the_connection_s_last() -> None:
    # The server says "close" but keeps the connection open: the client must not reuse
    # it on the word alone.
    with (
        KeepAliveServer(answers=lambda _: [answer(BALANCE, "Connection: close")]) as server,
        create_transport(f"http://shop:pw@127.0.0.1:{server.port}") as transport,
    ):
        transport.balance()
        transport.balance()
    assert server.accepted == 2
    assert [number for number, _ in server.requests] == [1, 2]


def test_unasked_bytes_after_an_answer_make_its_connection_unfit() -> None:
    pieces = [answer(), b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]
    with (
        KeepAliveServer(answers=lambda _: pieces) as server,
        create_transport(f"http://shop:pw@127.0.0.1:{server.port}") as transport,
    ):
        transport.balance()
        wait_until_the_idle_socket_is_readable(transport)
        transport.balance()
    assert server.accepted == 2
    assert [number for number, _ in server.requests] == [1, 2]


def test_an_answer_ended_by_the_close_is_read_and_the_next_goes_on_a_new_connection() -> None:
    close_delimited = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + BALANCE
    with (
        KeepAliveServer(answers=lambda _: [close_delimited], close_after=1) as server,
        create_transport(f"http://shop:pw@127.0.0.1:{server.port}") as transport,
    ):
        assert str(transport.balance().amount) == "100.00"
        assert str(transport.balance().amount) == "100.00"
    assert server.accepted == 2


def test_close_ends_the_idle_connections() -> None:
    with KeepAliveServer() as server:
        transport = create_transport(f"http://shop:pw@127.0.0.1:{server.port}")
        transport.balance()
        assert not server.client_ended.is_set()
        transport.close()
        assert server.client_ended.wait(HANG_GUARD)  # the server read the end of file


def test_an_answer_in_gzip_is_a_protocol_error() -> None:
    packed = gzip.compress(BALANCE)
    with (
        KeepAliveServer(answers=lambda _: [answer(packed, "Content-Encoding: gzip")]) as server,
        create_transport(f"http://shop:pw@127.0.0.1:{server.port}") as transport,
        pytest.raises(ProtocolError) as caught,
    ):
        transport.balance()
    assert "gzip" in str(caught.value)
    assert header(server.requests[0][1], "Accept-Encoding") == "identity"


# Through a proxy -----------------------------------------------------------------


def _through(url: str, proxy: HttpProxy, **options: str) -> str:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in {"proxy": proxy.url, **options}.items())
    return f"{url}?{query}"


def _assert_no_proxy_secret(*texts: str) -> None:
    for text in texts:
        assert PROXY_PASSWORD not in text
        assert quote(PROXY_PASSWORD, safe="") not in text
        assert PROXY_TOKEN not in text


def test_an_http_request_goes_through_the_proxy_with_its_credentials(emulator: Emulator) -> None:
    with (
        HttpProxy() as proxy,
        create_transport(_through(emulator.url(), proxy)) as transport,
    ):
        assert transport.balance().amount > 0
        assert transport.balance().amount > 0
    target = f"http://127.0.0.1:{emulator.http.port}/sys/balance.php"
    assert proxy.seen == [(f"POST {target} HTTP/1.1", f"Basic {PROXY_TOKEN}")] * 2


@pytest.fixture
def https_emulator(server_tls: ssl.SSLContext) -> Iterator[Emulator]:
    """An emulator speaking HTTPS with the test certificate."""
    with Emulator(https_port=0, tls_context=server_tls) as running:
        yield running


def test_an_https_request_goes_through_a_tunnel_with_the_credentials(
    https_emulator: Emulator, tls_files: tuple[Path, Path]
) -> None:
    url = https_emulator.url("https")
    port = urlsplit(url).port
    with (
        HttpProxy() as proxy,
        create_transport(_through(url, proxy, verify=str(tls_files[0]))) as transport,
    ):
        assert transport.balance().amount > 0
        assert transport.balance().amount > 0  # on the same tunnel
    assert proxy.seen == [(f"CONNECT 127.0.0.1:{port} HTTP/1.1", f"Basic {PROXY_TOKEN}")]


def test_the_proxy_password_is_in_no_repr(emulator: Emulator) -> None:
    with (
        HttpProxy() as proxy,
        create_transport(_through(emulator.url(), proxy)) as transport,
    ):
        transport.balance()
        client = client_of(transport)
        _assert_no_proxy_secret(
            repr(transport),
            repr(client),
            repr(vars(client)),
            repr(client.connections),
            repr(vars(client.connections)),
            repr(Proxy.parse(proxy.url)),
        )


REFUSAL = (
    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
    b'Proxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 13\r\n\r\nnot with that'
)


@pytest.mark.parametrize(
    ("make_proxy", "says"),
    [
        (lambda: HttpProxy(refuse=REFUSAL), "407 Proxy Authentication Required"),
        (lambda: HttpProxy(hang_up=True), "closed the connection"),
        (lambda: HttpProxy(silent=True), "no answer to CONNECT in time"),
    ],
    ids=["407", "hang-up", "silent"],
)
def test_a_proxy_refusing_the_tunnel_is_a_connect_error_without_the_password(
    https_emulator: Emulator,
    tls_files: tuple[Path, Path],
    make_proxy: Callable[[], HttpProxy],
    says: str,
) -> None:
    url = https_emulator.url("https")
    with (
        make_proxy() as proxy,
        create_transport(_through(url, proxy, verify=str(tls_files[0]), timeout="0.5")) as t,
        pytest.raises(ConnectError) as caught,
    ):
        t.balance()
    assert says in str(caught.value)
    assert proxy.seen == [
        (f"CONNECT 127.0.0.1:{urlsplit(url).port} HTTP/1.1", f"Basic {PROXY_TOKEN}")
    ]
    _assert_no_proxy_secret(str(caught.value), repr(caught.value))


def test_a_proxy_that_cannot_reach_the_target_is_a_connect_error(
    tls_files: tuple[Path, Path],
) -> None:
    with (
        closed_port() as port,
        HttpProxy() as proxy,
        create_transport(
            _through(f"https://shop:pw@127.0.0.1:{port}", proxy, verify=str(tls_files[0]))
        ) as transport,
        pytest.raises(ConnectError) as caught,
    ):
        transport.balance()
    assert "502" in str(caught.value)
    _assert_no_proxy_secret(str(caught.value), repr(caught.value))


def test_a_proxy_that_is_not_there_is_a_connect_error_without_the_password() -> None:
    with (
        closed_port() as port,
        create_transport(
            "http://shop:pw@127.0.0.1:1?proxy="
            + quote(f"http://u:{PROXY_PASSWORD}@127.0.0.1:{port}", safe="")
        ) as transport,
        pytest.raises(ConnectError) as caught,
    ):
        transport.balance()
    # Through the proxy, not straight to the (also closed) target.
    assert str(caught.value).startswith("proxy refused")
    _assert_no_proxy_secret(str(caught.value), repr(caught.value))


@pytest.mark.parametrize(
    "proxy",
    [
        f"socks5://u:{PROXY_PASSWORD}@127.0.0.1:1080",
        f"https://u:{PROXY_PASSWORD}@127.0.0.1:3128",
        f"http://u:{PROXY_PASSWORD}@",
        f"http://u:{PROXY_PASSWORD}@:3128",
        f"http://u:{PROXY_PASSWORD}@127.0.0.1:99999",
        "127.0.0.1:3128",
    ],
)
def test_a_proxy_url_that_is_not_http_with_a_host_is_refused_when_created(proxy: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        create_transport("http://shop:pw@127.0.0.1:1?proxy=" + quote(proxy, safe=""))
    _assert_no_proxy_secret(str(caught.value), repr(caught.value))


# TLS -----------------------------------------------------------------------------


def test_a_certificate_not_trusted_is_a_connect_error_that_says_so(
    https_emulator: Emulator,
) -> None:
    # verify defaults to the certifi bundle, which does not hold the test's certificate.
    with (
        create_transport(https_emulator.url("https")) as transport,
        pytest.raises(ConnectError) as caught,
    ):
        transport.balance()
    assert "certificate" in str(caught.value)


def test_a_trusted_certificate_keeps_its_connection(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path]
) -> None:
    with (
        KeepAliveServer(tls=server_tls) as server,
        create_transport(
            f"https://shop:pw@127.0.0.1:{server.port}?verify={tls_files[0]}"
        ) as transport,
    ):
        for _ in range(3):
            transport.balance()
    assert server.accepted == 1
    assert len(server.requests) == 3


def test_a_verify_path_that_does_not_exist_is_refused_when_created() -> None:
    with pytest.raises(ConfigurationError) as caught:
        create_transport("https://shop:pw@127.0.0.1:1?verify=/no/such/file")
    assert "/no/such/file" in str(caught.value)
