"""Hostile and broken requests: always an SMSC error or a plain HTTP error, never a dead server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime

import pytest
import requests

from smsc_transports.emulator import Emulator
from smsc_transports.emulator.http import front as http_front
from tests.emulator.api import Api


@pytest.fixture
def api(emulator: Emulator) -> Api:
    return Api(emulator)


def still_serving(api: Api) -> bool:
    return "balance" in api.json("balance")


def raw_exchange(emulator: Emulator, head: bytes, body: bytes = b"") -> bytes:
    """Send raw bytes, return everything the server answers before closing."""
    with socket.create_connection(("127.0.0.1", emulator.http_port), timeout=5) as conn:
        conn.sendall(head + body)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_unknown_path_is_a_plain_404(api: Api) -> None:
    answer = api.session.get(api.base + "/sys/nothing.php?login=demo&psw=demo", timeout=5)
    assert (answer.status_code, answer.text) == (404, "not found")
    assert still_serving(api)


@pytest.mark.parametrize(
    "params",
    [
        {"cost": "-1"},
        {"maxsms": "-5"},
        {"translit": "9"},
        {"id": "2147483648"},
        {"id": "bad id!"},
        {"tz": "+99"},
        {"valid": "99:99"},
        {"bin": "3"},
        {"phones": ""},
        {"mes": "x" * 1001},
    ],
)
def test_bad_send_parameters_are_error_1(api: Api, params: dict[str, str]) -> None:
    fields = {"phones": "79990000001", "mes": "hi", **params}
    assert api.json("send", **fields) == {"error": "parameters error", "error_code": 1}


def test_unknown_fmt_is_error_1_in_the_default_format(api: Api) -> None:
    assert api.text("send", phones="79990000001", mes="x", fmt=7) == "ERROR = 1 (parameters error)"


def test_unknown_charset_is_error_1(api: Api) -> None:
    answer = api.raw("balance", fmt=3, charset="latin-9")
    assert answer.json() == {"error": "parameters error", "error_code": 1}


@pytest.mark.parametrize("params", [{"all": "-1"}, {"all": "abc"}, {"id": ""}])
def test_bad_status_parameters_are_error_1(api: Api, params: dict[str, str]) -> None:
    fields = {"id": "1", "phone": "79990000001", **params}
    assert api.json("status", **fields)["error_code"] == 1


def test_binary_body_is_error_1(api: Api) -> None:
    answer = api.session.post(api.base + "/sys/send.php?fmt=3", data=bytes(range(256)) * 8)
    assert answer.json()["error_code"] == 1
    assert still_serving(api)


def test_chunked_body_is_refused(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"login=demo&psw=demo&fmt=3"

    answer = api.session.post(api.base + "/sys/balance.php?fmt=3", data=chunks(), timeout=5)
    assert answer.json()["error_code"] == 1
    assert still_serving(api)


def test_huge_body_is_refused_before_it_is_read(emulator: Emulator, api: Api) -> None:
    head = (
        b"POST /sys/send.php?fmt=3 HTTP/1.1\r\nHost: t\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 50000000\r\n\r\n"
    )
    answer = raw_exchange(emulator, head, b"login=demo&psw=demo&")
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert rest.endswith(b'{"error":"parameters error","error_code":1}')
    assert still_serving(api)


def test_unreadable_content_length_is_error_1(emulator: Emulator, api: Api) -> None:
    head = b"POST /sys/balance.php?fmt=1 HTTP/1.1\r\nHost: t\r\nContent-Length: lots\r\n\r\n"
    assert raw_exchange(emulator, head).endswith(b"0,-1")
    assert still_serving(api)


def test_multipart_form_fields_are_read(api: Api) -> None:
    fields = {"login": "demo", "psw": "demo", "phones": "79990000001", "mes": "hi", "fmt": "3"}
    files = {"file0": ("a.txt", b"attachment")}
    answer = api.session.post(api.base + "/sys/send.php", data=fields, files=files, timeout=5)
    assert answer.json() == {"id": 1, "cnt": 1}


def test_a_failing_handler_answers_500_and_the_server_lives_on(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(http_front, "run_command", boom)
    answer = requests.get(api.base + "/sys/balance.php?login=demo&psw=demo", timeout=5)
    assert (answer.status_code, answer.text) == (500, "internal error")
    monkeypatch.undo()
    assert still_serving(api)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def test_sixteenth_request_in_flight_for_one_login_is_error_9(emulator: Emulator, api: Api) -> None:
    answers: list[dict[str, object]] = []

    def slow_send(n: int) -> None:
        fields = {"login": "demo", "psw": "demo", "fmt": 3, "phones": "79990003030"}
        url = api.base + "/sys/send.php"
        answer = requests.post(url, data={**fields, "mes": f"m{n}"}, timeout=30)
        answers.append(answer.json())

    threads = [threading.Thread(target=slow_send, args=(n,)) for n in range(15)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: emulator.http.held == 15)
        assert emulator.state.in_flight("demo") == 15
        assert api.json("balance") == {
            "error": "too many concurrent requests",
            "error_code": 9,
        }
    finally:
        emulator.release_delayed()
        for thread in threads:
            thread.join(10)
    assert sorted(a["id"] for a in answers) == list(range(1, 16))  # type: ignore[type-var]
    assert still_serving(api)


def test_slow_test_number_makes_the_client_time_out_but_the_message_exists(
    emulator: Emulator, api: Api
) -> None:
    fields = {"login": "demo", "psw": "demo", "fmt": 3, "phones": "79990003005", "mes": "hi"}
    with pytest.raises(requests.ReadTimeout):
        requests.post(api.base + "/sys/send.php", data=fields, timeout=0.2)
    wait_until(lambda: emulator.http.held == 1)
    emulator.release_delayed()
    assert api.status(1, "79990003005")["status"] == -1


def test_a_garbage_request_line_gets_400_and_the_server_lives_on(
    emulator: Emulator, api: Api
) -> None:
    answer = raw_exchange(emulator, b"\x00\x01\xff garbage\r\n\r\n")
    assert b" 400 " in answer.split(b"\r\n", 1)[0]
    assert still_serving(api)


def test_escaped_commas_and_percent_signs_in_a_form_body_decode_as_escapes(api: Api) -> None:
    # The form parser unescapes %2C ahead of the rest (bulk phone lists are full of
    # them): escapes of '%' itself, lone '%' and either hex case must decode as before.
    body = (
        "login=demo&psw=demo&charset=utf-8&fmt=3&op=1"
        "&phones=79990000001%2c79990000002%2C79990000003"
        "&mes=a%252C%2Cb%%2C%2"
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = api.session.post(api.base + "/sys/send.php", data=body, headers=headers, timeout=5)
    sent = answer.json()
    phones = [p["phone"] for p in sent["phones"]]
    assert phones == ["79990000001", "79990000002", "79990000003"]
    assert api.status(sent["id"], "79990000002", all=1)["message"] == "a%2C,b%,%2"


def test_the_date_header_is_the_current_second(api: Api) -> None:
    # The front end formats the Date header once a second and shares it: it must
    # still move on with the clock.
    def answer_date() -> datetime:
        answer = api.session.get(api.base + "/sys/balance.php?login=demo&psw=demo", timeout=5)
        return parsedate_to_datetime(answer.headers["Date"])

    first = answer_date()
    assert abs(first.timestamp() - time.time()) < 2
    time.sleep(1.1)
    assert answer_date() > first
