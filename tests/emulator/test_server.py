"""The :class:`Emulator` wrapper: lifecycle, URLs, extra front ends, fixtures."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest
import requests

from smsc_transports.emulator import Account, Emulator, EmulatorState, ManualClock


class FakeFrontEnd:
    """Stands in for a later SMPP listener: records start/stop, fixed port."""

    name = "smpp"

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.events: list[str] = []

    @property
    def port(self) -> int:
        return 2775

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")


def test_default_account_is_demo_with_100_rub(emulator: Emulator) -> None:
    account = emulator.state.authenticate("demo", "demo")
    assert (account.balance, account.currency) == (Decimal("100.00"), "RUB")


def test_urls_point_at_the_running_http_port(emulator: Emulator) -> None:
    port = emulator.http_port
    assert emulator.http_url == f"http://127.0.0.1:{port}"
    assert emulator.url() == f"http://demo:demo@127.0.0.1:{port}"
    assert emulator.url(login="a b", password="p@ss:") == f"http://a%20b:p%40ss%3A@127.0.0.1:{port}"
    assert emulator.ready_line() == f"emulator ready http={port}"
    with pytest.raises(ValueError, match="no smpp front end"):
        emulator.url("smpp")


def test_extra_front_ends_share_the_state_and_the_ready_line(manual_clock: ManualClock) -> None:
    made: list[FakeFrontEnd] = []

    def factory(state: EmulatorState) -> FakeFrontEnd:
        made.append(FakeFrontEnd(state))
        return made[-1]

    emulator = Emulator(clock=manual_clock, front_ends=[factory])
    with emulator:
        assert made[0].state is emulator.state
        assert emulator.ports == {"http": emulator.http_port, "smpp": 2775}
        assert emulator.ready_line().endswith(" smpp=2775")
        assert emulator.url("smpp") == "smpp://demo:demo@127.0.0.1:2775"
    assert made[0].events == ["start", "stop"]


def test_stop_releases_the_port_and_is_idempotent(manual_clock: ManualClock) -> None:
    emulator = Emulator(clock=manual_clock).start()
    port = emulator.http_port
    assert requests.get(emulator.http_url + "/sys/balance.php", timeout=5).status_code == 200
    emulator.stop()
    emulator.stop()
    assert not emulator.running
    with socket.socket() as probe, pytest.raises(OSError):
        probe.settimeout(2)
        probe.connect(("127.0.0.1", port))


def test_accounts_replace_the_demo_account(manual_clock: ManualClock) -> None:
    with Emulator([Account("shop", "pw")], clock=manual_clock) as emulator:
        with pytest.raises(KeyError):
            emulator.state.account("demo")
        assert emulator.state.account("shop").login == "shop"


def test_shared_emulator_is_unlimited_and_rich(shared_emulator: Emulator) -> None:
    fields: dict[str, str | int] = {"login": "demo", "psw": "demo", "fmt": 3}
    url = shared_emulator.http_url + "/sys/balance.php"
    answers = [requests.get(url, params=fields, timeout=5).json() for _ in range(12)]
    assert all("balance" in answer for answer in answers)
    assert Decimal(answers[-1]["balance"]) > Decimal(1000)


def test_account_repr_hides_secrets() -> None:
    text = repr(Account("shop", "hunter2", apikey="KEY-XYZ"))
    assert "hunter2" not in text
    assert "KEY-XYZ" not in text
