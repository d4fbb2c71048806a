"""What the SMPP transports report to an observer, on real loopback links (both faces)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from smsc_transports import Message, create_async_transport, create_transport
from smsc_transports.emulator import ManualClock
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from smsc_transports.observe import OK, Link, OperationBatch, Tally, combine
from smsc_transports.wire.smpp import pdu as w
from tests.backends.smpp.conftest import smpp_url
from tests.backends.smpp.faces import FACES, Run, run_face
from tests.backends.smpp.servers import Peer, ScriptedServer
from tests.backends.smpp.test_hardening import answer, drain, receipt_pdu
from tests.observers import Recorder

PHONE = "79990000001"
REFUSED = "79990004007"  # the emulator's invalid number
RECEIPT_DELAY = 0.2  # seconds between the answer and the receipt of the scripted SMSC


@pytest.mark.parametrize("face", FACES)
def test_each_message_its_outcome_latency_bytes_receipt_and_the_window(
    face: str, front: SmppFrontEnd, clock: ManualClock
) -> None:
    recorder = Recorder()
    messages = [Message(PHONE, f"observed {n}") for n in range(12)]
    messages[5] = Message(REFUSED, "refused")
    loads = []

    def receipts_in(run: Run) -> bool:
        loads.append(recorder.watched[0][1]())
        clock.advance(5)
        return len(recorder.receipts) >= 11

    run = run_face(
        face, smpp_url(front.port, window="8"), messages, linger=receipts_in, observer=recorder
    )
    ops = recorder.operations
    assert len(ops) == 12 and len(run.outcomes) == 12
    assert sorted(recorder.outcomes()) == ["InvalidPhone"] + [OK] * 11
    refused = next(op for op in ops if not op.ok)
    assert (refused.error_code, refused.id, refused.phone) == (7, None, "*******4007")
    accepted = {op.id for op in ops if op.ok}
    assert accepted == {o.result.id for o in run.outcomes if o.result is not None}
    for op in ops:
        assert (op.protocol, op.operation, op.messages) == ("smpp", "send", 1)
        assert 0 <= op.duration < 5
        assert op.bytes_sent > len("observed 0") + 16
        assert op.bytes_received == (17 + len(op.id or "") if op.ok else 16)
    matched = [r for r in recorder.receipts if r.matched]
    assert len(matched) == 11
    assert all(r.latency is not None and 0 < r.latency < 5 for r in matched)
    assert recorder.changes() == [Link.CONNECTED]
    # The window gauge: read while the link was up, given back at close.
    [(protocol, load)] = recorder.watched
    assert protocol == "smpp" and recorder.unwatched == [load]
    # No throttling in this run: the window stays the configured 8.
    assert loads and all(x.window == 8 and x.in_flight == 0 and x.queued == 0 for x in loads)


def answers_one_then_drops(peer: Peer) -> None:
    if not peer.bind():
        return
    frame = peer.read()
    assert frame is not None
    peer.send(answer(frame, "1"))
    peer.conn.close()  # the link drops for real: the client must bind again


@pytest.mark.parametrize("face", FACES)
def test_a_dropped_link_reports_the_drop_and_the_reconnect(face: str) -> None:
    recorder = Recorder()
    with ScriptedServer([answers_one_then_drops]) as server:
        run_face(
            face,
            smpp_url(server.port),
            [Message(PHONE, "before the drop")],
            linger=lambda run: Link.RECONNECTED in recorder.changes(),
            observer=recorder,
        )
        assert server.connections >= 2
    changes = recorder.changes()
    assert changes[:3] == [Link.CONNECTED, Link.DROPPED, Link.RECONNECTED]
    dropped = recorder.links[1]
    assert dropped.error == "ConnectError"
    assert recorder.outcomes() == [OK]


def throttles_the_first_submit(peer: Peer) -> None:
    if not peer.bind():
        return
    frame = peer.read()
    assert frame is not None and frame[0] == w.SUBMIT_SM
    peer.answer(frame, status=w.ESME_RTHROTTLED)
    drain(peer)


@pytest.mark.parametrize("face", FACES)
def test_throttling_reports_the_back_off_and_the_message_still_goes(face: str) -> None:
    recorder = Recorder()
    with ScriptedServer([throttles_the_first_submit]) as server:
        run = run_face(
            face,
            smpp_url(server.port, throttle_delay="0.05"),
            [Message(PHONE, "throttled once")],
            observer=recorder,
        )
        assert server.connections == 1
    assert [o.ok for o in run.outcomes] == [True]
    assert recorder.outcomes() == [OK]
    throttled = [e for e in recorder.links if e.change is Link.THROTTLED]
    assert len(throttled) == 1 and 0 < throttled[0].pause <= 0.05 + 1e-9
    assert throttled[0].error  # the class of SMSC's throttling refusal
    # The one message waited out the pause: its latency covers it.
    assert recorder.operations[0].duration >= 0.04


def answers_then_sends_two_receipts(peer: Peer) -> None:
    if not peer.bind():
        return
    frame = peer.read()
    assert frame is not None
    peer.send(answer(frame, "1"))
    time.sleep(RECEIPT_DELAY)  # the receipt's latency must cover this
    peer.send(receipt_pdu(900, "1") + receipt_pdu(901, "not-ours-9"))
    drain(peer)


@pytest.mark.parametrize("face", FACES)
def test_receipts_are_told_matched_or_unmatched(face: str) -> None:
    recorder = Recorder()
    with ScriptedServer([answers_then_sends_two_receipts]) as server:
        run_face(
            face,
            smpp_url(server.port),
            [Message(PHONE, "one")],
            linger=lambda run: len(recorder.receipts) >= 2,
            observer=recorder,
        )
    by_match = {r.matched: r for r in recorder.receipts}
    assert set(by_match) == {True, False}
    latency = by_match[True].latency
    assert latency is not None and RECEIPT_DELAY <= latency < 5
    assert by_match[False].latency is None
    assert by_match[True].status == "DELIVERED"


@pytest.mark.parametrize("face", FACES)
def test_a_status_asked_with_query_sm_is_reported(face: str, front: SmppFrontEnd) -> None:
    recorder = Recorder()
    url = smpp_url(front.port)

    def sync() -> str:
        with create_transport(url, observer=recorder) as transport:
            sent = transport.send(Message(PHONE, "asked about"))
            transport.status(sent.id, PHONE)
            return sent.id

    async def asynchronous() -> str:
        async with create_async_transport(url, observer=recorder) as transport:
            sent = await transport.send(Message(PHONE, "asked about"))
            await transport.status(sent.id, PHONE)
            return sent.id

    sent_id = sync() if face == "sync" else asyncio.run(asynchronous())
    send, status = recorder.operations
    assert (send.operation, status.operation) == ("send", "status")
    assert (status.protocol, status.outcome, status.id) == ("smpp", OK, sent_id)
    assert 0 < status.duration < 5 and status.bytes_sent > 16 and status.bytes_received > 16


class Batches(Recorder):
    """Takes SMPP sends as batches (never building their events), the rest one by one."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[OperationBatch] = []

    def operation_batch(self, batch: OperationBatch) -> None:
        with self.lock:
            self.batches.append(batch)


