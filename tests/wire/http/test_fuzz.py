"""Fuzzing the HTTP API's answer parsers: only typed errors, safe texts, printable results.

The settings and the long run by hand are in ``tests/fuzzing.py`` and
``docs/reliability.md``.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.errors import SMSCError
from smsc_transports.wire import http as wire
from tests.fuzzing import FUZZ, typed_only

SECRET = "dummy-secret"
PARSERS = (
    wire.parse_send,
    wire.parse_cost,
    wire.parse_status,
    wire.parse_statuses,
    wire.parse_balance,
    wire.parse_incoming,
    wire.parse_senders,
)
FIELDS = ["id", "cnt", "cost", "balance", "credit", "currency", "phones", "phone", "status",
          "err", "error", "error_code", "last_timestamp", "last_date", "send_timestamp",
          "send_date", "mccmnc", "imsi", "message", "received_timestamp", "sender"]  # fmt: skip

# Number literals as a hostile server writes them, JSON or not quite.
number_literals = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(
        [
            "1e5000",
            "-1e5000",
            "1e999999",
            "1e-5000",
            "1E400",
            "-0",
            "0.0e0",
            "NaN",
            "Infinity",
            "-Infinity",
            "9" * 5000,
            "1" + "0" * 40,
            "1.5e17",
            "123456789012345678",
            "0.000000000000000000000000000000001",
        ]
    ),
    st.from_regex(r"-?[0-9]{1,60}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,7})?", fullmatch=True),
)
string_literals = st.one_of(
    st.text(max_size=20),
    st.sampled_from([SECRET, f"psw={SECRET}", f"bad {SECRET} \x1b[2J\r\n", "7" * 5000]),
    number_literals,
).map(json.dumps)


def _object(members: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{json.dumps(name)}:{value}" for name, value in members) + "}"


json_texts = st.recursive(
    number_literals | string_literals | st.sampled_from(["null", "true", "false"]),
    lambda children: (
        st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
        | st.lists(st.tuples(st.sampled_from(FIELDS), children), max_size=6).map(_object)
    ),
    max_leaves=25,
)


def _check_everything(body: bytes) -> None:
    answer = typed_only(lambda: wire.decode_answer(body, [SECRET, None]))
    if isinstance(answer, SMSCError):
        _check_error(answer)
        return
    for parse in PARSERS:
        outcome: Any = typed_only(lambda parse=parse: parse(answer))  # type: ignore[misc]
        if isinstance(outcome, SMSCError):
            _check_error(outcome)
        else:
            shown = repr(outcome)  # a result that cannot be shown is a crash in waiting
            assert SECRET not in shown


def _check_error(error: SMSCError) -> None:
    text = str(error)
    assert SECRET not in text
    assert len(text) < 2000
    assert all(ch.isprintable() for ch in text), text


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_give_a_result_or_a_typed_error(body: bytes) -> None:
    _check_everything(body)


@FUZZ
@given(json_texts)
def test_any_json_shaped_answer_gives_a_result_or_a_typed_error(text: str) -> None:
    _check_everything(text.encode("utf-8"))


@FUZZ
@given(
    st.dictionaries(st.sampled_from(FIELDS), json_texts, max_size=8).map(
        lambda members: _object(list(members.items()))
    ),
    st.sampled_from(["send", "cost", "status", "balance", "get", "senders", "delete"]),
)
def test_any_error_answer_raises_a_typed_error_quoting_nothing_unsafe(
    text: str, operation: str
) -> None:
    answer = typed_only(lambda: wire.decode_answer(text.encode(), [SECRET]))
    if isinstance(answer, SMSCError):
        _check_error(answer)
        return
    outcome = typed_only(lambda: wire.check_error(answer, operation))
    if isinstance(outcome, SMSCError):
        _check_error(outcome)
