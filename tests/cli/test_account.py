"""``smsc status --watch``, ``history``, ``inbox`` and ``senders``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from smsc_transports.cli import account as cli_account
from smsc_transports.cli import main
from smsc_transports.emulator import Account, Emulator, ManualClock
from smsc_transports.factory import create_transport
from smsc_transports.message import Message


def send(emulator: Emulator, phone: str, text: str = "hi") -> str:
    with create_transport(emulator.url()) as transport:
        return transport.send(Message(phone, text)).id


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch, manual_clock: ManualClock) -> list[float]:
    """Make ``--watch`` wait on the emulator's manual clock instead of sleeping."""
    waited: list[float] = []

    def advance(seconds: float) -> None:
        waited.append(seconds)
        manual_clock.advance(seconds)

    monkeypatch.setattr(cli_account, "pause", advance)
    return waited


def test_watch_prints_each_change_until_delivered(
    emulator: Emulator, pauses: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    message_id = send(emulator, "79990000001")
    code = main(["status", message_id, "79990000001", "--watch", "--url", emulator.url()])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        f"{message_id} to 79990000001: waiting (-1, waiting to be sent)",
        f"{message_id} to 79990000001: delivered (1, delivered)",
    ]
    assert pauses == [15.0]  # the default interval keeps within SMSC's 5 a minute


def test_watch_exits_1_when_delivery_fails_and_prints_json_lines(
    emulator: Emulator, pauses: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    message_id = send(emulator, "79990001013")
    argv = ["status", message_id, "79990001013", "--watch", "--interval", "12", "--json"]
    assert main([*argv, "--url", emulator.url()]) == 1
    changes = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(c["status"], c["error"]) for c in changes] == [(-1, 0), (20, 13)]
    assert pauses == [12.0]


def test_watch_only_prints_changes(
    emulator: Emulator, pauses: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    message_id = send(emulator, "79990005000")  # stays transferred forever
    argv = ["status", message_id, "79990005000", "--watch", "--interval", "12"]
    assert main([*argv, "--timeout", "60", "--url", emulator.url()]) == 1
    captured = capsys.readouterr()
    assert [line.split(": ", 1)[1] for line in captured.out.splitlines()] == [
        "waiting (-1, waiting to be sent)",
        "transferred (0, transferred to the operator)",
    ]
    assert pauses == [12.0] * 5  # polls at 0, 12, 24, 36, 48 and 60 s
    assert "no final status within 60 s" in captured.err


def test_watch_refuses_an_interval_that_would_trip_smscs_limit(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["status", "1", "79990000001", "--watch", "--interval", "5"]
    assert main([*argv, "--url", emulator.url()]) == 2
    assert "5 status requests per message a minute" in capsys.readouterr().err


def test_watch_waits_out_error_9(emulator: Emulator, pauses: list[float]) -> None:
    message_id = send(emulator, "79990000002")
    with create_transport(emulator.url()) as transport:
        for _ in range(5):  # use up this minute's status requests for the message
            transport.status(message_id, "79990000002")
        notes: list[str] = []
        final = cli_account.watch_status(
            transport, message_id, "79990000002", interval=60, on_retry=notes.append
        )
    assert final is not None and final.status.is_delivered
    assert notes == ["SMSC says too many status requests (error 9); waiting"]


def test_history_lists_sent_messages_newest_first(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = send(emulator, "79990000001", "one"), send(emulator, "79990000002", "two")
    assert main(["history", "--json", "--url", emulator.url()]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [(m["id"], m["phone"], m["text"]) for m in found] == [
        (second, "79990000002", "two"),
        (first, "79990000001", "one"),
    ]
    assert main(["history", "--phone", "79990000001", "--url", emulator.url()]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert f"  {first}  79990000001  waiting  1.40  'one'" in lines[0]


def test_history_days_counts_back_from_today(
    shared_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    message_id = send(shared_emulator, "79990000777", "today")
    argv = ["history", "--days", "1", "--phone", "79990000777", "--json"]
    assert main([*argv, "--url", shared_emulator.url()]) == 0
    assert message_id in [m["id"] for m in json.loads(capsys.readouterr().out)]


def test_inbox_shows_received_messages(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.state.add_incoming("demo", "79991112233", "Да, приду", to_phone="79990000000")
    assert main(["inbox", "--hours", "2", "--url", emulator.url()]) == 0
    assert capsys.readouterr().out.endswith("79991112233 -> 79990000000: Да, приду\n")
    assert main(["inbox", "--json", "--url", emulator.url()]) == 0
    (message,) = json.loads(capsys.readouterr().out)
    assert (message["phone"], message["text"]) == ("79991112233", "Да, приду")


@pytest.fixture
def shop(manual_clock: ManualClock) -> Iterator[Emulator]:
    account = Account("demo", "demo", senders=("SHOP", "Shop.ru"))
    with Emulator([account], clock=manual_clock) as running:
        yield running


def test_senders_lists_registered_sender_ids(
    shop: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["senders", "--url", shop.url()]) == 0
    assert capsys.readouterr().out == "SHOP\nShop.ru\n"
    assert main(["senders", "--json", "--url", shop.url()]) == 0
    assert json.loads(capsys.readouterr().out) == ["SHOP", "Shop.ru"]


@pytest.mark.parametrize("command", [["history"], ["inbox"], ["senders"]])
def test_http_only_commands_refuse_other_protocols_naming_https(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main([*command, "--url", emulator.url("soap")]) == 2
    err = capsys.readouterr().err
    assert f"smsc {command[0]} needs SMSC's HTTP API" in err
    assert "https://" in err
