"""The HTTP wire format: parameters built from messages, answers parsed into results."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import (
    AuthenticationError,
    CallParams,
    DeleteError,
    InsufficientFunds,
    InvalidPhone,
    Message,
    MessageKind,
    MessageStatus,
    ProtocolError,
    RateLimited,
    UnknownAPIError,
)
from smsc_transports.statuses import DeliveryError
from smsc_transports.wire import http as wire


def test_send_params_carry_text_phones_and_cost_mode_three() -> None:
    params = wire.send_params(Message(["+79991234567", "79990000001"], "Код: 1234 & #1"))
    assert params == {
        "phones": "+79991234567,79990000001",
        "mes": "Код: 1234 & #1",
        "cost": "3",
        "op": "1",
    }


def test_send_params_map_every_option() -> None:
    when = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    message = Message(
        "79991234567",
        "hi",
        sender="Shop",
        id="order-1",
        kind=MessageKind.FLASH,
        translit=2,
        send_at=when,
        valid=timedelta(hours=1, minutes=30),
        extra={"later": 1, "note": "x"},
        short_links=True,
        max_parts=2,
        partner_id="p-7",
        user_ip="::ffff:10.0.0.1",
    )
    params = wire.send_params(message, cost=1, per_phone=False)
    assert params == {
        "phones": "79991234567",
        "mes": "hi",
        "cost": "1",
        "id": "order-1",
        "sender": "Shop",
        "flash": "1",
        "translit": "2",
        "time": "0" + str(int(when.timestamp())),
        "valid": "01:30",
        "tinyurl": "1",
        "maxsms": "2",
        "pp": "p-7",
        "userip": "::ffff:a00:1",
        "later": "1",
        "note": "x",
    }


def test_send_params_map_the_scheduling_and_call_options() -> None:
    spread = Message(
        "79991234567",
        "hi",
        send_at="15.01.30 10:00",
        tz=2,
        spread_over=timedelta(hours=1, minutes=30),
        spread_every=timedelta(minutes=15),
    )
    assert wire.send_params(spread, per_phone=False) | {"cost": "3"} == {
        "phones": "79991234567",
        "mes": "hi",
        "cost": "3",
        "time": "15.01.30 10:00",
        "tz": "2",
        "period": "1.5",
        "freq": "15",
    }
    call = Message(
        "79991234567", "Hello", kind=MessageKind.CALL, voice="w,en", call_params=CallParams(30)
    )
    params = wire.send_params(call, per_phone=False)
    assert (params["call"], params["voice"], params["param"]) == ("1", "w,en", "30,20,5")
    mail = Message(
        "a@example.org", "body", sender="me@example.org", kind=MessageKind.MAIL, subject="Hi"
    )
    assert wire.send_params(mail)["subj"] == "Hi"


def test_binary_content_goes_as_hex_with_bin_2_whatever_the_kind() -> None:
    for kind in (MessageKind.BIN, MessageKind.BIN_HEX):
        message = Message("79991234567", kind=kind, data=b"\x00\x01\x00\xff")
        params = wire.send_params(message)
        assert (params["bin"], params["mes"]) == ("2", "000100ff")


@pytest.mark.parametrize(
    ("kind", "flag"),
    [
        (MessageKind.FLASH, ("flash", "1")),
        (MessageKind.PUSH, ("push", "1")),
        (MessageKind.HLR, ("hlr", "1")),
        (MessageKind.BIN, ("bin", "2")),
        (MessageKind.BIN_HEX, ("bin", "2")),
        (MessageKind.PING, ("ping", "1")),
        (MessageKind.MMS, ("mms", "1")),
        (MessageKind.CALL, ("call", "1")),
        (MessageKind.VIBER, ("viber", "1")),
        (MessageKind.SOC, ("soc", "1")),
        (MessageKind.TELEGRAM, ("tg", "1")),
    ],
)
def test_each_kind_sets_its_send_flag(kind: MessageKind, flag: tuple[str, str]) -> None:
    text = "" if kind in (MessageKind.HLR, MessageKind.PING) else "00ff"
    text = "\x00\xff" if kind is MessageKind.BIN else text
    params = wire.send_params(Message("79991234567", text, kind=kind))
    assert params[flag[0]] == flag[1]


def test_bot_kind_sends_the_sender_as_bot_name() -> None:
    params = wire.send_params(
        Message("79991234567", "hi", sender="@shop_bot", kind=MessageKind.BOT)
    )
    assert params["bot"] == "@shop_bot"
    assert "sender" not in params


def test_mail_kind_keeps_addresses_and_subject() -> None:
    message = Message("a@example.org", "body", sender="me@example.org", kind=MessageKind.MAIL)
    params = wire.send_params(message)
    assert params["mail"] == "1"
    assert params["phones"] == "a@example.org"
    assert params["sender"] == "me@example.org"


def test_valid_of_a_full_day_is_24_hours() -> None:
    assert wire.valid_param(timedelta(hours=24)) == "24:00"
    assert wire.valid_param(timedelta(minutes=1)) == "00:01"


def test_smsc_time_strings_pass_through_unchanged() -> None:
    assert wire.time_param("+30") == "+30"
    assert wire.time_param("01.02.30 10:00") == "01.02.30 10:00"


def test_list_params_put_one_line_per_recipient() -> None:
    messages = [Message("79990000001", "one: a"), Message(["79990000002", "79990000003"], "two")]
    params = wire.list_params(messages)
    assert params["list"] == "79990000001:one: a\n79990000002:two\n79990000003:two"
    assert "phones" not in params
    assert "mes" not in params


def test_status_params_for_several_messages_end_with_a_comma() -> None:
    assert wire.status_params(["1"], ["79990000001"]) == {"id": "1", "phone": "79990000001"}
    several = wire.status_params(["1", "2"], ["79990000001", "79990000002"], detail=2)
    assert several == {"id": "1,2,", "phone": "79990000001,79990000002,", "all": "2"}


def test_auth_prefers_the_api_key() -> None:
    assert wire.auth_params("l", "p", "k") == {"apikey": "k"}
    assert wire.auth_params("l", "p", None) == {"login": "l", "psw": "p"}


# Answers ------------------------------------------------------------------------------


def _answer(value: Any) -> Any:
    return wire.decode_answer(json.dumps(value).encode())


def test_send_answer_becomes_a_send_result_with_decimal_money() -> None:
    result = wire.parse_send(
        _answer(
            {
                "id": 33,
                "cnt": 2,
                "cost": "2.80",
                "balance": "97.20",
                "phones": [{"phone": "79990000001", "mccmnc": "25001", "cost": "2.80"}],
            }
        )
    )
    assert result.id == "33"
    assert result.parts == 2
    assert result.cost == Decimal("2.80")
    assert result.balance == Decimal("97.20")
    assert result.phones[0].phone == "79990000001"
    assert result.phones[0].mccmnc == "25001"
    assert result.phones[0].ok


def test_numbers_given_as_json_numbers_are_read_exactly() -> None:
    result = wire.parse_send(wire.decode_answer(b'{"id":"7","cnt":"1","cost":1.1,"balance":0.3}'))
    assert result.cost == Decimal("1.1")
    assert result.balance == Decimal("0.3")


@pytest.mark.parametrize(
    ("body", "error_class", "message_id"),
    [
        ({"error": "authorise error", "error_code": 2}, AuthenticationError, None),
        ({"error": "no money", "error_code": 3, "id": 34}, InsufficientFunds, "34"),
        ({"error": "invalid number", "error_code": 7, "id": 34}, InvalidPhone, "34"),
        ({"error": "duplicate request, wait a minute", "error_code": 9}, RateLimited, None),
        ({"error": "unknown error", "error_code": 15}, UnknownAPIError, None),
    ],
)
def test_error_answers_raise_their_class_with_code_and_id(
    body: dict[str, Any], error_class: type[Exception], message_id: str | None
) -> None:
    with pytest.raises(error_class) as caught:
        wire.parse_send(_answer(body))
    assert getattr(caught.value, "code") == body["error_code"]  # noqa: B009
    assert getattr(caught.value, "id") == message_id  # noqa: B009
    assert body["error"] in str(caught.value)


def test_status_error_five_is_a_delete_error() -> None:
    with pytest.raises(DeleteError):
        wire.parse_status(_answer({"error": "cannot delete", "error_code": 5}))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"<html><body>502 Bad Gateway</body></html>",
        b'{"id": 1, "cnt"',
        b"\xff\xfe\x00garbage",
        b"OK - 1 SMS, ID - 1234",
    ],
)
def test_an_answer_that_is_not_json_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        wire.decode_answer(body)


def test_protocol_error_quotes_a_masked_excerpt() -> None:
    with pytest.raises(ProtocolError) as caught:
        wire.decode_answer(b"<html>login=a&psw=hunter22 failed</html>", ["hunter22"])
    assert "hunter22" not in str(caught.value)
    assert "<html>" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"cnt": 1},
        {"id": 1},
        {"id": None, "cnt": 1},
        {"id": [1], "cnt": 1},
        {"id": 1, "cnt": "x"},
        {"id": 1, "cnt": 1, "cost": "NaN"},
        {"id": 1, "cnt": 1, "cost": {"a": 1}},
        {"id": 1, "cnt": 1, "phones": "79990000001"},
        {"id": 1, "cnt": 1, "phones": [5]},
        {"id": 1, "cnt": True},
    ],
)
def test_malformed_send_answers_are_protocol_errors(body: Any) -> None:
    with pytest.raises(ProtocolError):
        wire.parse_send(_answer(body))


def test_deeply_nested_json_is_a_protocol_error_not_a_crash() -> None:
    with pytest.raises(ProtocolError):
        wire.decode_answer(b"[" * 100_000 + b"]" * 100_000)


def test_status_answer_with_all_fields() -> None:
    result = wire.parse_status(
        _answer(
            {
                "status": 1,
                "last_date": "18.10.2016 15:34:12",
                "last_timestamp": 1476794052,
                "err": 0,
                "send_date": "18.10.2016 15:34:10",
                "send_timestamp": 1476794050,
                "phone": "79990000001",
                "cost": "1.40",
                "sender_id": "Shop",
                "status_name": "Доставлено",
                "message": "Привет",
            }
        ),
        "5",
    )
    assert result.id == "5"
    assert result.status is MessageStatus.DELIVERED
    assert result.error is DeliveryError.NO_ERROR
    assert result.changed_at == datetime(2016, 10, 18, 12, 34, 12, tzinfo=UTC)
    assert result.sent_at == datetime(2016, 10, 18, 12, 34, 10, tzinfo=UTC)
    assert result.cost == Decimal("1.40")
    assert result.sender == "Shop"
    assert result.text == "Привет"


def test_status_date_without_timestamp_is_read_as_moscow_time() -> None:
    result = wire.parse_status(_answer({"status": 0, "last_date": "18.10.2016 15:34:12"}))
    assert result.changed_at == datetime(2016, 10, 18, 12, 34, 12, tzinfo=UTC)


def test_hlr_fields_become_hlr_info() -> None:
    result = wire.parse_status(
        _answer({"status": 1, "imsi": "250011234567890", "mcc": "250", "mnc": "01", "cn": "RU"})
    )
    assert result.hlr is not None
    assert result.hlr.imsi == "250011234567890"
    assert result.hlr.country == "RU"


def test_unknown_status_and_error_codes_are_kept_not_fatal() -> None:
    result = wire.parse_status(_answer({"status": 77, "err": 999}))
    assert int(result.status) == 77
    assert not result.status.is_known
    assert result.error is not None
    assert int(result.error) == 999


def test_several_statuses_come_back_as_a_list() -> None:
    results = wire.parse_statuses(
        _answer([{"id": 1, "phone": "1", "status": 1}, {"id": 2, "phone": "2", "status": -1}])
    )
    assert [(r.id, r.status) for r in results] == [
        ("1", MessageStatus.DELIVERED),
        ("2", MessageStatus.WAITING),
    ]


def test_balance_with_currency_and_credit() -> None:
    balance = wire.parse_balance(_answer({"balance": "100.01", "currency": "RUR", "credit": "50"}))
    assert balance.amount == Decimal("100.01")
    assert balance.currency == "RUR"
    assert balance.credit == Decimal("50")


def test_cost_answer() -> None:
    cost = wire.parse_cost(_answer({"cost": "1.44", "cnt": 1}))
    assert (cost.cost, cost.parts) == (Decimal("1.44"), 1)


def test_senders_and_incoming() -> None:
    assert wire.parse_senders(_answer([{"sender": "Shop"}, {"sender": "SMSC.RU"}])) == [
        "Shop",
        "SMSC.RU",
    ]
    incoming = wire.parse_incoming(
        _answer([{"id": 9, "phone": "79990000001", "message": "да", "to_phone": "79000000000"}])
    )
    assert (incoming[0].id, incoming[0].text, incoming[0].to_phone) == ("9", "да", "79000000000")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["id", "cnt", "cost", "phones", "error_code"]), children)
    ),
    max_leaves=10,
)


@given(json_values)
def test_any_json_answer_gives_a_result_or_a_library_error(value: Any) -> None:
    """Hostile answers never escape as KeyError/TypeError: only our own exceptions."""
    from smsc_transports import SMSCError

    for parse in (wire.parse_send, wire.parse_cost, wire.parse_status, wire.parse_balance):
        with contextlib.suppress(SMSCError):
            parse(value)
