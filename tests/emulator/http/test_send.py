"""``/sys/send.php`` and ``/rest/send/`` over real HTTP: every format, success and error."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
import requests

from smsc_transports.emulator import Account, Emulator, ManualClock
from tests.emulator.api import Api


@pytest.fixture
def api(emulator: Emulator) -> Api:
    return Api(emulator)


class TestSuccessFormats:
    def test_fmt0_is_ok_line_with_parts_and_id(self, api: Api) -> None:
        assert api.text("send", phones="79990000001", mes="hi") == "OK - 1 SMS, ID - 1"

    def test_fmt0_cost_modes_add_cost_and_balance(self, api: Api) -> None:
        text = api.text("send", phones="79990000001", mes="hi", cost=3)
        assert text == "OK - 1 SMS, ID - 1, COST - 1.40, BALANCE - 98.60"

    def test_fmt1_is_id_and_count_then_cost_and_balance(self, api: Api) -> None:
        assert api.text("send", phones="79990000001", mes="a", fmt=1) == "1,1"
        assert api.text("send", phones="79990000001", mes="b", fmt=1, cost=2) == "2,1,1.40"
        assert api.text("send", phones="79990000001", mes="c", fmt=1, cost=3) == "3,1,1.40,95.80"

    def test_fmt2_is_an_xml_result(self, api: Api) -> None:
        text = api.text("send", phones="79990000001", mes="hi", fmt=2, cost=3)
        root = ET.fromstring(text.encode())
        assert root.tag == "result"
        assert {child.tag: child.text for child in root} == {
            "id": "1",
            "cnt": "1",
            "cost": "1.40",
            "balance": "98.60",
        }

    def test_fmt3_has_numeric_id_and_cnt_and_string_money(self, api: Api) -> None:
        answer = api.send(cost=3)
        assert answer == {"id": 1, "cnt": 1, "cost": "1.40", "balance": "98.60"}

    def test_price_query_answers_cost_and_count_and_sends_nothing(self, api: Api) -> None:
        assert api.send(mes="Я" * 71, cost=1) == {"cost": "2.80", "cnt": 2}
        assert api.text("send", phones="79990000001", mes="x", cost=1, fmt=1) == "1.40,1"
        assert api.json("balance") == {"balance": "100.00"}

    def test_several_phones_share_one_id_and_sum_their_parts(self, api: Api) -> None:
        answer = api.send(phones="79990000001,79990000002;+79990000003", cost=2)
        assert answer == {"id": 1, "cnt": 3, "cost": "4.20"}

    def test_op_adds_a_per_phone_list(self, api: Api) -> None:
        answer = api.send(phones="79990000001,123", op=1)
        assert answer["phones"] == [
            {"phone": "79990000001", "mccmnc": "25099", "cost": "1.40", "status": -1, "error": 0},
            {"phone": "123", "mccmnc": "", "cost": "0.00", "status": 22, "error": 7},
        ]

    def test_op_in_xml_lists_each_phone_with_its_own_cost(self, api: Api) -> None:
        text = api.text("send", phones="79990000001,123,79990000002", mes="hi", fmt=2, op=1)
        items = ET.fromstring(text.encode()).findall("phones/item")
        assert [{child.tag: child.text for child in item} for item in items] == [
            {
                "phone": "79990000001",
                "mccmnc": "25099",
                "cost": "1.40",
                "status": "-1",
                "error": "0",
            },
            {"phone": "123", "mccmnc": None, "cost": "0.00", "status": "22", "error": "7"},
            {
                "phone": "79990000002",
                "mccmnc": "25099",
                "cost": "1.40",
                "status": "-1",
                "error": "0",
            },
        ]

    def test_err_adds_only_the_refused_phones(self, api: Api) -> None:
        answer = api.send(phones="79990000001,79990004008", err=1)
        assert [p["phone"] for p in answer["phones"]] == ["79990004008"]

    def test_list_sends_each_phone_its_own_text(self, api: Api) -> None:
        answer = api.json("send", list="79990000001:Your code: 1\n79990000002:Ваш код: 2\n")
        assert answer == {"id": 1, "cnt": 2}
        message = api.status(1, "79990000002", all=1)["message"]
        assert message == "Ваш код: 2"

    def test_string_client_id_is_echoed_as_a_string(self, api: Api) -> None:
        assert api.send(id="order-7")["id"] == "order-7"

    def test_get_with_credentials_in_the_query_works_too(self, api: Api) -> None:
        answer = api.raw("send", method="GET", phones="79990000001", mes="hi", fmt=3)
        assert answer.json() == {"id": 1, "cnt": 1}


class TestErrors:
    def test_error_formats_without_id(self, api: Api) -> None:
        bad = {"phones": "79990000001", "mes": "x", "psw": "wrong"}
        assert api.text("send", **bad) == "ERROR = 2 (authorise error)"
        assert api.text("send", **bad, fmt=1) == "0,-2"
        assert api.json("send", **bad) == {"error": "authorise error", "error_code": 2}
        root = ET.fromstring(api.text("send", **bad, fmt=2).encode())
        assert (root.findtext("error"), root.findtext("error_code")) == ("authorise error", "2")
        assert root.find("id") is None

    def test_error_formats_with_id(self, api: Api) -> None:
        assert api.text("send", phones="123", mes="x") == "ERROR = 7 (invalid number), ID - 1"
        assert api.text("send", phones="123", mes="y", fmt=1) == "2,-7"
        assert api.send(phones="123", mes="z") == {
            "error": "invalid number",
            "error_code": 7,
            "id": 3,
        }
        root = ET.fromstring(api.text("send", phones="12", mes="w", fmt=2).encode())
        assert root.findtext("id") == "4"

    def test_missing_login_is_error_1(self, api: Api) -> None:
        answer = api.raw("send", auth=False, phones="79990000001", mes="x", fmt=3)
        assert answer.status_code == 200
        assert answer.json()["error_code"] == 1

    def test_not_enough_money_is_error_3(self, emulator: Emulator, api: Api) -> None:
        emulator.state.set_balance("demo", "0.50")
        assert api.send() == {"error": "no money", "error_code": 3, "id": 1}

    def test_bad_time_is_error_5(self, api: Api) -> None:
        assert api.send(time="32.13.24 25:00")["error_code"] == 5

    @pytest.mark.parametrize(("phone", "code"), [("79990004006", 6), ("79990004008", 8)])
    def test_refused_test_numbers(self, api: Api, phone: str, code: int) -> None:
        assert api.send(phones=phone) == {
            "error": {6: "message is forbidden", 8: "message can't be delivered"}[code],
            "error_code": code,
            "id": 1,
        }

    def test_duplicate_is_error_9_and_a_client_id_retry_means_accepted(self, api: Api) -> None:
        assert api.send(id=77)["id"] == 77
        assert api.send(id=77) == {"error": "duplicate request, wait a minute", "error_code": 9}

    def test_unregistered_sender_is_error_6(self, manual_clock: ManualClock) -> None:
        with Emulator([Account("shop", "pw", senders=("Shop",))], clock=manual_clock) as emu:
            url = emu.http_url + "/sys/send.php"
            fields = {"login": "shop", "psw": "pw", "phones": "79990000001", "mes": "x"}
            good = requests.post(url, data={**fields, "sender": "Shop", "fmt": 3}, timeout=5)
            bad = requests.post(url, data={**fields, "sender": "Evil", "fmt": 3}, timeout=5)
        assert good.json() == {"id": 1, "cnt": 1}
        assert bad.json()["error_code"] == 6


class TestRestSend:
    def test_json_body_in_json_answer_out(self, emulator: Emulator) -> None:
        body = {
            "login": "demo",
            "psw": "demo",
            "phones": ["79990000001"],
            "mes": "Привет",
            "cost": 3,
            "valid": "01:00",
        }
        answer = requests.post(emulator.http_url + "/rest/send/", json=body, timeout=5)
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        assert answer.json() == {"id": 1, "cnt": 1, "cost": "1.40", "balance": "98.60"}

    @pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"phones": {"a": 1}}'])
    def test_unparsable_json_is_error_1(self, emulator: Emulator, body: bytes) -> None:
        answer = requests.post(emulator.http_url + "/rest/send/", data=body, timeout=5)
        assert json.loads(answer.content) == {"error": "parameters error", "error_code": 1}


class TestCharsets:
    @pytest.mark.parametrize("charset", ["koi8-r", "windows-1251", "utf-8"])
    def test_cyrillic_and_special_characters_round_trip(self, api: Api, charset: str) -> None:
        text = "Привет, мир! 1+1=2 & a#b\nновая строка"
        data = {"phones": "79990000001", "mes": text, "charset": charset}
        encoded = "&".join(
            f"{k}={quote(v.encode(charset), safe='')}"
            for k, v in {"login": "demo", "psw": "demo", "fmt": "3", **data}.items()
        )
        sent = api.session.post(
            api.base + "/sys/send.php",
            data=encoded,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=5,
        )
        # The body is in the charset asked for; the label is SMSC's, whatever was asked.
        assert sent.headers["Content-Type"] == "application/json; charset=windows-1251"
        assert json.loads(sent.content.decode(charset)) == {"id": 1, "cnt": 1}
        status = api.text("status", id=1, phone="79990000001", all=1, fmt=3, charset=charset)
        assert json.loads(status)["message"] == text

    def test_windows_1251_is_the_default(self, api: Api) -> None:
        body = "login=demo&psw=demo&fmt=3&phones=79990000001&mes=" + quote("Тест".encode("cp1251"))
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        api.session.post(api.base + "/sys/send.php", data=body, headers=headers, timeout=5)
        answer = api.raw("status", id=1, phone="79990000001", all=1, fmt=3, charset=None)
        assert answer.headers["Content-Type"] == "application/json; charset=windows-1251"
        assert json.loads(answer.content.decode("cp1251"))["message"] == "Тест"

    def test_bytes_invalid_in_the_charset_are_error_1(self, api: Api) -> None:
        body = b"login=demo&psw=demo&fmt=3&charset=utf-8&phones=79990000001&mes=%FF%FE"
        answer = api.session.post(api.base + "/sys/send.php", data=body, timeout=5)
        assert answer.json()["error_code"] == 1

    def test_characters_missing_from_the_charset_are_escaped_in_json(self, api: Api) -> None:
        api.send(mes="smile 😀", charset="utf-8")
        status = api.raw("status", id=1, phone="79990000001", all=1, fmt=3, charset="koi8-r")
        assert json.loads(status.content.decode("koi8-r"))["message"] == "smile 😀"
