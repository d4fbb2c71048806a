"""The adaptive window: throttling halves it, accepted answers grow it back."""

from __future__ import annotations

from smsc_transports.wire.smpp import pdu as w
from tests.wire.smpp.session.kit import answer, make, queue, sms, submits


def test_throttling_halves_the_window_and_answers_grow_it_back() -> None:
    session, clock = make(window=16, throttle_delay=0.01)
    queue(session, *(sms(n) for n in range(200)))
    written = submits(session)
    assert len(written) == 16
    for sequence, _ in written:
        answer(session, sequence, status=w.ESME_RTHROTTLED)
    assert session.window.allowed == 8  # one throttling event, however many refusals
    clock.now += 1
    for _ in range(20):
        for sequence, _ in submits(session):
            answer(session, sequence)
    assert session.window.allowed == 16
