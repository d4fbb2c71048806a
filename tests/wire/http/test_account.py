"""The rest of the HTTP API as data: history filters, HLR fields in both forms, raw calls."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import HlrInfo, MessageKind, MessageStatus, SMSCError, ValidationError
from smsc_transports.errors import ParameterError, ProtocolError
from smsc_transports.wire import http as wire


def test_history_params_carry_every_filter_smsc_documents() -> None:
    params = wire.history_params(
        start=date(2026, 1, 2),
        end=date(2026, 1, 31),
        phone=["+7 999 000-00-01", "79990000002"],
        email="a@example.com",
        kind=MessageKind.MAIL,
        count=1000,
        prev_id="12345",
    )
    assert params == {
        "get_messages": "1",
        "cnt": "1000",
        "start": "02.01.2026",
        "end": "31.01.2026",
        "phone": "+79990000001,79990000002",
        "email": "a@example.com",
        "format": "8",
        "prev_id": "12345",
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"count": 0},
        {"count": 1001},
        {"prev_id": "-1"},
        {"prev_id": "1,2"},
        {"phone": []},
        {"phone": "not a phone"},
        {"email": "nobody"},
        {"start": date(2026, 2, 1), "end": date(2026, 1, 1)},
    ],
)
def test_history_params_refuse_bad_filters(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        wire.history_params(**changes)  # type: ignore[arg-type]


def test_an_hlr_status_in_json_is_typed() -> None:
    answer = {
        "status": 1,
        "last_timestamp": 1700000000,
        "err": 0,
        "imsi": "250010000000001",
        "msc": "79160000000",
        "mcc": 250,
        "mnc": 1,
        "cn": "Russia",
        "net": "MTS",
        "rcn": "",
        "rnet": "",
    }
    result = wire.parse_status(answer, "5", "79991234567")
    assert result.hlr == HlrInfo(
        imsi="250010000000001",
        msc="79160000000",
        mcc="250",
        mnc="1",
        country="Russia",
        operator="MTS",
    )


def test_an_ordinary_status_has_no_hlr() -> None:
    assert wire.parse_status({"status": 1, "err": 0}, "5", "7999").hlr is None


def test_an_hlr_status_in_fmt_1_is_typed() -> None:
    line = "1,1700000000,0,250010000000001,79160000000,250,1,Russia,MTS,Kazakhstan,Beeline"
    result = wire.parse_hlr_line(line, "5", "79991234567")
    assert result.status is MessageStatus.DELIVERED
    assert result.changed_at == datetime.fromtimestamp(1700000000, UTC)
    assert result.hlr == HlrInfo(
        "250010000000001", "79160000000", "250", "1", "Russia", "MTS", "Kazakhstan", "Beeline"
    )


def test_an_fmt_1_error_answer_is_its_typed_error() -> None:
    with pytest.raises(ParameterError):
        wire.parse_hlr_line("0,-1")


@pytest.mark.parametrize(
    "line",
    ["", "1", "x,y,z", "1,99999999999999999,0", "1,2,3,4,5,6,7,8,9,10,11,12", "1,0,0,\x1b[2J"],
)
def test_a_malformed_fmt_1_line_is_a_protocol_error(line: str) -> None:
    with pytest.raises(ProtocolError):
        wire.parse_hlr_line(line)


@given(st.text(max_size=200))
def test_any_fmt_1_line_is_a_result_or_a_typed_error(line: str) -> None:
    try:
        result = wire.parse_hlr_line(line)
    except SMSCError:
        return
    assert result.raw == line


def test_raw_request_names_the_path_and_stringifies_values() -> None:
    assert wire.raw_request("info", {"get_operator": 1, "phone": "7999"}) == (
        "/sys/info.php",
        {"get_operator": "1", "phone": "7999"},
    )


@pytest.mark.parametrize("name", sorted(wire.account.RAW_RESERVED))
def test_raw_request_refuses_what_the_transport_sets(name: str) -> None:
    with pytest.raises(ValidationError, match="set by the transport"):
        wire.raw_request("send", {name: "x"})


def test_a_jobs_answer_keeps_what_it_cannot_type_in_raw() -> None:
    [job] = wire.parse_jobs(
        [{"id": 7, "name": "spring", "phones": "7999,7888", "status": 0, "extra": "kept"}]
    )
    assert (job.id, job.name, job.phones, job.status) == ("7", "spring", ("7999", "7888"), "0")
    assert job.raw["extra"] == "kept"
    assert wire.parse_jobs([]) == []
