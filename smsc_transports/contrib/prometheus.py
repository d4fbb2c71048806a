"""Prometheus metrics for every transport: :class:`PrometheusObserver`.

Needs the ``prometheus`` extra (``pip install "smsc-transports[prometheus]"``, which
installs ``prometheus_client``)::

    from smsc_transports import create_transport
    from smsc_transports.contrib.prometheus import PrometheusObserver

    observer = PrometheusObserver()            # registers on prometheus_client's REGISTRY
    transport = create_transport(url, observer=observer)

The metrics (``docs/operations.md`` has queries and alerts); labels never hold a phone,
an id or a secret, so their number stays small:

=====================================  =========  ======================================
name                                   type       labels
=====================================  =========  ======================================
``smsc_requests_total``                counter    protocol, operation, outcome
``smsc_messages_total``                counter    protocol, operation, outcome
``smsc_request_duration_seconds``      histogram  protocol, operation
``smsc_sent_bytes_total``              counter    protocol
``smsc_received_bytes_total``          counter    protocol
``smsc_receipts_total``                counter    protocol, matched
``smsc_receipt_latency_seconds``       histogram  protocol
``smsc_link_events_total``             counter    protocol, event
``smsc_backoff_seconds_total``         counter    protocol
``smsc_in_flight``                     gauge      protocol
``smsc_window``                        gauge      protocol
``smsc_queued``                        gauge      protocol
=====================================  =========  ======================================

``outcome`` is ``ok`` or an error class (``RateLimited``, ``OutcomeUnknown``…); ``event``
is ``connected``, ``reconnected``, ``dropped`` or ``throttled``. The gauges sum every
open transport of a protocol and are read when Prometheus scrapes.

SMPP hands over the messages each read settles as one batch
(:meth:`~smsc_transports.observe.Observer.operation_batch`): the counters move once per
batch, and the request-duration histogram is kept here (a bucket index per duration,
then one locked update per batch) and exported at scrape as an ordinary histogram,
because ``prometheus_client``'s ``Histogram.observe`` costs more than a microsecond —
about 5 % of what a whole SMPP message costs the client.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from typing import Any

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
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
    from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
    from prometheus_client.registry import Collector
except ImportError as exc:  # tests/contrib/test_missing_extras.py
    raise ImportError(
        "smsc_transports.contrib.prometheus needs prometheus_client: "
        'pip install "smsc-transports[prometheus]"'
    ) from exc

__all__ = ["LATENCY_BUCKETS", "RECEIPT_BUCKETS", "PrometheusObserver"]

# Seconds: an SMPP answer takes milliseconds, an HTTP request up to its 30 s timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds from acceptance to the delivery receipt: seconds to a day.
RECEIPT_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0)


class PrometheusObserver(Observer):
    """An :class:`~smsc_transports.observe.Observer` that keeps Prometheus metrics.

    ``registry`` defaults to ``prometheus_client``'s global one; ``namespace`` prefixes
    every name (``smsc``). One observer may serve any number of transports.
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, *, namespace: str = "smsc"
    ) -> None:
        registry = REGISTRY if registry is None else registry
        ns = namespace
        self.requests = Counter(
            "requests", "Requests to SMSC by outcome.", ["protocol", "operation", "outcome"],
            namespace=ns, registry=registry,
        )  # fmt: skip
        self.messages = Counter(
            "messages", "Messages the requests carried, by outcome.",
            ["protocol", "operation", "outcome"], namespace=ns, registry=registry,
        )  # fmt: skip
        self.duration = _Durations(
            f"{ns}_request_duration_seconds", "Seconds from request to SMSC's answer."
        )
        registry.register(self.duration)
        self.sent = Counter(
            "sent_bytes", "Bytes of requests.", ["protocol"], namespace=ns, registry=registry
        )
        self.received = Counter(
            "received_bytes", "Bytes of answers.", ["protocol"], namespace=ns, registry=registry
        )
        self.receipts = Counter(
            "receipts", "Delivery receipts, matched to a sent message or not.",
            ["protocol", "matched"], namespace=ns, registry=registry,
        )  # fmt: skip
        self.receipt_latency = Histogram(
            "receipt_latency_seconds", "Seconds from a message's acceptance to its receipt.",
            ["protocol"], namespace=ns, registry=registry, buckets=RECEIPT_BUCKETS,
        )  # fmt: skip
        self.links = Counter(
            "link_events", "Connections made, made again, lost; throttling back-offs.",
            ["protocol", "event"], namespace=ns, registry=registry,
        )  # fmt: skip
        self.backoff = Counter(
            "backoff_seconds", "Seconds of pause asked by SMSC's throttling.", ["protocol"],
            namespace=ns, registry=registry,
        )  # fmt: skip
        # The labelled children by label values: labels() takes a lock and builds a
        # tuple per call, too dear once per SMPP message.
        self._children: dict[tuple[str, str, str], tuple[Any, ...]] = {}
        self._loads = _Loads(ns)
        registry.register(self._loads)

    def _labelled(self, protocol: str, operation: str, outcome: str) -> tuple[Any, ...]:
        key = (protocol, operation, outcome)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(*key),
                self.messages.labels(*key),
                self.sent.labels(protocol),
                self.received.labels(protocol),
            )
        return children

    def operation(self, event: OperationEvent) -> None:
        """Count the request, its messages, bytes and duration."""
        requests, messages, sent, received = self._labelled(
            event.protocol, event.operation, event.outcome
        )
        requests.inc()
        messages.inc(event.messages)
        self.duration.observe(event.protocol, event.operation, (event.duration,))
        if event.bytes_sent:
            sent.inc(event.bytes_sent)
        if event.bytes_received:
            received.inc(event.bytes_received)

    def operation_batch(self, batch: OperationBatch) -> None:
        """Count a batch's requests by outcome, its bytes and every duration, at once."""
        if not batch.durations:
            return
        protocol, operation = batch.protocol, batch.operation
        counted: dict[str, int] = {}
        for (outcome, _), n in batch.outcomes.items():
            counted[outcome] = counted.get(outcome, 0) + n
        for outcome, n in counted.items():
            requests, messages, sent, received = self._labelled(protocol, operation, outcome)
            requests.inc(n)
            messages.inc(n)
        self.duration.observe(protocol, operation, batch.durations)
        # sent and received are the protocol's, whichever outcome looked them up last.
        if batch.bytes_sent:
            sent.inc(batch.bytes_sent)
        if batch.bytes_received:
            received.inc(batch.bytes_received)

    def receipt(self, event: ReceiptEvent) -> None:
        """Count the receipt and, if matched, its latency."""
        self.receipts.labels(event.protocol, "true" if event.matched else "false").inc()
        if event.latency is not None:
            self.receipt_latency.labels(event.protocol).observe(event.latency)

    def link(self, event: LinkEvent) -> None:
        """Count the connection change or back-off."""
        self.links.labels(event.protocol, event.change.value).inc()
        if event.pause:
            self.backoff.labels(event.protocol).inc(event.pause)

    def watch(self, protocol: str, load: Callable[[], Load]) -> None:
        """Read ``load`` at every scrape until :meth:`unwatch`."""
        self._loads.watched.add(protocol, load)

    def unwatch(self, load: Callable[[], Load]) -> None:
        """Stop reading a closed transport's load."""
        self._loads.watched.remove(load)


