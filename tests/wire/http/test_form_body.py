"""form_body: the POST body of every HTTP command, checked against the standard library."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.wire.http import form_body

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(st.dictionaries(texts, texts, max_size=8))
def test_a_form_body_reads_back_as_the_parameters_it_was_made_of(params: dict[str, str]) -> None:
    body = form_body(params).decode("ascii")
    assert parse_qsl(body, keep_blank_values=True) == list(params.items())


@given(st.dictionaries(texts, texts, max_size=8))
def test_a_form_body_is_urlencode_s_but_for_the_comma(params: dict[str, str]) -> None:
    # urlencode writes a comma as %2C and a "%" as %25, so every %2C it writes is a comma.
    assert form_body(params).decode("ascii") == urlencode(params).replace("%2C", ",")


def test_the_phones_of_a_bulk_request_go_as_they_are() -> None:
    body = form_body({"phones": "79160000001,79160000002", "mes": "Hi, you & me = 100%"})
    assert body == b"phones=79160000001,79160000002&mes=Hi,+you+%26+me+%3D+100%25"
