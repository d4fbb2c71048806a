"""A hostile SMSC gives typed errors: no hang, no dead reader thread, recovery on reconnect.

Each scripted server misbehaves on its first connection only; the transport must end the
message it was sending in a typed outcome and then work again on the next connection.
"""

from __future__ import annotations

import contextlib
import socket
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsc_transports import (
    ConnectError,
    Message,
    OutcomeUnknown,
    ProtocolError,
    SMSCError,
    create_transport,
)
from smsc_transports.backends.smpp import SmppTransport
from smsc_transports.wire.smpp import pdu as w
from tests.backends.smpp.conftest import eventually, smpp_url
from tests.backends.smpp.servers import Peer, Script, ScriptedServer

URL_OPTIONS = {"response_timeout": "1", "timeout": "1", "reconnect_attempts": "2"}


def after_first_submit(reply: bytes) -> Script:
    """Bind, read one submit_sm, answer it with ``reply`` (its sequence spliced in)."""

    def script(peer: Peer) -> None:
        if not peer.bind():
            return
        frame = peer.read()
        if frame is None:
            return
        peer.send(reply.replace(b"SEQ!", struct.pack(">I", frame[2])))
        peer.read(timeout=2)  # let the client react before the link closes

    return script


def header(length: int, command: int, sequence: bytes = b"SEQ!") -> bytes:
    return struct.pack(">III", length, command, 0) + sequence


HOSTILE = {
    "length below 16": header(5, w.SUBMIT_SM_RESP),
    "length of 2 GiB": header(0x7FFFFFFF, w.SUBMIT_SM_RESP),
    "answer to a sequence never used": w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, 4242, "x"),
    "wrong answer for the request": header(16, w.QUERY_SM_RESP),
    "accepted without an id": header(16, w.SUBMIT_SM_RESP),
    "message_id without NUL": header(20, w.SUBMIT_SM_RESP) + b"abcd",
    "generic_nack for nothing": w.encode_pdu(w.GENERIC_NACK, w.ESME_RINVCMDLEN, 0),
}


@pytest.mark.parametrize("reply", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_answers_make_the_message_unknown_and_the_next_link_works(reply: bytes) -> None:
    with ScriptedServer([after_first_submit(reply)]) as server:
        with create_transport(smpp_url(server.port, **URL_OPTIONS)) as transport:
            assert isinstance(transport, SmppTransport)
            with pytest.raises(OutcomeUnknown) as caught:
                transport.send(Message("79990000001", "into the storm"))
            after = transport.send(Message("79990000001", "after the storm"))
            reader_alive = transport._links[0].running
    assert isinstance(caught.value.__cause__, ProtocolError)
    assert after.id == "1"
    assert reader_alive and server.connections == 2


def test_a_truncated_pdu_then_eof_is_an_unknown_outcome() -> None:
    truncated = w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, 1, "abcdef")[:20]
    with ScriptedServer([after_first_submit(truncated)]) as server:
        with create_transport(smpp_url(server.port, **URL_OPTIONS)) as transport:
            with pytest.raises(OutcomeUnknown):
                transport.send(Message("79990000001", "cut short"))
            assert transport.send(Message("79990000001", "whole")).id


def test_unknown_requests_from_the_smsc_get_generic_nack_and_sending_goes_on() -> None:
    def script(peer: Peer) -> None:
        if not peer.bind():
            return
        peer.send(w.encode_pdu(0x00000099, 0, 77) + w.encode_pdu(w.ALERT_NOTIFICATION, 0, 78))
        while (frame := peer.read(timeout=3)) is not None:
            peer.answer(frame)

    with ScriptedServer([script]) as server:
        with create_transport(smpp_url(server.port, **URL_OPTIONS)) as transport:
            sent = transport.send(Message("79990000001", "despite the noise"))
        received = server.peers[0].received
    assert sent.id == "1"
    assert (w.GENERIC_NACK, w.ESME_RINVCMDID, 77, b"") in received
    assert not any(f[2] == 78 for f in received)  # alert_notification has no answer
    assert server.connections == 1


def test_a_server_that_never_answers_the_bind_times_out() -> None:
    def silent(peer: Peer) -> None:
        peer.read(timeout=5)
        peer.read(timeout=5)

    with ScriptedServer([silent, silent, silent]) as server:
        url = smpp_url(server.port, **URL_OPTIONS)
        with create_transport(url) as transport, pytest.raises(SMSCError) as caught:
            transport.send(Message("79990000001", "nobody home"))
    assert "bind" in str(caught.value)


def test_a_bind_answered_with_something_else_is_a_protocol_error() -> None:
    def confused(peer: Peer) -> None:
        frame = peer.read()
        if frame is not None:
            peer.send(w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, frame[2], "?"))
            peer.read(timeout=2)

    with ScriptedServer([confused, confused]) as server:
        url = smpp_url(server.port, **URL_OPTIONS)
        with create_transport(url) as transport, pytest.raises(ProtocolError):
            transport.send(Message("79990000001", "confused"))


def test_the_smsc_unbinding_is_answered_and_the_transport_rebinds() -> None:
    def leaving(peer: Peer) -> None:
        if peer.bind():
            peer.send(w.encode_pdu(w.UNBIND, 0, 9))
            peer.read(timeout=2)

    with ScriptedServer([leaving]) as server:
        with create_transport(smpp_url(server.port, **URL_OPTIONS)) as transport:
            assert isinstance(transport, SmppTransport)
            transport.connect()
            assert eventually(lambda: server.connections == 2)  # it bound again
            sent = transport.send(Message("79990000001", "after the unbind"))
        first = server.peers[0].received
    assert (w.UNBIND_RESP, 0, 9, b"") in first
    assert sent.id == "1" and server.connections == 2


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(noise=st.binary(min_size=1, max_size=200))
def test_any_bytes_from_the_smsc_end_in_an_outcome_never_a_hang(noise: bytes) -> None:
    with ScriptedServer([after_first_submit(noise)]) as server:
        url = smpp_url(server.port, **{**URL_OPTIONS, "response_timeout": "0.3"})
        with create_transport(url) as transport:
            with contextlib.suppress(SMSCError):  # any typed error will do
                transport.send(Message("79990000001", "noise"))
            assert transport.send(Message("79990000001", "clean")).id


def test_a_server_that_resets_during_bind_is_a_connect_error() -> None:
    def reset(peer: Peer) -> None:
        peer.read()
        peer.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with ScriptedServer([reset, reset]) as server:
        url = smpp_url(server.port, **URL_OPTIONS)
        with create_transport(url) as transport, pytest.raises(ConnectError):
            transport.send(Message("79990000001", "reset"))