class _Durations(Collector):
    """The request-duration histogram, bucketed here and exported when scraped.

    The same samples as a ``prometheus_client`` histogram with labels ``protocol`` and
    ``operation`` and :data:`LATENCY_BUCKETS` (``_bucket`` with ``le``, ``_count``,
    ``_sum``), at a tenth of the cost per value.
    """

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self._lock = threading.Lock()
        # (protocol, operation) -> [count in each bucket, +Inf last], and the sum.
        self._counts: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = {}

    def observe(self, protocol: str, operation: str, durations: Iterable[float]) -> None:
        """Count each of ``durations`` (seconds) in its bucket."""
        key = (protocol, operation)
        with self._lock:
            counts = self._counts.get(key)
            if counts is None:
                counts = self._counts[key] = [0] * (len(LATENCY_BUCKETS) + 1)
                self._sums[key] = 0.0
            total = 0.0
            for duration in durations:
                # The first bound ≥ the duration, as Histogram.observe counts it.
                counts[bisect_left(LATENCY_BUCKETS, duration)] += 1
                total += duration
            self._sums[key] += total

    def collect(self) -> Iterator[Any]:
        family = HistogramMetricFamily(self.name, self.text, labels=["protocol", "operation"])
        with self._lock:
            rows = [(key, list(counts), self._sums[key]) for key, counts in self._counts.items()]
        bounds = [*map(str, LATENCY_BUCKETS), "+Inf"]
        for (protocol, operation), counts, total in rows:
            cumulative, buckets = 0, []
            for bound, n in zip(bounds, counts, strict=True):
                cumulative += n
                buckets.append((bound, cumulative))
            family.add_metric([protocol, operation], buckets, total)
        yield family

    def describe(self) -> Iterator[Any]:
        # Known without collecting: registering checks the name against the others.
        yield HistogramMetricFamily(self.name, self.text, labels=["protocol", "operation"])


class _Loads(Collector):
    """The gauges, read from the open transports when the registry is collected."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.watched = Watched()

    def collect(self) -> Iterator[Any]:
        totals = self.watched.totals()
        helps = (
            ("in_flight", "Requests sent and not yet answered."),
            ("window", "Requests that may be in flight at once (SMPP's window now)."),
            ("queued", "Messages waiting for room in the window."),
        )
        for column, (name, text) in enumerate(helps):
            family = GaugeMetricFamily(f"{self.namespace}_{name}", text, labels=["protocol"])
            for protocol, load in totals.items():
                family.add_metric([protocol], load[column])
            yield family
