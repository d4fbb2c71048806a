"""``/sys/status.php`` over real HTTP: formats, progression, multi-requests, deletion."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from smsc_transports.emulator import Emulator, ManualClock
from tests.emulator.api import Api

PHONE = "79990000001"
# ManualClock() starts at 1 700 000 000 = 15.11.2023 01:13:20 Moscow time.
START = 1_700_000_000


@pytest.fixture
def api(emulator: Emulator) -> Api:
    return Api(emulator)


class TestFormats:
    def test_fmt3_status_changes_with_the_clock(self, api: Api, manual_clock: ManualClock) -> None:
        api.send()
        assert api.status(1) == {
            "status": -1,
            "last_date": "15.11.2023 01:13:20",
            "last_timestamp": START,
            "flag": 0,
            "err": 0,
        }
        manual_clock.advance(1)
        assert api.status(1)["status"] == 0
        manual_clock.advance(2)
        answer = api.status(1)
        assert (answer["status"], answer["last_timestamp"], answer["err"]) == (1, START + 3, 0)

    def test_fmt0_and_fmt1_lines(self, api: Api, manual_clock: ManualClock) -> None:
        api.send(phones="79990001249")
        manual_clock.advance(5)
        assert api.text("status", id=1, phone="79990001249") == (
            "Status = 22, check_time = 15.11.2023 01:13:23, err = 249"
        )
        assert api.text("status", id=1, phone="79990001249", fmt=1) == f"22,{START + 3},249"

    def test_fmt2_is_an_sms_element(self, api: Api) -> None:
        api.send()
        root = ET.fromstring(api.text("status", id=1, phone=PHONE, fmt=2).encode())
        assert root.tag == "sms"
        assert [child.tag for child in root] == [
            "status",
            "last_date",
            "last_timestamp",
            "flag",
            "err",
        ]

    def test_all_1_adds_the_message_details(self, api: Api, manual_clock: ManualClock) -> None:
        api.send(mes="Hello, world", sender="Shop")
        manual_clock.advance(3)
        answer = api.status(1, all=1)
        assert {k: answer[k] for k in ("phone", "cost", "sender_id", "message", "sms_cnt")} == {
            "phone": PHONE,
            "cost": "1.40",
            "sender_id": "Shop",
            "message": "Hello, world",
            "sms_cnt": 1,
        }
        assert answer["send_date"] == "15.11.2023 01:13:20"
        assert answer["send_timestamp"] == START
        assert "country" not in answer

    def test_all_2_adds_country_operator_region(self, api: Api) -> None:
        api.send()
        answer = api.status(1, all=2)
        assert (answer["country"], answer["operator"], answer["region"]) == (
            "Russia",
            "Emulator Test",
            "Emulator Test Region",
        )

    def test_fmt1_all_1_ends_with_the_text_so_commas_survive(self, api: Api) -> None:
        api.send(mes="a,b,c")
        line = api.text("status", id=1, phone=PHONE, fmt=1, all=1)
        assert line.split(",", 8) == [
            "-1", str(START), "0", str(START), PHONE, "1.40", "SMSC.RU",
            "waiting to be sent", "a,b,c",
        ]  # fmt: skip

    def test_flag_reports_the_message_type(self, api: Api) -> None:
        api.send(flash=1)
        assert api.status(1)["flag"] == 1

    def test_unknown_message_is_status_minus_3(self, api: Api) -> None:
        answer = api.status(999)
        assert (answer["status"], answer["last_timestamp"], answer["last_date"]) == (-3, 0, "")

    def test_scheduled_message_waits_until_its_time(
        self, api: Api, manual_clock: ManualClock
    ) -> None:
        api.send(time=f"0{START + 600}")
        manual_clock.advance(599)
        assert api.status(1)["status"] == -1
        manual_clock.advance(2)
        assert api.status(1)["status"] == 0


class TestMultiRequests:
    def test_comma_lists_answer_a_json_array_with_id_and_phone(self, api: Api) -> None:
        api.send(phones="79990000001,79990000002")
        answer = api.json("status", id="1,1,5", phone="79990000001,79990000002,79990000003")
        assert [(a["id"], a["phone"], a["status"]) for a in answer] == [
            (1, "79990000001", -1),
            (1, "79990000002", -1),
            (5, "79990000003", -3),
        ]

    def test_trailing_comma_forces_the_list_form_for_one_message(self, api: Api) -> None:
        api.send()
        answer = api.json("status", id="1,", phone=PHONE)
        assert isinstance(answer, list)
        assert answer[0]["id"] == 1

    def test_fmt1_lines_start_with_id_and_phone(self, api: Api) -> None:
        api.send(phones="79990000001,79990000002")
        text = api.text("status", id="1,1", phone="79990000001,79990000002", fmt=1)
        assert text.splitlines() == [
            f"1,79990000001,-1,{START},0",
            f"1,79990000002,-1,{START},0",
        ]

    def test_second_mass_request_within_a_minute_is_error_9(
        self, api: Api, manual_clock: ManualClock
    ) -> None:
        api.send()
        api.json("status", id="1,", phone=PHONE)
        assert api.json("status", id="1,", phone=PHONE)["error_code"] == 9
        manual_clock.advance(60)
        assert isinstance(api.json("status", id="1,", phone=PHONE), list)

    def test_mismatched_lists_are_error_1(self, api: Api) -> None:
        answer = api.json("status", id="1,2,3", phone="79990000001,79990000002")
        assert answer == {"error": "parameters error", "error_code": 1}


class TestErrorsAndDeletion:
    def test_missing_id_is_error_1(self, api: Api) -> None:
        assert api.text("status", phone=PHONE, fmt=1) == "0,-1"

    def test_sixth_request_for_one_message_in_a_minute_is_error_9(self, api: Api) -> None:
        api.send()
        for _ in range(5):
            assert api.status(1)["status"] == -1
        assert api.status(1)["error_code"] == 9

    def test_delete_then_the_message_is_gone(self, api: Api) -> None:
        api.send()
        assert api.json("status", id=1, phone=PHONE, **{"del": 1}) == {"result": "OK"}
        assert api.status(1)["status"] == -3
        again = api.json("status", id=1, phone=PHONE, **{"del": 1})
        assert again["error_code"] == 5
