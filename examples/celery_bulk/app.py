"""The example's Celery app: workers run it, ``run_demo.py`` enqueues into it.

Start a worker by hand (from this folder) with::

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 SMSC_URL=http://demo:demo@127.0.0.1:8080 \\
        celery -A app worker --pool=prefork --concurrency=4 --hostname=alpha@%h

Each worker process builds its own transport from ``SMSC_URL`` on its first task
(over SMPP: one bind per process) and keeps it.
"""

from __future__ import annotations

import os

from celery import Celery  # type: ignore[import-untyped]

from smsc_transports.contrib.celery import register_send_tasks

BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")

app = Celery("celery_bulk", broker=BROKER, backend=os.environ.get("CELERY_RESULT_BACKEND", BROKER))
app.conf.update(
    # The send tasks are acknowledged late; with a prefetch of one, a worker holds only
    # the chunk it is sending, so chunks spread evenly and a crash strands no others.
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    broker_connection_retry_on_startup=True,
)

# Registers "smsc.send" and "smsc.send_many"; the transport comes from SMSC_URL.
tasks = register_send_tasks(app)
