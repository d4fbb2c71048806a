"""The requests SMSC's own client libraries send, played with raw ``requests``.

Each case is the wire form one official library produces (read from its source, see
smsc-protocol.md §6): the PHP library 3.5 (GET, ``fmt=1``, ``charset=windows-1251``,
``id=0`` and ``translit=0`` always sent), the Python library 2.0 (``fmt=1``,
``charset=utf-8``, ``apikey=`` when the login is empty, POST above 2000 bytes) and the
JavaScript library 1.2 (``fmt=3``, a multipart POST for every call). Every answer is
checked field by field against the shape the library parses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import quote

import pytest
import requests

from smsc_transports.emulator import Account, Emulator, Limits, ManualClock
from tests.emulator.fidelity.sources import (
    L_JS,
    L_PHP35,
    L_PY20,
    P_AUTH,
    P_BALANCE,
    P_SEND_ANSWER,
    P_STATUS,
    body,
    check,
)

PHONE = "79990000001"


@pytest.fixture
def emulator(manual_clock: ManualClock) -> Iterator[Emulator]:
    shop = Account("shop", "secret", apikey="KEY-123", balance=Decimal("100.00"))
    # Several status requests for one message a minute are fine for these checks.
    limits = Limits(status_per_message_per_minute=None, mass_status_per_minute=None)
    with Emulator([shop], clock=manual_clock, limits=limits) as running:
        yield running


def php(emulator: Emulator, command: str, arg: str, password: str = "secret") -> str:
    """smsc_api.php 3.5's _smsc_send_cmd: GET, login/psw, fmt=1, charset=windows-1251."""
    url = (
        f"{emulator.http_url}/sys/{command}.php?login=shop&psw={quote(password)}"
        f"&fmt=1&charset=windows-1251&{arg}"
    )
    return body(requests.get(url, timeout=5), "windows-1251")


def py20(emulator: Emulator, command: str, arg: str, *, post: bool = False) -> str:
    """smsc_api.py 2.0's _smsc_send_cmd with an empty login: apikey=, fmt=1, utf-8."""
    data = f"apikey=KEY-123&fmt=1&charset=utf-8&{arg}"
    url = f"{emulator.http_url}/sys/{command}.php"
    if post or len(data) > 2000:
        answer = requests.post(url, data=data.encode("utf-8"), timeout=5)
    else:
        answer = requests.get(f"{url}?{data}", timeout=5)
    return body(answer, "utf-8")


def js(emulator: Emulator, command: str, fields: dict[str, str]) -> object:
    """smsc_api.js 1.2: a multipart/form-data POST of every call, fmt=3, utf-8."""
    form = {"login": "shop", "psw": "secret", "fmt": "3", "charset": "utf-8", **fields}
    files = {name: (None, value.encode("utf-8")) for name, value in form.items()}
    answer = requests.post(f"{emulator.http_url}/sys/{command}.php", files=files, timeout=5)
    assert answer.request.headers["Content-Type"].startswith("multipart/form-data")
    return json.loads(body(answer))


class TestPhpLibrary:
    def test_send_sms_returns_id_cnt_cost_balance(self, emulator: Emulator) -> None:
        mes = quote("Ваш пароль: 123".encode("cp1251"))
        line = php(emulator, "send", f"cost=3&phones={PHONE}&mes={mes}&translit=0&id=0")
        check(line.split(","), ["1", "1", "1.40", "98.60"], L_PHP35 + " send_sms")

    def test_send_sms_error_is_id_minus_code(self, emulator: Emulator) -> None:
        line = php(emulator, "send", "cost=3&phones=123&mes=x&translit=0&id=0")
        check(line, "1,-7", P_SEND_ANSWER + " (errors 3,6,7,8 carry the id)")

    def test_get_sms_cost_returns_cost_cnt(self, emulator: Emulator) -> None:
        mes = quote(("Вы успешно зарегистрированы!" * 3).encode("cp1251"))
        line = php(emulator, "send", f"cost=1&phones={PHONE}&mes={mes}&translit=0")
        check(line, "2.80,2", L_PHP35 + " get_sms_cost")

    def test_get_status_single_and_several(
        self, emulator: Emulator, manual_clock: ManualClock
    ) -> None:
        php(emulator, "send", f"cost=3&phones={PHONE}&mes=a&translit=0&id=0")
        php(emulator, "send", f"cost=3&phones={PHONE}&mes=b&translit=0&id=0")
        manual_clock.advance(3)
        stamp = int(manual_clock())
        check(php(emulator, "status", f"phone={PHONE}&id=1&all=0"), f"1,{stamp},0", P_STATUS)
        # Several ids: one line per message, each "id,phone," + the single form.
        lines = php(emulator, "status", f"phone={PHONE}&id=1,2&all=0").split("\n")
        check(lines, [f"1,{PHONE},1,{stamp},0", f"2,{PHONE},1,{stamp},0"], L_PHP35)

    def test_get_status_all_1_rejoins_the_text_after_8_splits(self, emulator: Emulator) -> None:
        mes = quote("a, b, c".encode("cp1251"))
        php(emulator, "send", f"cost=3&phones={PHONE}&mes={mes}&translit=0&id=0")
        row = php(emulator, "status", f"phone={PHONE}&id=1&all=1").split(",", 8)
        check(row[4:], [PHONE, "1.40", "SMSC.RU", "waiting to be sent", "a, b, c"], L_PHP35)

    def test_get_status_error_has_the_minus_at_index_2(self, emulator: Emulator) -> None:
        """The PHP library tells a several-id error by strpos($m[0], "-") == 2."""
        line = php(emulator, "status", f"phone={PHONE}&id=1,2&all=0", password="wrong")
        check((line, line.index("-")), ("0,-2", 2), L_PHP35)

    def test_get_balance_and_md5_password(self, emulator: Emulator) -> None:
        check(php(emulator, "balance", ""), "100.00", L_PHP35 + " get_balance")
        digest = hashlib.md5(b"secret", usedforsecurity=False).hexdigest()
        check(php(emulator, "balance", "", password=digest), "100.00", P_AUTH)


