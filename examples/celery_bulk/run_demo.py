"""Two Celery workers share a 10,000-message job against the local SMSC emulator.

::

    python run_demo.py                     # starts redis-server on a free port itself
    python run_demo.py --broker redis://127.0.0.1:6379/0 --messages 2000 --workers 3

It starts the emulator, the workers (``celery -A app worker``, one process each),
enqueues the job with ``send_bulk`` in chunks, waits for every chunk and then asks the
emulator what it sent: each phone exactly once, none missing. Exits 0 when so.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from smsc_transports import Message
from smsc_transports.emulator import Account, Emulator, Limits

HERE = Path(__file__).resolve().parent
NAMES = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers_ping(port: int) -> bool:
    """Whether a Redis server answers on ``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def local_redis(folder: Path) -> Iterator[str]:
    """Run ``redis-server`` on a free loopback port, no persistence; yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit(
            "redis-server is not installed: `apt-get install -y redis-server`, or use --broker"
        )
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(folder)]  # fmt: skip
    # A fixed command: the binary found on PATH and numbers chosen here.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + 15
        while not answers_ping(port):
            if time.monotonic() > deadline or process.poll() is not None:
                sys.exit("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def celery_workers(count: int, env: dict[str, str], logs: Path) -> Iterator[list[Path]]:
    """Start ``count`` workers of ``app`` (one process each); stop them on exit."""
    processes: list[subprocess.Popen[bytes]] = []
    files: list[Path] = []
    try:
        for name in NAMES[:count]:
            log = logs / f"{name}.log"
            command = [sys.executable, "-m", "celery", "-A", "app", "worker", "--pool=prefork",
                       "--concurrency=1", f"--hostname={name}@%h", "--without-gossip",
                       "--without-mingle", "--loglevel=WARNING"]  # fmt: skip
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(  # noqa: S603  # this Python's own celery, fixed arguments
                        command, cwd=HERE, env=env, stdout=out, stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )  # fmt: skip
            files.append(log)
        yield files
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # warm shutdown
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the worker and its pool process
                process.wait(10)


def wait_for_workers(app: Any, count: int, logs: list[Path], timeout: float = 60.0) -> None:
    """Return once ``count`` workers answer a ping; exit with their logs if they do not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=0.5) or []) >= count:
            return
    tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}" for log in logs)
    sys.exit(f"workers not ready within {timeout} s\n{tails}")


def run(args: argparse.Namespace, stack: ExitStack) -> bool:
    """Run the demo; return whether nothing was duplicated and nothing lost."""
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="celery_bulk-")))
    broker = args.broker or stack.enter_context(local_redis(folder))
    # Limits off (this is about volume) and duplicate detection off too, so that a
    # message sent twice would show twice in the emulator's history.
    rich = Account("demo", "demo", balance=Decimal("10000000"))
    emulator = stack.enter_context(Emulator([rich], limits=Limits.unlimited()))
    env = {**os.environ, "CELERY_BROKER_URL": broker, "SMSC_URL": emulator.url()}
    logs = stack.enter_context(celery_workers(args.workers, env, folder))

    os.environ["CELERY_BROKER_URL"] = broker
    example = importlib.import_module("app")  # this folder's app.py, now on the broker
    from smsc_transports.contrib.celery import send_bulk

    wait_for_workers(example.app, args.workers, logs)
    phones = [f"7915{n:07d}" for n in range(args.messages)]
    started = time.monotonic()
    job = send_bulk(
        example.app, (Message([p], f"Ваш заказ {p} готов") for p in phones), chunk=args.chunk
    )
    per_worker: Counter[str] = Counter()
    failed = 0
    for chunk in job.results(timeout=args.timeout):
        per_worker[chunk["worker"]] += len(chunk["outcomes"])
        failed += sum(not outcome["ok"] for outcome in chunk["outcomes"])
    elapsed = time.monotonic() - started

    history = emulator.state.history(emulator.state.account("demo"), cnt=2 * args.messages)
    sent = Counter(record.phone for record in history)
    duplicates = sum(n - 1 for n in sent.values())
    lost = len(set(phones) - set(sent))
    shares = ", ".join(f"{worker}: {n}" for worker, n in sorted(per_worker.items()))
    print(f"sent {job.messages} messages in {elapsed:.1f} s "
          f"({job.messages / elapsed:.0f}/s) with {args.workers} workers ({shares})")  # fmt: skip
    print(f"emulator history: {len(history)} messages, {len(sent)} phones, "
          f"{duplicates} duplicates, {lost} lost, {failed} failed")  # fmt: skip
    return duplicates == 0 and lost == 0 and failed == 0 and len(history) == args.messages


def main() -> int:
    """Parse the options, run the demo, return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=100, help="messages per task")
    parser.add_argument("--workers", type=int, default=2, choices=range(1, len(NAMES) + 1))
    parser.add_argument("--broker", help="a Redis URL; default: start redis-server here")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait in all")
    args = parser.parse_args()
    with ExitStack() as stack:
        ok = run(args, stack)
    print("OK: no duplicate, no loss" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
