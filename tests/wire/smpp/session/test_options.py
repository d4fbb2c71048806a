"""Settings → SMPP options: the defaults, every URL option, the refusals."""

from __future__ import annotations

import pytest

from smsc_transports import (
    ConfigurationError,
)
from smsc_transports.config import Settings
from smsc_transports.wire.smpp.session.options import SmppOptions


def options(url: str) -> SmppOptions:
    return SmppOptions.from_settings(Settings.from_url(url))


def test_defaults_follow_smscs_own_server_and_client() -> None:
    plain = options("smpp://login:secret@")
    assert (plain.host, plain.port, plain.tls) == ("smpp.smsc.ru", 3700, False)
    assert plain.hosts == ("smpp.smsc.ru", "smpp2.smsc.ru")  # the documented backup
    assert (plain.bind, plain.window, plain.submit.registered_delivery) == ("trx", 64, 1)
    assert (plain.submit.long_mode, plain.submit.coding, plain.receipt_id) == (
        "payload",
        "auto",
        "auto",
    )
    secure = options("smpps://login:secret@")
    assert (secure.port, secure.tls) == (3443, True)


def test_url_options_reach_the_transport() -> None:
    given = options(
        "smpp://l:p@127.0.0.1:2775?window=128&rate=50&bind=tx&long=sar&coding=smsc"
        "&receipt_id=hex&receipt_store_size=10&sender=Shop&priority=3&source_ton=0"
        "&backup_hosts=a.example,b.example&receipt_utc_offset=0"
    )
    assert (given.window, given.rate, given.bind) == (128, 50.0, "tx")
    assert (given.submit.long_mode, given.submit.coding, given.receipt_id) == (
        "sar",
        "smsc",
        "hex",
    )
    assert (given.receipt_store_size, given.receipt_utc_offset) == (10, 0.0)
    assert (given.submit.default_sender, given.submit.priority_flag) == ("Shop", 3)
    assert (given.submit.source_ton, given.submit.source_npi) == (0, None)
    assert given.hosts == ("127.0.0.1", "a.example", "b.example")


@pytest.mark.parametrize(
    "url",
    [
        "smpp://:apikey@host",  # an API key cannot bind
        "smpp://l:p@host?bind=both",
        "smpp://l:p@host?long=chop",
        "smpp://l:p@host?window=0",
        "smpp://l:p@host?receipt_id=oct",
        "smpp://l:p@host?receipt_utc_offset=25",
    ],
)
def test_impossible_settings_are_refused_up_front(url: str) -> None:
    with pytest.raises(ConfigurationError):
        options(url)
