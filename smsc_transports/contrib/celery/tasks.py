"""The Celery tasks: ``smsc.send`` and ``smsc.send_many``, and ``send_bulk`` to feed them.

One transport per worker process (:class:`~.chunk.ProcessTransport`), built lazily from
the settings the app names; retries follow :mod:`.policy`; outcomes travel as the
JSON-safe dicts of :mod:`.codec`.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from celery import signals  # type: ignore[import-untyped]
from celery.exceptions import TimeoutError as ResultTimeout  # type: ignore[import-untyped]

from smsc_transports.contrib.celery.chunk import ChunkState, ProcessTransport, run_chunk
from smsc_transports.contrib.celery.codec import (
    message_to_dict,
    new_job_id,
    with_id,
)
from smsc_transports.contrib.celery.policy import (
    RetryPolicy,
)
from smsc_transports.factory import Config, create_transport
from smsc_transports.message import Message
from smsc_transports.transport import Transport

__all__ = ["DEFAULT_TASK_OPTIONS", "BulkJob", "SmscTasks", "register_send_tasks", "send_bulk"]

log = logging.getLogger(__name__)

# What the send tasks rely on: a task is acknowledged only once it finished, and a
# task whose worker process died goes back to the queue. That makes delivery "at least
# once"; the message ids make "at least once" safe.
DEFAULT_TASK_OPTIONS: Mapping[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "serializer": "json",
    "max_retries": None,  # RetryPolicy counts attempts; Celery's own limit would cut it short
}


@dataclass(eq=False)
class SmscTasks:
    """The send tasks registered on one Celery app, and the transport they share.

    ``send`` takes one message dict and returns its outcome dict plus ``worker``,
    ``attempts`` and ``redelivered``; ``send_many`` takes a list of message dicts and
    returns ``{"worker", "attempts", "redelivered", "outcomes": [...]}`` with one
    outcome per message, in order. Prefer :meth:`enqueue` and :meth:`send_bulk`, which
    give messages ids and serialise them.
    """

    app: Any
    send: Any
    send_many: Any
    transport: ProcessTransport[Transport]
    policy: RetryPolicy

    def enqueue(self, message: Message, **options: Any) -> Any:
        """Enqueue one message (given an id when it has none); return the ``AsyncResult``.

        ``options`` go to Celery's ``apply_async`` (``countdown``, ``queue``…).
        """
        identified = with_id(message, uuid.uuid4().hex)
        return self.send.apply_async(args=(message_to_dict(identified),), **options)

    def send_bulk(
        self, messages: Iterable[Message], *, chunk: int = 100, **options: Any
    ) -> BulkJob:
        """Enqueue ``messages`` in chunks; see :func:`send_bulk`."""
        return send_bulk(self.app, messages, chunk=chunk, task=self.send_many.name, **options)


def register_send_tasks(
    app: Any,
    *,
    settings: Config = None,
    namespace: str = "smsc",
    transport_factory: Callable[[], Transport] | None = None,
    policy: RetryPolicy | None = None,
    **task_options: Any,
) -> SmscTasks:
    """Register ``NAMESPACE.send`` and ``NAMESPACE.send_many`` on ``app``; return them.

    ``settings`` is anything :func:`~smsc_transports.create_transport` takes; when it is
    ``None`` the worker reads the app's ``smsc_url`` setting, else ``SMSC_URL``. It is
    read in the worker, on first use, so producers need no credentials.
    ``transport_factory`` replaces ``create_transport`` altogether. ``task_options``
    override :data:`DEFAULT_TASK_OPTIONS` (``acks_late``, ``reject_on_worker_lost``…)
    and take any other Celery task option (``rate_limit``, ``queue``…).
    """
    retry_policy = policy or RetryPolicy()
    factory = transport_factory or _settings_factory(app, settings)
    holder: ProcessTransport[Transport] = ProcessTransport(factory)
    options = {**DEFAULT_TASK_OPTIONS, **task_options}

    def attempt(task: Any, entries: list[Any], again: tuple[Any, ...], state: Any) -> ChunkState:
        chunk = ChunkState.from_json(state)
        delay = run_chunk(entries, chunk, holder.get, retry_policy, redelivered=_redelivered(task))
        if delay is not None:
            # Jitter keeps workers refused together (error 9) from coming back together.
            countdown = delay * random.uniform(1.0, 1.25)  # noqa: S311  # not a secret
            # What is settled travels with the retry; only the rest is sent again.
            raise task.retry(args=again, kwargs={"state": chunk.to_json()}, countdown=countdown)
        return chunk

    def send_many(task: Any, messages: list[Any], state: Any = None) -> dict[str, Any]:
        """Send a chunk of message dicts; return one outcome per message, in order."""
        if not isinstance(messages, list):
            raise TypeError("send_many takes a list of message dicts")
        chunk = attempt(task, messages, (messages,), state)
        return {
            "worker": task.request.hostname,
            "attempts": chunk.attempts,
            "redelivered": chunk.redelivered,
            "outcomes": chunk.outcomes(len(messages)),
        }

    def send(task: Any, message: Any, state: Any = None) -> dict[str, Any]:
        """Send one message dict; return its outcome."""
        chunk = attempt(task, [message], (message,), state)
        return {
            **chunk.outcomes(1)[0],
            "worker": task.request.hostname,
            "attempts": chunk.attempts,
            "redelivered": chunk.redelivered,
        }

    tasks = SmscTasks(
        app=app,
        send=app.task(name=f"{namespace}.send", bind=True, **options)(send),
        send_many=app.task(name=f"{namespace}.send_many", bind=True, **options)(send_many),
        transport=holder,
        policy=retry_policy,
    )
    _close_on_shutdown(holder, f"{namespace}:{id(holder)}")
    return tasks


def _settings_factory(app: Any, settings: Config) -> Callable[[], Transport]:
    def build() -> Transport:
        config = settings
        if config is None:
            config = app.conf.get("smsc_url")  # None: create_transport reads SMSC_URL
        return create_transport(config)

    return build


def _redelivered(task: Any) -> bool:
    """Whether the broker delivered this task again after a worker was lost mid-run."""
    delivery = getattr(task.request, "delivery_info", None) or {}
    return bool(delivery.get("redelivered"))


def _close_on_shutdown(holder: ProcessTransport[Transport], uid: str) -> None:
    """Close the process's transport when its worker process or worker ends (SMPP unbind)."""

    def close(**_: Any) -> None:
        try:
            holder.close()
        except Exception:
            log.warning("closing the SMSC transport at worker shutdown failed", exc_info=True)

    # prefork children end with worker_process_shutdown; solo/threads pools send in the
    # main process, which ends with worker_shutdown.
    signals.worker_process_shutdown.connect(close, weak=False, dispatch_uid=f"{uid}:process")
    signals.worker_shutdown.connect(close, weak=False, dispatch_uid=f"{uid}:worker")
    # A prefork child starts from a fork of the main process: drop what it inherited.
    signals.worker_process_init.connect(
        lambda **_: holder.forget(), weak=False, dispatch_uid=f"{uid}:init"
    )


