"""The OpenTelemetry adapter: real transports, the SDK's in-memory reader and exporter."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from smsc_transports import InvalidPhone, Message, create_transport
from smsc_transports.contrib.opentelemetry import OpenTelemetryObserver
from smsc_transports.emulator import Emulator


def points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    assert data is not None
    found: dict[str, list[Any]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def test_a_span_per_call_with_the_id_and_metrics_with_units(emulator: Emulator) -> None:
    reader = InMemoryMetricReader()
    exporter = InMemorySpanExporter()
    tracing = TracerProvider()
    tracing.add_span_processor(SimpleSpanProcessor(exporter))
    observer = OpenTelemetryObserver(
        meter_provider=MeterProvider(metric_readers=[reader]), tracer_provider=tracing
    )
    with create_transport(emulator.url(), observer=observer) as transport:
        sent = transport.send(Message("79990000001", "one"))
        with pytest.raises(InvalidPhone):
            transport.send(Message("79990004007", "refused"))
        transport.status(sent.id, "79990000001")
        transport.cost(Message("79990000001", "price"))
        gauges = points(reader)
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["smsc send", "smsc send", "smsc status", "smsc cost"]
    first = spans[0].attributes or {}
    assert first["smsc.message_id"] == sent.id and first["smsc.outcome"] == "ok"
    assert spans[1].status.status_code is StatusCode.ERROR
    assert (spans[1].attributes or {})["smsc.error_code"] == 7
    for span in spans:
        assert span.end_time is not None and span.start_time is not None
        assert span.end_time >= span.start_time
        shown = " ".join(str(v) for v in (span.attributes or {}).values())
        assert "demo" not in shown and "79990000001" not in shown  # no secret, no phone
    found = points(reader)
    requests = {
        (p.attributes["smsc.operation"], p.attributes["smsc.outcome"]): p.value
        for p in found["smsc.requests"]
    }
    assert requests == {("send", "ok"): 1, ("send", "InvalidPhone"): 1, ("status", "ok"): 1,
                        ("cost", "ok"): 1}  # fmt: skip
    durations = {p.attributes["smsc.operation"]: p.count for p in found["smsc.request.duration"]}
    assert durations == {"send": 2, "status": 1, "cost": 1}
    assert [p.value for p in gauges["smsc.window"]] == [4]


def test_a_call_in_the_callers_thread_is_a_child_of_its_current_span(emulator: Emulator) -> None:
    exporter = InMemorySpanExporter()
    tracing = TracerProvider()
    tracing.add_span_processor(SimpleSpanProcessor(exporter))
    observer = OpenTelemetryObserver(
        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]),
        tracer_provider=tracing,
    )
    with create_transport(emulator.url(), observer=observer) as transport:
        with tracing.get_tracer("app").start_as_current_span("checkout"):
            transport.balance()
        transport.balance()
    inner, outer, alone = exporter.get_finished_spans()
    assert (inner.name, outer.name, alone.name) == ("smsc balance", "checkout", "smsc balance")
    assert inner.parent is not None and inner.parent.span_id == outer.context.span_id
    assert alone.parent is None
