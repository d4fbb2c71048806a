"""The control API under /_emulator/, driven as another language's test suite would: raw
HTTP with JSON (``requests``, and ``curl`` when the machine has it)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from smsc_transports.emulator import Account, Emulator, ManualClock
from smsc_transports.emulator.http.control import ControlSettings
from tests.conftest import require_command
from tests.emulator.api import Api

TOKEN = "s3cret-token"  # a test's throwaway token
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def controlled(manual_clock: ManualClock) -> Iterator[Emulator]:
    accounts = [Account("demo", "demo"), Account("shop", "pw", balance=Decimal("5.00"))]
    control = ControlSettings(enabled=True, token=TOKEN)
    with Emulator(accounts, clock=manual_clock, control=control) as emu:
        yield emu


def call(emu: Emulator, method: str, path: str, body: Any = None, **params: str) -> Any:
    """``method`` on /_emulator/``path`` with the token; the JSON answer (asserting 200)."""
    url = f"{emu.http_url}/_emulator/{path}"
    data = None if body is None else json.dumps(body)
    answer = requests.request(method, url, data=data, params=params, headers=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    return answer.json()


def test_health_answers_without_control_or_token(emulator: Emulator) -> None:
    answer = requests.get(f"{emulator.http_url}/_emulator/health", timeout=10)
    assert answer.status_code == 200
    health = answer.json()
    assert health["status"] == "ok" and health["control"] is False
    assert health["ports"] == {"http": emulator.http_port}


def test_control_is_off_unless_enabled(emulator: Emulator) -> None:
    url = f"{emulator.http_url}/_emulator/clock"
    answer = requests.post(url, json={"advance": 60}, timeout=10)
    assert answer.status_code == 404
    assert "--control" in answer.json()["error"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_a_wrong_or_missing_token_is_401(controlled: Emulator, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    url = f"{controlled.http_url}/_emulator/clock"
    answer = requests.post(url, json={"advance": 60}, headers=headers, timeout=10)
    assert answer.status_code == 401
    assert controlled.state.clock() == 1_700_000_000.0  # not moved


def test_moving_the_clock_delivers_the_message(controlled: Emulator) -> None:
    api = Api(controlled)
    sent = api.send()
    assert api.json("status", id=sent["id"], phone="79990000001")["status"] == -1
    assert call(controlled, "POST", "clock", {"advance": 3})["now"] == 1_700_000_003.0
    assert api.json("status", id=sent["id"], phone="79990000001")["status"] == 1
    moved = call(controlled, "POST", "clock", {"set": 1_700_000_100})
    assert moved == {"now": 1_700_000_100.0, "date": "15.11.2023 01:15:00"}
    assert call(controlled, "GET", "clock")["now"] == 1_700_000_100.0


def test_the_clock_never_goes_back(controlled: Emulator) -> None:
    url = f"{controlled.http_url}/_emulator/clock"
    for body in ({"set": 1}, {"advance": -5}, {"advance": "soon"}, {}):
        answer = requests.post(url, json=body, headers=AUTH, timeout=10)
        assert answer.status_code == 400, body
        assert answer.json()["error"]
    assert controlled.state.clock() == 1_700_000_000.0


def test_an_injected_incoming_message_is_read_through_smsc_api(controlled: Emulator) -> None:
    body = {"login": "demo", "phone": "+79991112233", "text": "СТОП", "to": "79990009999"}
    record = call(controlled, "POST", "incoming", body)
    assert (record["phone"], record["text"], record["to"]) == ("79991112233", "СТОП", "79990009999")
    answers = Api(controlled).json("get", get_answers=1)
    assert [(a["phone"], a["message"]) for a in answers] == [("79991112233", "СТОП")]
    listed = call(controlled, "GET", "incoming", login="demo")["incoming"]
    assert [item["id"] for item in listed] == [record["id"]]


def test_forcing_a_status_is_what_status_php_answers(controlled: Emulator) -> None:
    api = Api(controlled)
    sent = api.send()
    forced = call(
        controlled,
        "POST",
        "status",
        {"login": "demo", "id": str(sent["id"]), "phone": "79990000001", "status": 20, "err": 1},
    )
    assert (forced["status"], forced["err"]) == (20, 1)
    call(controlled, "POST", "clock", {"advance": 60})  # the planned delivery never comes
    answer = api.json("status", id=sent["id"], phone="79990000001")
    assert (answer["status"], answer["err"]) == (20, 1)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"login": "demo", "id": "77", "phone": "79990000001", "status": 1}, 404),
        ({"login": "nobody", "id": "1", "phone": "79990000001", "status": 1}, 404),
        ({"login": "demo", "id": "1", "phone": "79990000001", "status": -3}, 400),
        ({"login": "demo", "id": "1", "phone": "79990000001", "status": "1"}, 400),
        ({"login": "demo", "id": "1", "phone": "79990000001", "status": 1, "err": -1}, 400),
    ],
)
def test_forcing_a_status_checks_what_it_is_given(
    controlled: Emulator, body: dict[str, Any], status: int
) -> None:
    Api(controlled).send()
    url = f"{controlled.http_url}/_emulator/status"
    answer = requests.post(url, json=body, headers=AUTH, timeout=10)
    assert answer.status_code == status
    assert answer.json()["error"]


def test_messages_lists_what_the_emulator_received(controlled: Emulator) -> None:
    api = Api(controlled)
    api.send(phones="79990000001", mes="first")
    api.send(phones="79990000002", mes="second", sender="Shop", voice="w", subj="Re")
    listed = call(controlled, "GET", "messages", login="demo")["messages"]
    assert [(m["phone"], m["text"], m["status"]) for m in listed] == [
        ("79990000002", "second", -1),
        ("79990000001", "first", -1),
    ]
    assert listed[0]["sender"] == "Shop" and listed[0]["cost"] == "1.40"
    assert (listed[0]["options"], listed[0]["subject"]) == ({"voice": "w"}, "Re")
    assert (listed[1]["options"], listed[1]["subject"]) == ({}, None)
    one = call(controlled, "GET", "messages", login="demo", phone="79990000001", limit="5")
    assert [m["text"] for m in one["messages"]] == ["first"]
    assert call(controlled, "GET", "messages", login="shop") == {"messages": []}


def test_accounts_are_read_and_a_balance_set(controlled: Emulator) -> None:
    rows = call(controlled, "GET", "accounts")["accounts"]
    assert [(r["login"], r["balance"]) for r in rows] == [("demo", "100.00"), ("shop", "5.00")]
    call(controlled, "POST", "accounts", {"login": "demo", "balance": "0.50"})
    answer = Api(controlled).send()
    assert answer["error_code"] == 3  # no money: what the balance was set for


def test_bad_json_unknown_paths_and_methods(controlled: Emulator) -> None:
    base = f"{controlled.http_url}/_emulator"
    bad = requests.post(f"{base}/incoming", data=b"{nope", headers=AUTH, timeout=10)
    assert bad.status_code == 400
    array = requests.post(f"{base}/incoming", json=[1], headers=AUTH, timeout=10)
    assert array.status_code == 400
    assert requests.get(f"{base}/nothing", headers=AUTH, timeout=10).status_code == 404
    assert requests.delete(f"{base}/clock", headers=AUTH, timeout=10).status_code in (404, 405, 501)
    assert requests.put(f"{base}/clock", headers=AUTH, timeout=10).status_code in (405, 501)
    missing = requests.post(f"{base}/incoming", json={"login": "demo"}, headers=AUTH, timeout=10)
    assert missing.status_code == 400 and "phone" in missing.json()["error"]


def test_control_beyond_loopback_needs_a_token() -> None:
    with pytest.raises(ValueError, match="needs a token"):
        Emulator(host="0.0.0.0", control=ControlSettings(enabled=True))
    assert "s3cret" not in repr(ControlSettings(enabled=True, token=TOKEN))


def test_curl_drives_it_as_the_docs_show(controlled: Emulator) -> None:
    require_command("curl", "to play the curl examples of docs/emulator.md")
    base = f"{controlled.http_url}/_emulator"
    inject = [
        "curl", "-sS", "--fail", "-X", "POST", f"{base}/incoming",
        "-H", f"Authorization: Bearer {TOKEN}", "-H", "Content-Type: application/json",
        "-d", '{"login": "demo", "phone": "79991112233", "text": "STOP"}',
    ]  # fmt: skip
    done = subprocess.run(inject, capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(done.stdout)["text"] == "STOP"
    advance = ["curl", "-sS", "--fail", "-X", "POST", f"{base}/clock",
               "-H", f"Authorization: Bearer {TOKEN}", "-d", '{"advance": 3}']  # fmt: skip
    done = subprocess.run(advance, capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(done.stdout)["now"] == 1_700_000_003.0