class TestPythonLibrary:
    def test_send_with_apikey_get_and_post(self, emulator: Emulator) -> None:
        mes = quote("Привет")
        line = py20(emulator, "send", f"cost=3&phones={PHONE}&mes={mes}&translit=0&id=0")
        check(line.split(","), ["1", "1", "1.40", "98.60"], L_PY20 + "; " + P_AUTH)
        long_text = quote("я" * 900)  # 5400 bytes encoded: the library POSTs it
        posted = py20(emulator, "send", f"cost=3&phones={PHONE}&mes={long_text}&translit=0&id=0")
        check(posted.split(",")[:2], ["2", "14"], L_PY20 + " (POST above 2000 bytes)")

    def test_get_balance_and_an_error(self, emulator: Emulator) -> None:
        check(py20(emulator, "balance", ""), "100.00", L_PY20 + " get_balance")
        wrong = requests.get(
            f"{emulator.http_url}/sys/balance.php?apikey=nope&fmt=1&charset=utf-8", timeout=5
        )
        check(body(wrong).split(","), ["0", "-2"], L_PY20 + " (len(m) > 1 means an error)")

    def test_hlr_request_is_format_3_with_empty_text(
        self, emulator: Emulator, manual_clock: ManualClock
    ) -> None:
        check(
            py20(emulator, "send", "cost=3&phones=79990007000&mes=&translit=0&id=0&hlr=1"),
            "1,1,0.20,99.80",
            L_PY20,
        )
        manual_clock.advance(3)
        row = py20(emulator, "status", "phone=79990007000&id=1&all=0").split(",")
        check(len(row), 11, L_PY20 + " get_status (HLR: 11 fields)")


class TestJsLibrary:
    def test_send_balance_status_in_multipart(self, emulator: Emulator) -> None:
        sent = js(emulator, "send", {"phones": PHONE, "mes": "Привет", "cost": "3"})
        check(sent, {"id": 1, "cnt": 1, "cost": "1.40", "balance": "98.60"}, P_SEND_ANSWER)
        balance = js(emulator, "balance", {"cur": "1"})
        check(balance, {"balance": "98.60", "currency": "RUB"}, L_JS + "; " + P_BALANCE)
        status = js(emulator, "status", {"phone": PHONE, "id": "1", "all": "1"})
        assert isinstance(status, dict)
        check(status["message"], "Привет", L_JS)
        check(status["phone"], PHONE, P_STATUS)

    def test_list_and_type_switch(self, emulator: Emulator) -> None:
        """send(type, data) puts <type>=1; list comes as phone:text lines."""
        sent = js(emulator, "send", {"list": f"{PHONE}:один\n79990000002:два", "flash": "1"})
        check(sent, {"id": 1, "cnt": 2}, L_JS)
        status = js(emulator, "status", {"phone": "79990000002", "id": "1", "all": "1"})
        assert isinstance(status, dict)
        check((status["message"], status["flag"]), ("два", 1), L_JS + "; " + P_STATUS)

    def test_error_object(self, emulator: Emulator) -> None:
        check(
            js(emulator, "send", {"phones": "", "mes": "x"}),
            {"error": "parameters error", "error_code": 1},
            P_SEND_ANSWER,
        )
