"""Fuzzing SOAP on both sides of the wire: request envelopes and result dicts.

Only typed errors (an :class:`~smsc_transports.errors.SMSCError`; ``EnvelopeError`` is
a ``ProtocolError``). Settings and the long run: ``tests/fuzzing.py``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.errors import SMSCError
from smsc_transports.wire.soap import calls, envelope
from tests.fuzzing import FUZZ, typed_only

ENV = envelope.ENVELOPE_NS
REQUESTS = sorted({spec.request for spec in calls.OPERATIONS.values()} | {"nothing"})
FIELD_NAMES = sorted({name for spec in calls.OPERATIONS.values() for name in spec.fields})
XML_TEXT = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="<&\x00"), max_size=20
)


def _field(name: str, value: str, nested: bool) -> str:
    inner = f"<x>{value}</x>" if nested else value
    return f"<{name}>{inner}</{name}>"


fields_xml = st.lists(
    st.tuples(st.sampled_from([*FIELD_NAMES, "apikey", "other"]), XML_TEXT, st.booleans()),
    max_size=6,
).map(lambda items: "".join(_field(*item) for item in items))
envelopes = st.builds(
    lambda request, fields, namespace, prologue: (
        f'{prologue}<s:Envelope xmlns:s="{ENV}" xmlns:t="{namespace}"><s:Body>'
        f"<t:{request}>{fields}</t:{request}></s:Body></s:Envelope>"
    ).encode("utf-8", "surrogatepass"),
    st.sampled_from(REQUESTS),
    fields_xml,
    st.sampled_from([calls.NAMESPACE, "urn:other", ""]),
    st.sampled_from(
        [
            "",
            '<?xml version="1.0"?>',
            '<?xml version="1.0" encoding="koi8-r"?>',
            "<!-- c -->",
            "<?pi x?>",
        ]
    ),
)


def _check(outcome: object) -> None:
    if isinstance(outcome, SMSCError):
        assert len(str(outcome)) < 2000


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_are_a_request_or_a_typed_error(body: bytes) -> None:
    _check(typed_only(lambda: envelope.parse_request(body)))


@FUZZ
@given(envelopes)
def test_any_envelope_is_a_request_or_a_typed_error(body: bytes) -> None:
    outcome = typed_only(lambda: envelope.parse_request(body))
    _check(outcome)
    if isinstance(outcome, envelope.SoapRequest):
        assert outcome.operation in calls.OPERATIONS


result_values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["0", "1", "-7", "1e5000", "9" * 5000, " 3 ", "psw=hunter22", "NaN"]),
    st.integers(),
    st.lists(
        st.dictionaries(st.sampled_from(["phone", "status"]), st.text(max_size=8)), max_size=3
    ),
)
RESULT_FIELDS = sorted({name for spec in calls.OPERATIONS.values() for name in spec.result_fields})


@FUZZ
@given(
    result=st.none() | st.dictionaries(st.sampled_from(RESULT_FIELDS), result_values, max_size=8),
    id=st.text(max_size=8),
    phone=st.text(max_size=12),
)
def test_any_result_parses_or_raises_a_typed_error(result: Any, id: str, phone: str) -> None:
    for parse in (calls.parse_send, calls.parse_cost, calls.parse_balance):
        outcome = typed_only(lambda parse=parse: parse(result))  # type: ignore[misc]
        _check(outcome)
        if isinstance(outcome, SMSCError):
            # The wire layer knows no password; what looks like one is masked all the same.
            assert "psw=hunter22" not in str(outcome)
        else:
            repr(outcome)
    _check(typed_only(lambda: calls.parse_status(result, id, phone)))
