"""Bulk ``send.php`` answers: the quick paths through decoding and per-phone parsing.

``decode_answer`` lets the JSON reader build integers itself when no digit run is long
enough to be out of range, and skips the secret-masking walk when no secret can be in
the answer; ``parse_send`` reads each distinct per-phone value once. Each shortcut must
give exactly what the full path gives, which these tests hold it to.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import MessageStatus, ProtocolError
from smsc_transports.wire import http as wire
from smsc_transports.wire.http.answers import _json_constant, _json_decimal, _json_int

SECRET = "hunter2"


def reference_decode(body: bytes, secrets: list[str]) -> Any:
    """The full path: every integer through the bounding hook, every string masked."""
    answer = json.loads(
        body.decode("utf-8"),
        parse_float=_json_decimal,
        parse_int=_json_int,
        parse_constant=_json_constant,
    )
    return wire.mask_secrets(answer, secrets)


def same(left: Any, right: Any) -> bool:
    """Equal, and of the same types all the way down (a Decimal "1.40" is not "1.4")."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, Decimal):
        return str(left) == str(right)
    return bool(left == right)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.sampled_from(["1.40", "0.00", SECRET, f"psw {SECRET}!", "ок", 'a"b\\c'])
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["id", "cnt", "cost", SECRET, "phones"]), children)
    ),
    max_leaves=20,
)


@given(json_values, st.booleans())
def test_decode_answer_gives_exactly_what_the_full_path_gives(value: Any, ascii_only: bool) -> None:
    body = json.dumps({"answer": value}, ensure_ascii=ascii_only).encode()
    try:
        expected = reference_decode(body, [SECRET])
    except ValueError:
        with pytest.raises(ProtocolError):
            wire.decode_answer(body, [SECRET])
        return
    assert same(wire.decode_answer(body, [SECRET]), expected)


@pytest.mark.parametrize("number", [10**18 - 1, -(10**18 - 1), 0, -1])
def test_integers_up_to_eighteen_digits_are_read(number: int) -> None:
    assert wire.decode_answer(b'{"id":%d}' % number) == {"id": number}


@pytest.mark.parametrize("number", [10**18, -(10**18), 10**30])
def test_integers_of_nineteen_digits_or_more_are_refused(number: int) -> None:
    with pytest.raises(ProtocolError, match="out of range"):
        wire.decode_answer(b'{"id":%d}' % number)


def test_a_long_digit_run_inside_a_string_does_not_change_the_integers() -> None:
    body = b'{"id":7,"cnt":1,"error":"0000000000000000000000000"}'
    assert wire.decode_answer(body) == {"id": 7, "cnt": 1, "error": "0" * 25}


def test_a_secret_hidden_behind_a_json_escape_is_still_masked() -> None:
    # "hunter2" written as \u0068unter2: the raw text never holds the secret itself.
    body = b'{"error":"bad psw \\u0068unter2","error_code":2}'
    assert wire.decode_answer(body, [SECRET]) == {"error": "bad psw ***", "error_code": 2}


def test_a_secret_in_a_key_of_an_answer_without_escapes_is_masked() -> None:
    body = b'{"id":1,"cnt":1,"echo":{"hunter2":"x"}}'
    assert wire.decode_answer(body, [SECRET])["echo"] == {"***": "x"}


def _bulk(entries: list[dict[str, Any]]) -> bytes:
    return json.dumps({"id": 5, "cnt": len(entries), "phones": entries}).encode()


def test_per_phone_values_keep_their_own_form_when_they_repeat() -> None:
    body = (
        b'{"id":5,"cnt":4,"phones":['
        b'{"phone":"79120000001","cost":"1.40","status":-1,"error":0},'
        b'{"phone":"79120000002","cost":"1.4","status":"-1","error":"0"},'
        b'{"phone":"79120000003","cost":1.40,"status":-1,"error":7},'
        b'{"phone":"79120000004","cost":1.4,"status":77,"error":"7"}]}'
    )
    phones = wire.parse_send(wire.decode_answer(body)).phones
    assert [str(p.cost) for p in phones] == ["1.40", "1.4", "1.40", "1.4"]
    assert [p.status for p in phones] == [MessageStatus.WAITING] * 3 + [MessageStatus(77)]
    assert phones[3].status is not None and phones[3].status.name == "UNKNOWN_77"
    assert [p.error for p in phones] == [None, None, 7, 7]


def test_a_bad_value_is_refused_even_after_good_ones_of_the_same_field() -> None:
    entries: list[dict[str, Any]] = [{"phone": f"7912000000{n}", "cost": "1.40"} for n in range(3)]
    entries.append({"phone": "79120000009", "cost": ["1.40"]})
    with pytest.raises(ProtocolError, match="'cost'"):
        wire.parse_send(wire.decode_answer(_bulk(entries)))


def test_a_status_out_of_range_is_refused_in_a_bulk_answer() -> None:
    entries: list[dict[str, Any]] = [
        {"phone": "79120000001", "status": -1},
        {"phone": "79120000002", "status": "9" * 50},
    ]
    with pytest.raises(ProtocolError, match="'status'"):
        wire.parse_send(wire.decode_answer(_bulk(entries)))


def test_each_phone_keeps_its_own_raw_entry() -> None:
    entries = [{"phone": f"7912000000{n}", "cost": "1.40", "mccmnc": "25099"} for n in range(3)]
    phones = wire.parse_send(wire.decode_answer(_bulk(entries))).phones
    assert [dict(p.raw) for p in phones] == entries
    assert [p.mccmnc for p in phones] == ["25099"] * 3


def test_accepted_recipients_carry_the_message_id_and_refused_ones_none() -> None:
    entries: list[dict[str, Any]] = [
        {"phone": "79120000001", "cost": "1.40", "status": -1, "error": 0},
        {"phone": "79120000002", "cost": "0.00", "status": 22, "error": 7},
    ]
    result = wire.parse_send(wire.decode_answer(_bulk(entries)))
    assert [p.id for p in result.phones] == ["5", None]
    assert result == result.for_recipients(["79120000001", "79120000002"])


def test_priced_recipients_carry_no_id() -> None:
    body = b'{"cost":"2.80","cnt":2,"phones":[{"phone":"79120000001","cost":"1.40"}]}'
    assert wire.parse_cost(wire.decode_answer(body)).phones[0].id is None
