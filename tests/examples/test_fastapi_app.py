"""examples/fastapi_app: sends through an async transport, receives real SMSC callbacks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from examples.fastapi_app.app import create_app
from smsc_transports import MessageStatus
from smsc_transports.emulator import Emulator, ManualClock

ROOT = Path(__file__).resolve().parents[2]
SECRET = "callback-token-for-tests"
PHONE = "79990000001"


class LiveServer:
    """An app under uvicorn on an already bound loopback socket, in a thread."""

    def __init__(self, app: FastAPI, listener: socket.socket) -> None:
        self.listener = listener
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [listener]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def client(emulator: Emulator) -> Iterator[TestClient]:
    """The app sending through the per-test emulator (manual clock), driven in-process."""
    with TestClient(create_app(emulator.url(), callback_secret=SECRET)) as test_client:
        yield test_client


def test_posting_an_sms_sends_it_and_answers_its_id_parts_and_cost(
    client: TestClient, emulator: Emulator
) -> None:
    answer = client.post("/sms", json={"phone": PHONE, "text": "Код: 1234"})
    assert answer.status_code == 201
    assert answer.json() == {"id": "1", "parts": 1, "cost": "1.40"}
    account = emulator.state.authenticate("demo", "demo")
    assert emulator.state.status(account, "1", PHONE, throttled=False).text == "Код: 1234"


def test_the_status_endpoint_follows_the_message_to_delivery(
    client: TestClient, manual_clock: ManualClock
) -> None:
    sent = client.post("/sms", json={"phone": PHONE, "text": "hello"}).json()
    before = client.get(f"/sms/{sent['id']}/{PHONE}").json()
    manual_clock.advance(3)
    after = client.get(f"/sms/{sent['id']}/{PHONE}").json()
    assert (before["status"], before["final"]) == ("WAITING", False)
    assert after == {
        "id": sent["id"],
        "phone": PHONE,
        "status": "DELIVERED",
        "code": 1,
        "error": None,
        "final": True,
    }


def test_an_smsc_refusal_is_a_502_carrying_smsc_code_and_message_id(client: TestClient) -> None:
    answer = client.post("/sms", json={"phone": "79990004007", "text": "hello"})
    assert answer.status_code == 502
    detail = answer.json()["detail"]
    assert (detail["smsc_error"], detail["id"]) == (7, "1")


def test_bad_input_is_a_422_and_nothing_is_sent(client: TestClient, emulator: Emulator) -> None:
    answer = client.post("/sms", json={"phone": PHONE, "text": "x" * 1001})
    assert answer.status_code == 422
    account = emulator.state.authenticate("demo", "demo")
    assert emulator.state.balance(account).balance == Decimal("100.00")


def test_a_callback_without_the_token_is_refused_and_not_recorded(client: TestClient) -> None:
    form = {"id": "1", "phone": PHONE, "status": "1", "err": "0"}
    refused = client.post("/smsc/callback/", data=form)
    accepted = client.post(f"/smsc/callback/?token={SECRET}", data=form)
    assert (refused.status_code, accepted.status_code) == (403, 200)
    assert [event["status"] for event in client.get("/smsc/events").json()] == ["DELIVERED"]


def test_a_malformed_callback_is_a_400_naming_the_problem(client: TestClient) -> None:
    answer = client.post(f"/smsc/callback/?token={SECRET}", data={"id": "1", "status": "soon"})
    assert answer.status_code == 400
    assert "status" in answer.text


def test_the_emulator_posts_real_callbacks_to_the_app_on_a_loopback_port(
    manual_clock: ManualClock,
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    callback_url = f"http://127.0.0.1:{port}/smsc/callback/?token={SECRET}"
    # A ticker a day apart: this test delivers the callbacks itself, with flush_callbacks.
    with (
        Emulator(clock=manual_clock, callback_url=callback_url, callback_interval=86400) as emu,
        LiveServer(create_app(emu.url(), callback_secret=SECRET), listener) as live,
        requests.Session() as http,
    ):
        sent = http.post(f"{live.url}/sms", json={"phone": "79990001013", "text": "hi"}).json()
        manual_clock.advance(3)
        assert emu.flush_callbacks() == 2  # transferred, then failed: both answered 200
        emu.state.add_incoming("demo", "79991112233", "Да, подтверждаю")
        assert emu.flush_callbacks() == 1
        events = http.get(f"{live.url}/smsc/events").json()
    failed = MessageStatus.UNABLE_TO_DELIVER.name
    assert events == [
        {"kind": "status", "id": sent["id"], "phone": "79990001013", "status": "TRANSFERRED",
         "error": None, "text": None},
        {"kind": "status", "id": sent["id"], "phone": "79990001013", "status": failed,
         "error": "SUBSCRIBER_BLOCKED", "text": None},
        {"kind": "incoming", "id": "1", "phone": "79991112233", "status": None, "error": None,
         "text": "Да, подтверждаю"},
    ]  # fmt: skip


def test_the_module_serves_the_app_with_an_emulator_calling_it_back() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSC_")}
    command = [sys.executable, "-m", "examples.fastapi_app", "--port", "0"]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as server:
        try:
            assert server.stdout is not None
            first = server.stdout.readline()
            second = server.stdout.readline()
            assert first.startswith("SMSC emulator on http://127.0.0.1:"), first
            assert second.startswith("listening on http://127.0.0.1:"), second
            base = second.split()[-1]
            sent = requests.post(f"{base}/sms", json={"phone": PHONE, "text": "hi"}, timeout=30)
            assert sent.status_code == 201, sent.text
            statuses = poll_statuses(base, sent.json()["id"], until="DELIVERED")
            assert statuses == ["TRANSFERRED", "DELIVERED"]
        finally:
            server.send_signal(signal.SIGINT)
            out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err
    assert out.splitlines()[-1] == "stopped"


def poll_statuses(base: str, message_id: str, *, until: str) -> list[str]:
    """The statuses callbacks brought for ``message_id``, once ``until`` is among them.

    The emulator runs on real time here (1 s to delivery, a callback round every 0.2 s);
    the generous bound only keeps a broken run from hanging.
    """
    deadline = time.monotonic() + 60
    while True:
        events = requests.get(f"{base}/smsc/events", timeout=30).json()
        statuses = [e["status"] for e in events if e["id"] == message_id]
        if until in statuses or time.monotonic() > deadline:
            return statuses
        time.sleep(0.1)
