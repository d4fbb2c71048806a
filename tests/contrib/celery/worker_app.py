"""The Celery app the test workers run: ``celery -A tests.contrib.celery.worker_app worker``.

Configured from the environment the test gives each worker process:

* ``SMSC_TEST_BROKER`` — the test's Redis (broker and result backend);
* ``SMSC_TEST_QUEUE`` — the queue of this test, so tests never share tasks;
* ``SMSC_URL`` — the emulator;
* ``SMSC_TEST_PAUSE_DIR`` — when set, this worker's transport stops in the middle of
  its third chunk, once per test, after sending the chunk's first half: it writes
  ``paused.json`` (its pid, the chunk's first message id, the half's size) into that
  folder and waits to be killed, so a test can SIGKILL a worker at a known point.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import ClassVar, Self

from celery import Celery  # type: ignore[import-untyped]

from smsc_transports import Message, Outcome, SendResult, Settings, Transport, create_transport
from smsc_transports.contrib.celery import register_send_tasks

PAUSE_CHUNK = 3  # the chunk (counted per worker process) that is interrupted
PAUSE_LIMIT = 120.0  # seconds to wait to be killed before carrying on


class PausingTransport(Transport):
    """Sends through ``inner``; in its ``PAUSE_CHUNK``-th ``send_many`` it stops halfway."""

    protocol: ClassVar[str] = "pausing"

    def __init__(self, inner: Transport, pause_dir: Path) -> None:
        self.inner = inner
        self.pause_dir = pause_dir
        self.chunks = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Not built from settings: the worker app wraps a real transport."""
        raise NotImplementedError

    def send(self, message: Message) -> SendResult:
        """Send through the wrapped transport."""
        return self.inner.send(message)

    def send_many(self, messages: Iterable[Message]) -> Generator[Outcome, None, None]:
        """Send through the wrapped transport, pausing halfway through one chunk."""
        self.chunks += 1
        batch = list(messages)
        half = len(batch) // 2
        yield from self.inner.send_many(batch[:half])
        if self.chunks == PAUSE_CHUNK:
            self._pause(batch[0], half)
        for outcome in self.inner.send_many(batch[half:]):
            yield Outcome(outcome.index + half, outcome.message, outcome.result, outcome.error)

    def _pause(self, first: Message, half: int) -> None:
        marker = self.pause_dir / "paused.json"
        try:
            # O_EXCL: only the first worker process to get here pauses, once per test.
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return
        with os.fdopen(fd, "w") as out:
            json.dump({"pid": os.getpid(), "first_id": first.id, "sent": half}, out)
        deadline = time.monotonic() + PAUSE_LIMIT
        while time.monotonic() < deadline:
            time.sleep(0.1)

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


def _transport() -> Transport:
    inner = create_transport()  # SMSC_URL
    pause_dir = os.environ.get("SMSC_TEST_PAUSE_DIR")
    return PausingTransport(inner, Path(pause_dir)) if pause_dir else inner


app = Celery("smsc_celery_test", broker=os.environ["SMSC_TEST_BROKER"])
app.conf.update(
    result_backend=os.environ["SMSC_TEST_BROKER"],
    task_default_queue=os.environ.get("SMSC_TEST_QUEUE", "celery"),
    # One task at a time per worker: chunks spread over both workers, and a killed
    # worker holds only the chunk it was sending.
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
tasks = register_send_tasks(app, transport_factory=_transport)
