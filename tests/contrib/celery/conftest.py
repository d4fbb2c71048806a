"""Fixtures for the Celery tests: a Redis broker, a rich emulator, real worker processes.

* ``redis_server`` — one :class:`~tests.contrib.celery.redis_server.RedisServer` per session
  (installed with apt-get when missing; a clear failure, never a skip, when it cannot
  be);
* ``queue`` — a queue name of this test alone;
* ``workers`` — a :class:`Workers` that starts ``celery worker`` processes of
  ``tests.contrib.celery.worker_app`` on that Redis and queue, and stops them after the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import Celery  # type: ignore[import-untyped]

from tests.contrib.celery.redis_server import RedisServer, RedisUnavailable

ROOT = Path(__file__).resolve().parents[3]
WORKER_APP = "tests.contrib.celery.worker_app"
READY_TIMEOUT = 60.0


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A Redis server on a free loopback port for the whole session."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        server.start()
    except RedisUnavailable as exc:
        pytest.fail(f"the Celery tests need a Redis server: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def queue() -> str:
    """A queue used by this test only."""
    return f"smsc-test-{uuid.uuid4().hex[:10]}"


def producer(redis_server: RedisServer, queue: str) -> Any:
    """A Celery app that only enqueues and reads results: it registers no task."""
    app = Celery("producer", broker=redis_server.url(), backend=redis_server.url())
    app.conf.update(task_default_queue=queue, broker_connection_retry_on_startup=True)
    return app


@dataclass
class Worker:
    """One ``celery worker`` process and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, size: int = 4000) -> str:
        """The end of the worker's log."""
        return self.log.read_text(errors="replace")[-size:] if self.log.exists() else ""


class Workers:
    """Starts ``celery -A tests.contrib.celery.worker_app worker`` processes; stops them all."""

    def __init__(self, redis_server: RedisServer, queue: str, logs: Path) -> None:
        self.redis_server = redis_server
        self.queue = queue
        self.logs = logs
        self.started: dict[str, Worker] = {}

    def start(self, name: str, smsc_url: str, extra_env: Mapping[str, str] | None = None) -> Worker:
        """Start a prefork worker with one child process, named ``name@<host>``."""
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "SMSC_TEST_BROKER": self.redis_server.url(),
            "SMSC_TEST_QUEUE": self.queue,
            "SMSC_URL": smsc_url,
            **(extra_env or {}),
        }
        command = [sys.executable, "-m", "celery", "-A", WORKER_APP, "worker",
                   "--pool=prefork", "--concurrency=1", f"--hostname={name}@%h",
                   f"--queues={self.queue}", "--without-gossip", "--without-mingle",
                   "--loglevel=INFO"]  # fmt: skip
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            # Its own session: the worker and its pool child can be killed as a group.
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        worker = self.started[name] = Worker(name, process, log)
        return worker

    def wait_ready(self, app: Any) -> dict[str, str]:
        """Wait until every started worker answers a ping; return ``{name: hostname}``."""
        deadline = time.monotonic() + READY_TIMEOUT
        hostnames: dict[str, str] = {}
        while time.monotonic() < deadline:
            for worker in self.started.values():
                if worker.process.poll() is not None:
                    pytest.fail(f"worker {worker.name} exited early:\n{worker.log_tail()}")
            for reply in app.control.ping(timeout=0.5) or []:
                for hostname in reply:
                    hostnames[hostname.partition("@")[0]] = hostname
            if set(self.started) <= set(hostnames):
                return hostnames
        pytest.fail(f"workers not ready within {READY_TIMEOUT} s:\n{self.logs_text()}")

    def logs_text(self) -> str:
        """Every worker's log tail, for failure messages."""
        return "\n".join(f"--- {w.name}\n{w.log_tail()}" for w in self.started.values())

    def stop(self) -> None:
        """Stop every worker: a warm shutdown, then SIGKILL to the stragglers."""
        for worker in self.started.values():
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for worker in self.started.values():
            try:
                worker.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                # The worker leads its own process group: this ends its pool child too.
                os.killpg(worker.process.pid, signal.SIGKILL)
                worker.process.wait(10)


@pytest.fixture
def workers(redis_server: RedisServer, queue: str, tmp_path: Path) -> Iterator[Workers]:
    """Start workers with ``workers.start(name, smsc_url)``; all are stopped after the test."""
    started = Workers(redis_server, queue, tmp_path)
    try:
        yield started
    finally:
        started.stop()
