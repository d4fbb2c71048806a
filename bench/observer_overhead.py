"""What observing costs: SMPP throughput with no observer, and with each observer, in one run.

    python bench/observer_overhead.py [--messages 50000] [--window 64] [--rounds 5]
                                      [--faces sync,async]

Method. The sink server of ``bench/smpp_throughput.py`` (its own process; answers every
submit_sm at once) takes ``send_many`` of one-part messages from our transport, which
here is the whole cost: SMPP is the protocol with the most events per second, so the
overhead measured here is the largest there is (an HTTP or SOAP request costs
milliseconds; an observer's microseconds vanish in it). Each face (threaded, asyncio)
runs ``--rounds`` rounds; a round runs every mode once, in turn, on a fresh transport:

* ``off``: no observer (the default);
* ``tally``: :class:`smsc_transports.observe.Tally`, the in-memory counter;
* ``per-event``: an observer that overrides only ``operation`` (and counts): SMPP
  hands it one ``OperationEvent`` per message, built from each batch — what an
  observer written before ``operation_batch`` existed costs;
* ``prometheus``: ``contrib.prometheus.PrometheusObserver`` on a private registry;
* ``otel``: ``contrib.opentelemetry.OpenTelemetryObserver`` with the SDK's meter
  provider (metrics only; spans off, as per-message spans are not what one runs at
  volume).

Modes whose library is not installed are skipped. Rounds interleave the modes so a
slow patch of the machine hurts them alike. The table gives each mode's median rate
and median CPU time per message (``time.process_time`` over the run: every thread of
the client process), each as a ratio to ``off``; on a shared machine the CPU figure
is the steadier of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable, Iterator

from smpp_throughput import _start_sink  # the sink server, in its own process

from smsc_transports import Message, create_async_transport, create_transport
from smsc_transports.observe import Observer, OperationEvent, Tally


class PerEvent(Observer):
    """Counts requests from ``operation`` alone: it gets one event per SMPP message."""

    def __init__(self) -> None:
        self.count = 0

    def operation(self, event: OperationEvent) -> None:
        self.count += event.messages


def observers() -> dict[str, Callable[[], Observer | None]]:
    """The modes to compare, those whose library is installed."""
    modes: dict[str, Callable[[], Observer | None]] = {
        "off": lambda: None,
        "tally": Tally,
        "per-event": PerEvent,
    }
    try:
        from prometheus_client import CollectorRegistry

        from smsc_transports.contrib.prometheus import PrometheusObserver

        modes["prometheus"] = lambda: PrometheusObserver(CollectorRegistry())
    except ImportError:
        pass
    try:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        from smsc_transports.contrib.opentelemetry import OpenTelemetryObserver

        def otel() -> Observer:
            provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
            return OpenTelemetryObserver(meter_provider=provider, spans=False)

        modes["otel"] = otel
    except ImportError:
        pass
    return modes


def messages(count: int) -> Iterator[Message]:
    for i in range(count):
        yield Message(f"7999{i:07d}", f"Your code is {i % 1_000_000:06d}", sender="Shop")


Figures = tuple[float, float]  # messages per second, CPU microseconds per message


def run_sync(url: str, count: int, observer: Observer | None) -> Figures:
    with create_transport(url, observer=observer) as transport:
        transport.connect()  # type: ignore[attr-defined]
        wall, cpu = time.perf_counter(), time.process_time()
        accepted = sum(outcome.ok for outcome in transport.send_many(messages(count)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert accepted == count, f"{accepted} of {count} accepted"
    return count / wall, 1e6 * cpu / count


def run_async(url: str, count: int, observer: Observer | None) -> Figures:
    async def main() -> Figures:
        transport = create_async_transport(url, observer=observer)
        await transport.connect()  # type: ignore[attr-defined]
        wall, cpu = time.perf_counter(), time.process_time()
        accepted = 0
        async for outcome in transport.send_many(messages(count)):
            accepted += outcome.ok
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await transport.aclose()
        assert accepted == count, f"{accepted} of {count} accepted"
        return count / wall, 1e6 * cpu / count

    return asyncio.run(main())


def main() -> None:
    """Run every face and mode; print the medians side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--faces", default="sync,async")
    args = parser.parse_args()
    modes = observers()
    sink, port = _start_sink(receipts=False)
    url = (
        f"smpp://bench:bench@127.0.0.1:{port}?window={args.window}"
        "&receipt_buffer=1000&receipt_store_size=100000"
    )
    faces = {"sync": run_sync, "async": run_async}
    try:
        print(f"python {sys.version.split()[0]}; {args.messages:,} one-part messages per run, "
              f"window {args.window}, {args.rounds} rounds, medians")  # fmt: skip
        print(f"{'face':<7}{'mode':<12}{'msgs/s':>10}{'rate vs off':>13}"
              f"{'µs CPU/msg':>12}{'CPU vs off':>12}")  # fmt: skip
        for face in args.faces.split(","):
            runs: dict[str, list[Figures]] = {mode: [] for mode in modes}
            for _ in range(args.rounds):
                for mode, make in modes.items():
                    runs[mode].append(faces[face](url, args.messages, make()))
            base_rate = statistics.median(r for r, _ in runs["off"])
            base_cpu = statistics.median(c for _, c in runs["off"])
            for mode, found in runs.items():
                rate = statistics.median(r for r, _ in found)
                cpu = statistics.median(c for _, c in found)
                print(f"{face:<7}{mode:<12}{rate:>10,.0f}{rate / base_rate:>13.3f}"
                      f"{cpu:>12.1f}{cpu / base_cpu:>12.3f}")  # fmt: skip
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
