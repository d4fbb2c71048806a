"""The Celery glue: what register_send_tasks registers, enqueue and send_bulk.

Tasks run eagerly here (``task_always_eager``: in this process, retries included), so
these tests need no broker; ``test_celery_bulk.py`` runs real workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from celery import Celery  # type: ignore[import-untyped]
from celery.exceptions import TimeoutError as ResultTimeout  # type: ignore[import-untyped]

from smsc_transports import Message, RateLimited, TransportTimeout
from smsc_transports.contrib.celery import BulkJob, SmscTasks, register_send_tasks, send_bulk
from smsc_transports.contrib.celery.codec import message_from_dict
from smsc_transports.emulator import Emulator
from tests.contrib.celery.test_chunk import ScriptedTransport


def eager_app() -> Any:
    app = Celery("eager")
    app.conf.task_always_eager = True
    return app


def scripted_tasks(transport: ScriptedTransport, namespace: str = "smsc") -> SmscTasks:
    return register_send_tasks(
        eager_app(), namespace=namespace, transport_factory=lambda: transport
    )


def test_tasks_are_acknowledged_late_and_requeued_when_their_worker_dies() -> None:
    tasks = scripted_tasks(ScriptedTransport(), namespace="shop.sms")
    for task in (tasks.send, tasks.send_many):
        assert (task.acks_late, task.reject_on_worker_lost, task.serializer) == (True, True, "json")
    assert (tasks.send.name, tasks.send_many.name) == ("shop.sms.send", "shop.sms.send_many")


def test_task_options_can_be_overridden() -> None:
    tasks = register_send_tasks(eager_app(), transport_factory=ScriptedTransport, rate_limit="5/s")
    assert tasks.send.rate_limit == "5/s" and tasks.send.acks_late is True


def test_enqueue_gives_a_message_without_an_id_one_before_it_leaves() -> None:
    transport = ScriptedTransport()
    result = scripted_tasks(transport).enqueue(Message("79991234567", "Код")).get()
    assert result["ok"] is True
    assert len(result["message_id"]) == 32 and transport.sent == {result["message_id"]: 1}


def test_a_retry_after_a_lost_answer_reads_error_9_as_accepted() -> None:
    transport = ScriptedTransport({"order-1": [TransportTimeout("no answer"), RateLimited()]})
    result = scripted_tasks(transport).enqueue(Message("79991234567", "x", id="order-1")).get()
    assert (result["ok"], result["already_accepted"], result["attempts"]) == (True, True, 2)
    assert transport.sent["order-1"] == 2


def test_send_many_returns_one_outcome_per_message_in_order() -> None:
    transport = ScriptedTransport({"b": [RateLimited(), RateLimited()]})
    tasks = scripted_tasks(transport)
    chunk = [{"phones": [f"7915000000{n}"], "text": "x", "id": i} for n, i in enumerate("abc")]
    result = tasks.send_many.delay(chunk).get()
    assert [o["message_id"] for o in result["outcomes"]] == ["a", "b", "c"]
    assert all(o["ok"] for o in result["outcomes"])
    assert (result["attempts"], result["redelivered"]) == (3, False)
    assert transport.sent == {"a": 1, "b": 3, "c": 1}


def test_the_worker_sends_with_the_apps_smsc_url(shared_emulator: Emulator) -> None:
    app = eager_app()
    app.conf.smsc_url = shared_emulator.url()
    tasks = register_send_tasks(app, namespace="by_url")
    phone = "79150123987"
    result = tasks.enqueue(Message(phone, "Код: 1234")).get()
    assert result["ok"] and result["cost"] is not None
    try:
        sent = shared_emulator.state.history(shared_emulator.state.account("demo"), phones=[phone])
        assert [(r.id, r.phone) for r in sent] == [(result["message_id"], phone)]
    finally:
        tasks.transport.close()


# --- send_bulk ------------------------------------------------------------------


@dataclass
class RecordingApp:
    """Records ``send_task`` calls as a broker would receive them."""

    reads: int = 0
    consumed: list[int] = field(default_factory=list)
    calls: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = field(default_factory=list)

    def send_task(self, name: str, args: tuple[Any, ...], **options: Any) -> Any:
        self.calls.append((name, args[0], options))
        # What the input iterator had handed out when this chunk was enqueued.
        self.consumed.append(self.reads)
        return type("Sent", (), {"id": f"task-{len(self.calls)}"})()


def counted(app: RecordingApp, count: int) -> Iterator[Message]:
    for n in range(count):
        app.reads += 1
        yield Message(f"7915{n:07d}", "x", id="own" if n == 7 else None)


def test_send_bulk_enqueues_chunks_with_ids_reading_its_input_lazily() -> None:
    app = RecordingApp()
    job = send_bulk(app, counted(app, 2500), chunk=1000, job_id="job", queue="sms")
    assert (job.job_id, job.messages, job.task_ids) == ("job", 2500, ["task-1", "task-2", "task-3"])
    assert [len(entries) for _, entries, _ in app.calls] == [1000, 1000, 500]
    # Bounded memory: a chunk is enqueued before the next one is read.
    assert app.consumed == [1000, 2000, 2500]
    assert {(name, options["queue"]) for name, _, options in app.calls} == {
        ("smsc.send_many", "sms")
    }
    ids = [message_from_dict(e).id for _, entries, _ in app.calls for e in entries]
    assert ids[:9] == [
        "job-0",
        "job-1",
        "job-2",
        "job-3",
        "job-4",
        "job-5",
        "job-6",
        "own",
        "job-8",
    ]
    assert ids[-1] == "job-2499"


def test_send_bulk_refuses_an_empty_chunk_size() -> None:
    with pytest.raises(ValueError, match="chunk"):
        send_bulk(RecordingApp(), [], chunk=0)


def test_waiting_for_results_is_bounded() -> None:
    class NeverReady:
        def get(self, timeout: float, propagate: bool) -> Any:
            raise ResultTimeout("not yet")

    app = type("App", (), {"AsyncResult": staticmethod(lambda task_id: NeverReady())})()
    job = BulkJob(app=app, job_id="job", task_ids=["t1"], messages=1)
    with pytest.raises(TimeoutError, match="job"):
        list(job.results(timeout=0.1))
