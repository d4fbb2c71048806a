"""Whatever arrives, the HTTP command layer answers with SMSC text; it never raises."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsc_transports.emulator import Account, EmulatorState, Limits, ManualClock
from smsc_transports.emulator.http.commands import COMMANDS, run_command
from smsc_transports.emulator.http.params import parse_request

STATE = EmulatorState(
    [Account("demo", "demo", balance=Decimal(10**9))],
    clock=ManualClock(),
    limits=Limits.unlimited(),
)
NAMES = [
    "phones", "mes", "id", "phone", "time", "tz", "valid", "cost", "fmt", "all", "del",
    "translit", "maxsms", "list", "sender", "bin", "hlr", "mail", "bot", "op", "err",
    "charset", "cur", "get", "get_messages", "get_answers", "start", "end", "cnt",
    "prev_id", "after_id", "hour", "format",
]  # fmt: skip
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["0", "1", "2", "3", "-1", "79990000001", "79990001249,", "utf-8",
                     "koi8-r", "+5", "10-12", "01:00", "1,2", "79990000001:hi\nx:y",
                     "0" + "9" * 40, "+999999", "٣"]),
)  # fmt: skip
CONTENT_TYPES = [
    "",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/json",
]


def never_wait(seconds: float) -> None:
    del seconds


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    query=st.binary(max_size=120),
    body=st.binary(max_size=300),
    content_type=st.sampled_from(CONTENT_TYPES),
    command=st.sampled_from(sorted(COMMANDS)),
    json_body=st.booleans(),
)
def test_random_bytes_get_an_smsc_answer(
    query: bytes, body: bytes, content_type: str, command: str, json_body: bool
) -> None:
    data = parse_request(query, body, content_type, json_body=json_body)
    reply = run_command(STATE, command, data, "127.0.0.1", never_wait)
    assert reply.status == 200
    assert isinstance(reply.text, str)


@settings(max_examples=400, deadline=None)
@given(
    params=st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8),
    command=st.sampled_from(sorted(COMMANDS)),
)
def test_authenticated_random_parameters_get_an_smsc_answer(
    params: dict[str, str], command: str
) -> None:
    query = urlencode({"login": "demo", "psw": "demo", "charset": "utf-8", **params})
    data = parse_request(query.encode("ascii"), b"", "", json_body=False)
    reply = run_command(STATE, command, data, "127.0.0.1", never_wait)
    assert reply.status == 200
    assert reply.text or command in ("get", "senders", "jobs")  # empty lists: empty text
