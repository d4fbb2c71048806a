"""The emulator's info.php, jobs.php, senders.php add/confirm, cost with list= and
multipart uploads, spoken to with plain ``requests`` as any client of SMSC would."""

from __future__ import annotations

import json

import pytest
import requests

from smsc_transports.emulator import Emulator, ManualClock
from tests.emulator.api import CREDENTIALS, Api


@pytest.fixture
def api(emulator: Emulator) -> Api:
    return Api(emulator)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (0, "phone = 79990000001, country = Russia, operator = Emulator Test, "
            "region = Emulator Test Region, mcc = 250, mnc = 99"),
        (1, "79990000001,Russia,Emulator Test,Emulator Test Region,250,99"),
        (2, '<?xml version="1.0" encoding="utf-8"?>\n<result><phone>79990000001</phone>'
            "<country>Russia</country><operator>Emulator Test</operator>"
            "<region>Emulator Test Region</region><mcc>250</mcc><mnc>99</mnc></result>"),
    ],
)  # fmt: skip
def test_info_answers_the_operator_in_every_format(api: Api, fmt: int, expected: str) -> None:
    assert api.text("info", get_operator=1, phone="79990000001", fmt=fmt) == expected


def test_info_without_get_operator_or_with_a_bad_number_is_error_1(api: Api) -> None:
    assert api.json("info", phone="79990000001")["error_code"] == 1
    assert api.json("info", get_operator=1, phone="abc")["error_code"] == 1


def test_cost_of_a_list_prices_each_line_and_per_number_with_op(api: Api) -> None:
    answer = api.json("send", cost=1, op=1, list="79990000001:short\n79990000002:" + "x" * 200)
    assert (answer["cost"], answer["cnt"]) == ("4.20", 3)
    assert [(p["phone"], p["cost"]) for p in answer["phones"]] == [
        ("79990000001", "1.40"),
        ("79990000002", "2.80"),
    ]


def test_a_job_is_added_listed_cancelled_and_deleted(
    api: Api, emulator: Emulator, manual_clock: ManualClock
) -> None:
    added = api.json("jobs", add=1, name="sale", phones="79990000001", mes="hi", time="+10")
    [job] = api.json("jobs", get_all=1)
    assert (job["id"], job["name"], job["status"], job["mes"]) == (added["id"], "sale", 0, "hi")
    assert api.json("jobs", get=1, id=added["id"]) == [job]
    assert api.json("jobs", cancel=1, id=added["id"]) == {"result": "OK"}
    assert api.json("jobs", get_all=1)[0]["status"] == 2
    assert api.json("jobs", cancel=1, id=added["id"]) == {"result": "OK"}  # twice: harmless
    assert api.json("jobs", **{"del": 1, "id": added["id"]}) == {"result": "OK"}
    assert api.json("jobs", get_all=1) == []
    assert api.json("jobs", cancel=1, id=added["id"])["error_code"] == 1


def test_a_job_without_a_time_runs_at_once_and_is_done(api: Api) -> None:
    api.json("jobs", add=1, phones="79990000001", mes="now")
    assert api.json("jobs", get_all=1)[0]["status"] == 1


def test_senders_add_send_code_and_check_code(api: Api, emulator: Emulator) -> None:
    assert api.json("senders", add=1, sender="79990000009") == {"sender": "79990000009"}
    assert api.json("senders", check_code=1, sender="79990000009", code="0000")["error_code"] == 1
    assert api.json("senders", send_code=1, sender="79990000009") == {"result": "OK"}
    code = emulator.state.sender_code("demo", "79990000009")
    assert code is not None and len(code) == 4
    assert api.json("senders", check_code=1, sender="79990000009", code=code) == {"result": "OK"}
    assert {"sender": "79990000009"} in api.json("senders", get=1)
    # A code is for a number that was added and not yet confirmed.
    assert api.json("senders", send_code=1, sender="79990000008")["error_code"] == 1


def test_a_multipart_send_with_files_is_stored_like_smscs_php_library_sends_it(
    emulator: Emulator,
) -> None:
    fields = {**CREDENTIALS, "phones": "79990000001", "mes": "pic", "mms": "1", "fmt": "3",
              "charset": "utf-8"}  # fmt: skip
    files = {
        "file0": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png"),
        "file1": ("b.txt", "текст".encode(), "text/plain"),
    }
    answer = requests.post(
        emulator.http_url + "/sys/send.php", data=fields, files=files, timeout=5
    ).json()
    stored = emulator.state.attachments("demo", str(answer["id"]), "79990000001")
    assert [(f.name, f.content_type, f.content) for f in stored] == [
        ("a.png", "image/png", b"\x89PNG\r\n\x1a\n"),
        ("b.txt", "text/plain", "текст".encode()),
    ]


def test_more_than_twenty_files_is_error_1(emulator: Emulator) -> None:
    fields = {**CREDENTIALS, "phones": "79990000001", "mes": "x", "mms": "1", "fmt": "3"}
    files = {f"file{n}": (f"{n}.bin", b"x", "application/octet-stream") for n in range(21)}
    answer = requests.post(
        emulator.http_url + "/sys/send.php", data=fields, files=files, timeout=5
    ).json()
    assert answer["error_code"] == 1


def test_a_fileurl_that_is_not_http_is_error_1(api: Api) -> None:
    assert api.send(mms=1, mes="x", fileurl="file:///etc/passwd")["error_code"] == 1


def test_a_snapshot_keeps_the_files_that_came_with_a_message(emulator: Emulator) -> None:
    fields = {**CREDENTIALS, "phones": "79990000001", "mes": "pic", "mms": "1", "fmt": "3"}
    files = {"file0": ("a.png", b"\x89PNG\x00\xff", "image/png")}
    answer = requests.post(
        emulator.http_url + "/sys/send.php", data=fields, files=files, timeout=5
    ).json()
    image = emulator.state.snapshot()
    json.dumps(image)  # what the snapshot file holds
    with Emulator(clock=ManualClock()) as restarted:
        restarted.state.restore(json.loads(json.dumps(image)))
        [stored] = restarted.state.attachments("demo", str(answer["id"]), "79990000001")
    assert (stored.name, stored.content) == ("a.png", b"\x89PNG\x00\xff")


@pytest.mark.parametrize("value", [5, "not base64!", None])
def test_a_damaged_file_in_a_snapshot_is_refused_naming_where(value: object) -> None:
    from smsc_transports.emulator.state.image import from_plain

    with pytest.raises(ValueError, match=r"files\[0\]\.content"):
        from_plain(bytes, value, "files[0].content")
