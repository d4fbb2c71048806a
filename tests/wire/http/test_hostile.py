"""Hostile HTTP API answers: absurd numbers and echoed secrets end in typed, safe errors.

Issue 11 items 6 and 7. Every case here was first seen as an untyped ``ValueError``,
a minute of CPU, a broken ``repr`` or a secret inside an exception text.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from smsc_transports import APIError, ProtocolError, SMSCError
from smsc_transports.wire import http as wire

HUGE = "1e5000"


def _parse_all(body: bytes) -> list[BaseException | object]:
    """Run every parser over one answer; return what each returned or raised."""
    outcomes: list[BaseException | object] = []
    for parse in (
        wire.parse_send,
        wire.parse_cost,
        wire.parse_status,
        wire.parse_statuses,
        wire.parse_balance,
    ):
        try:
            answer = wire.decode_answer(body)
            result = parse(answer)
            repr(result)  # a result that cannot be shown is a crash waiting to happen
            outcomes.append(result)
        except SMSCError as exc:
            outcomes.append(exc)
    return outcomes


@pytest.mark.parametrize(
    "body",
    [
        '{"status":' + HUGE + "}",
        '{"error_code":' + HUGE + "}",
        '{"id":1,"cnt":' + HUGE + "}",
        '{"id":1,"cnt":1,"phones":[{"phone":"79990000001","status":' + HUGE + "}]}",
        '{"id":1,"cnt":1,"phones":[{"phone":"79990000001","error":' + HUGE + "}]}",
        '{"status":1,"err":' + HUGE + "}",
        '{"id":1,"cnt":1e400}',
        '{"balance":' + HUGE + "}",
        '{"balance":"1e5000"}',
        '{"id":1,"cnt":"' + "9" * 5000 + '"}',
        '{"status":' + "9" * 5000 + "}",
        '{"status":Infinity}',
        '{"status":-Infinity}',
        '{"status":1,"err":NaN}',
        '{"balance":1e-5000}',
    ],
)
def test_out_of_range_numbers_are_protocol_errors(body: str) -> None:
    outcomes = _parse_all(body.encode())
    assert any(isinstance(outcome, ProtocolError) for outcome in outcomes)
    for outcome in outcomes:
        # Each parser either reads fields it needs (and refuses the number) or fails on
        # what is missing; nothing untyped, and no huge number inside a result.
        assert isinstance(outcome, SMSCError), outcome
        assert len(str(outcome)) < 400


def test_a_million_digit_exponent_costs_no_cpu() -> None:
    # Seen taking ~40 s of CPU in int(Decimal("1e999999")); refused while parsing now.
    with pytest.raises(ProtocolError, match="out of range"):
        wire.decode_answer(b'{"id":1,"cnt":1e999999}')


def test_a_long_number_is_refused_while_parsing() -> None:
    with pytest.raises(ProtocolError, match="out of range"):
        wire.decode_answer(b'{"id":1,"cnt":' + b"1" * 5000 + b"}")


@pytest.mark.parametrize(
    "body",
    [
        {"id": 1, "cnt": 1, "cost": "1.40", "balance": "98.60"},
        {"id": 1, "cnt": 1, "cost": 1.4, "balance": 98.6},
        {"id": 123456789012, "cnt": 3, "cost": 0, "balance": -12.5},
        {"id": 1, "cnt": 1, "balance": 9999999999.99},
    ],
)
def test_ordinary_numbers_still_read(body: dict[str, Any]) -> None:
    result = wire.parse_send(wire.decode_answer(json.dumps(body).encode()))
    assert result.id == str(body["id"])
    assert result.parts == body["cnt"]


def test_the_error_text_is_masked_and_escaped() -> None:
    body = json.dumps(
        {
            "error": "bad login=shop&psw=hunter22 \x1b[31mred\x1b[0m\r\nX-Injected: 1",
            "error_code": 2,
        }
    ).encode()
    with pytest.raises(APIError) as caught:
        wire.parse_balance(wire.decode_answer(body))
    text = str(caught.value)
    assert "hunter22" not in text
    assert "hunter22" not in caught.value.message
    assert "\x1b" not in text
    assert "\r" not in text
    assert "\n" not in text
    assert "\\x1b" in text  # escaped, not dropped: what the server said stays readable


def test_a_known_secret_echoed_in_the_error_is_masked() -> None:
    body = json.dumps({"error": "wrong password 'dummy/pw?' for shop", "error_code": 2})
    with pytest.raises(APIError) as caught:
        wire.parse_status(wire.decode_answer(body.encode(), ["dummy/pw?", None]))
    assert "dummy/pw?" not in str(caught.value)
    assert "***" in str(caught.value)


def test_a_known_secret_echoed_in_a_status_list_error_is_masked() -> None:
    body = json.dumps([{"status": 1}, {"error": "no such id (apikey K3Y)", "error_code": 1}])
    with pytest.raises(APIError) as caught:
        wire.parse_statuses(wire.decode_answer(body.encode(), ["K3Y"]))
    assert "K3Y" not in str(caught.value)


def test_a_very_long_error_text_is_cut() -> None:
    body = json.dumps({"error": "x" * 100_000, "error_code": 1}).encode()
    with pytest.raises(APIError) as caught:
        wire.parse_send(wire.decode_answer(body))
    assert len(str(caught.value)) < 1000


@pytest.mark.parametrize("raw_id", ["psw=hunter22", "7\r\nX: 1", "9" * 5000, [1, 2]])
def test_a_hostile_message_id_in_an_error_is_refused_or_masked(raw_id: object) -> None:
    body = json.dumps({"error": "no money", "error_code": 3, "id": raw_id}).encode()
    with pytest.raises(SMSCError) as caught:
        wire.parse_send(wire.decode_answer(body))
    text = str(caught.value)
    assert "hunter22" not in text
    assert "\r" not in text
    assert len(text) < 400


def test_a_known_secret_echoed_in_any_field_is_masked_in_errors_and_results() -> None:
    with pytest.raises(ProtocolError) as caught:
        wire.parse_send(wire.decode_answer(b'{"id":["dummypw"],"cnt":1}', ["dummypw"]))
    assert "dummypw" not in str(caught.value)
    answer = wire.decode_answer(b'{"id":1,"cnt":1,"echo":{"dummypw":["psw dummypw"]}}', ["dummypw"])
    result = wire.parse_send(answer)
    assert "dummypw" not in repr(result)
    assert result.raw["echo"] == {"***": ["psw ***"]}


def test_masking_walks_answers_nested_as_deep_as_json_allows() -> None:
    depth = 900
    body = b'{"error":"x","error_code":1,"n":' + b"[" * depth + b'"dummypw"' + b"]" * depth + b"}"
    answer = wire.decode_answer(body, ["dummypw"])
    assert b"dummypw" not in repr(answer).encode()
