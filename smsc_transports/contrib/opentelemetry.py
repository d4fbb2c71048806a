"""OpenTelemetry metrics and spans for every transport: :class:`OpenTelemetryObserver`.

Needs the ``otel`` extra (``pip install "smsc-transports[otel]"``, which installs
``opentelemetry-api``; the application configures the SDK and its exporters)::

    from smsc_transports import create_transport
    from smsc_transports.contrib.opentelemetry import OpenTelemetryObserver

    transport = create_transport(url, observer=OpenTelemetryObserver())

Metrics (instrument names follow OpenTelemetry's dotted style; units in UCUM; the
counters are observable counters, read when the SDK collects):
``smsc.requests`` and ``smsc.messages`` (counters; attributes ``smsc.protocol``,
``smsc.operation``, ``smsc.outcome``), ``smsc.request.duration`` (histogram, ``s``),
``smsc.sent_bytes`` / ``smsc.received_bytes`` (counters, ``By``), ``smsc.receipts``
(counter; ``smsc.matched``), ``smsc.receipt.latency`` (histogram, ``s``),
``smsc.link.events`` (counter; ``smsc.event``), ``smsc.backoff`` (counter, ``s``), and
the observable gauges ``smsc.in_flight``, ``smsc.window``, ``smsc.queued``.

Spans: one ``smsc <operation>`` span (``smsc send``, ``smsc status``, ``smsc cost``…)
per request to SMSC, kind CLIENT, from the request to its answer, with the attributes
``smsc.protocol``, ``smsc.operation``, ``smsc.outcome``, ``smsc.messages``, the
message id SMSC gave as ``smsc.message_id`` and the error code as ``smsc.error_code``;
the status is ERROR when the request failed. A span never carries a phone, a text or a
credential. The span is recorded when the answer is read, with its real start time, in
the thread that read it: a request the sync HTTP or SOAP transport makes in the
caller's thread (``send``, ``status``, ``cost``, ``balance``…) is a child of the span
current there; requests made on worker threads (``send_many``, the async faces of HTTP
and SOAP) and SMPP messages (answered by the reader thread or the protocol callback)
give root spans.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from smsc_transports.observe import (
    LinkEvent,
    Load,
    Observer,
    OperationBatch,
    OperationEvent,
    ReceiptEvent,
    Watched,
)

try:
    from opentelemetry import metrics, trace
    from opentelemetry.metrics import CallbackOptions, Observation
except ImportError as exc:  # tests/contrib/test_missing_extras.py
    raise ImportError(
        "smsc_transports.contrib.opentelemetry needs opentelemetry-api: "
        'pip install "smsc-transports[otel]"'
    ) from exc

__all__ = ["OpenTelemetryObserver"]

_SCOPE = "smsc_transports"


class OpenTelemetryObserver(Observer):
    """An :class:`~smsc_transports.observe.Observer` that records OpenTelemetry metrics
    and spans, from the given providers or the global ones.

    The counters are observable: the observer adds up in plain Python and the SDK reads
    the totals when it collects, because an SDK measurement costs tens of microseconds
    and an SMPP transport finishes tens of thousands of messages a second. The two
    histograms record each value (one SDK measurement per request or receipt).
    """

    def __init__(
        self,
        *,
        meter_provider: metrics.MeterProvider | None = None,
        tracer_provider: trace.TracerProvider | None = None,
        spans: bool = True,
    ) -> None:
        meter = metrics.get_meter(_SCOPE, meter_provider=meter_provider)
        self.tracer = trace.get_tracer(_SCOPE, tracer_provider=tracer_provider) if spans else None
        self._lock = threading.Lock()
        # Totals by instrument, then by attribute values; read by the SDK's callbacks.
        self._totals: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
        for name, unit, text in (
            ("smsc.requests", "{request}", "Requests to SMSC."),
            ("smsc.messages", "{message}", "Messages the requests carried."),
            ("smsc.sent_bytes", "By", "Bytes of requests."),
            ("smsc.received_bytes", "By", "Bytes of answers."),
            ("smsc.receipts", "{receipt}", "Delivery receipts."),
            ("smsc.link.events", "{event}", "Connections made, made again, lost; back-offs."),
            ("smsc.backoff", "s", "Seconds of throttling pause."),
        ):
            self._totals[name] = {}
            meter.create_observable_counter(name, [self._counter(name)], unit, text)
        self.duration = meter.create_histogram(
            "smsc.request.duration", "s", "Seconds from request to SMSC's answer."
        )
        self.receipt_latency = meter.create_histogram(
            "smsc.receipt.latency", "s", "Seconds from acceptance to the delivery receipt."
        )
        self._duration_attributes: dict[tuple[str, str], dict[str, str]] = {}
        self._watched = Watched()
        for name, field, text in (
            ("smsc.in_flight", "in_flight", "Requests sent and not yet answered."),
            ("smsc.window", "window", "Requests that may be in flight at once."),
            ("smsc.queued", "queued", "Messages waiting for room in the window."),
        ):
            meter.create_observable_gauge(name, [self._gauge(field)], "{request}", text)

    def _add(self, name: str, key: tuple[tuple[str, str], ...], amount: float) -> None:
        totals = self._totals[name]
        totals[key] = totals.get(key, 0) + amount

    def _attributes(self, protocol: str, operation: str) -> dict[str, str]:
        timed = (protocol, operation)
        attributes = self._duration_attributes.get(timed)
        if attributes is None:
            attributes = {"smsc.protocol": protocol, "smsc.operation": operation}
            self._duration_attributes[timed] = attributes
        return attributes

    def operation(self, event: OperationEvent) -> None:
        """Count the request, record its duration and its span."""
        key = (
            ("smsc.protocol", event.protocol),
            ("smsc.operation", event.operation),
            ("smsc.outcome", event.outcome),
        )
        protocol = key[:1]
        with self._lock:
            self._add("smsc.requests", key, 1)
            self._add("smsc.messages", key, event.messages)
            if event.bytes_sent:
                self._add("smsc.sent_bytes", protocol, event.bytes_sent)
            if event.bytes_received:
                self._add("smsc.received_bytes", protocol, event.bytes_received)
        self.duration.record(event.duration, self._attributes(event.protocol, event.operation))
        if self.tracer is not None:
            self._span(event, dict(key))

    def operation_batch(self, batch: OperationBatch) -> None:
        """Count a batch's requests at once; record each duration (and span, if on)."""
        if not batch.durations:
            return
        protocol = (("smsc.protocol", batch.protocol),)
        with self._lock:
            for (outcome, _), n in batch.outcomes.items():
                key = (*protocol, ("smsc.operation", batch.operation), ("smsc.outcome", outcome))
                self._add("smsc.requests", key, n)
                self._add("smsc.messages", key, n)
            if batch.bytes_sent:
                self._add("smsc.sent_bytes", protocol, batch.bytes_sent)
            if batch.bytes_received:
                self._add("smsc.received_bytes", protocol, batch.bytes_received)
        attributes = self._attributes(batch.protocol, batch.operation)
        record = self.duration.record
        for duration in batch.durations:  # the SDK has no way to record many at once
            record(duration, attributes)
        if self.tracer is not None:
            for event in batch.events():
                self._span(event, {**attributes, "smsc.outcome": event.outcome})

    def _span(self, event: OperationEvent, attributes: dict[str, str]) -> None:
        assert self.tracer is not None
        end = time.time_ns()
        span = self.tracer.start_span(
            f"smsc {event.operation}",
            kind=trace.SpanKind.CLIENT,
            attributes={**attributes, "smsc.messages": event.messages},
            start_time=end - int(event.duration * 1e9),
        )
        if event.id is not None:
            span.set_attribute("smsc.message_id", event.id)
        if event.error_code is not None:
            span.set_attribute("smsc.error_code", event.error_code)
        if not event.ok:
            span.set_status(trace.Status(trace.StatusCode.ERROR, event.outcome))
        span.end(end_time=end)

    def receipt(self, event: ReceiptEvent) -> None:
        """Count the receipt and, if matched, record its latency."""
        matched = "true" if event.matched else "false"
        with self._lock:
            self._add("smsc.receipts", (("smsc.protocol", event.protocol),
                                        ("smsc.matched", matched)), 1)  # fmt: skip
        if event.latency is not None:
            self.receipt_latency.record(event.latency, {"smsc.protocol": event.protocol})

    def link(self, event: LinkEvent) -> None:
        """Count the connection change or back-off."""
        key = (("smsc.protocol", event.protocol), ("smsc.event", event.change.value))
        with self._lock:
            self._add("smsc.link.events", key, 1)
            if event.pause:
                self._add("smsc.backoff", key[:1], event.pause)

    def watch(self, protocol: str, load: Callable[[], Load]) -> None:
        """Read ``load`` whenever the gauges are collected, until :meth:`unwatch`."""
        self._watched.add(protocol, load)

    def unwatch(self, load: Callable[[], Load]) -> None:
        """Stop reading a closed transport's load."""
        self._watched.remove(load)

    def _counter(self, name: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            with self._lock:
                totals = list(self._totals[name].items())
            return [Observation(value, dict(key)) for key, value in totals]

        return observe

    def _gauge(self, field: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(options: CallbackOptions) -> Iterable[Observation]:
            totals = self._watched.totals()
            return [Observation(getattr(load, field), {"smsc.protocol": p})
                    for p, load in totals.items()]  # fmt: skip

        return observe
