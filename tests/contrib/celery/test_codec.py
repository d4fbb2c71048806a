"""Messages cross the broker as JSON and come back equal, or are refused on the worker."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import (
    Attachment,
    Message,
    MessageKind,
    PhoneResult,
    RateLimited,
    SendResult,
    ValidationError,
)
from smsc_transports.contrib.celery.codec import (
    accepted_entry,
    already_accepted_entry,
    failure_entry,
    message_from_dict,
    message_to_dict,
    with_id,
)
from smsc_transports.errors import ConnectError, InvalidPhone
from smsc_transports.message import MAX_INT_ID, RESERVED_PARAMETERS, TYPED_PARAMETERS

OFFSETS = [UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5, minutes=-30))]
SMSC_TIMES = ["+30", "0101251230", "01.01.25 12:30", "10-18", "01700000000"]
KINDS = [MessageKind.SMS, MessageKind.FLASH, MessageKind.PUSH, MessageKind.HLR,
         MessageKind.PING, MessageKind.CALL, MessageKind.VIBER, MessageKind.SOC]  # fmt: skip

texts = st.text(min_size=1, max_size=1000).filter(lambda t: t.strip() != "" and "\x00" not in t)
ids = (
    st.none() | st.integers(1, MAX_INT_ID) | st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True)
)
send_times = (
    st.none() | st.datetimes(timezones=st.sampled_from(OFFSETS)) | st.sampled_from(SMSC_TIMES)
)
extras = st.dictionaries(
    st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(
        lambda k: k not in RESERVED_PARAMETERS and k not in TYPED_PARAMETERS
    ),
    st.integers(-(2**31), 2**31) | st.text(max_size=20),
    max_size=4,
)
messages = st.builds(
    Message,
    phones=st.lists(st.from_regex(r"79[0-9]{9}", fullmatch=True), min_size=1, max_size=5),
    text=texts,
    sender=st.none() | st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,10}", fullmatch=True),
    id=ids,
    kind=st.sampled_from(KINDS),
    translit=st.sampled_from([0, 1, 2]),
    send_at=send_times,
    valid=st.none() | st.integers(1, 24 * 60).map(lambda m: timedelta(minutes=m)),
    extra=extras,
)


@given(messages)
def test_every_message_survives_a_json_round_trip_unchanged(message: Message) -> None:
    data = message_to_dict(message)
    over_the_wire = json.loads(json.dumps(data))
    assert over_the_wire == data  # only JSON types: nothing is lost or turned into a string
    assert message_from_dict(over_the_wire) == message


def test_the_dict_reads_like_the_message() -> None:
    at = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=3)))
    message = Message(
        "79991234567",
        "Код",
        sender="Shop",
        id=17,
        send_at=at,
        valid=timedelta(hours=2),
        kind=MessageKind.FLASH,
        extra={"later": 1},
    )
    assert message_to_dict(message) == {
        "v": 1,
        "phones": ["79991234567"],
        "text": "Код",
        "sender": "Shop",
        "id": 17,
        "kind": "FLASH",
        "send_at": "2025-03-01T09:30:00+03:00",
        "valid_minutes": 120,
        "extra": {"later": 1},
    }


def test_smsc_time_strings_travel_apart_from_datetimes() -> None:
    data = message_to_dict(Message("79991234567", "hi", send_at="+30"))
    assert data["time"] == "+30" and "send_at" not in data
    assert message_from_dict(data).send_at == "+30"


def test_a_kind_may_be_given_by_smsc_number() -> None:
    assert message_from_dict({"phones": ["79991234567"], "text": "x", "kind": 1}).kind is (
        MessageKind.FLASH
    )


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"phones": ["79991234567"], "text": "x", "priority": 1}, "unknown message fields"),
        ({"v": 2, "phones": ["79991234567"], "text": "x"}, "version"),
        ({"phones": "79991234567", "text": "x"}, "phones must be a list"),
        ({"phones": [79991234567], "text": "x"}, "phones must be a list"),
        ({"phones": ["79991234567"]}, "text has the wrong type"),
        ({"phones": ["79991234567"], "text": "x", "id": True}, "id has the wrong type"),
        ({"phones": ["79991234567"], "text": "x", "id": 1.5}, "id has the wrong type"),
        ({"phones": ["79991234567"], "text": "x", "kind": "FAX"}, "unknown message kind"),
        ({"phones": ["79991234567"], "text": "x", "kind": 99}, "unknown message kind"),
        ({"phones": ["79991234567"], "text": "x", "send_at": "tomorrow"}, "not an ISO 8601"),
        ({"phones": ["79991234567"], "text": "x", "send_at": "2025-03-01T09:30"}, "aware"),
        (
            {
                "phones": ["79991234567"],
                "text": "x",
                "send_at": "2025-03-01T09:30+00:00",
                "time": "+5",
            },
            "not both",
        ),
        ({"phones": ["79991234567"], "text": "x", "valid_minutes": "60"}, "integer"),
        ({"phones": ["79991234567"], "text": "x", "valid_minutes": 0}, "outside"),
        ({"phones": ["79991234567"], "text": "x", "extra": ["a"]}, "extra must be a mapping"),
        ({"phones": ["79991234567"], "text": "x", "extra": {"psw": "1"}}, "set by the transport"),
        ({"phones": ["79991234567"], "text": "x" * 1001}, "at most 1000"),
        ({"phones": ["12"], "text": "x"}, "invalid phone number"),
        # A binary message's octets that are not a hex string are refused, never read as
        # "no data" (that would send the text, or an empty binary message).
        ({"phones": ["79991234567"], "text": "x", "data_hex": 255}, "data_hex must be hex"),
        ({"phones": ["79991234567"], "text": "x", "data_hex": ["00ff"]}, "data_hex must be hex"),
        (
            {"phones": ["79991234567"], "text": "", "kind": "BIN", "data_hex": True},
            "data_hex must be hex",
        ),
        (
            {"phones": ["79991234567"], "text": "", "kind": "BIN", "data_hex": {"0": 1}},
            "data_hex must be hex",
        ),
        (
            {"phones": ["79991234567"], "text": "", "kind": "BIN", "data_hex": "0g"},
            "data_hex must be hex",
        ),
    ],
)
def test_the_worker_refuses_what_is_not_a_valid_message(
    data: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        message_from_dict(data)


def test_a_non_mapping_is_refused() -> None:
    with pytest.raises(ValidationError, match="must be a mapping"):
        message_from_dict(["79991234567", "x"])  # type: ignore[arg-type]


def test_with_id_keeps_the_callers_id_and_fills_a_missing_one() -> None:
    own = Message("79991234567", "x", id="order-7")
    assert with_id(own, "job-1") is own
    assert with_id(Message("79991234567", "x"), "job-1").id == "job-1"


def test_outcome_entries_are_json_safe_and_name_the_error() -> None:
    message = Message(["79991234567", "79990000000"], "Привет", id="j-1")
    result = SendResult(id="j-1", parts=2, cost=Decimal("2.80"), transport="https")
    entries = [
        accepted_entry(0, message, result),
        already_accepted_entry(1, message),
        failure_entry(2, "j-3", InvalidPhone("invalid number", id="99")),
        failure_entry(3, "j-4", ConnectError("refused")),
    ]
    assert json.loads(json.dumps(entries)) == entries
    assert entries[0]["cost"] == "2.80" and entries[0]["already_accepted"] is False
    # SMSC does not price a refused repeat; the parts are counted here (2 phones × 1).
    assert (entries[1]["id"], entries[1]["parts"], entries[1]["cost"]) == ("j-1", 2, None)
    # Every recipient with the id its status is asked with.
    assert (
        entries[0]["phones"]
        == entries[1]["phones"]
        == [
            {"phone": "79991234567", "id": "j-1", "error": None},
            {"phone": "79990000000", "id": "j-1", "error": None},
        ]
    )
    smpp = SendResult(
        id="7",
        parts=2,
        transport="smpp",
        phones=(PhoneResult("79991234567", id="7"), PhoneResult("79990000000", error=7)),
    )
    assert accepted_entry(5, message, smpp)["phones"] == [
        {"phone": "79991234567", "id": "7", "error": None},
        {"phone": "79990000000", "id": None, "error": 7},
    ]
    assert entries[2]["error"] == {
        "class": "InvalidPhone",
        "code": 7,
        "message": "SMSC error 7: invalid number (message id 99)",
    }
    assert (entries[2]["id"], entries[2]["ok"]) == ("99", False)
    assert entries[3]["error"]["class"] == "ConnectError" and entries[3]["error"]["code"] is None
    assert failure_entry(4, object(), RateLimited())["message_id"] is None


def test_the_typed_options_and_binary_data_survive_a_json_round_trip() -> None:
    from smsc_transports import CallParams

    options = [
        Message(
            "79991234567",
            "Hi",
            send_at="01.01.30 10:00",
            tz=-2,
            max_parts=2,
            spread_over=timedelta(hours=1, minutes=30),
            spread_every=timedelta(minutes=10),
            short_links=True,
            partner_id="p7",
            user_ip="192.0.2.1",
        ),
        Message("79991234567", "Hi", kind=MessageKind.CALL, voice="w2", call_params=CallParams(9)),
        Message("a@example.org", "Body", kind=MessageKind.MAIL, subject="Order"),
        Message("79991234567", kind=MessageKind.BIN, data=b"\x00\x01\xff"),
    ]
    for message in options:
        data = json.loads(json.dumps(message_to_dict(message)))
        assert message_from_dict(data) == message
    assert message_to_dict(options[3])["data_hex"] == "0001ff"


def test_attachments_cross_the_broker_whole_bytes_and_urls_alike() -> None:
    message = Message(
        "79990000001",
        "look",
        kind=MessageKind.MMS,
        attachments=[
            Attachment.from_bytes("cat.png", bytes(range(256))),
            Attachment.from_url("https://example.com/dog.jpg"),
        ],
    )
    over_the_wire = json.loads(json.dumps(message_to_dict(message)))
    assert message_from_dict(over_the_wire) == message


@pytest.mark.parametrize(
    "attachments",
    [
        "not a list",
        [{"name": "a.png", "content": "***not base64***"}],
        [{"name": "a.png", "content": "eA==", "url": "https://e.com/a"}],
        [{"name": "a.png", "path": "/etc/passwd"}],
    ],
)
def test_a_bad_attachment_is_refused_by_the_worker(attachments: object) -> None:
    data = {"phones": ["79990000001"], "text": "x", "kind": "MMS", "attachments": attachments}
    with pytest.raises(ValidationError):
        message_from_dict(data)
