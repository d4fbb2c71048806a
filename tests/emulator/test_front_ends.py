"""One emulator, several protocols: a message sent over one is visible over the others."""

from __future__ import annotations

from smsc_transports import Message, MessageStatus, create_transport
from smsc_transports.emulator import Emulator, ManualClock


def test_smtp_and_soap_sends_are_visible_over_http_under_their_ids() -> None:
    clock = ManualClock()
    with Emulator(clock=clock, smtp_port=0) as emulator:
        assert "smtp=" in emulator.ready_line()
        with create_transport(emulator.url("smtp")) as smtp:
            by_mail = smtp.send(Message("79990000001", "by mail", id="mail-1"))
        with create_transport(emulator.url("soap+http")) as soap:
            by_soap = soap.send(Message("79990000002", "by soap"))
        clock.advance(10)
        with create_transport(emulator.url()) as http:
            mailed = http.status(by_mail.id, "79990000001", detail=1)
            soaped = http.status(by_soap.id, "79990000002", detail=1)
    assert by_mail.id == "mail-1"
    assert (mailed.status, mailed.text) == (MessageStatus.DELIVERED, "by mail")
    assert (soaped.status, soaped.text) == (MessageStatus.DELIVERED, "by soap")


def test_the_emulator_serves_its_wsdl_with_its_own_address() -> None:
    import requests

    with Emulator() as emulator:
        answer = requests.get(f"{emulator.http_url}/sys/soap.php?wsdl", timeout=5)
        address = f"{emulator.http_url}/sys/soap.php".encode()
    assert answer.status_code == 200
    assert address in answer.content
