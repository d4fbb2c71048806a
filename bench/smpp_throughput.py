"""SMPP throughput: our backend (threaded and asyncio) beside smpplib and aiosmpplib.

    python bench/smpp_throughput.py [--messages 100000] [--window 64] [--quick]
                                    [--clients ours-sync,ours-async,smpplib,aiosmpplib]
                                    [--memory]

Method. One sink server (below, in its own process) binds anyone and answers every
submit_sm at once, parsing headers only, so the server is not what is measured. Each
client runs alone in a fresh process against it: the same short texts to the same
numbers, ``--window`` submit_sm outstanding at most, receipts requested (the sink sends
them only for ``--memory``). A client's time runs from its first submit to its last
answer; CPU is ``time.process_time`` over the same span (every thread of the process);
memory is the process's peak RSS (``ru_maxrss``) and its growth over the run.

* ``ours-sync``: ``SmppTransport.send_many`` (reader thread), ``Message`` objects built
  lazily from a generator, as a caller would.
* ``ours-async``: ``AsyncSmppTransport.send_many`` on asyncio.
* ``smpplib``: as its users write it: ``Client.listen`` in a reader thread, the main
  thread calling ``send_message`` for each ``gsm.make_parts`` part, a semaphore of
  ``--window`` released in the ``message_sent_handler``.
* ``aiosmpplib``: ``ESME`` as shipped; messages go through its broker, a semaphore of
  ``--window`` is released by its hook on each submit_sm_resp. Its correlator keeps
  every accepted message and scans them all on each operation (quadratic time), so it
  runs on at most 10,000 messages.

``--memory`` runs ours-sync with receipts on at 100,000 and 1,000,000 messages (10,000
and 100,000 with ``--quick``) and prints both peaks: memory should not grow with volume.
``--store`` sets our ``receipt_store_size`` (100,000, or 5,000 with ``--quick`` so that
the store is full in both runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HEADER = struct.Struct(">IIII")
SUBMIT_SM, DELIVER_SM, ENQUIRE_LINK, UNBIND, RESPONSE = 4, 5, 0x15, 6, 0x80000000
LOGIN = PASSWORD = "bench"
STORE_VARIABLE = "SMPP_BENCH_RECEIPT_STORE"


# -- the sink server ------------------------------------------------------------------


def _receipt(message_id: bytes, sequence: int, phone: bytes) -> bytes:
    text = (
        b"id:" + message_id + b" sub:001 dlvrd:001 submit date:2401011200"
        b" done date:2401011200 stat:DELIVRD err:000 text:"
    )
    body = (
        b"\0\x01\x01" + phone + b"\0\x05\x01Bench\0\x04\x00\x00\0\0\x00\x00\x00\x00"
        + bytes((len(text),)) + text
        + struct.pack(">HH", 0x001E, len(message_id) + 1) + message_id + b"\0"
        + struct.pack(">HHB", 0x0427, 1, 2)
    )  # fmt: skip
    return HEADER.pack(16 + len(body), DELIVER_SM, 0, sequence) + body


def _destination(body: bytes) -> bytes:
    """destination_addr of a submit_sm body (the receipt's source_addr)."""
    position = body.index(b"\0") + 3  # service_type, then source TON and NPI
    position = body.index(b"\0", position) + 3  # source_addr, then destination TON, NPI
    return body[position : body.index(b"\0", position)]


class Sink(asyncio.Protocol):
    """One client connection to the sink: ack everything, at once."""

    def __init__(self, receipts: bool) -> None:
        self.receipts = receipts
        self.buffer = b""
        self.next_id = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        out: list[bytes] = []
        offset, size, close = 0, len(buffer), False
        while size - offset >= 16:
            length, command, _, sequence = HEADER.unpack_from(buffer, offset)
            if size - offset < length:
                break
            offset += max(length, 16)
            if command == SUBMIT_SM:
                self.next_id += 1
                message_id = b"%d" % self.next_id
                out.append(HEADER.pack(17 + len(message_id), SUBMIT_SM | RESPONSE, 0, sequence))
                out.append(message_id + b"\0")
                if self.receipts:
                    body = buffer[offset - length + 16 : offset]
                    out.append(_receipt(message_id, self.next_id, _destination(body)))
            elif command in (1, 2, 9):  # bind_receiver/transmitter/transceiver
                out.append(HEADER.pack(21, command | RESPONSE, 0, sequence) + b"sink\0")
            elif command in (ENQUIRE_LINK, UNBIND):
                out.append(HEADER.pack(16, command | RESPONSE, 0, sequence))
                close = command == UNBIND
        self.buffer = buffer[offset:]
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
        if close and self.transport is not None:
            self.transport.close()


async def serve(port_file: Path, receipts: bool) -> None:
    """Listen on a free loopback port, write it to ``port_file``, serve forever."""
    server = await asyncio.get_running_loop().create_server(lambda: Sink(receipts), "127.0.0.1", 0)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


# -- the clients ----------------------------------------------------------------------


def texts(count: int) -> Iterator[tuple[str, str]]:
    """(phone, text) pairs: one-part Latin notifications to distinct numbers."""
    for i in range(count):
        yield f"7999{i % 10_000_000:07d}", f"Your code is {i % 1_000_000:06d}"


def _our_url(port: int, window: int) -> str:
    # Receipts nobody iterates: a small queue. The store size comes from --store.
    store = os.environ.get(STORE_VARIABLE, "100000")
    options = f"window={window}&receipt_buffer=1000&receipt_store_size={store}"
    return f"smpp://{LOGIN}:{PASSWORD}@127.0.0.1:{port}?{options}"


def run_ours_sync(port: int, count: int, window: int) -> int:
    """Our threaded transport's ``send_many``; returns the accepted count."""
    from smsc_transports import Message, create_transport

    with create_transport(_our_url(port, window)) as transport:
        transport.connect()  # type: ignore[attr-defined]
        messages = (Message([phone], text, sender="Shop") for phone, text in texts(count))
        return sum(outcome.ok for outcome in transport.send_many(messages))


def run_ours_async(port: int, count: int, window: int) -> int:
    """Our asyncio transport's ``send_many``; returns the accepted count."""
    from smsc_transports import Message, create_async_transport

    async def main() -> int:
        transport = create_async_transport(_our_url(port, window))
        await transport.connect()  # type: ignore[attr-defined]
        messages = (Message([phone], text, sender="Shop") for phone, text in texts(count))
        accepted = 0
        async for outcome in transport.send_many(messages):
            accepted += outcome.ok
        await transport.aclose()
        return accepted

    return asyncio.run(main())


def run_smpplib(port: int, count: int, window: int) -> int:
    """smpplib as its README and users do it: a reader thread, pipelined sends."""
    import smpplib.client
    import smpplib.consts
    import smpplib.gsm

    client = smpplib.client.Client("127.0.0.1", port, allow_unknown_opt_params=True)
    slots = threading.Semaphore(window)
    done = threading.Event()
    accepted = 0

    def sent(pdu: Any, **kwargs: Any) -> None:
        nonlocal accepted
        accepted += 1
        slots.release()
        if accepted == count:
            done.set()

    client.set_message_sent_handler(sent)
    client.set_message_received_handler(lambda pdu, **kwargs: None)
    client.connect()
    client.bind_transceiver(system_id=LOGIN, password=PASSWORD)
    reader = threading.Thread(target=_listen, args=(client,), daemon=True)
    reader.start()
    for phone, text in texts(count):
        parts, coding, esm_class = smpplib.gsm.make_parts(text)
        for part in parts:
            slots.acquire()
            client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                source_addr="Shop",
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                destination_addr=phone,
                short_message=part,
                data_coding=coding,
                esm_class=esm_class,
                registered_delivery=True,
            )
    done.wait(timeout=600)
    return accepted


