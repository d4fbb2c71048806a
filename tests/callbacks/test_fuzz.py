"""Fuzzing the callback receiver: any request is an answer or a callback, never an exception.

Settings and the long run: ``tests/fuzzing.py`` and ``docs/reliability.md``.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.callbacks import CallbackFields, CallbackReceiver, Reply, parse_callback
from smsc_transports.results import IncomingMessage, StatusResult
from tests.fuzzing import FUZZ, typed_only

SECRET = "dummy-secret"
NAMES = ["id", "phone", "status", "err", "ts", "time", "mes", "to", "sent", "token", "x"]
VALUES = st.text(max_size=20) | st.sampled_from(
    ["1", "-1", "9" * 5000, "1700000000", "99999999999999", "15.11.2023 01:13:21", "\x00", ""]
)
CONTENT_TYPES = st.sampled_from(
    ["", "application/x-www-form-urlencoded", "text/plain", "application/json",
     "multipart/form-data; boundary=b", "multipart/form-data", "multipart/form-data; boundary=",
     "application/x-www-form-urlencoded; charset=koi8-r",
     "application/x-www-form-urlencoded; charset=\"utf\x008\"",
     "application/x-www-form-urlencoded; charset=punycode"]
) | st.text(max_size=60)  # fmt: skip
BODIES = st.binary(max_size=300) | st.sampled_from(
    [b"--b\r\nContent-Disposition: form-data; name=id\r\n\r\n1\r\n--b--\r\n",
     b'--b\r\nContent-Disposition: form-data; name="id"\r\nContent-Type: text/plain; '
     b'charset="utf\x008"\r\n\r\n1\r\n--b--\r\n',
     b"id=1&status=1&token=" + SECRET.encode(), b"%" * 300, b"&" * 300]
)  # fmt: skip


@FUZZ
@given(st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8))
def test_any_form_is_a_callback_or_a_validation_error(form: dict[str, str]) -> None:
    outcome = typed_only(lambda: parse_callback(form, CallbackFields()))
    repr(outcome)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "post", ""]),
    query=st.binary(max_size=100)
    | st.sampled_from([b"token=" + SECRET.encode(), b"token=x&id=1&status=1"]),
    content_type=CONTENT_TYPES,
    token=st.sampled_from([None, SECRET, "wrong", ""]),
    body=BODIES,
    secret=st.sampled_from([None, SECRET]),
)
def test_any_request_is_an_answer_or_a_callback(
    method: str, query: bytes, content_type: str, token: str | None, body: bytes, secret: str | None
) -> None:
    receiver = CallbackReceiver(secret=secret, max_body=250)
    outcome = receiver.receive(method, query, content_type, token, body)
    if isinstance(outcome, Reply):
        assert outcome.code in (200, 400, 403, 405, 413, 415)
        assert SECRET not in outcome.text
    else:
        assert isinstance(outcome, StatusResult | IncomingMessage)
        assert "token" not in outcome.raw
        if secret is not None:
            authenticated = token == SECRET or SECRET.encode() in query + body
            assert authenticated, "a callback passed without the secret"
