"""smsc_or_emulator: the real SMSC when SMSC_URL is set, else a local emulator."""

from __future__ import annotations

import pytest

from smsc_transports import ConfigurationError, Message, MessageStatus, create_transport
from smsc_transports.emulator.sandbox import EMULATOR_PHONE, PROTOCOLS, smsc_or_emulator


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_each_protocol_gets_an_emulator_it_can_send_and_ask_status_through(
    protocol: str,
) -> None:
    with smsc_or_emulator(protocol, environ={}) as target:
        assert target.clock is not None
        assert target.phone == EMULATOR_PHONE
        with create_transport(target.url) as transport:
            sent = transport.send(Message(target.phone, "rehearsal"))
            target.clock.advance(10)
            if protocol != "smpp":  # SMPP answers from receipts, checked in tests/smpp
                status = transport.status(sent.id, target.phone).status
                assert status is MessageStatus.DELIVERED


def test_smsc_url_wins_and_needs_a_phone() -> None:
    live = {"SMSC_URL": "https://login:pw@smsc.ru", "SMSC_DEMO_PHONE": "79991234567"}
    with smsc_or_emulator("smpp", environ=live) as target:
        assert (target.url, target.phone, target.clock) == (live["SMSC_URL"], "79991234567", None)
    with pytest.raises(ConfigurationError, match="SMSC_DEMO_PHONE"):
        with smsc_or_emulator(environ={"SMSC_URL": live["SMSC_URL"]}):
            pass


def test_an_unknown_protocol_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="smpp"):
        with smsc_or_emulator("fax", environ={}):
            pass
