"""status.php rows as SMSC's libraries read them: HLR fields, all=1/2, several ids, -2."""

from __future__ import annotations

import json

import pytest
import requests

from smsc_transports import Message, MessageKind, MessageStatus, create_transport
from smsc_transports.emulator import Emulator, Limits, ManualClock
from tests.emulator.fidelity.sources import L_PHP35, L_PY20, P_STATUS, P_STATUSES, body, check

AUTH = {"login": "demo", "psw": "demo", "charset": "utf-8"}
HLR_NAMES = ["imsi", "msc", "mcc", "mnc", "cn", "net", "rcn", "rnet"]


def _get(emulator: Emulator, command: str, **params: str | int) -> str:
    answer = requests.get(
        f"{emulator.http_url}/sys/{command}.php", params={**AUTH, **params}, timeout=5
    )
    return body(answer)


def _hlr(emulator: Emulator, clock: ManualClock, phone: str) -> None:
    """Send an HLR request the way smsc_api.py does (format 3 = ``hlr=1``, empty text)."""
    check(
        _get(emulator, "send", phones=phone, mes="", hlr=1, cost=3, fmt=1), "1,1,0.20,99.80", L_PY20
    )
    clock.advance(3)


# (test number, status, err, imsi, msc, rcn, rnet): docs/emulator.md "Test numbers".
HLR_CASES = [
    ("79990007000", 1, 0, "250999990007000", "79999900000", "", ""),
    ("79990007001", 20, 6, "250999990007001", "", "", ""),
    ("79990007002", 1, 0, "250999990007002", "905329900000", "Turkey", "Emulator Roaming"),
    ("79990007003", 20, 1, "", "", "", ""),
]


@pytest.mark.parametrize(("phone", "status", "err", "imsi", "msc", "rcn", "rnet"), HLR_CASES)
def test_hlr_status_has_the_11_fields_in_every_format(
    phone: str, status: int, err: int, imsi: str, msc: str, rcn: str, rnet: str
) -> None:
    clock = ManualClock()
    with Emulator(clock=clock) as emulator:
        _hlr(emulator, clock, phone)
        stamp = int(clock())
        hlr = [
            imsi,
            msc,
            "250",
            "99",
            "Russia",
            "Emulator Test",
            rcn,
            rnet,
        ]
        # fmt=1: (status, time, err, imsi, msc, mcc, mnc, cn, net, rcn, rnet) — 11 fields.
        line = _get(emulator, "status", id=1, phone=phone, fmt=1)
        check(line.split(","), [str(status), str(stamp), str(err), *hlr], L_PY20 + "; " + L_PHP35)
        # fmt=3: the same under SMSC's JSON names (mcc/mnc numbers, as T-cs types them).
        document = json.loads(_get(emulator, "status", id=1, phone=phone, fmt=3))
        expected: dict[str, object] = dict(zip(HLR_NAMES, hlr, strict=True))
        expected.update(mcc=250, mnc=99)
        check({k: document[k] for k in HLR_NAMES}, expected, P_STATUS + " (T-cs names)")
        check((document["status"], document["err"], document["flag"]), (status, err, 4), P_STATUS)
        # fmt=0: name = value pairs; fmt=2: elements.
        text = _get(emulator, "status", id=1, phone=phone, fmt=0)
        assert f"err = {err}, imsi = {hlr[0]}, msc = {msc}, mcc = 250, mnc = 99" in text
        xml = _get(emulator, "status", id=1, phone=phone, fmt=2)
        assert f"<imsi>{hlr[0]}</imsi><msc>{msc}</msc><mcc>250</mcc>" in xml


def test_hlr_all_1_and_2_put_the_sender_hlr_where_the_libraries_look() -> None:
    """L-py20 keeps an HLR row whole when m[14] == "HLR" (all=1); L-php35 looks at
    index 17 for all=2. Both rows end with the (empty) text."""
    clock = ManualClock()
    with Emulator(clock=clock) as emulator:
        _hlr(emulator, clock, "79990007002")
        one = _get(emulator, "status", id=1, phone="79990007002", fmt=1, all=1).split(",")
        check((len(one), one[14], one[12]), (17, "HLR", "79990007002"), L_PY20)
        two = _get(emulator, "status", id=1, phone="79990007002", fmt=1, all=2).split(",")
        check((len(two), two[17]), (20, "HLR"), L_PHP35)
        check(two[14:17], ["Russia", "Emulator Test", "Emulator Test Region"], L_PHP35)


