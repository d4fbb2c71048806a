"""The SOAP backend against hostile and broken peers: typed errors, no entity expansion,
no password in any message, bounded time. The peers are real loopback sockets.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
import requests.adapters
import zeep

from smsc_transports import (
    ConnectError,
    Message,
    OutcomeUnknown,
    ProtocolError,
    TransportError,
    TransportTimeout,
    create_transport,
)
from smsc_transports.backends.soap import SoapTransport
from smsc_transports.wire.soap import calls as wire
from smsc_transports.wire.soap import envelope
from tests.backends.soap.conftest import SECRET, SoapPeer
from tests.faults import CannedServer, Fault, FaultProxy, closed_port, http_answer

ENV = envelope.ENVELOPE_NS
XML = "text/xml; charset=utf-8"
QUOTED_SECRET = "dummy-secret-pw%26%3Cx%3E"


def _url(port: int, **options: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"timeout": 2, **options}.items())
    return f"soap+http://shop:{QUOTED_SECRET}@127.0.0.1:{port}?{query}"


def _balance_answer(balance: str, prologue: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>{prologue}<s:Envelope xmlns:s="{ENV}" '
        f'xmlns:t="{wire.NAMESPACE}"><s:Body><t:BalanceResponse><balanceresult>'
        f"<balance>{balance}</balance><error>0</error></balanceresult></t:BalanceResponse>"
        "</s:Body></s:Envelope>"
    ).encode()


def _balance_from(answer: bytes, **options: object) -> None:
    with CannedServer(answer) as server, create_transport(_url(server.port, **options)) as t:
        t.balance()


def test_a_well_formed_answer_from_a_canned_server_is_read() -> None:
    with (
        CannedServer(http_answer(_balance_answer("7.00"), content_type=XML)) as server,
        create_transport(_url(server.port)) as transport,
    ):
        assert str(transport.balance().amount) == "7.00"
    request = server.requests[0].decode()
    assert request.startswith("POST /sys/soap.php HTTP/1.1")
    assert "https://smsc.ru/sys/soap.php" in request  # the soapAction header


@pytest.mark.parametrize(
    "prologue",
    [
        '<!DOCTYPE s:Envelope [<!ENTITY e "99999.00">]>',
        '<!DOCTYPE s:Envelope [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY e "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
        '<!DOCTYPE s:Envelope [<!ENTITY e SYSTEM "file:///etc/hostname">]>',
        '<!DOCTYPE s:Envelope SYSTEM "http://127.0.0.1:9/evil.dtd">',
    ],
    ids=["internal-entity", "entity-expansion-bomb", "external-file-entity", "external-dtd"],
)
def test_an_answer_with_a_dtd_or_an_entity_is_refused_unexpanded(prologue: str) -> None:
    body = _balance_answer("&e;" if "ENTITY" in prologue else "1", prologue)
    answer = http_answer(body, content_type=XML)
    started = time.monotonic()
    with pytest.raises(ProtocolError) as caught:
        _balance_from(answer)
    assert time.monotonic() - started < 5
    assert "DTDForbidden" in str(caught.value)
    assert "99999" not in str(caught.value)


def test_an_html_error_page_is_a_transport_error_quoting_it() -> None:
    page = http_answer(b"<html><body>502 Bad Gateway</body></html>", "502 Bad Gateway")
    with pytest.raises(TransportError) as caught:
        _balance_from(page)
    assert "HTTP 502" in str(caught.value)
    assert "Bad Gateway" in str(caught.value)


@pytest.mark.parametrize(
    "body", [b"", b"OK - 1 SMS, ID - 1", b'{"balance": "1.00"}', b"<unclosed", b"\xff\xfe\x00"]
)
def test_an_answer_that_is_not_xml_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        _balance_from(http_answer(body, content_type=XML))


def test_a_soap_fault_is_a_transport_error_with_the_password_masked() -> None:
    echo = f"login failed for psw={SECRET} in <psw>{SECRET}</psw>"
    fault = envelope.build_fault(echo, "Server")
    with pytest.raises(TransportError) as caught:
        _balance_from(http_answer(fault, "500 Internal Server Error", XML))
    text = str(caught.value)
    assert text.startswith("SOAP fault from")
    assert "login failed" in text
    assert "dummy-secret" not in text


def test_an_answer_larger_than_the_limit_is_refused() -> None:
    answer = http_answer(_balance_answer("1" * 5000), content_type=XML)
    with pytest.raises(ProtocolError, match="larger than 2000 bytes"):
        _balance_from(answer, max_answer_bytes=2000)


def test_an_unexpected_field_is_refused_when_strict_and_read_when_not() -> None:
    odd = _balance_answer("3.00").replace(b"<error>0</error>", b"<error>0</error><bonus>1</bonus>")
    with pytest.raises(ProtocolError):
        _balance_from(http_answer(odd, content_type=XML))
    with (
        CannedServer(http_answer(odd, content_type=XML)) as server,
        create_transport(_url(server.port, strict=0)) as transport,
    ):
        assert str(transport.balance().amount) == "3.00"


def test_a_missing_result_element_is_a_protocol_error() -> None:
    empty = (
        f'<s:Envelope xmlns:s="{ENV}" xmlns:t="{wire.NAMESPACE}"><s:Body>'
        "<t:BalanceResponse/></s:Body></s:Envelope>"
    ).encode()
    with pytest.raises(ProtocolError):
        _balance_from(http_answer(empty, content_type=XML), strict=0)


def test_a_refused_connection_is_a_connect_error() -> None:
    with (
        closed_port() as port,
        create_transport(_url(port)) as transport,
        pytest.raises(ConnectError) as caught,
    ):
        transport.balance()
    assert "dummy-secret" not in str(caught.value)


def test_a_refused_host_fails_over_to_a_backup_host(peer: SoapPeer) -> None:
    # Only 127.0.0.1 listens; 127.0.0.2 on the same port refuses.
    url = peer.url().replace("127.0.0.1", "127.0.0.2") + "?backup_hosts=127.0.0.1"
    with create_transport(url) as transport:
        assert transport.send(Message("79990000001", "hi")).id == "1"


def test_a_backup_host_keeps_the_port_it_is_given(peer: SoapPeer) -> None:
    with closed_port() as refused:
        url = peer.url().replace(f":{peer.port}", f":{refused}", 1)
        url += f"?backup_hosts=127.0.0.1:{peer.port}"
        with create_transport(url) as transport:
            assert transport.send(Message("79990000001", "via backup")).id == "1"


def test_a_silent_server_times_out_in_bounded_time(peer: SoapPeer) -> None:
    with FaultProxy(("127.0.0.1", peer.port), Fault.BLACKHOLE) as proxy:
        started = time.monotonic()
        with (
            create_transport(_url(proxy.port, timeout=0.5)) as transport,
            pytest.raises(TransportTimeout),
        ):
            transport.balance()
    assert time.monotonic() - started < 5


def test_a_slow_test_number_makes_the_send_time_out(peer: SoapPeer) -> None:
    with create_transport(peer.url(timeout="0.5")) as transport, pytest.raises(TransportTimeout):
        transport.send(Message("79990003005", "slow"))


def test_a_link_cut_after_the_request_is_an_unknown_outcome(peer: SoapPeer) -> None:
    with (
        FaultProxy(("127.0.0.1", peer.port), Fault.CUT_AFTER_REQUEST) as proxy,
        create_transport(peer.url().replace(str(peer.port), str(proxy.port))) as transport,
        pytest.raises(OutcomeUnknown),
    ):
        transport.send(Message("79990000001", "hi"))
    # The message did reach the emulator: that is why it is never resent by itself.
    account = peer.emulator.state.account("demo")
    assert peer.emulator.state.status(account, "1", "79990000001").found


def test_construction_makes_no_network_request() -> None:
    with CannedServer(http_answer(b"")) as server:
        transport = create_transport(_url(server.port))
        transport.close()
    assert server.requests == []


def test_the_live_wsdl_is_loaded_from_the_server_on_request(peer: SoapPeer) -> None:
    with create_transport(peer.url(wsdl="live")) as transport:
        assert transport.balance().amount > 0


def test_a_wsdl_file_given_by_path_is_used(peer: SoapPeer, tmp_path: Path) -> None:
    path = tmp_path / "smsc.wsdl"
    path.write_bytes(wire.wsdl_bytes())
    with create_transport(peer.url(wsdl=str(path))) as transport:
        assert transport.send(Message("79990000001", "hi")).parts == 1


def test_a_live_wsdl_may_not_read_local_files_through_an_import() -> None:
    wsdl = wire.wsdl_bytes().replace(
        b"<wsdl:types>",
        b'<wsdl:import namespace="urn:x" location="file:///etc/hostname"/><wsdl:types>',
    )
    with (
        CannedServer(http_answer(wsdl, content_type=XML)) as server,
        pytest.raises(ProtocolError, match="non-HTTP"),
    ):
        create_transport(_url(server.port, wsdl="live"))


def test_the_client_is_built_once_and_its_connection_kept_alive(
    peer: SoapPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with create_transport(peer.url()) as transport:
        assert isinstance(transport, SoapTransport)
        built = []
        monkeypatch.setattr(zeep, "Client", lambda *a, **k: built.append(a))
        for _ in range(5):
            transport.cost(Message("79990000001", f"hi {_}"))
        adapter = transport.client.session.get_adapter("http://127.0.0.1")
        assert isinstance(adapter, requests.adapters.HTTPAdapter)
        pools = adapter.poolmanager.pools
        connections = [pools[key].num_connections for key in pools.keys()]  # noqa: SIM118
    assert built == []
    assert connections == [1]


def test_http_options_reach_the_session(peer: SoapPeer) -> None:
    url = peer.url(verify=0, proxy="http://user:pw@127.0.0.1:3128", user_agent="shop/1.0")
    with create_transport(url) as transport:
        assert isinstance(transport, SoapTransport)
        session = transport.client.session
        assert session.verify is False
        assert session.proxies == {"http": "http://user:pw@127.0.0.1:3128"} | {
            "https": "http://user:pw@127.0.0.1:3128"
        }
        assert session.headers["User-Agent"] == "shop/1.0"
        assert session.trust_env is False


def test_the_endpoint_answers_a_doctype_over_the_network_with_a_fault(peer: SoapPeer) -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY who "demo">]>'
        b'<s:Envelope xmlns:s="' + ENV.encode() + b'" xmlns:t="' + wire.NAMESPACE.encode() + b'">'
        b"<s:Body><t:balance><login>&who;</login><psw>&who;</psw></t:balance></s:Body>"
        b"</s:Envelope>"
    )
    answer = requests.post(
        f"http://127.0.0.1:{peer.port}/sys/soap.php",
        data=body,
        headers={"Content-Type": XML, "SOAPAction": wire.SOAP_ACTION},
        timeout=5,
    )
    assert answer.status_code == 500
    assert b"Fault" in answer.content
    assert b"balanceresult" not in answer.content
