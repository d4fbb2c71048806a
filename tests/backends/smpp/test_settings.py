"""What the SMPP transport makes of its settings: TLS context, the class built, refusals."""

from __future__ import annotations

import ssl

import pytest

from smsc_transports import Message, UnsupportedOperation, create_transport
from smsc_transports.backends.smpp import SmppTransport
from smsc_transports.backends.smpp.tls import client_context
from smsc_transports.config import Settings
from smsc_transports.wire.smpp.session.options import SmppOptions


def options(url: str) -> SmppOptions:
    return SmppOptions.from_settings(Settings.from_url(url))


def test_tls_checks_certificate_and_name_unless_told_not_to() -> None:
    checked = client_context(options("smpps://l:p@host"))
    assert checked is not None
    assert (checked.verify_mode, checked.check_hostname) == (ssl.CERT_REQUIRED, True)
    unchecked = client_context(options("smpps://l:p@host?verify=0"))
    assert unchecked is not None and unchecked.verify_mode == ssl.CERT_NONE
    assert client_context(options("smpp://l:p@host")) is None


def test_the_factory_builds_the_threaded_transport_for_both_schemes() -> None:
    for url in ("smpp://l:p@127.0.0.1:1", "smpps://l:p@127.0.0.1:1"):
        transport = create_transport(url)
        assert type(transport) is SmppTransport
        transport.close()


def test_cost_and_balance_name_the_protocols_that_can() -> None:
    with create_transport("smpp://l:p@127.0.0.1:1") as transport:
        with pytest.raises(UnsupportedOperation) as cost:
            transport.cost(Message("79990000001", "x"))
        with pytest.raises(UnsupportedOperation) as balance:
            transport.balance()
    assert "https" in cost.value.supported_by and "https" in balance.value.supported_by
