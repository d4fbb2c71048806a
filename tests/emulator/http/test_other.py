"""Balance, history, inbox, senders and authentication over real HTTP."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
import requests

from smsc_transports.emulator import Account, Emulator, ManualClock
from tests.emulator.api import Api


@pytest.fixture
def api(emulator: Emulator) -> Api:
    return Api(emulator)


class TestBalance:
    def test_every_format(self, api: Api) -> None:
        assert api.text("balance") == "100.00"
        assert api.text("balance", fmt=1) == "100.00"
        assert api.json("balance") == {"balance": "100.00"}
        root = ET.fromstring(api.text("balance", fmt=2).encode())
        assert root.findtext("balance") == "100.00"

    def test_cur_adds_the_currency(self, api: Api) -> None:
        assert api.json("balance", cur=1) == {"balance": "100.00", "currency": "RUB"}
        assert api.text("balance", cur=1, fmt=1) == "100.00,RUB"

    def test_cur_adds_the_credit_when_there_is_one(self, manual_clock: ManualClock) -> None:
        account = Account("c", "p", balance=Decimal(5), currency="RUR", credit=Decimal(50))
        with Emulator([account], clock=manual_clock) as emu:
            fields: dict[str, str | int] = {"login": "c", "psw": "p", "fmt": 3, "cur": 1}
            answer = requests.get(emu.http_url + "/sys/balance.php", params=fields, timeout=5)
        assert answer.json() == {"balance": "5.00", "credit": "50.00", "currency": "RUR"}

    def test_balance_goes_down_by_the_cost(self, api: Api) -> None:
        api.send(mes="x" * 161)
        assert api.json("balance") == {"balance": "97.20"}

    def test_eleventh_request_in_a_minute_is_error_9(
        self, api: Api, manual_clock: ManualClock
    ) -> None:
        for _ in range(10):
            assert "balance" in api.json("balance")
        assert api.json("balance")["error_code"] == 9
        assert api.text("balance", fmt=1) == "0,-9"
        manual_clock.advance(60)
        assert "balance" in api.json("balance")


class TestAuthentication:
    def test_md5_of_the_password_is_accepted(self, api: Api) -> None:
        digest = hashlib.md5(b"demo").hexdigest()
        assert api.json("balance", psw=digest) == {"balance": "100.00"}

    def test_api_key_alone_or_as_password_with_empty_login(self, manual_clock: ManualClock) -> None:
        with Emulator([Account("k", "p", apikey="SECRET")], clock=manual_clock) as emu:
            url = emu.http_url + "/sys/balance.php"
            by_key = requests.post(url, data={"apikey": "SECRET", "fmt": 3}, timeout=5)
            by_psw = requests.post(url, data={"login": "", "psw": "SECRET", "fmt": 3}, timeout=5)
            wrong = requests.post(url, data={"apikey": "nope", "fmt": 3}, timeout=5)
        assert by_key.json() == by_psw.json() == {"balance": "100.00"}
        assert wrong.json() == {"error": "authorise error", "error_code": 2}

    def test_request_from_an_address_not_allowed_is_error_2(
        self, manual_clock: ManualClock
    ) -> None:
        locked = Account("ip", "p", allowed_ips=("192.0.2.1",))
        with Emulator([locked], clock=manual_clock) as emu:
            fields = {"login": "ip", "psw": "p", "fmt": 3}
            answer = requests.post(emu.http_url + "/sys/balance.php", data=fields, timeout=5)
        assert answer.json()["error_code"] == 2


class TestHistoryAndInbox:
    def test_sent_history_is_newest_first_with_int_ids(self, api: Api) -> None:
        api.send(mes="first")
        api.send(phones="79990000002", mes="second")
        history = api.json("get", get_messages=1)
        assert [(h["id"], h["phone"], h["message"]) for h in history] == [
            (2, "79990000002", "second"),
            (1, "79990000001", "first"),
        ]
        assert history[0]["int_id"] > history[1]["int_id"]
        older = api.json("get", get_messages=1, prev_id=history[0]["int_id"])
        assert [h["message"] for h in older] == ["first"]

    def test_history_filters_by_phone_and_count(self, api: Api) -> None:
        api.send(phones="79990000001", mes="a")
        api.send(phones="79990000002", mes="b")
        api.send(phones="79990000001", mes="c")
        picked = api.json("get", get_messages=1, phone="79990000001", cnt=1)
        assert [h["message"] for h in picked] == ["c"]

    def test_history_dates_bound_the_send_day(self, api: Api) -> None:
        api.send()
        assert len(api.json("get", get_messages=1, start="15.11.2023", end="15.11.2023")) == 1
        assert api.json("get", get_messages=1, start="16.11.2023") == []
        assert api.json("get", get_messages=1, start="2023-11-15")["error_code"] == 1

    def test_inbox_lists_injected_incoming_messages(self, emulator: Emulator, api: Api) -> None:
        emulator.state.add_incoming("demo", "79990000007", "Да, приду", to_phone="79990009999")
        inbox = api.json("get", get_answers=1)
        assert len(inbox) == 1
        assert {k: inbox[0][k] for k in ("id", "phone", "to_phone", "message")} == {
            "id": 1,
            "phone": "79990000007",
            "to_phone": "79990009999",
            "message": "Да, приду",
        }
        assert inbox[0]["received"] == "15.11.2023 01:13:20"
        assert api.json("get", get_answers=1, after_id=1) == []

    def test_get_without_a_known_switch_is_error_1(self, api: Api) -> None:
        assert api.json("get", get_price=1)["error_code"] == 1
        assert api.json("get", get_foo=1)["error_code"] == 1


class TestSenders:
    def test_registered_senders_are_listed(self, manual_clock: ManualClock) -> None:
        account = Account("s", "p", senders=("Shop", "Alerts"))
        with Emulator([account], clock=manual_clock) as emu:
            fields: dict[str, str | int] = {"login": "s", "psw": "p", "get": 1, "fmt": 3}
            answer = requests.get(emu.http_url + "/sys/senders.php", params=fields, timeout=5)
        assert answer.json() == [{"sender": "Shop"}, {"sender": "Alerts"}]

    def test_sender_operations_the_emulator_does_not_model_are_error_1(self, api: Api) -> None:
        # add, send_code and check_code are modelled (tests/backends/http/test_account_api.py).
        assert api.json("senders", chg=1, sender="X")["error_code"] == 1
