"""The typed send options of Message: each one checked when the message is built."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsc_transports import CallParams, Message, MessageKind, ValidationError
from smsc_transports.field_support import FIELDS, PROTOCOLS, fields_in_use, refuse_uncarried

PHONE = "79991234567"
MAIL = {"phones": "a@example.org", "text": "Body", "kind": MessageKind.MAIL}
CALL = {"phones": PHONE, "text": "Hello", "kind": MessageKind.CALL}


def build(**changes: Any) -> Message:
    values: dict[str, Any] = {"phones": PHONE, "text": "Hi"}
    values.update(changes)
    return Message(**values)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tz": 13}, "tz"),
        ({"tz": 2}, "tz"),  # no send_at: tz would change nothing
        ({"tz": 2, "send_at": datetime(2030, 1, 1, tzinfo=UTC)}, "tz"),
        ({"tz": 2, "send_at": "+30"}, "tz"),
        ({"tz": True, "send_at": "0101301000"}, "tz"),
        ({"max_parts": 0}, "max_parts"),
        ({"max_parts": 256}, "max_parts"),
        ({"max_parts": 2, "kind": MessageKind.HLR, "text": ""}, "max_parts"),
        ({"subject": "Hi"}, "subject"),  # an SMS has no subject
        ({**MAIL, "subject": "two\nlines"}, "subject"),
        ({**MAIL, "subject": " "}, "subject"),
        ({"voice": "w"}, "voice"),  # not a call
        ({**CALL, "voice": "x"}, "voice"),
        ({**CALL, "voice": "w,english"}, "voice"),
        ({"call_params": CallParams()}, "call_params"),
        ({"spread_every": timedelta(minutes=5)}, "spread_every"),
        ({"spread_over": timedelta(minutes=5)}, "spread_over"),
        ({"spread_over": timedelta(minutes=7)}, "spread_over"),
        ({"spread_over": timedelta(hours=721)}, "spread_over"),
        (
            {"spread_over": timedelta(hours=1), "spread_every": timedelta(seconds=90)},
            "spread_every",
        ),
        ({"spread_over": timedelta(hours=1), "spread_every": timedelta(days=2)}, "spread_every"),
        ({"short_links": 1}, "short_links"),
        ({"partner_id": "a b"}, "partner_id"),
        ({"user_ip": "300.1.1.1"}, "user_ip"),
        ({"data": b"\x00\x01"}, "data"),  # an SMS has no octets
        ({"kind": MessageKind.BIN, "text": "", "data": b""}, "data"),
        ({"kind": MessageKind.BIN, "text": "", "data": b"\x05\x01"}, "data"),  # header too long
        ({"kind": MessageKind.BIN, "text": "00", "data": b"\x00\x01"}, "data"),
        ({"kind": MessageKind.BIN_HEX, "text": "zz"}, "text"),
        ({"extra": {"maxsms": 1}}, "extra"),
        ({"extra": {"op": 1}}, "extra"),
    ],
)
def test_each_option_is_checked_when_the_message_is_built(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        build(**changes)
    assert refused.value.field == field


def test_call_params_check_their_ranges() -> None:
    for values in ((100, 20, 5), (22, 9, 5), (22, 20, 0), (22, 20, 10)):
        with pytest.raises(ValidationError):
            CallParams(*values)
    assert CallParams(30, 60, 3).parameter == "30,60,3"


def test_binary_content_reads_the_same_from_data_hex_or_characters() -> None:
    octets = b"\x06\x05\x04\x0b\x84\x23\xf0\x00\x01"
    from_data = Message(PHONE, kind=MessageKind.BIN, data=octets)
    assert Message(PHONE, octets.hex(), kind=MessageKind.BIN_HEX).data == octets
    assert Message(PHONE, octets.decode("latin-1"), kind=MessageKind.BIN).data == octets
    assert from_data.text == ""
    assert from_data.header == octets[:7]
    assert from_data.payload == b"\x00\x01"
    plain = Message(PHONE, kind=MessageKind.BIN, data=b"\x00\x00\x01")
    assert (plain.header, plain.payload) == (b"", b"\x00\x01")  # NUL octets are content


def test_options_are_kept_and_replace_checks_them_again() -> None:
    message = build(
        send_at="15.01.30 10:00",
        tz=-3,
        max_parts=2,
        short_links=True,
        partner_id="p-7",
        user_ip="::ffff:10.0.0.1",
        spread_over=timedelta(hours=2),
        spread_every=timedelta(minutes=10),
    )
    assert message.user_ip == "::ffff:a00:1"
    assert fields_in_use(message) == (
        "send_at", "tz", "max_parts", "spread_over", "spread_every", "short_links",
        "partner_id", "user_ip",
    )  # fmt: skip
    assert message.replace(max_parts=3).max_parts == 3
    with pytest.raises(ValidationError):
        message.replace(tz=99)


def test_every_field_is_declared_and_refused_by_name_where_not_carried() -> None:
    assert set(FIELDS) <= set(Message.__slots__)
    for support in FIELDS.values():
        assert set(support.carried) <= set(PROTOCOLS)
    message = build(short_links=True)
    refuse_uncarried(message, "https")
    with pytest.raises(ValidationError) as refused:
        refuse_uncarried(message, "smtp")
    assert refused.value.field == "short_links"
    assert "tinyurl" in str(refused.value)
    assert "https, soap" in str(refused.value)
