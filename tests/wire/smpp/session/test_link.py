"""The sans-I/O session: window, correlation, throttling, outcomes, keepalive — no sockets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from smsc_transports.errors import (
    ConnectError,
    InvalidPhone,
    OutcomeUnknown,
    ProtocolError,
    RateLimited,
    UnknownAPIError,
    ValidationError,
)
from smsc_transports.results import SendResult
from smsc_transports.statuses import MessageStatus
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.session.link import LinkState
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.session.tickets import Pipeline
from tests.wire.smpp.session.kit import answer, make, queue, sms, submits


def test_no_more_than_the_window_is_ever_unanswered() -> None:
    session, _ = make(window=8)
    queue(session, *(sms(n) for n in range(20)))
    first = submits(session)
    assert len(first) == 8 and session.window.in_window == 8
    assert submits(session) == []
    for sequence, _ in first[:3]:
        answer(session, sequence)
    assert len(submits(session)) == 3


def test_sequence_numbers_are_unique_and_wrap_below_2_to_the_31() -> None:
    session, _ = make(window=4)
    session.window._sequence = w.MAX_SEQUENCE - 1
    queue(session, *(sms(n) for n in range(4)))
    assert [seq for seq, _ in submits(session)] == [w.MAX_SEQUENCE, 1, 2, 3]


def test_an_accepted_message_settles_with_the_smscs_id_and_is_tracked() -> None:
    session, _ = make()
    (ticket,) = queue(session, sms(1))
    ((sequence, _),) = submits(session)
    answer(session, sequence, message_id="A1F")
    assert isinstance(ticket.outcome, SendResult)
    assert (ticket.outcome.id, ticket.outcome.parts) == ("A1F", 1)
    track = session.store.lookup("a1f", "79990000001")
    assert track is not None and track.status is MessageStatus.WAITING
    assert session.window.finished == [ticket]


def test_an_error_status_becomes_the_matching_exception_with_the_status_kept() -> None:
    session, _ = make()
    (ticket,) = queue(session, sms(1))
    ((sequence, _),) = submits(session)
    answer(session, sequence, status=w.ESME_RINVDSTADR)
    assert isinstance(ticket.outcome, InvalidPhone)
    assert ticket.outcome.protocol_status == w.ESME_RINVDSTADR
    assert len(session.store) == 0


def test_throttling_pauses_and_resubmits_the_same_message_without_a_second_outcome() -> None:
    session, clock = make(throttle_delay=1.0)
    (ticket,) = queue(session, sms(1))
    ((sequence, body),) = submits(session)
    answer(session, sequence, status=w.ESME_RTHROTTLED)
    assert ticket.outcome is None and session.stats.throttled == 1
    assert submits(session) == []  # paused
    assert session.window.wakeup(clock.now) == pytest.approx(1.0)
    clock.now += 1.0
    ((again, resent),) = submits(session)
    assert resent == body and again != sequence
    answer(session, again)
    assert isinstance(ticket.outcome, SendResult)


def test_throttling_that_never_ends_becomes_rate_limited() -> None:
    session, clock = make(throttle_retries=2, throttle_delay=0.01)
    (ticket,) = queue(session, sms(1))
    for _ in range(3):
        clock.now += 10
        ((sequence, _),) = submits(session)
        answer(session, sequence, status=w.ESME_RMSGQFUL)
    assert isinstance(ticket.outcome, RateLimited)
    assert ticket.outcome.protocol_status == w.ESME_RMSGQFUL


def test_a_lost_link_makes_written_messages_unknown_and_keeps_unwritten_ones() -> None:
    session, _ = make(window=2)
    tickets = queue(session, sms(1), sms(2), sms(3))
    written = submits(session)
    answer(session, written[0][0])
    cause = ConnectError("cut")
    session.link_lost(cause)
    assert isinstance(tickets[0].outcome, SendResult)
    assert isinstance(tickets[1].outcome, OutcomeUnknown)
    assert tickets[1].outcome.__cause__ is cause
    assert tickets[2].outcome is None and len(session.window.unsent) == 1
    session2_bind = session.begin_bind()
    sequence = int.from_bytes(session2_bind[12:16], "big")
    session.feed(w.encode_bind_resp(w.BIND_TRANSCEIVER, 0, sequence, w.BindResponse("S")))
    ((again, _),) = submits(session)
    answer(session, again)
    assert isinstance(tickets[2].outcome, SendResult)


def test_unwritten_messages_fail_cleanly_when_the_link_is_down_for_good() -> None:
    session, _ = make()
    session.state = LinkState.CLOSED
    tickets = queue(session, sms(1))
    session.window.fail_unsent(ConnectError("gone"))
    assert isinstance(tickets[0].outcome, ConnectError)
    session.window.down_error = ConnectError("still gone")
    (late,) = queue(session, sms(2))
    assert late.outcome is session.window.down_error


def test_one_outcome_for_a_message_to_several_phones_with_per_phone_errors() -> None:
    session, _ = make()
    (ticket,) = queue(session, sms(1, ["79990000001", "79990000002", "79990000003"]))
    written = submits(session)
    answer(session, written[1][0], message_id="B")
    answer(session, written[0][0], message_id="A")
    answer(session, written[2][0], status=w.ESME_RINVDSTADR)
    result = ticket.outcome
    assert isinstance(result, SendResult)
    assert (result.id, result.parts) == ("A", 2)
    assert [(p.phone, p.error) for p in result.phones] == [
        ("79990000001", None),
        ("79990000002", None),
        ("79990000003", 7),
    ]
    track = session.store.lookup("A", "79990000002")  # the user holds A, not B
    assert track is not None and track.smpp_id == "B"


def test_unknown_wins_over_accepted_parts_of_the_same_message() -> None:
    session, _ = make()
    (ticket,) = queue(session, sms(1, ["79990000001", "79990000002"]))
    written = submits(session)
    answer(session, written[0][0], message_id="A")
    session.link_lost(ConnectError("cut"))
    assert isinstance(ticket.outcome, OutcomeUnknown)
    assert ticket.outcome.accepted_ids == ("A",)


def test_generic_nack_refuses_its_submit_and_a_nack_for_nothing_breaks_the_link() -> None:
    session, _ = make()
    (ticket,) = queue(session, sms(1))
    ((sequence, _),) = submits(session)
    session.feed(w.encode_pdu(w.GENERIC_NACK, w.ESME_RINVCMDLEN, sequence))
    assert isinstance(ticket.outcome, UnknownAPIError)
    with pytest.raises(ProtocolError, match="unknown sequence"):
        session.feed(w.encode_pdu(w.GENERIC_NACK, w.ESME_RINVCMDLEN, 0))


@pytest.mark.parametrize(
    "pdu",
    [
        w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, 999, "x"),
        w.encode_pdu(w.QUERY_SM_RESP, 0, 999),
        w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, 1, "x")[:-1] + b"x",
    ],
    ids=["unknown sequence", "unasked response", "id without NUL"],
)
def test_answers_that_cannot_be_ours_are_protocol_errors(pdu: bytes) -> None:
    session, _ = make()
    queue(session, sms(1))
    submits(session)
    with pytest.raises(ProtocolError):
        session.feed(pdu)


def test_the_smscs_requests_are_answered() -> None:
    session, _ = make()
    session.feed(w.encode_pdu(w.ENQUIRE_LINK, 0, 50) + w.encode_pdu(0x00000099, 0, 51))
    session.feed(w.encode_pdu(w.UNBIND, 0, 52))
    answers = w.FrameSplitter().feed(session.output())
    assert answers == [
        (w.ENQUIRE_LINK_RESP, 0, 50, b""),
        (w.GENERIC_NACK, w.ESME_RINVCMDID, 51, b""),
        (w.UNBIND_RESP, 0, 52, b""),
    ]
    assert session.peer_unbound


def test_after_the_smscs_unbind_only_its_answer_is_written_and_unwritten_ones_wait() -> None:
    # Issue 11: the window kept writing submit_sm after the unbind_resp, and those
    # messages then became unknown instead of going out on the next bind.
    session, _ = make(window=4)
    tickets = queue(session, *(sms(n) for n in range(10)))
    written = submits(session)
    answers = b"".join(
        w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, seq, f"id{seq}") for seq, _ in written
    )
    later = w.encode_pdu(w.ENQUIRE_LINK, 0, 61) + w.encode_pdu(w.DELIVER_SM, 0, 62, b"")
    session.feed(answers + w.encode_pdu(w.UNBIND, 0, 60) + later)
    assert w.FrameSplitter().feed(session.output()) == [(w.UNBIND_RESP, 0, 60, b"")]
    assert session.state is LinkState.UNBINDING and session.peer_unbound
    assert session.window.wakeup(0.0) is None
    query = session.query("id1", "")
    assert isinstance(query.result, ConnectError) and session.output() == b""
    session.link_lost(ConnectError("the SMSC unbound"))
    assert [t.outcome is None for t in tickets] == [False] * 4 + [True] * 6
    bind = session.begin_bind()
    session.feed(
        w.encode_bind_resp(
            w.BIND_TRANSCEIVER, 0, int.from_bytes(bind[12:16], "big"), w.BindResponse("S")
        )
    )
    assert len(submits(session)) == 4  # the next bind writes them


def test_an_unbind_during_the_bind_fails_the_bind() -> None:
    session, _ = make()
    session.link_lost(ConnectError("cut"))
    bind = session.begin_bind()
    sequence = int.from_bytes(bind[12:16], "big")
    session.feed(
        w.encode_pdu(w.UNBIND, 0, 70)
        + w.encode_bind_resp(w.BIND_TRANSCEIVER, 0, sequence, w.BindResponse("S"))
    )
    assert session.state is LinkState.UNBINDING
    assert isinstance(session.bind_error, ProtocolError)


def test_an_idle_link_is_probed_and_a_silent_one_is_given_up() -> None:
    session, clock = make(enquire_link_interval=30, response_timeout=10)
    clock.now += 31
    assert session.tick() is None
    ((command, _, sequence, _),) = w.FrameSplitter().feed(session.output())
    assert command == w.ENQUIRE_LINK
    clock.now += 5
    assert session.tick() is None
    clock.now += 6
    assert session.tick() == "no answer to enquire_link within 10 s"
    session.feed(w.encode_pdu(w.ENQUIRE_LINK_RESP, 0, sequence))
    assert session.tick() is None


def test_an_unanswered_submit_gives_the_link_up_after_the_response_timeout() -> None:
    session, clock = make(response_timeout=3)
    queue(session, sms(1))
    submits(session)
    clock.now += 4
    assert session.tick() == "no answer to submit_sm within 3 s"


def test_the_rate_limit_spaces_submits_out() -> None:
    session, clock = make(rate=10.0, window=64)
    queue(session, *(sms(n) for n in range(10)))
    assert len(submits(session)) == 1  # a burst of rate/10
    assert session.window.wakeup(clock.now) == pytest.approx(0.1)
    clock.now += 0.5
    assert len(submits(session)) == 1  # the bucket holds one tenth of a second
    clock.now += 0.1
    assert len(submits(session)) == 1


def test_a_fast_rate_limit_writes_in_batches_of_a_hundredth_of_a_second() -> None:
    session, clock = make(rate=500.0, window=64)
    queue(session, *(sms(n) for n in range(100)))
    assert len(submits(session)) == 50  # the bucket: a tenth of a second
    clock.now += 0.004
    assert submits(session) == []  # two tokens: not yet worth a write
    assert session.window.wakeup(clock.now) == pytest.approx(0.006)
    clock.now += 0.006
    assert len(submits(session)) == 5
    clock.now += 1
    assert len(submits(session)) == 9  # up to the window of 64
    assert session.window.wakeup(clock.now) is None  # now only answers help


def test_a_query_is_answered_with_the_state() -> None:
    session, _ = make()
    query = session.query("42", "Shop")
    ((command, _, sequence, body),) = w.FrameSplitter().feed(session.output())
    assert command == w.QUERY_SM
    assert w.decode_query_sm(body) == ("42", 5, 1, "Shop")
    session.feed(w.encode_query_sm_resp(0, sequence, w.QueryResponse("42", "", 1, 0)))
    assert query.result == w.QueryResponse("42", "", 1, 0)
    assert session.answered == [query]


def pipe_run(window: int, count: int) -> Iterator[int]:
    """Drive a Pipeline against a perfect server; yield the index of each outcome."""
    session, _ = make(window=window)
    pipe = Pipeline(session.window, window)
    source = iter(sms(n) for n in range(count))
    highest = 0
    while not pipe.finished:
        if pipe.wants_input():
            batch = [m for _, m in zip(range(pipe.batch()), source, strict=False)]
            pipe.exhausted = len(batch) < pipe.batch()
            for message in batch:
                ticket = pipe.add(message)
                if ticket is not None:
                    session.window.enqueue(ticket)
        highest = max(highest, len(pipe.pending))
        written = submits(session)
        for sequence, _ in reversed(written):  # answers in reverse order
            answer(session, sequence)
        for outcome in pipe.ready():
            yield outcome.index
    assert highest <= pipe.limit


def test_the_pipeline_yields_in_input_order_and_holds_a_bounded_number() -> None:
    assert list(pipe_run(window=4, count=2000)) == list(range(2000))


def test_options_are_checked() -> None:
    base = SmppOptions(host="h", port=1, login="l", password="p")
    with pytest.raises(ValueError, match="window"):
        replace(base, window=0)


def test_a_request_that_cannot_be_encoded_leaves_nothing_waiting_for_an_answer() -> None:
    # A query or cancel whose fields do not fit SMPP fails before it is written; before,
    # it stayed among the requests awaiting an answer that could never come, until the
    # response timeout dropped the link.
    session, _ = make()
    with pytest.raises(ValidationError):
        session.query("123", "Отправитель")
    with pytest.raises(ValidationError):
        session.cancel("123", "Shop", "7" * 30)
    with pytest.raises(ValidationError):
        session.replace("123", "Shop", b"x" * 300, "")
    assert session.window.outstanding == {}
    assert session.output() == b""
