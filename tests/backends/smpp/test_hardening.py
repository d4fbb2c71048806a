"""Issue 11 (SMPP), each defect reproduced on real sockets, through both faces.

A scripted server (:mod:`tests.backends.smpp.servers`) plays the SMSC; every later
connection is well-behaved, so recovery shows too.

1. After the SMSC's unbind nothing but the unbind_resp is written; unwritten messages
   go out on the next bind (they used to be written after the unbind_resp, then end
   as unknown).
2. A receipt that beats its submit_sm_resp waits for it, even when another base's
   reading of its id names an older message to the same phone.
3. A receipt acknowledged while it waited reaches the user, even when the transport
   closes at once.
4. An unreadable receipt is answered ESME_RX_P_APPN, reported to ``on_malformed``, and
   the link stays up (``int()`` after ``str.isdigit()`` used to drop it).
"""

from __future__ import annotations

import pytest

from smsc_transports import Message, ProtocolError
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_PAYLOAD,
    ShortMessage,
    encode_deliver_sm,
)
from tests.backends.smpp.conftest import smpp_url
from tests.backends.smpp.faces import FACES, Run, run_face
from tests.backends.smpp.servers import Peer, ScriptedServer

PHONE = "79990000001"


def receipt_pdu(sequence: int, message_id: str, payload: bytes | None = None) -> bytes:
    """A deliver_sm receipt for ``message_id`` (appendix-B text, or raw ``payload``)."""
    text = f"id:{message_id} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
    text += " stat:DELIVRD err:000"
    sm = ShortMessage(
        source_addr=PHONE,
        esm_class=0x04,
        data_coding=3,
        short_message=text.encode() if payload is None else b"",
        tlvs=((TAG_MESSAGE_PAYLOAD, payload),) if payload is not None else (),
    )
    return encode_deliver_sm(sequence, sm)


def ids(run: Run) -> list[str]:
    """The message ids of the accepted outcomes, in input order."""
    return [o.result.id for o in run.outcomes if o.result is not None]


def answer(frame: w.Frame, message_id: str) -> bytes:
    assert frame[0] == w.SUBMIT_SM
    return w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, frame[2], message_id)


def drain(peer: Peer) -> None:
    """Answer whatever else comes (enquire_link, unbind) until the client leaves."""
    while (frame := peer.read(timeout=5)) is not None:
        peer.answer(frame)
        if frame[0] == w.UNBIND:
            return


def after_unbind_resp(received: list[w.Frame]) -> list[w.Frame]:
    """What the client wrote after its unbind_resp on one connection."""
    ends = [n for n, frame in enumerate(received) if frame[0] == w.UNBIND_RESP]
    assert ends, "the client never answered the unbind"
    return received[ends[0] + 1 :]


# -- 1. the SMSC unbinds mid-traffic ----------------------------------------------------

WINDOW = 8


def unbinds_with_the_first_answers(peer: Peer) -> None:
    """Read a window of submits, answer them all and unbind in the same write."""
    if not peer.bind():
        return
    frames = [peer.read() for _ in range(WINDOW)]
    answers = b"".join(answer(f, f"a{n}") for n, f in enumerate(frames) if f is not None)
    peer.send(answers + w.encode_pdu(w.UNBIND, 0, 4000))
    while peer.read(timeout=2) is not None:  # see what the client writes after its answer
        pass


@pytest.mark.parametrize("face", FACES)
def test_nothing_is_written_after_the_unbind_resp_and_the_rest_goes_on_the_next_bind(
    face: str,
) -> None:
    messages = [Message(PHONE, f"unbind {n}") for n in range(30)]
    with ScriptedServer([unbinds_with_the_first_answers]) as server:
        run = run_face(face, smpp_url(server.port, window=str(WINDOW)), messages)
        first = server.peers[0].received
    assert [o.index for o in run.outcomes] == list(range(30))
    assert after_unbind_resp(first) == []
    assert all(o.ok for o in run.outcomes), [o.error for o in run.outcomes if not o.ok]
    assert ids(run)[:WINDOW] == [f"a{n}" for n in range(WINDOW)]
    assert server.connections == 2


