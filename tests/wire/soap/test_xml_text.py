"""Text XML 1.0 cannot carry is refused before a SOAP call is built (issue 11, item 9)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.errors import ValidationError
from smsc_transports.message import Message, MessageKind
from smsc_transports.wire.soap import calls

CREDENTIALS = {"login": "shop", "psw": "pw"}
# NUL is refused by Message itself, for every protocol.
NOT_XML = ["\x01", "\x1b", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800"]


@pytest.mark.parametrize("char", NOT_XML)
def test_text_with_a_character_xml_cannot_carry_is_a_validation_error(char: str) -> None:
    message = Message("79991234567", f"code{char}1234")
    for build in (calls.send_call, calls.cost_call):
        with pytest.raises(ValidationError) as caught:
            build(message, CREDENTIALS)
        assert caught.value.field == "text"
        assert repr(char)[1:-1] in str(caught.value)  # names the character, escaped


def test_credentials_xml_cannot_carry_are_refused_without_showing_them() -> None:
    with pytest.raises(ValidationError) as caught:
        calls.send_call(Message("79991234567", "hi"), {"login": "shop", "psw": "pw\x01secret"})
    assert "secret" not in str(caught.value)


def test_tab_new_line_and_carriage_return_are_sent() -> None:
    call = calls.send_call(Message("79991234567", "a\tb\nc\rd"), CREDENTIALS)
    assert call.fields["mes"] == "a\tb\nc\rd"


def test_control_characters_in_the_query_are_percent_encoded_not_refused() -> None:
    message = Message("79991234567", "hi", kind=MessageKind.FLASH, extra={"tag": "a\x01b"})
    call = calls.send_call(message, CREDENTIALS)
    assert call.operation == "send_sms2"
    assert "a%01b" in call.fields["query"]


@given(st.text(min_size=1, max_size=50).filter(str.strip))
def test_any_text_gives_a_call_or_a_validation_error(text: str) -> None:
    try:
        message = Message("79991234567", text)
    except ValidationError:
        return
    try:
        call = calls.send_call(message, CREDENTIALS)
    except ValidationError as exc:
        assert exc.field == "text"
        return
    assert call.fields["mes"] == message.text
