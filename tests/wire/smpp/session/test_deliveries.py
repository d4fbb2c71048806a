"""The session's deliver_sm side: receipts, early receipts, incoming messages, limits."""

from __future__ import annotations

import pytest

from smsc_transports.errors import ConnectError, ProtocolError
from smsc_transports.statuses import MessageStatus
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.session.link import LinkState
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_PAYLOAD,
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


@pytest.mark.parametrize(("older", "newer"), [("10", "16"), ("34", "22")])
def test_an_early_receipt_waits_for_its_own_message_not_an_older_one_in_another_base(
    older: str, newer: str
) -> None:
    # Issue 11: decimal 16 is hex "10" and 22 is hex 34; the early receipt of the newer
    # message went to the older one (same phone), which then got two receipts.
    session, _ = make(receipt_id="auto")
    queue(session, sms(1))
    ((first, _),) = submits(session)
    answer(session, first, message_id=older)
    queue(session, sms(2))
    ((second, _),) = submits(session)
    deliver(session, receipt(newer), sequence=90)
    assert list(session.receipts) == []  # it waits for its own submit_sm_resp
    answer(session, second, message_id=newer)
    deliver(session, receipt(older), sequence=91)
    assert [r.id for r in session.receipts] == [newer, older]
    for message_id in (older, newer):
        track = session.store.lookup(message_id, "79990000001")
        assert track is not None and track.heard == 1
    assert session.stats.uncorrelated_receipts == 0


def test_a_receipt_matching_no_message_is_not_guessed_onto_one() -> None:
    session, _ = make(receipt_id="auto")
    queue(session, sms(1))
    ((first, _),) = submits(session)
    answer(session, first, message_id="10")
    deliver(session, receipt("16"), sequence=90)  # nothing unanswered: it cannot wait
    deliver(session, receipt("10"), sequence=91)
    assert [(r.id, r.raw.message_id) for r in session.receipts] == [("16", "16"), ("10", "10")]
    track = session.store.lookup("10", "79990000001")
    assert track is not None and track.heard == 1
    assert session.stats.uncorrelated_receipts == 1


def test_auto_learns_hex_receipt_ids_from_overwhelming_evidence_only() -> None:
    session, _ = make(receipt_id="auto")
    ids = [str(n) for n in range(1000, 1012)]
    queue(session, *(sms(n, f"7999000{n:04d}") for n in range(len(ids))))
    for (sequence, _), message_id in zip(submits(session), ids, strict=True):
        answer(session, sequence, message_id=message_id)
    for n, message_id in enumerate(ids):
        deliver(session, receipt(format(int(message_id), "X"), phone=f"7999000{n:04d}"), 90 + n)
    correlated = [r.id for r in session.receipts if r.id in ids]
    assert session.store.reading == "hex"
    assert correlated == ids[7:]  # the 8th receipt settled it; the first 7 stay as given
    assert session.stats.uncorrelated_receipts == 7


def test_auto_keeps_ids_as_given_when_receipts_match_exactly() -> None:
    session, _ = make(receipt_id="auto", window=64)
    queue(session, *(sms(n) for n in range(60)))
    for n, (sequence, _) in enumerate(submits(session)):
        answer(session, sequence, message_id=str(n + 1))
    for n in range(1, 21):
        deliver(session, receipt(str(n)), 100 + n)
    # Receipts of messages this transport never saw accepted (an earlier session, an
    # unknown outcome) whose hex reading names a message that has had no receipt yet:
    # evidence, but far less than the exact matches.
    strays = [f"{n:x}" for n in range(21, 61) if not f"{n:x}".isdigit()]
    for n, stray in enumerate(strays):
        deliver(session, receipt(stray), 200 + n)
    assert len(strays) == 15 and session.store.reading == "given"
    assert [r.id for r in session.receipts][20:] == strays
    assert all(session.store.lookup(str(int(s, 16)), "79990000001").heard == 0 for s in strays)  # type: ignore[union-attr]


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


def test_a_malformed_deliver_sm_is_refused_reported_and_the_link_lives_on() -> None:
    session, _ = make()
    reported: list[ProtocolError] = []
    session.on_malformed = reported.append
    session.feed(w.encode_pdu(w.DELIVER_SM, 0, 8, b"\x00\x01\x01no-nul"))
    assert w.FrameSplitter().feed(session.output()) == [
        (w.DELIVER_SM_RESP, w.ESME_RX_P_APPN, 8, b"\0")
    ]
    assert session.stats.malformed == 1 and session.state == LinkState.BOUND
    assert len(reported) == 1 and "NUL" in str(reported[0])


