"""send.php features the emulator once accepted and ignored, now modelled as SMSC documents."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests

from smsc_transports.emulator import Account, Emulator, ManualClock
from tests.emulator.fidelity.sources import (
    D_PREFIX,
    D_STAT,
    D_TINYURL,
    P_ENDPOINTS,
    P_SEND,
    P_SEND_ANSWER,
    P_STATUSES,
    body,
    check,
)

AUTH = {"login": "demo", "psw": "demo", "charset": "utf-8"}


class Api:
    """fmt=3 requests over raw HTTP, POSTed like SMSC's libraries do above 2000 bytes."""

    def __init__(self, emulator: Emulator) -> None:
        self.base = emulator.http_url
        self.session = requests.Session()

    def call(self, command: str, **params: object) -> Any:
        fields = {**AUTH, "fmt": 3, **params}
        answer = self.session.post(f"{self.base}/sys/{command}.php", data=fields, timeout=5)
        return json.loads(body(answer))

    def status(self, id: object, phone: str) -> Any:
        return self.call("status", id=id, phone=phone, all=1)


@pytest.fixture
def api(manual_clock: ManualClock) -> Any:
    with Emulator(clock=manual_clock) as emulator:
        yield Api(emulator)


class TestTinyurl:
    def test_links_become_short_links_that_count_clicks_and_give_status_4(
        self, api: Api, manual_clock: ManualClock
    ) -> None:
        # 170 characters as written, two parts; under 160 once the link is short.
        long_link = "https://shop.example/orders/12345?track=1&" + "x" * 110
        text = f"Your order: {long_link} thanks"
        sent = api.call("send", phones="79990000001,79990000002", mes=text, tinyurl=1, cost=3)
        message = api.status(sent["id"], "79990000001")["message"]
        match = re.fullmatch(r"Your order: (http://127\.0\.0\.1:\d+/t/[0-9a-f]{6}) thanks", message)
        assert match, message
        other = api.status(sent["id"], "79990000002")["message"]
        assert other != message  # each recipient has its own link: a click tells whose
        # The short text is what is counted and billed: one part for each of the two.
        assert len(text) > 160 > len(message)
        check((sent["cnt"], sent["cost"]), (2, "2.80"), P_SEND_ANSWER)
        manual_clock.advance(3)
        check(api.status(sent["id"], "79990000001")["status"], 1, P_STATUSES)
        manual_clock.advance(60)
        click = requests.get(match[1], allow_redirects=False, timeout=5)
        check(
            (click.status_code, click.headers["Location"]),
            (302, long_link),
            D_TINYURL,
        )
        after = api.status(sent["id"], "79990000001")
        check((after["status"], after["last_timestamp"]), (4, int(manual_clock())), P_STATUSES)
        check(api.status(sent["id"], "79990000002")["status"], 1, P_STATUSES)
        stats = api.call("tinyurls", get=1, link=match[1])
        check(
            {k: stats[k] for k in ("cnt", "cnt_mon", "cnt_day")},
            {"cnt": 1, "cnt_mon": 1, "cnt_day": 1},
            D_TINYURL,
        )
        check(api.call("tinyurls", get=1, id=stats["id"])["cnt"], 1, D_TINYURL)

    def test_a_click_before_delivery_shows_once_delivered(
        self, api: Api, manual_clock: ManualClock
    ) -> None:
        sent = api.call("send", phones="79990000001", mes="see https://a.example", tinyurl=1)
        link = api.status(sent["id"], "79990000001")["message"].split()[-1]
        requests.get(link, allow_redirects=False, timeout=5)
        check(api.status(sent["id"], "79990000001")["status"], -1, P_STATUSES)
        manual_clock.advance(3)
        check(api.status(sent["id"], "79990000001")["status"], 4, P_STATUSES)

    def test_without_tinyurl_links_stay_and_unknown_links_are_404(self, api: Api) -> None:
        sent = api.call("send", phones="79990000001", mes="see https://a.example")
        check(api.status(sent["id"], "79990000001")["message"], "see https://a.example", P_SEND)
        unknown = requests.get(api.base + "/t/zzzzzz", allow_redirects=False, timeout=5)
        assert unknown.status_code == 404
        check(api.call("tinyurls", get=1, id=99)["error_code"], 1, D_TINYURL)


def test_period_and_freq_spread_a_mailing(api: Api, manual_clock: ManualClock) -> None:
    """period=1 h, freq=30 min: two batches; three recipients go at +0, +0, +30 min."""
    phones = "79990000001,79990000002,79990000003"
    sent = api.call("send", phones=phones, mes="spread", period=1, freq=30)
    starts = [api.status(sent["id"], p)["send_timestamp"] for p in phones.split(",")]
    now = int(manual_clock())
    check(starts, [now, now, now + 1800], P_SEND)
    check(api.status(sent["id"], "79990000003")["status"], -1, P_STATUSES)
    for bad in ({"period": "0.05"}, {"period": "721"}, {"period": "1", "freq": "0"}):
        answer = api.call("send", phones="79990000004", mes="x", **bad)
        check(answer["error_code"], 1, P_SEND)


