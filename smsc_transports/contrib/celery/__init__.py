"""Send through SMSC from Celery workers: safe retries, one transport per worker process.

::

    from celery import Celery
    from smsc_transports import Message
    from smsc_transports.contrib.celery import register_send_tasks, send_bulk

    app = Celery("shop", broker="redis://127.0.0.1:6379/0", backend="redis://127.0.0.1:6379/0")
    tasks = register_send_tasks(app)               # "smsc.send" and "smsc.send_many"

    tasks.enqueue(Message(["79991234567"], "Код: 1234")).get(timeout=30)
    job = send_bulk(app, messages, chunk=100)       # any iterable, read lazily
    for chunk in job.results(timeout=600): ...

Workers send with the transport the settings name (``settings=``, else the app's
``smsc_url`` setting, else ``SMSC_URL``), built lazily once per worker process (one
SMPP bind per process). Every message gets an ``id`` before it is enqueued, so any
repeat — a retry, or the broker redelivering a task whose worker died — is refused by
SMSC with error 9 instead of being sent twice; that 9 is then counted as accepted.
Retries follow :mod:`~smsc_transports.contrib.celery.policy`. Tasks return JSON-safe
dicts, never raise for a failed message: check each outcome's ``ok``.

Rule: this package may import Celery, the public interface of the library and
nothing else of it (no ``backends/``, no ``emulator/``); tasks never raise for a failed
message. ``tasks`` registers the tasks and runs bulk jobs; ``chunk`` sends one chunk
with the per-process transport; ``codec`` turns messages and outcomes into JSON-safe
dicts; ``policy`` decides retries.
"""

from smsc_transports.contrib.celery.chunk import ChunkState, ProcessTransport
from smsc_transports.contrib.celery.codec import message_from_dict, message_to_dict
from smsc_transports.contrib.celery.policy import (
    RetryPolicy,
    Verdict,
    judge,
    retry_delay,
    should_retry,
)
from smsc_transports.contrib.celery.tasks import (
    DEFAULT_TASK_OPTIONS,
    BulkJob,
    SmscTasks,
    register_send_tasks,
    send_bulk,
)

__all__ = [
    "DEFAULT_TASK_OPTIONS",
    "BulkJob",
    "ChunkState",
    "ProcessTransport",
    "RetryPolicy",
    "SmscTasks",
    "Verdict",
    "judge",
    "message_from_dict",
    "message_to_dict",
    "register_send_tasks",
    "retry_delay",
    "send_bulk",
    "should_retry",
]
