"""The Prometheus adapter: real transports against the emulator, the registry read back."""

from __future__ import annotations

from functools import partial

import pytest
from prometheus_client import CollectorRegistry

from smsc_transports import InvalidPhone, Message, create_transport
from smsc_transports.contrib.prometheus import PrometheusObserver
from smsc_transports.emulator import Emulator, ManualClock
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from smsc_transports.observe import Link, LinkEvent, OperationEvent, ReceiptEvent


def test_requests_outcomes_durations_bytes_and_gauges_are_exported(emulator: Emulator) -> None:
    registry = CollectorRegistry()
    observer = PrometheusObserver(registry)
    value = registry.get_sample_value
    with create_transport(emulator.url(), observer=observer) as transport:
        transport.send(Message("79990000001", "one"))
        with pytest.raises(InvalidPhone):
            transport.send(Message("79990004007", "refused"))
        list(transport.send_many(Message(f"7999000000{n}", "same") for n in range(1, 4)))
        assert value("smsc_window", {"protocol": "https"}) == 4
        assert value("smsc_in_flight", {"protocol": "https"}) == 0
    ok = {"protocol": "https", "operation": "send", "outcome": "ok"}
    assert value("smsc_requests_total", ok) == 2
    assert value("smsc_messages_total", ok) == 4
    refused = {**ok, "outcome": "InvalidPhone"}
    assert value("smsc_requests_total", refused) == 1
    timed = {"protocol": "https", "operation": "send"}
    assert value("smsc_request_duration_seconds_count", timed) == 3
    assert (value("smsc_request_duration_seconds_sum", timed) or 0) > 0
    assert (value("smsc_sent_bytes_total", {"protocol": "https"}) or 0) > 100
    assert (value("smsc_received_bytes_total", {"protocol": "https"}) or 0) > 10
    # Closed: the transport's gauges are gone.
    assert value("smsc_window", {"protocol": "https"}) is None


def test_receipts_and_link_events_use_conventional_names() -> None:
    registry = CollectorRegistry()
    observer = PrometheusObserver(registry, namespace="sms")
    observer.receipt(ReceiptEvent("smpp", True, 2.5, "DELIVERED"))
    observer.receipt(ReceiptEvent("smpp", False, None, "DELIVERED"))
    observer.link(LinkEvent("smpp", Link.THROTTLED, "RateLimited", 0.4))
    observer.link(LinkEvent("smpp", Link.RECONNECTED))
    value = registry.get_sample_value
    assert value("sms_receipts_total", {"protocol": "smpp", "matched": "true"}) == 1
    assert value("sms_receipts_total", {"protocol": "smpp", "matched": "false"}) == 1
    assert value("sms_receipt_latency_seconds_sum", {"protocol": "smpp"}) == 2.5
    assert value("sms_link_events_total", {"protocol": "smpp", "event": "reconnected"}) == 1
    assert value("sms_backoff_seconds_total", {"protocol": "smpp"}) == 0.4


def test_smpp_batches_fill_the_same_counters_and_histogram(manual_clock: ManualClock) -> None:
    registry = CollectorRegistry()
    value = registry.get_sample_value
    messages = [Message(f"7999000{n:04d}", "batch") for n in range(30)]
    messages[3] = Message("79990004007", "refused")
    with (
        Emulator(clock=manual_clock, front_ends=[partial(SmppFrontEnd, port=0)]) as emulator,
        create_transport(
            emulator.url("smpp") + "?window=8", observer=PrometheusObserver(registry)
        ) as transport,
    ):
        outcomes = list(transport.send_many(messages))
    assert sum(o.ok for o in outcomes) == 29
    ok = {"protocol": "smpp", "operation": "send", "outcome": "ok"}
    assert value("smsc_requests_total", ok) == 29
    assert value("smsc_messages_total", ok) == 29
    assert value("smsc_requests_total", {**ok, "outcome": "InvalidPhone"}) == 1
    timed = {"protocol": "smpp", "operation": "send"}
    assert value("smsc_request_duration_seconds_count", timed) == 30
    assert value("smsc_request_duration_seconds_bucket", {**timed, "le": "+Inf"}) == 30
    assert (value("smsc_sent_bytes_total", {"protocol": "smpp"}) or 0) > 30 * (16 + 5)


def test_the_histogram_counts_a_bound_in_its_own_bucket_like_prometheus_client() -> None:
    registry = CollectorRegistry()
    observer = PrometheusObserver(registry)
    for seconds in (0.005, 0.0051, 30.0, 31.0, 0.0):
        observer.operation(OperationEvent("https", "send", "ok", seconds))
    value = registry.get_sample_value
    timed = {"protocol": "https", "operation": "send"}
    assert value("smsc_request_duration_seconds_bucket", {**timed, "le": "0.005"}) == 2
    assert value("smsc_request_duration_seconds_bucket", {**timed, "le": "0.01"}) == 3
    assert value("smsc_request_duration_seconds_bucket", {**timed, "le": "30.0"}) == 4
    assert value("smsc_request_duration_seconds_bucket", {**timed, "le": "+Inf"}) == 5
    assert value("smsc_request_duration_seconds_count", timed) == 5
    assert value("smsc_request_duration_seconds_sum", timed) == pytest.approx(61.0101)
