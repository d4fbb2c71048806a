"""The SOAP mapping: which operation a message becomes, its fields, and results parsed back.

Queries of the ``*2`` operations must say exactly what the HTTP API's parameters say,
so these tests compare them with :mod:`smsc_transports.wire.http`'s output.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import (
    AuthenticationError,
    DateFormatError,
    DeleteError,
    InsufficientFunds,
    InvalidPhone,
    IPBlocked,
    Message,
    MessageForbidden,
    MessageKind,
    MessageStatus,
    ParameterError,
    ProtocolError,
    RateLimited,
    SMSCError,
    Undeliverable,
    UnknownAPIError,
)
from smsc_transports.statuses import DeliveryError
from smsc_transports.wire import http
from smsc_transports.wire.soap import calls as wire

CREDENTIALS = {"login": "shop", "psw": "secret"}


def _query(call: wire.SoapCall) -> dict[str, str]:
    return dict(parse_qsl(call.fields["query"], keep_blank_values=True))


# Requests ---------------------------------------------------------------------------


def test_a_plain_message_goes_as_send_sms_with_only_its_fields() -> None:
    call = wire.send_call(Message("79991234567", "Код: 1234"), CREDENTIALS)
    assert call.operation == "send_sms"
    assert call.fields == {**CREDENTIALS, "phones": "79991234567", "mes": "Код: 1234"}


def test_id_sender_and_time_still_fit_send_sms() -> None:
    when = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    message = Message(["79991234567", "+79990000001"], "hi", sender="Shop", id=42, send_at=when)
    call = wire.send_call(message, CREDENTIALS)
    assert call.operation == "send_sms"
    assert call.fields == {
        **CREDENTIALS,
        "phones": "79991234567,+79990000001",
        "mes": "hi",
        "id": "42",
        "sender": "Shop",
        "time": http.time_param(when),
    }


@pytest.mark.parametrize(
    "message",
    [
        Message("79991234567", "hi", translit=1),
        Message("79991234567", "hi", kind=MessageKind.FLASH),
        Message("79991234567", "hi", valid=timedelta(hours=2)),
        Message("79991234567", "hi", extra={"newopt": 1, "later": "x"}),
        Message("79991234567", "hi", short_links=True, max_parts=3),
        Message("79991234567", "", kind=MessageKind.HLR),
        Message("79991234567", kind=MessageKind.BIN, data=b"\x00\x01\xff"),
    ],
    ids=["translit", "flash", "valid", "extra", "typed options", "hlr", "binary"],
)
def test_a_message_needing_more_goes_as_send_sms2_with_the_http_parameters(
    message: Message,
) -> None:
    call = wire.send_call(message, CREDENTIALS)
    expected = http.send_params(message, cost=3, per_phone=False)
    assert call.operation == "send_sms2"
    assert call.fields["phones"] == expected.pop("phones")
    assert call.fields["mes"] == expected.pop("mes")
    del expected["cost"]  # SOAP answers always carry cost and balance
    assert _query(call) == expected


def test_a_bot_name_goes_in_the_query_not_the_sender_field() -> None:
    message = Message("79991234567", "hi", sender="@shop_bot", kind=MessageKind.BOT)
    call = wire.send_call(message, CREDENTIALS)
    assert call.operation == "send_sms2"
    assert "sender" not in call.fields
    assert _query(call) == {"bot": "@shop_bot"}


def test_reporting_refused_numbers_asks_send_sms2_for_err() -> None:
    call = wire.send_call(Message("79991234567", "hi"), CREDENTIALS, report_refused=True)
    assert call.operation == "send_sms2"
    assert _query(call) == {"err": "1"}


def test_the_query_escapes_what_would_break_it() -> None:
    message = Message("79991234567", "hi", extra={"note": "a&b=c+d %"})
    assert _query(wire.send_call(message, CREDENTIALS)) == {"note": "a&b=c+d %"}


MESSAGES = st.builds(
    Message,
    phones=st.lists(st.from_regex(r"\+?7[0-9]{10}", fullmatch=True), min_size=1, max_size=3),
    # Text XML 1.0 can carry (the rest is refused: tests/wire/soap/test_xml_text.py).
    text=st.text(
        st.characters(
            blacklist_categories=["Cs", "Cc"],
            blacklist_characters="\ufffe\uffff",
            whitelist_characters="\t\n\r",
        )
    )
    .filter(lambda t: t.strip())
    .map(lambda t: t[:1000]),
    sender=st.none() | st.sampled_from(["Shop", "", ".", "12345"]),
    id=st.none()
    | st.integers(1, 2**31 - 1)
    | st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True),
    kind=st.sampled_from([MessageKind.SMS, MessageKind.FLASH, MessageKind.PUSH]),
    translit=st.sampled_from([0, 1, 2]),
    send_at=st.none() | st.sampled_from(["+30", "0101301200", "10-18"]),
    valid=st.none() | st.integers(1, 24 * 60).map(lambda m: timedelta(minutes=m)),
    extra=st.dictionaries(st.sampled_from(["note", "tag", "later"]), st.text(max_size=8)),
    max_parts=st.none() | st.integers(1, 10),
    short_links=st.booleans(),
)


@given(MESSAGES)
def test_fields_and_query_together_say_exactly_what_http_says(message: Message) -> None:
    call = wire.send_call(message, CREDENTIALS)
    said = {k: v for k, v in call.fields.items() if k not in ("login", "psw", "query")}
    if call.operation == "send_sms2":
        query = _query(call)
        assert not set(query) & set(said), "a field is never repeated in the query"
        said.update(query)
    else:
        assert set(said) <= {"phones", "mes", "id", "sender", "time"}
    expected = http.send_params(message, cost=3, per_phone=False)
    del expected["cost"]
    assert said == expected


def test_a_plain_cost_request_is_get_sms_cost_with_phones_and_text_only() -> None:
    call = wire.cost_call(Message("79991234567", "hi", id=5), CREDENTIALS)
    assert call.operation == "get_sms_cost"
    assert call.fields == {**CREDENTIALS, "phones": "79991234567", "mes": "hi"}


def test_a_cost_that_depends_on_more_is_get_sms_cost2() -> None:
    message = Message("79991234567", "hi", sender="Shop", kind=MessageKind.VIBER)
    call = wire.cost_call(message, CREDENTIALS)
    assert call.operation == "get_sms_cost2"
    assert _query(call) == {"sender": "Shop", "viber": "1"}


def test_status_asks_get_status_with_all_only_when_detail_is_wanted() -> None:
    plain = wire.status_call("7", "79991234567", CREDENTIALS)
    assert plain == wire.SoapCall("get_status", {**CREDENTIALS, "id": "7", "phone": "79991234567"})
    detailed = wire.status_call("7", "79991234567", CREDENTIALS, detail=2)
    assert detailed.operation == "get_status"
    assert detailed.fields["all"] == "2"


def test_extra_status_parameters_go_as_get_status2() -> None:
    call = wire.status_call("7", "79991234567", CREDENTIALS, extra={"charset": "utf-8"})
    assert call.operation == "get_status2"
    assert call.fields["query"] == "charset=utf-8"


def test_balance_sends_only_the_credentials() -> None:
    assert wire.balance_call(CREDENTIALS) == wire.SoapCall("get_balance", CREDENTIALS)


def test_an_api_key_travels_as_the_password_with_an_empty_login() -> None:
    assert wire.credential_fields("shop", "pw", "KEY") == {"login": "", "psw": "KEY"}
    assert wire.credential_fields("shop", "pw") == {"login": "shop", "psw": "pw"}


def test_a_calls_repr_masks_the_password() -> None:
    text = repr(wire.balance_call(CREDENTIALS))
    assert "secret" not in text
    assert "shop" in text


# Results ----------------------------------------------------------------------------


def test_a_send_result_of_strings_becomes_a_typed_result() -> None:
    result = wire.parse_send({"id": "33", "balance": "97.20", "cost": "2.80", "cnt": "2"})
    assert (result.id, result.parts) == ("33", 2)
    assert (result.cost, result.balance) == (Decimal("2.80"), Decimal("97.20"))
    assert result.transport == "soap"
    assert result.phones == ()


@pytest.mark.parametrize("no_error", [None, "", "0", " 0 "])
def test_an_empty_or_zero_error_is_success(no_error: str | None) -> None:
    result = wire.parse_send({"id": "1", "cnt": "1", "error": no_error})
    assert result.id == "1"


def test_refused_numbers_of_send_sms2_become_per_phone_results() -> None:
    result = wire.parse_send(
        {
            "id": "5",
            "cnt": "1",
            "errors": [
                {"phone": "79990004007", "status": "22"},
                {"phone": "79990004006", "status": "23"},
                {"phone": "79990004008", "status": "77"},
            ],
        }
    )
    assert [(p.phone, p.status, p.error, p.ok) for p in result.phones] == [
        ("79990004007", MessageStatus.INVALID_NUMBER, 7, False),
        ("79990004006", MessageStatus.FORBIDDEN, 6, False),
        ("79990004008", MessageStatus(77), 8, False),
    ]


@pytest.mark.parametrize(
    ("code", "error_class"),
    [
        (1, ParameterError),
        (2, AuthenticationError),
        (3, InsufficientFunds),
        (4, IPBlocked),
        (5, DateFormatError),
        (6, MessageForbidden),
        (7, InvalidPhone),
        (8, Undeliverable),
        (9, RateLimited),
        (15, UnknownAPIError),
    ],
)
def test_each_send_error_code_raises_its_class(code: int, error_class: type[Exception]) -> None:
    with pytest.raises(error_class) as caught:
        wire.parse_send({"error": str(code)})
    assert caught.value.code == code  # type: ignore[attr-defined]
    assert caught.value.operation == "send"  # type: ignore[attr-defined]


@pytest.mark.parametrize("code", ["3", "6", "7", "8"])
def test_errors_that_assign_an_id_keep_it(code: str) -> None:
    with pytest.raises(SMSCError) as caught:
        wire.parse_send({"id": "34", "error": code})
    assert caught.value.id == "34"  # type: ignore[attr-defined]


def test_an_error_with_id_zero_has_no_id() -> None:
    with pytest.raises(AuthenticationError) as caught:
        wire.parse_send({"id": "0", "error": "2"})
    assert caught.value.id is None


def test_an_error_written_negative_like_fmt1_is_read_as_its_code() -> None:
    with pytest.raises(AuthenticationError):
        wire.parse_balance({"error": "-2"})


def test_balance_error_nine_means_too_many_balance_requests() -> None:
    with pytest.raises(RateLimited) as caught:
        wire.parse_balance({"error": "9"})
    assert caught.value.operation == "balance"


def test_status_error_five_is_a_delete_error() -> None:
    with pytest.raises(DeleteError):
        wire.parse_status({"error": "5"}, "1", "79991234567")


def test_a_status_result_fills_every_documented_field() -> None:
    result = wire.parse_status(
        {
            "status": "1",
            "last_date": "18.10.2016 15:34:12",
            "last_timestamp": "1476794052",
            "err": "0",
            "error": "0",
            "send_date": "18.10.2016 15:34:00",
            "send_timestamp": "1476794040",
            "phone": "79991234567",
            "cost": "1.40",
            "sender_id": "Shop",
            "status_name": "delivered",
            "message": "hi",
            "operator": "MTS",
            "region": "Moscow",
        },
        "7",
        "79991234567",
    )
    assert result.id == "7"
    assert result.status is MessageStatus.DELIVERED
    assert result.error is DeliveryError.NO_ERROR
    assert result.changed_at == datetime.fromtimestamp(1476794052, UTC)
    assert result.sent_at == datetime.fromtimestamp(1476794040, UTC)
    assert (result.cost, result.sender, result.text) == (Decimal("1.40"), "Shop", "hi")
    assert (result.status_name, result.operator, result.region) == ("delivered", "MTS", "Moscow")


def test_a_short_status_result_takes_the_asked_phone() -> None:
    result = wire.parse_status({"status": "-1", "last_timestamp": "0"}, "7", "79991234567")
    assert (result.id, result.phone, result.status) == ("7", "79991234567", MessageStatus.WAITING)
    assert result.changed_at is None


def test_a_cost_result_and_a_balance_result_are_decimals() -> None:
    cost = wire.parse_cost({"cost": "2.80", "cnt": "2", "error": "0"})
    assert (cost.cost, cost.parts) == (Decimal("2.80"), 2)
    balance = wire.parse_balance({"balance": "100.01", "error": "0"})
    assert balance.amount == Decimal("100.01")
    assert balance.currency is None


@pytest.mark.parametrize(
    ("parse", "result"),
    [
        (wire.parse_send, None),
        (wire.parse_send, "not a mapping"),
        (wire.parse_send, {}),
        (wire.parse_send, {"id": "1"}),
        (wire.parse_send, {"id": "1", "cnt": "one"}),
        (wire.parse_send, {"id": "1", "cnt": ""}),
        (wire.parse_send, {"id": "1", "cnt": "1", "cost": "1,40"}),
        (wire.parse_send, {"id": "1", "cnt": "1", "balance": "NaN"}),
        (wire.parse_send, {"id": "1", "cnt": "1", "errors": "79990000001"}),
        (wire.parse_send, {"id": "1", "cnt": "1", "errors": [{"status": "22"}]}),
        (wire.parse_send, {"id": "1", "cnt": "1", "errors": [{"phone": "7", "status": "x"}]}),
        (wire.parse_send, {"error": "authorise error"}),
        (wire.parse_send, {"error": "9" * 50}),
        (wire.parse_cost, {"cnt": "1"}),
        (wire.parse_status, {"status": ""}),
        (wire.parse_status, {"status": "1", "last_date": "yesterday"}),
        (wire.parse_status, {"status": "1", "last_timestamp": "9" * 30}),
        (wire.parse_balance, {"balance": ""}),
        (wire.parse_balance, {"balance": "lots"}),
    ],
)
def test_empty_hostile_or_non_numeric_fields_are_protocol_errors(parse: Any, result: Any) -> None:
    with pytest.raises(ProtocolError):
        if parse is wire.parse_status:
            parse(result, "1", "79991234567")
        else:
            parse(result)


FIELD_VALUES = (
    st.none()
    | st.text(max_size=30)
    | st.from_regex(r"-?[0-9]{1,25}(\.[0-9]{1,3})?", fullmatch=True)
)


@given(
    st.dictionaries(
        st.sampled_from([*wire.OPERATIONS["get_status"].result_fields, "id", "cnt", "balance"]),
        FIELD_VALUES,
    )
)
def test_any_result_of_strings_gives_a_result_or_an_smsc_error(result: dict[str, Any]) -> None:
    for parse in (wire.parse_send, wire.parse_cost, wire.parse_balance):
        with contextlib.suppress(SMSCError):
            parse(result)
    with contextlib.suppress(SMSCError):
        wire.parse_status(result, "1", "79991234567")
