"""Every SOAP call has a total deadline (issue 11, item 5), on real loopback sockets."""

from __future__ import annotations

import time

import pytest

from smsc_transports import Message, TransportTimeout, create_transport
from tests.faults import DrippingServer, http_answer

ENVELOPE = (
    b'<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<s:Body/></s:Envelope>"
)
ANSWER = http_answer(ENVELOPE, content_type="text/xml; charset=utf-8")
HANG_GUARD = 30.0


@pytest.mark.parametrize("operation", ["balance", "send"])
def test_a_dripping_soap_server_is_cut_off_at_the_deadline(operation: str) -> None:
    with DrippingServer(ANSWER, interval=0.4) as server:
        url = f"soap+http://shop:dummy-secret@127.0.0.1:{server.port}?timeout=1"
        with create_transport(url) as transport:
            started = time.monotonic()
            with pytest.raises(TransportTimeout) as caught:
                if operation == "balance":
                    transport.balance()
                else:
                    transport.send(Message("79991234567", "hi"))
            assert time.monotonic() - started < HANG_GUARD
    assert server.finished == 0
    assert "dummy-secret" not in str(caught.value)