def _listen(client: Any) -> None:
    try:
        client.listen()
    except Exception:  # the socket closes under it at the end of the run
        return


def run_aiosmpplib(port: int, count: int, window: int) -> int:
    """aiosmpplib's ESME as shipped, its broker fed under a window kept by its hook."""
    import logging

    from aiosmpplib import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
        ESME,
        NPI,
        TON,
        AbstractHook,
        PhoneNumber,
        SubmitSm,
        SubmitSmResp,
    )

    async def main() -> int:
        slots = asyncio.Semaphore(window)
        done = asyncio.Event()
        accepted = 0

        class Hook(AbstractHook):  # type: ignore[misc,unused-ignore]
            async def sending(self, smpp_message: Any, pdu: bytes, client_id: str) -> None:
                return None

            async def received(self, smpp_message: Any, pdu: bytes, client_id: str) -> None:
                nonlocal accepted
                if isinstance(smpp_message, SubmitSmResp):
                    accepted += 1
                    slots.release()
                    if accepted == count:
                        done.set()

            async def send_error(self, smpp_message: Any, error: Exception, client_id: str) -> None:
                slots.release()

        esme = ESME("127.0.0.1", port, LOGIN, PASSWORD, hook=Hook(), log_level=logging.ERROR)
        runner = asyncio.create_task(esme.start())
        source = PhoneNumber("Shop", TON.ALPHANUMERIC, NPI.ISDN)
        for number, (phone, text) in enumerate(texts(count)):
            await slots.acquire()
            await esme.broker.enqueue(
                SubmitSm(
                    short_message=text,
                    source=source,
                    destination=PhoneNumber(phone, TON.INTERNATIONAL, NPI.ISDN),
                    log_id=str(number),
                )
            )
        await asyncio.wait_for(done.wait(), 600)
        await esme.stop()
        runner.cancel()
        return accepted

    return asyncio.run(main())