def test_list_lines_carry_their_own_sender_and_time_zone(api: Api) -> None:
    lines = "Shop|79990000001:first\nAlerts,2|79990000002:second\n79990000003:third"
    sent = api.call("send", list=lines, sender="Main", time="0101301200")
    rows = {p: api.status(sent["id"], p) for p in ("79990000001", "79990000002", "79990000003")}
    check(
        {p: r["sender_id"] for p, r in rows.items()},
        {"79990000001": "Shop", "79990000002": "Alerts", "79990000003": "Main"},
        P_SEND + " (list= sender[,tz]|phone:message)",
    )
    # tz=2: the line's time is Moscow+2, two hours earlier than the others'.
    check(
        rows["79990000001"]["send_timestamp"] - rows["79990000002"]["send_timestamp"],
        7200,
        P_SEND,
    )


def test_a_list_line_sender_must_be_registered(manual_clock: ManualClock) -> None:
    with Emulator([Account("s", "p", senders=("Shop",))], clock=manual_clock) as emulator:
        answer = requests.post(
            emulator.http_url + "/sys/send.php",
            data={"login": "s", "psw": "p", "fmt": 3, "list": "Evil|79990000001:hi"},
            timeout=5,
        ).json()
        check(answer["error_code"], 6, P_SEND_ANSWER)


def test_contact_groups(manual_clock: ManualClock) -> None:
    with Emulator(clock=manual_clock) as emulator:
        group = emulator.state.add_group("demo", ["79990000001", "+79990000002"])
        api = Api(emulator)
        sent = api.call("send", phones=f"G{group}", mes="to the group", cost=2)
        check((sent["cnt"], sent["cost"]), (2, "2.80"), P_SEND + " (phones=G<id>)")
        check(api.status(sent["id"], "79990000002")["message"], "to the group", P_SEND)
        check(api.call("send", phones="G99", mes="x")["error_code"], 7, P_SEND_ANSWER)


@pytest.mark.parametrize(
    ("prefix", "flag", "cost"),
    [("__CALL__", 7, "2.00"), ("__VIBER__", 10, "0.60"), ("__PING__", 5, "0.20")],
)
def test_message_prefixes_pick_the_kind(api: Api, prefix: str, flag: int, cost: str) -> None:
    sent = api.call("send", phones="79990000001", mes=f"{prefix}Hello", cost=2)
    check(sent["cost"], cost, D_PREFIX)
    row = api.status(sent["id"], "79990000001")
    check((row["flag"], row["type"]), (flag, flag), D_PREFIX)
    if prefix != "__PING__":
        check(row["message"], "Hello", D_PREFIX)


def test_subject_of_an_email_is_shown(api: Api) -> None:
    sent = api.call(
        "send", phones="a@b.example", mes="body", mail=1, subj="Invoice", sender="x@y.example"
    )
    check(api.status(sent["id"], "a@b.example")["subj"], "Invoice", P_SEND + " (subj)")
    history = api.call("get", get_messages=1)
    check(history[0]["subj"], "Invoice", P_SEND)


def test_get_stat_counts_what_was_sent(api: Api) -> None:
    api.call("send", phones="79990000001,79990000002", mes="one")
    stat = api.call("get", get_stat=1, start="01.11.2023", end="30.11.2023")
    check(
        stat,
        {"login": "demo", "cnt": 2, "credit": "2.80", "debit": "0.00", "currency": "RUB"},
        D_STAT,
    )
    check(api.call("get", get_stat=1, start="01.12.2023")["cnt"], 0, D_STAT)


@pytest.mark.parametrize(
    "path",
    [
        "phones",
        "templates",
        "op_templates",
        "users",
        "documents",
        "receive_phones",
        "ping",
        "wait_call",
    ],
)
def test_documented_commands_not_modelled_answer_error_1_after_the_login(
    api: Api, path: str
) -> None:
    check(api.call(path, get=1), {"error": "parameters error", "error_code": 1}, P_ENDPOINTS)
    wrong = requests.post(
        f"{api.base}/sys/{path}.php", data={"login": "demo", "psw": "x", "fmt": 1}, timeout=5
    )
    check(body(wrong), "0,-2", P_ENDPOINTS)


def test_an_undocumented_path_is_a_plain_404(api: Api) -> None:
    assert requests.get(api.base + "/sys/nothing.php", timeout=5).status_code == 404
