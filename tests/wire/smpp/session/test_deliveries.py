"""The session's deliver_sm side: receipts, early receipts, incoming messages, limits."""

from __future__ import annotations

from smsc_transports.statuses import MessageStatus
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.session.link import LinkState
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_STATE,
    TAG_RECEIPTED_MESSAGE_ID,
    ShortMessage,
)
from smsc_transports.wire.smpp.text import text_content
from tests.wire.smpp.session.kit import answer, deliver, make, queue, sms, submits


def receipt(message_id: str, state: int = 2, phone: str = "79990000001") -> ShortMessage:
    text = f"id:{message_id} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
    text += f" stat:{'DELIVRD' if state == 2 else 'UNDELIV'} err:{0 if state == 2 else 1:03d}"
    return ShortMessage(source_addr=phone, esm_class=4, short_message=text.encode())


def test_a_receipt_reaches_the_iterator_the_callback_and_status() -> None:
    session, _ = make()
    heard: list[object] = []
    session.on_receipt = heard.append
    queue(session, sms(1))
    ((sequence, _),) = submits(session)
    answer(session, sequence, message_id="42")
    acks = deliver(session, receipt("42", state=5), sequence=77)
    assert acks == [(w.DELIVER_SM_RESP, 0, 77, b"\0")]
    (result,) = session.receipts
    assert heard == [result]
    assert (result.id, result.phone, result.status) == ("42", "79990000001", 20)
    track = session.store.lookup("42", "79990000001")
    assert track is not None and track.status is MessageStatus.UNABLE_TO_DELIVER


def test_a_receipt_before_its_submit_sm_resp_waits_for_it() -> None:
    session, _ = make()
    queue(session, sms(1))
    ((sequence, _),) = submits(session)
    deliver(session, receipt("42"))
    assert list(session.receipts) == []
    answer(session, sequence, message_id="42")
    (result,) = session.receipts
    assert (result.id, result.status) == ("42", MessageStatus.DELIVERED)
    assert session.stats.uncorrelated_receipts == 0


def test_receipt_ids_in_another_base_still_find_their_message_by_phone() -> None:
    session, _ = make(receipt_id="auto")
    queue(session, sms(1, "79990000001"), sms(2, "79990000002"))
    (first, _), (second, _) = submits(session)
    answer(session, first, message_id="255")
    answer(session, second, message_id="597")  # also what "255" reads as in hex
    deliver(session, receipt("FF", phone="79990000001"))
    # "255" is message A's id, but the phone is B's: read as hex it is 597, B's id.
    deliver(session, receipt("255", phone="79990000002"))
    ids = [(r.id, r.phone) for r in session.receipts]
    assert ids == [("255", "79990000001"), ("597", "79990000002")]


def test_a_receipt_with_tlvs_wins_and_an_unknown_one_is_still_delivered() -> None:
    session, _ = make()
    sm = ShortMessage(
        source_addr="79990000009",
        esm_class=4,
        tlvs=((TAG_RECEIPTED_MESSAGE_ID, b"nobody\0"), (TAG_MESSAGE_STATE, b"\x02")),
    )
    deliver(session, sm)
    (result,) = session.receipts
    assert (result.id, result.status) == ("nobody", MessageStatus.DELIVERED)
    assert session.stats.uncorrelated_receipts == 1


def test_a_failing_callback_does_not_lose_the_event() -> None:
    session, _ = make()

    def broken(event: object) -> None:
        raise RuntimeError("user bug")

    session.on_incoming = broken
    acks = deliver(session, ShortMessage(source_addr="7999", short_message=b"hi"))
    assert acks[0][1] == w.ESME_ROK
    assert [m.text for m in session.incoming] == ["hi"]


def test_incoming_parts_are_joined_into_one_message() -> None:
    session, _ = make()
    content = text_content("ответ " * 40, long_mode="udh", reference=9)
    for n, (short_message, _) in enumerate(content.segments):
        sm = ShortMessage(
            source_addr="79991112233",
            destination_addr="7900",
            esm_class=content.esm_class,
            data_coding=content.data_coding,
            short_message=short_message,
        )
        deliver(session, sm, sequence=600 + n)
    (message,) = session.incoming
    assert (message.text, message.phone, message.to_phone) == ("ответ " * 40, "79991112233", "7900")


def test_a_malformed_deliver_sm_is_refused_and_the_link_lives_on() -> None:
    session, _ = make()
    session.feed(w.encode_pdu(w.DELIVER_SM, 0, 8, b"\x00\x01\x01no-nul"))
    assert w.FrameSplitter().feed(session.output()) == [
        (w.DELIVER_SM_RESP, w.ESME_RSYSERR, 8, b"\0")
    ]
    assert session.stats.malformed == 1 and session.state == LinkState.BOUND


def test_events_nobody_reads_are_bounded() -> None:
    session, _ = make(receipt_buffer=3)
    for n in range(5):
        deliver(session, ShortMessage(source_addr="7999", short_message=b"%d" % n), 700 + n)
    assert [m.text for m in session.incoming] == ["2", "3", "4"]
    assert session.stats.dropped_events == 2