CLIENTS = {
    "ours-sync": run_ours_sync,
    "ours-async": run_ours_async,
    "smpplib": run_smpplib,
    "aiosmpplib": run_aiosmpplib,
}
# aiosmpplib's SimpleCorrelator keeps every accepted message for receipt correlation
# and scans all of them on each submit and each answer, so its time grows with the
# square of the count; it runs on at most this many messages so the benchmark ends.
QUADRATIC_CAP = {"aiosmpplib": 10_000}


def measure(name: str, port: int, count: int, window: int) -> dict[str, Any]:
    """Run one client in this process and return its figures."""
    before_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = time.perf_counter(), time.process_time()
    accepted = CLIENTS[name](port, count, window)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "client": name,
        "messages": count,
        "accepted": accepted,
        "seconds": wall,
        "rate": count / wall,
        "cpu": cpu,
        "peak_mb": peak / 1024,
        "growth_mb": (peak - before_rss) / 1024,
    }


# -- the driver -----------------------------------------------------------------------


def _start_sink(receipts: bool) -> tuple[subprocess.Popen[bytes], int]:
    port_file = Path(tempfile.mkstemp(prefix="smpp-sink-")[1])
    port_file.write_text("")
    argv = [sys.executable, __file__, "--serve", str(port_file)]
    sink = subprocess.Popen([*argv, *(["--receipts"] if receipts else [])])
    deadline = time.monotonic() + 10
    while not port_file.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    port = int(port_file.read_text())
    port_file.unlink()
    return sink, port


def _run_client(name: str, port: int, count: int, window: int) -> dict[str, Any] | None:
    argv = [sys.executable, __file__, "--client", name, "--port", str(port)]
    argv += ["--messages", str(count), "--window", str(window)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    except subprocess.TimeoutExpired:
        print(f"{name}: timed out", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(f"{name} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _table(rows: list[dict[str, Any]]) -> None:
    base = next((r for r in rows if r["client"] == "smpplib"), None)
    print(f"{'client':<14}{'messages':>10}{'msgs/s':>10}{'× smpplib':>11}{'CPU s':>8}"
          f"{'µs CPU/msg':>12}{'peak MB':>9}{'growth MB':>11}{'accepted':>10}")  # fmt: skip
    for row in rows:
        ratio = f"{row['rate'] / base['rate']:.2f}" if base else "-"
        per = 1e6 * row["cpu"] / row["messages"]
        print(f"{row['client']:<14}{row['messages']:>10,}{row['rate']:>10,.0f}{ratio:>11}{row['cpu']:>8.2f}{per:>12.1f}"
              f"{row['peak_mb']:>9.1f}{row['growth_mb']:>11.1f}{row['accepted']:>10,}")  # fmt: skip


def main() -> None:
    """Parse the command line; run the sink, a client, or the whole comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="10x fewer messages")
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--memory", action="store_true", help="memory at two volumes")
    parser.add_argument(
        "--store", type=int, help="our receipt_store_size (default 100000; 5000 with --quick)"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--receipts", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(Path(args.serve), args.receipts))
        return
    if args.client:
        print(json.dumps(measure(args.client, args.port, args.messages, args.window)))
        return
    count = args.messages // 10 if args.quick else args.messages
    store = args.store or (5000 if args.quick else 100_000)
    os.environ[STORE_VARIABLE] = str(store)  # the client processes inherit it
    sink, port = _start_sink(receipts=args.memory)
    try:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, window {args.window}")
        if args.memory:
            volumes = (count, count * 10)
            rows = [r for v in volumes if (r := _run_client("ours-sync", port, v, args.window))]
            print(
                f"memory with receipts on, ours-sync, {volumes[0]:,} vs {volumes[1]:,} messages,"
                f" receipt_store_size={store:,}"
            )
        else:
            rows = [
                r
                for name in args.clients.split(",")
                if (
                    r := _run_client(
                        name.strip(), port, min(count, QUADRATIC_CAP.get(name, count)), args.window
                    )
                )
            ]
            print(f"{count:,} one-part messages each")
        _table(rows)
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
