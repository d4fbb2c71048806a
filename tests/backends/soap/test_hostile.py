"""SOAP answers zeep cannot read: a typed error, never zeep's own IndexError.

Found by the fuzzing of issue 11: an envelope with an empty ``Body`` made zeep raise
``IndexError`` straight out of ``balance()``. The peer is a real loopback server whose
canned answer each example replaces.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import ProtocolError, create_transport
from smsc_transports.transport import Transport
from smsc_transports.wire.soap import calls
from tests.faults import CannedServer, http_answer
from tests.fuzzing import fuzz_scaled, typed_only

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XML = "text/xml; charset=utf-8"


def envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0"?><s:Envelope xmlns:s="{ENV}" xmlns:t="{calls.NAMESPACE}">'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        b'<s:Envelope xmlns:s="' + ENV.encode() + b'"><s:Body/></s:Envelope>',
        envelope(""),
        envelope("<t:BalanceResponse/>"),
        envelope("<t:Nothing><x/></t:Nothing>"),
        b'<s:Envelope xmlns:s="' + ENV.encode() + b'"/>',
    ],
)
def test_an_answer_without_a_result_is_a_protocol_error(body: bytes) -> None:
    with CannedServer(http_answer(body, content_type=XML)) as server:
        url = f"soap+http://shop:pw@127.0.0.1:{server.port}?timeout=5&backup_hosts="
        with create_transport(url) as transport, pytest.raises(ProtocolError):
            transport.balance()


@pytest.fixture(scope="module")
def canned() -> Iterator[tuple[CannedServer, Transport]]:
    with CannedServer(b"") as server:
        url = f"soap+http://shop:pw@127.0.0.1:{server.port}?timeout=5&backup_hosts="
        with create_transport(url) as transport:
            yield server, transport


FIELDS = ["balance", "error", "cost", "cnt", "id", "status", "errors", "phone", "last_timestamp"]
VALUES = st.text(max_size=12) | st.sampled_from(["0", "1", "-1", "1e5000", "9" * 5000, "", "2"])
RESULTS = st.lists(st.tuples(st.sampled_from(FIELDS), VALUES), max_size=5).map(
    lambda pairs: "".join(f"<{name}>{_escape(value)}</{name}>" for name, value in pairs)
)
RESPONSES = st.sampled_from(["BalanceResponse", "SendResponse", "StatusResponse", "X"])
WRAPPERS = st.sampled_from(["balanceresult", "sendresult", "statusresult", "result"])


def _escape(text: str) -> str:
    clean = "".join(ch for ch in text if ch.isprintable())
    return clean.replace("&", "&amp;").replace("<", "&lt;")


@fuzz_scaled(0.5)
@given(
    response=RESPONSES,
    wrapper=WRAPPERS,
    fields=RESULTS,
    operation=st.sampled_from(["balance", "status"]),
)
def test_any_answer_gives_a_result_or_a_typed_error(
    canned: tuple[CannedServer, Transport],
    response: str,
    wrapper: str,
    fields: str,
    operation: str,
) -> None:
    server, transport = canned
    body = envelope(f"<t:{response}><{wrapper}>{fields}</{wrapper}></t:{response}>")
    server.answer = http_answer(body, content_type=XML)
    if operation == "balance":
        typed_only(transport.balance)
    else:
        typed_only(lambda: transport.status("1", "79991234567"))


def test_a_password_echoed_in_a_result_field_is_masked() -> None:
    body = envelope(
        "<t:BalanceResponse><balanceresult><balance>dummypw</balance><error>0</error>"
        "</balanceresult></t:BalanceResponse>"
    )
    with CannedServer(http_answer(body, content_type=XML)) as server:
        url = f"soap+http://shop:dummypw@127.0.0.1:{server.port}?timeout=5&backup_hosts="
        with create_transport(url) as transport, pytest.raises(ProtocolError) as caught:
            transport.balance()
    assert "dummypw" not in str(caught.value)
