"""examples/django_app: views that send, and a view that receives real SMSC callbacks."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import django
import pytest
import requests
from django.core.wsgi import get_wsgi_application
from django.test import Client, override_settings

from examples.django_app.__main__ import server_address
from examples.django_app.signals import sms_incoming_received, sms_status_received
from smsc_transports import IncomingMessage, MessageStatus, StatusResult
from smsc_transports.emulator import Emulator, ManualClock

ROOT = Path(__file__).resolve().parents[2]
SECRET = "callback-token-for-tests"
PHONE = "79990000001"


@pytest.fixture(scope="module", autouse=True)
def django_project() -> Iterator[None]:
    """Django configured with the example's settings module, once for these tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_SETTINGS_MODULE", "examples.django_app.settings")
        django.setup()
        yield


@pytest.fixture
def smsc(emulator: Emulator) -> Iterator[Emulator]:
    """The per-test emulator (manual clock) as the project's SMSC, with a callback secret."""
    with override_settings(SMSC_URL=emulator.url(), SMSC_CALLBACK_SECRET=SECRET):
        yield emulator


@pytest.fixture
def received() -> Iterator[list[StatusResult | IncomingMessage]]:
    """Whatever the callback view signals, in order."""
    events: list[StatusResult | IncomingMessage] = []

    def on_status(sender: object, result: StatusResult, **kwargs: Any) -> None:
        events.append(result)

    def on_incoming(sender: object, message: IncomingMessage, **kwargs: Any) -> None:
        events.append(message)

    sms_status_received.connect(on_status)
    sms_incoming_received.connect(on_incoming)
    yield events
    sms_status_received.disconnect(on_status)
    sms_incoming_received.disconnect(on_incoming)


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def live_server() -> Iterator[WSGIServer]:
    """The Django project served by wsgiref on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    thread.join(10)
    server.server_close()


def test_the_send_view_sends_the_form_and_answers_id_parts_and_cost(smsc: Emulator) -> None:
    answer = Client().post("/sms/send", {"phone": PHONE, "text": "Код: 1234"})
    assert answer.status_code == 201
    assert answer.json() == {"id": "1", "parts": 1, "cost": "1.40"}
    account = smsc.state.authenticate("demo", "demo")
    assert smsc.state.status(account, "1", PHONE, throttled=False).text == "Код: 1234"


def test_the_send_view_is_csrf_protected_and_its_form_carries_the_token(smsc: Emulator) -> None:
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/sms/send", {"phone": PHONE, "text": "hi"}).status_code == 403
    form = browser.get("/sms/send").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None, form
    answer = browser.post(
        "/sms/send", {"phone": PHONE, "text": "hi", "csrfmiddlewaretoken": token[1]}
    )
    assert answer.status_code == 201


def test_an_smsc_refusal_is_a_502_with_smsc_code(smsc: Emulator) -> None:
    answer = Client().post("/sms/send", {"phone": "79990004008", "text": "hi"})
    assert answer.status_code == 502
    assert (answer.json()["smsc_error"], answer.json()["id"]) == (8, "1")


def test_bad_input_is_a_400_naming_the_problem(smsc: Emulator) -> None:
    answer = Client().post("/sms/send", {"phone": PHONE, "text": ""})
    assert answer.status_code == 400
    assert "text" in answer.json()["error"]


def test_the_status_view_follows_the_message_to_delivery(
    smsc: Emulator, manual_clock: ManualClock
) -> None:
    client = Client()
    message_id = client.post("/sms/send", {"phone": PHONE, "text": "hi"}).json()["id"]
    before = client.get(f"/sms/status/{message_id}/{PHONE}").json()
    manual_clock.advance(3)
    after = client.get(f"/sms/status/{message_id}/{PHONE}").json()
    assert (before["status"], before["final"]) == ("WAITING", False)
    assert (after["status"], after["code"], after["final"]) == ("DELIVERED", 1, True)


def test_a_callback_without_the_token_is_refused_and_signals_nothing(
    smsc: Emulator, received: list[StatusResult | IncomingMessage]
) -> None:
    form = {"id": "1", "phone": PHONE, "status": "1", "err": "0"}
    assert Client().post("/sms/callback", form).status_code == 403
    assert Client().post("/sms/callback?token=wrong", form).status_code == 403
    assert Client().post(f"/sms/callback?token={SECRET}", form).status_code == 200
    assert [event.id for event in received] == ["1"]


def test_a_malformed_callback_is_a_400_naming_the_field(
    smsc: Emulator, received: list[StatusResult | IncomingMessage]
) -> None:
    answer = Client().post(f"/sms/callback?token={SECRET}", {"id": "1", "status": "x"})
    assert answer.status_code == 400
    assert "status" in answer.content.decode()
    assert received == []


def test_the_emulator_posts_real_callbacks_to_the_project_on_a_loopback_port(
    manual_clock: ManualClock,
    live_server: WSGIServer,
    received: list[StatusResult | IncomingMessage],
) -> None:
    callback_url = f"http://127.0.0.1:{live_server.server_port}/sms/callback?token={SECRET}"
    # A ticker a day apart: this test delivers the callbacks itself, with flush_callbacks.
    with (
        Emulator(clock=manual_clock, callback_url=callback_url, callback_interval=86400) as emu,
        override_settings(SMSC_URL=emu.url(), SMSC_CALLBACK_SECRET=SECRET),
    ):
        message_id = Client().post("/sms/send", {"phone": PHONE, "text": "hi"}).json()["id"]
        manual_clock.advance(3)
        assert emu.flush_callbacks() == 2  # transferred, then delivered: both answered 200
        emu.state.add_incoming("demo", "79991112233", "Стоп")
        assert emu.flush_callbacks() == 1
    statuses = [e for e in received if isinstance(e, StatusResult)]
    incoming = [e for e in received if isinstance(e, IncomingMessage)]
    assert [(s.id, s.phone, s.status) for s in statuses] == [
        (message_id, PHONE, MessageStatus.TRANSFERRED),
        (message_id, PHONE, MessageStatus.DELIVERED),
    ]
    assert [(m.phone, m.text) for m in incoming] == [("79991112233", "Стоп")]
    assert "token" not in statuses[0].raw  # the secret never reaches your code


def test_the_package_runs_django_management_commands_in_process() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMSC_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, "-m", "examples.django_app", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.mark.parametrize(
    ("command", "address"),
    [
        (["runserver"], "127.0.0.1:8000"),
        (["runserver", "--noreload", "8080"], "127.0.0.1:8080"),
        (["runserver", "--noreload", "localhost:9000"], "localhost:9000"),
    ],
)
def test_the_emulator_calls_back_where_runserver_listens(command: list[str], address: str) -> None:
    assert server_address(command) == address


def free_port() -> int:
    """A loopback port that was free a moment ago (runserver binds it by number)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def test_runserver_with_its_own_emulator_sends_from_the_browser_form() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMSC_", "DJANGO_"))}
    base = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "examples.django_app", "runserver", "--noreload", base[7:]]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as server:
        try:
            assert server.stdout is not None
            first = server.stdout.readline()
            assert first.startswith("SMSC emulator on http://127.0.0.1:"), first
            browser = requests.Session()
            form = get_when_up(browser, f"{base}/sms/send")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
            assert token is not None, form
            sent = browser.post(
                f"{base}/sms/send",
                {"phone": PHONE, "text": "hi", "csrfmiddlewaretoken": token[1]},
                headers={"Referer": f"{base}/sms/send"},
                timeout=30,
            )
            assert sent.status_code == 201, sent.text
            status = browser.get(f"{base}/sms/status/{sent.json()['id']}/{PHONE}", timeout=30)
            assert status.json()["status"] in ("WAITING", "TRANSFERRED", "DELIVERED")
        finally:
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=30)
    assert server.returncode == 0


def get_when_up(session: requests.Session, url: str) -> str:
    """GET ``url`` once the server accepts connections (bounded: a broken run fails)."""
    for _ in range(300):
        try:
            return session.get(url, timeout=30).text
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")