@dataclass(eq=False)
class BulkJob:
    """A bulk send in the queue: its ``job_id``, the ``task_ids`` of its chunks in order,
    and how many ``messages`` it holds.

    Messages that had no id got ``"{job_id}-{n}"`` (``n`` their position in the input).
    """

    app: Any = field(repr=False)
    job_id: str
    task_ids: list[str]
    messages: int

    def results(self, *, timeout: float) -> Iterator[dict[str, Any]]:
        """Yield each chunk's result dict in order, waiting at most ``timeout`` seconds in all.

        Raises :class:`TimeoutError` when the time is up, and a chunk task's own
        exception if one failed as a whole.
        """
        deadline = time.monotonic() + timeout
        for task_id in self.task_ids:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"bulk job {self.job_id} not finished within {timeout} s")
            try:
                result = self.app.AsyncResult(task_id).get(timeout=remaining, propagate=True)
            except ResultTimeout as exc:
                raise TimeoutError(
                    f"bulk job {self.job_id} not finished within {timeout} s"
                ) from exc
            yield dict(result)


def send_bulk(
    app: Any,
    messages: Iterable[Message],
    *,
    chunk: int = 100,
    task: str = "smsc.send_many",
    job_id: str | None = None,
    **options: Any,
) -> BulkJob:
    """Enqueue ``messages`` as ``send_many`` tasks of ``chunk`` messages each.

    The input is read lazily, one chunk at a time, so memory holds one chunk plus one
    task id per chunk whatever the input's length. Each message without an id gets
    ``"{job_id}-{position}"``. The producer needs only the broker: tasks are sent by
    name (``task``). ``options`` go to Celery's ``send_task`` (``queue``, ``priority``…).
    """
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    job = job_id or new_job_id()
    task_ids: list[str] = []
    count = 0
    iterator = iter(messages)
    while batch := list(islice(iterator, chunk)):
        entries = [
            message_to_dict(with_id(message, f"{job}-{count + offset}"))
            for offset, message in enumerate(batch)
        ]
        task_ids.append(app.send_task(task, args=(entries,), **options).id)
        count += len(batch)
    return BulkJob(app=app, job_id=job, task_ids=task_ids, messages=count)
