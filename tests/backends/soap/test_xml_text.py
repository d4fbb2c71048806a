"""Over SOAP, text XML cannot carry is refused before anything is sent (issue 11, item 9).

lxml used to raise its own ``ValueError`` from ``send`` ("All strings must be XML
compatible"); the peer here is a real loopback server that records what arrives.
"""

from __future__ import annotations

import pytest

from smsc_transports import ConfigurationError, Message, ValidationError, create_transport
from tests.faults import CannedServer, http_answer

NOTHING = http_answer(b"", "500 Internal Server Error")


@pytest.mark.parametrize("text", ["code\x01 1234", "\x1b[31mred\x1b[0m", "x\ufffe"])
def test_a_control_character_is_a_validation_error_and_nothing_is_sent(text: str) -> None:
    with CannedServer(NOTHING) as server:
        url = f"soap+http://shop:pw@127.0.0.1:{server.port}?timeout=5"
        with create_transport(url) as transport:
            with pytest.raises(ValidationError) as caught:
                transport.send(Message("79991234567", text))
            assert caught.value.field == "text"
            with pytest.raises(ValidationError):
                transport.cost(Message("79991234567", text))
            outcomes = list(transport.send_many([Message("79991234567", text)]))
    assert len(outcomes) == 1
    assert isinstance(outcomes[0].error, ValidationError)
    assert server.requests == []


def test_a_password_xml_cannot_carry_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        create_transport("soap+http://shop:pw%01dummypw@127.0.0.1:9?timeout=5")
    assert "dummypw" not in str(caught.value)