# -- 2. an early receipt and an older message whose id is its other-base reading -------


def early_receipt_script(older: str, newer: str) -> object:
    def script(peer: Peer) -> None:
        if not peer.bind():
            return
        first = peer.read()
        assert first is not None
        peer.send(answer(first, older))
        second = peer.read()
        assert second is not None
        # The newer message's receipt comes before its submit_sm_resp.
        peer.send(receipt_pdu(900, newer) + answer(second, newer))
        peer.send(receipt_pdu(901, older))
        drain(peer)

    return script


@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize(("older", "newer"), [("10", "16"), ("34", "22")])
def test_an_early_receipt_is_never_handed_to_an_older_message_to_the_same_phone(
    face: str, older: str, newer: str
) -> None:
    messages = [Message(PHONE, "older"), Message(PHONE, "newer")]
    with ScriptedServer([early_receipt_script(older, newer)]) as server:  # type: ignore[list-item]
        run = run_face(
            face, smpp_url(server.port, window="1"), messages, linger=lambda r: len(r.receipts) >= 2
        )
    assert ids(run) == [older, newer]
    assert sorted((r.id, r.raw.message_id) for r in run.receipts) == sorted(
        [(newer, newer), (older, older)]
    )


# -- 3. an acknowledged early receipt and an immediate close ---------------------------


def receipt_for_an_earlier_session(peer: Peer) -> None:
    if not peer.bind():
        return
    frame = peer.read()
    assert frame is not None
    # A receipt of a message sent before this transport existed, while a submit waits.
    peer.send(receipt_pdu(700, "old-7") + answer(frame, "1"))
    drain(peer)


@pytest.mark.parametrize("face", FACES)
def test_an_acknowledged_early_receipt_reaches_the_user_before_close_returns(face: str) -> None:
    with ScriptedServer([receipt_for_an_earlier_session]) as server:
        run = run_face(face, smpp_url(server.port), [Message(PHONE, "one")])
        acks = [f for f in server.peers[0].received if f[0] == w.DELIVER_SM_RESP]
    assert acks == [(w.DELIVER_SM_RESP, 0, 700, b"\0")]  # the SMSC counts it delivered
    assert [(r.id, r.phone) for r in run.receipts] == [("old-7", PHONE)]


# -- 4. unreadable receipts -------------------------------------------------------------

UNREADABLE = [
    b"id:1 sub:001 dlvrd:001 stat:DELIVRD err:\xb2",  # Latin-1 superscript two
    b"id:1 sub:001 dlvrd:001 stat:DELIVRD err:" + b"9" * 5000,
]


def sends_unreadable_receipts(peer: Peer) -> None:
    if not peer.bind():
        return
    peer.send(b"".join(receipt_pdu(800 + n, "", text) for n, text in enumerate(UNREADABLE)))
    while (frame := peer.read(timeout=5)) is not None:
        if frame[0] == w.SUBMIT_SM:
            peer.send(answer(frame, "2"))
        else:
            peer.answer(frame)
        if frame[0] == w.UNBIND:
            return


@pytest.mark.parametrize("face", FACES)
def test_an_unreadable_receipt_is_answered_reported_and_the_link_stays_up(face: str) -> None:
    def both_reported(run: Run) -> bool:
        return len(run.malformed) >= len(UNREADABLE)

    with ScriptedServer([sends_unreadable_receipts]) as server:
        run = run_face(face, smpp_url(server.port), [Message(PHONE, "x")], linger=both_reported)
        acks = [f for f in server.peers[0].received if f[0] == w.DELIVER_SM_RESP]
    assert sorted(acks) == [(w.DELIVER_SM_RESP, w.ESME_RX_P_APPN, 800 + n, b"\0") for n in (0, 1)]
    assert len(run.malformed) == 2
    assert all(isinstance(error, ProtocolError) for error in run.malformed)
    assert ids(run) == ["2"]
    assert server.connections == 1 and run.receipts == []
