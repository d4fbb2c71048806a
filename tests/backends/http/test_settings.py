"""HTTP settings that end up on the wire are checked when the transport is built."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smsc_transports import ConfigurationError, create_transport
from smsc_transports.backends.http.connection import Origin
from tests.faults import CannedServer, http_answer

OK_ANSWER = http_answer(b'{"balance": "1.00", "currency": "RUB"}', content_type="application/json")


@pytest.mark.parametrize("agent", ["Тест", "shop\x07", "a%0Db"])
def test_a_user_agent_http_cannot_carry_is_refused_when_the_transport_is_built(agent: str) -> None:
    with pytest.raises(ConfigurationError, match="user_agent"):
        create_transport(f"http://shop:pw@127.0.0.1:1?user_agent={agent}")


def test_the_user_agent_reaches_the_server() -> None:
    with CannedServer(OK_ANSWER) as server:
        with create_transport(f"http://shop:pw@127.0.0.1:{server.port}?user_agent=shop/1.0") as t:
            t.balance()
    assert b"\r\nUser-Agent: shop/1.0\r\n" in server.requests[0]


def test_a_host_outside_ascii_goes_in_its_idna_form() -> None:
    transport = create_transport("https://shop:pw@смс.рф")
    assert repr(transport) == "<HttpTransport https://xn--l1ajb.xn--p1ai>"
    transport.close()


def test_a_request_asks_for_no_content_coding() -> None:
    # The answer is read as it comes: one in another coding would be refused.
    with CannedServer(OK_ANSWER) as server:
        with create_transport(f"http://shop:pw@127.0.0.1:{server.port}") as transport:
            assert transport.balance().amount == Decimal("1.00")
    assert b"\r\nAccept-Encoding: identity\r\n" in server.requests[0]


@pytest.mark.parametrize(
    ("scheme", "host", "port", "shown", "authority", "tunnel"),
    [
        ("https", "smsc.ru", None, "https://smsc.ru", "smsc.ru", "smsc.ru:443"),
        ("https", "smsc.ru", 8443, "https://smsc.ru:8443", "smsc.ru:8443", "smsc.ru:8443"),
        ("http", "127.0.0.1", 80, "http://127.0.0.1", "127.0.0.1", "127.0.0.1:80"),
        ("https", "::1", None, "https://[::1]", "[::1]", "[::1]:443"),
        ("http", "::1", 8080, "http://[::1]:8080", "[::1]:8080", "[::1]:8080"),
    ],
)
def test_an_origin_names_its_host_as_urls_host_headers_and_connect_do(
    scheme: str, host: str, port: int | None, shown: str, authority: str, tunnel: str
) -> None:
    origin = Origin.of(scheme, host, port)
    assert (str(origin), origin.authority, origin.host_and_port) == (shown, authority, tunnel)