@pytest.mark.parametrize(
    "text",
    [b"id:42 stat:DELIVRD err:\xb2", b"id:42 stat:DELIVRD err:" + b"9" * 5000],
    ids=["superscript err", "5000-digit err"],
)
def test_an_unreadable_receipt_is_answered_reported_and_sending_goes_on(text: bytes) -> None:
    session, _ = make()
    reported: list[ProtocolError] = []
    session.on_malformed = reported.append
    (ticket,) = queue(session, sms(1))
    ((sequence, _),) = submits(session)
    sm = ShortMessage(
        source_addr="79990000001",
        esm_class=4,
        data_coding=3,
        tlvs=((TAG_MESSAGE_PAYLOAD, text),),
    )
    assert deliver(session, sm, sequence=77) == [(w.DELIVER_SM_RESP, w.ESME_RX_P_APPN, 77, b"\0")]
    assert len(reported) == 1 and isinstance(reported[0], ProtocolError)
    answer(session, sequence, message_id="42")
    assert ticket.outcome is not None and not isinstance(ticket.outcome, Exception)
    assert session.state is LinkState.BOUND and list(session.receipts) == []


def test_a_failing_malformed_hook_does_not_break_the_session() -> None:
    session, _ = make()

    def broken(error: ProtocolError) -> None:
        raise RuntimeError("user bug")

    session.on_malformed = broken
    session.feed(w.encode_pdu(w.DELIVER_SM, 0, 8, b"\x00"))
    assert w.FrameSplitter().feed(session.output())[0][1] == w.ESME_RX_P_APPN


def test_events_nobody_reads_are_bounded() -> None:
    session, _ = make(receipt_buffer=3)
    for n in range(5):
        deliver(session, ShortMessage(source_addr="7999", short_message=b"%d" % n), 700 + n)
    assert [m.text for m in session.incoming] == ["2", "3", "4"]
    assert session.stats.dropped_events == 2


# -- early receipts are acknowledged, so they must reach the user (issue 11) ------------


def test_an_early_receipt_is_released_once_nothing_it_could_belong_to_is_unanswered() -> None:
    session, _ = make()
    queue(session, sms(1))
    ((sequence, _),) = submits(session)
    assert deliver(session, receipt("old-7"))[0][:2] == (w.DELIVER_SM_RESP, 0)
    assert list(session.receipts) == [] and session.deliveries.early == 1
    answer(session, sequence, message_id="42")  # the window is empty now
    assert [r.id for r in session.receipts] == ["old-7"]
    assert session.deliveries.early == 0


def test_early_receipts_reach_the_user_when_the_link_drops() -> None:
    session, _ = make()
    heard: list[object] = []
    session.on_receipt = heard.append
    queue(session, sms(1))
    submits(session)
    deliver(session, receipt("43"), sequence=80)
    session.link_lost(ConnectError("cut"))
    assert [r.id for r in session.receipts] == ["43"] and len(heard) == 1


def test_every_early_receipt_for_one_id_is_kept() -> None:
    session, _ = make()
    queue(session, sms(1))
    ((sequence, _),) = submits(session)
    deliver(session, receipt("42", state=5), sequence=80)  # two receipts, one id
    deliver(session, receipt("42"), sequence=81)
    answer(session, sequence, message_id="42")
    assert [r.status for r in session.receipts] == [
        MessageStatus.UNABLE_TO_DELIVER,
        MessageStatus.DELIVERED,
    ]


def test_finishing_hands_on_early_receipts_and_incomplete_incoming_messages() -> None:
    session, _ = make()
    queue(session, sms(1))
    submits(session)
    deliver(session, receipt("44"), sequence=80)
    content = text_content("часть " * 40, long_mode="udh", reference=3)
    short_message, _ = content.segments[0]
    first_part = ShortMessage(
        source_addr="79991112233",
        esm_class=content.esm_class,
        data_coding=content.data_coding,
        short_message=short_message,
    )
    deliver(session, first_part, sequence=81)
    assert list(session.receipts) == [] and list(session.incoming) == []
    session.finish()
    assert [r.id for r in session.receipts] == ["44"]
    (partial,) = session.incoming
    assert partial.phone == "79991112233" and partial.text.startswith("часть")