@pytest.mark.parametrize("face", FACES)
def test_batches_sum_what_the_events_say_and_tally_counts_the_same(
    face: str, front: SmppFrontEnd
) -> None:
    per_message, batched, tally = Recorder(), Batches(), Tally()
    messages = [Message(PHONE, f"batched {n}") for n in range(40)]
    messages[7] = messages[30] = Message(REFUSED, "refused")
    messages[12] = Message([PHONE, "79990000002"], "two phones " * 20)  # split, two phones
    run_face(
        face,
        smpp_url(front.port, window="16"),
        messages,
        observer=combine(per_message, batched, tally),
    )
    events = per_message.operations
    assert len(events) == 40 and not batched.operations  # every send came in a batch
    assert sum(len(b) for b in batched.batches) == 40
    assert len(batched.batches) < 40  # answers read together are reported together
    outcomes: Counter[tuple[str, int | None]] = Counter()
    for batch in batched.batches:
        assert (batch.protocol, batch.operation) == ("smpp", "send")
        outcomes.update(batch.outcomes)
    assert outcomes == Counter((e.outcome, e.error_code) for e in events)
    assert outcomes[("InvalidPhone", 7)] == 2 and outcomes[(OK, None)] == 38
    assert sum(b.bytes_sent for b in batched.batches) == sum(e.bytes_sent for e in events)
    assert sum(b.bytes_received for b in batched.batches) == sum(e.bytes_received for e in events)
    durations = sorted(d for b in batched.batches for d in b.durations)
    assert durations == sorted(e.duration for e in events)
    # A batch's own events are the per-message ones, ids and masked phones included.
    assert [e for b in batched.batches for e in b.events()] == events
    assert tally.count(outcome=OK, operation="send") == 38
    assert tally.count(outcome="InvalidPhone") == 2 and tally.error_codes[7] == 2
    assert tally.bytes_sent == sum(e.bytes_sent for e in events)
    assert tally.seconds == pytest.approx(sum(durations))