def test_sms_all_2_row_keeps_the_text_last_for_a_12_way_split() -> None:
    """L-php35 re-splits an all=2 row with explode(",", …, 12): the text is field 12."""
    clock = ManualClock()
    with Emulator(clock=clock) as emulator:
        _get(emulator, "send", phones="79990000001", mes="a,b", fmt=1)
        row = _get(emulator, "status", id=1, phone="79990000001", fmt=1, all=2).split(",", 11)
        check(row[11], "a,b", L_PHP35)
        check(row[6:9], ["Russia", "Emulator Test", "Emulator Test Region"], L_PHP35)


@pytest.mark.parametrize(
    ("level", "fmt1_fields", "fmt0_keys"),
    [
        (0, 5, ["id", "phone", "Status", "check_time", "err"]),  # id + phone + 3
        (1, 10, ["id", "Status", "check_time", "err", "send_date", "phone"]),  # id + 9
        (2, 13, ["id", "Status", "check_time", "err", "send_date", "phone"]),  # id + 12
    ],
)
def test_several_ids_add_the_id_and_with_all_0_the_phone(
    level: int, fmt1_fields: int, fmt0_keys: list[str]
) -> None:
    """L-php35: "with all = 0 each row also gets <message ID> and <phone>; with all = 1
    or 2 the <message ID> is added" — the all=1/2 rows carry the phone already."""
    # One mass request a minute is SMSC's limit; this test makes three.
    with Emulator(clock=ManualClock(), limits=Limits(mass_status_per_minute=None)) as emulator:
        _get(emulator, "send", phones="79990000001", mes="one", fmt=1)
        _get(emulator, "send", phones="79990000002", mes="two", fmt=1)
        lines = _get(
            emulator, "status", id="1,2", phone="79990000001,79990000002", fmt=1, all=level
        ).split("\n")
        check([len(line.split(",")) for line in lines], [fmt1_fields] * 2, L_PHP35)
        check([line.split(",")[0] for line in lines], ["1", "2"], L_PHP35)
        text = _get(emulator, "status", id="1,2", phone="79990000001,79990000002", all=level)
        first = [pair.split(" = ")[0] for pair in text.split("\n")[0].split(", ")]
        check(first[: len(fmt0_keys)], fmt0_keys, L_PHP35)
        check(first.count("phone"), 1, L_PHP35)
        items = json.loads(
            _get(emulator, "status", id="1,2", phone="79990000001,79990000002", fmt=3, all=level)
        )
        check(
            [(i["id"], i["phone"]) for i in items],
            [(1, "79990000001"), (2, "79990000002")],
            P_STATUS,
        )


def test_stopped_test_number_stays_minus_2() -> None:
    clock = ManualClock()
    with Emulator(clock=clock) as emulator:
        _get(emulator, "send", phones="79990008000", mes="paused", fmt=1)
        clock.advance(3600)
        check(
            _get(emulator, "status", id=1, phone="79990008000", fmt=1).split(",")[0],
            "-2",
            P_STATUSES,
        )


def test_the_librarys_client_parses_the_hlr_fields() -> None:
    """StatusResult.hlr, filled from the fmt=3 answer."""
    clock = ManualClock()
    with Emulator(clock=clock) as emulator, create_transport(emulator.url()) as transport:
        sent = transport.send(Message(["79990007002"], "", kind=MessageKind.HLR))
        clock.advance(3)
        result = transport.status(sent.id, "79990007002")
    assert result.status == MessageStatus.DELIVERED
    assert result.hlr is not None
    assert (result.hlr.imsi, result.hlr.roaming_country, result.hlr.operator) == (
        "250999990007002",
        "Turkey",
        "Emulator Test",
    )
