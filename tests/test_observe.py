"""The observer interface itself: Tally, combine, and an observer that fails."""

from __future__ import annotations

import logging

import pytest

from smsc_transports import Message, create_transport
from smsc_transports.emulator import Emulator
from smsc_transports.observe import (
    OK,
    Link,
    LinkEvent,
    Load,
    LoggingObserver,
    Observer,
    OperationBatch,
    OperationEvent,
    ReceiptEvent,
    Tally,
    combine,
    error_fields,
)
from tests.observers import Recorder


def sent(outcome: str = OK, messages: int = 1, code: int | None = None) -> OperationEvent:
    return OperationEvent("smpp", "send", outcome, 0.25, messages, 100, 20, code)


def test_tally_counts_requests_messages_errors_and_reads_the_load() -> None:
    tally = Tally()
    for event in (sent(), sent(messages=3), sent("InvalidPhone", code=7), sent("RateLimited")):
        tally.operation(event)
    tally.link(LinkEvent("smpp", Link.RECONNECTED))
    tally.link(LinkEvent("smpp", Link.THROTTLED, "RateLimited", 0.5))
    tally.receipt(ReceiptEvent("smpp", True, 3.0, "DELIVERED"))
    tally.watch("smpp", lambda: Load(5, 64, 100))
    tally.watch("https", lambda: Load(1, 4, 0))
    assert tally.operations[("smpp", "send", OK)] == 2
    assert tally.count(outcome=OK) == 4 and tally.count() == 6
    assert tally.error_codes == {7: 1}
    assert (tally.bytes_sent, tally.seconds, tally.backoff) == (400, 1.0, 0.5)
    assert tally.load() == Load(6, 68, 100)
    line = tally.summary()
    assert "sent 4 " in line and "InvalidPhone 1" in line and "RateLimited 1" in line
    assert "in flight 6/68 · queued 100 · reconnects 1 · throttled 1" in line


def test_combine_hands_every_event_to_each_observer() -> None:
    first, second = Recorder(), Recorder()
    both = combine(first, second)
    both.operation(sent())
    both.link(LinkEvent("smtp", Link.DROPPED))
    both.watch("https", lambda: Load(0, 4, 0))
    assert [len(r.operations) + len(r.links) + len(r.watched) for r in (first, second)] == [3, 3]
    assert combine(first) is first


class Failing(Observer):
    def operation(self, event: OperationEvent) -> None:
        raise RuntimeError("the observer is broken")


def test_a_failing_observer_is_logged_and_costs_no_message(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.ERROR, "smsc_transports"),
        create_transport(emulator.url(), observer=Failing()) as transport,
    ):
        result = transport.send(Message("79990000001", "still sent"))
    assert result.id
    assert any("observer failed" in r.getMessage() for r in caplog.records)


def test_error_fields_prefer_smsc_code_then_the_smpp_status() -> None:
    from smsc_transports import InvalidPhone, RateLimited

    assert error_fields(None) == (OK, None)
    assert error_fields(InvalidPhone("x")) == ("InvalidPhone", 7)
    assert error_fields(RateLimited("x", protocol_status=0x58)) == ("RateLimited", 9)
    assert error_fields(ValueError("x")) == ("ValueError", None)


def _batch(outcomes: dict[tuple[str, int | None], int], built: list[int]) -> OperationBatch:
    events = [
        OperationEvent("smpp", "send", outcome, 0.01, error_code=code)
        for (outcome, code), n in outcomes.items()
        for _ in range(n)
    ]

    def build() -> list[OperationEvent]:
        built.append(len(events))
        return events

    batch = OperationBatch("smpp", "send", build)
    batch.outcomes.update(outcomes)
    batch.durations.extend(e.duration for e in events)
    return batch


def test_an_observer_of_operation_alone_hears_each_message_of_a_batch_once() -> None:
    heard: list[OperationEvent] = []

    class PerEvent(Observer):
        def operation(self, event: OperationEvent) -> None:
            heard.append(event)

    built: list[int] = []
    combine(PerEvent(), PerEvent()).operation_batch(
        _batch({(OK, None): 3, ("InvalidPhone", 7): 1}, built)
    )
    assert len(heard) == 8 and built == [4]  # built once, heard by both
    assert sorted(e.outcome for e in heard[:4]) == ["InvalidPhone", OK, OK, OK]


def test_the_logging_observer_builds_a_batch_s_events_only_to_log_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    observer = LoggingObserver(logging.getLogger("test.batches"))
    built: list[int] = []
    with caplog.at_level(logging.WARNING, "test.batches"):
        observer.operation_batch(_batch({(OK, None): 5}, built))
        assert built == []  # nothing to log at WARNING: no event built
        observer.operation_batch(_batch({(OK, None): 2, ("InvalidPhone", 7): 1}, built))
    assert built == [3]
    assert [r.smsc_error for r in caplog.records] == ["InvalidPhone"]  # type: ignore[attr-defined]
