"""The exception tree, SMSC error codes mapped onto it, and safe excerpts of answers.

Codes: smsc-protocol.md §1.6 (send), §1.7 (status), §4 (SOAP balance).
"""

from __future__ import annotations

import pytest

from smsc_transports import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    DateFormatError,
    DeleteError,
    InsufficientFunds,
    InvalidPhone,
    IPBlocked,
    MessageForbidden,
    OutcomeUnknown,
    ParameterError,
    ProtocolError,
    RateLimited,
    SMSCError,
    TransportError,
    TransportTimeout,
    Undeliverable,
    UnknownAPIError,
    UnsupportedOperation,
    ValidationError,
    api_error,
)
from smsc_transports.errors import documented_codes, safe_excerpt

OPERATIONS = ["send", "cost", "status", "delete", "balance", "get", "senders"]

# SMSC's documented meaning of each code (§1.6); 5 differs between send and status.
CLASS_FOR_CODE: dict[int, type[APIError]] = {
    1: ParameterError,
    2: AuthenticationError,
    3: InsufficientFunds,
    4: IPBlocked,
    5: DateFormatError,
    6: MessageForbidden,
    7: InvalidPhone,
    8: Undeliverable,
    9: RateLimited,
}
API_ERROR_CLASSES: list[type[APIError]] = [*CLASS_FOR_CODE.values(), DeleteError, UnknownAPIError]


def expected_class(code: int, operation: str) -> type[APIError]:
    if code == 5 and operation in ("status", "delete"):
        return DeleteError
    return CLASS_FOR_CODE[code]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("code", range(1, 10))
def test_api_error_maps_each_code_and_operation_to_its_class(code: int, operation: str) -> None:
    error = api_error(code, "server said so", id="42", operation=operation, protocol_status=0x45)
    assert type(error) is expected_class(code, operation)
    assert error.code == code
    assert error.message == "server said so"
    assert error.id == "42"
    assert error.operation == operation
    assert error.protocol_status == 0x45


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("code", range(1, 10))
def test_api_error_without_a_message_uses_the_documented_description(
    code: int, operation: str
) -> None:
    error = api_error(code, operation=operation)
    cls = expected_class(code, operation)
    assert cls.description
    assert error.message == cls.description
    assert error.id is None
    assert error.protocol_status is None
    assert cls.description in str(error)


@pytest.mark.parametrize(
    ("operation", "cls"),
    [
        ("send", DateFormatError),
        ("cost", DateFormatError),
        ("status", DeleteError),
        ("delete", DeleteError),
    ],
)
def test_code_5_is_a_date_error_for_sends_and_a_delete_error_for_status(
    operation: str, cls: type[APIError]
) -> None:
    assert type(api_error(5, operation=operation)) is cls


def test_the_default_operation_is_send() -> None:
    error = api_error(5)
    assert isinstance(error, DateFormatError)
    assert error.operation == "send"


@pytest.mark.parametrize("code", [15, 100, -1, 0, 10, 999999])
@pytest.mark.parametrize("operation", ["send", "status", "balance"])
def test_an_unknown_code_becomes_unknown_api_error_keeping_it(code: int, operation: str) -> None:
    error = api_error(code, "unknown error", id="7", operation=operation, protocol_status=1)
    assert type(error) is UnknownAPIError
    assert error.code == code
    assert error.message == "unknown error"
    assert (error.id, error.operation, error.protocol_status) == ("7", operation, 1)
    assert str(code) in str(error)


def test_unknown_codes_are_kept_per_instance() -> None:
    first, second = api_error(15), api_error(100)
    assert (first.code, second.code) == (15, 100)
    assert api_error(15).message == UnknownAPIError.description


@pytest.mark.parametrize(("code", "cls"), sorted(CLASS_FOR_CODE.items()))
def test_each_class_carries_its_code(code: int, cls: type[APIError]) -> None:
    assert cls.code == code
    assert cls().code == code


@pytest.mark.parametrize("code", range(1, 10))
def test_str_of_an_api_error_names_its_code_and_message_id(code: int) -> None:
    text = str(api_error(code, "invalid number", id="34"))
    assert str(code) in text
    assert "34" in text
    assert "invalid number" in text


def test_str_of_an_api_error_without_id_mentions_no_id() -> None:
    assert "id" not in str(api_error(2, "authorise error"))


def test_api_errors_can_be_raised_and_caught_as_their_bases() -> None:
    with pytest.raises(SMSCError) as excinfo:
        raise api_error(7, id="1")
    assert isinstance(excinfo.value, InvalidPhone)


@pytest.mark.parametrize("cls", API_ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_api_error_class_is_an_api_error_and_an_smsc_error(cls: type[APIError]) -> None:
    assert issubclass(cls, APIError)
    assert issubclass(cls, SMSCError)
    assert not issubclass(cls, TransportError)


@pytest.mark.parametrize(
    "cls", [ConnectError, TransportTimeout, ProtocolError, OutcomeUnknown], ids=lambda c: c.__name__
)
def test_transport_errors_are_apart_from_api_errors(cls: type[SMSCError]) -> None:
    assert issubclass(cls, TransportError)
    assert issubclass(cls, SMSCError)
    assert not issubclass(cls, APIError)


@pytest.mark.parametrize("cls", [ValidationError, ConfigurationError], ids=lambda c: c.__name__)
def test_validation_and_configuration_errors_are_value_errors(cls: type[SMSCError]) -> None:
    assert issubclass(cls, ValueError)
    assert issubclass(cls, SMSCError)
    with pytest.raises(ValueError, match="bad"):
        raise cls("bad")


def test_validation_error_keeps_the_field() -> None:
    assert ValidationError("bad", field="sender").field == "sender"
    assert ValidationError("bad").field is None


def test_unsupported_operation_names_the_protocols_that_can() -> None:
    error = UnsupportedOperation("balance", "smtp", ["https", "soap"])
    assert isinstance(error, SMSCError)
    assert (error.operation, error.protocol, error.supported_by) == (
        "balance",
        "smtp",
        ("https", "soap"),
    )
    text = str(error)
    for word in ("balance", "smtp", "https", "soap"):
        assert word in text


def test_unsupported_operation_names_a_companion_option_only_when_given() -> None:
    plain = UnsupportedOperation("cost", "smpp", ["https", "soap"])
    assert plain.companion is None
    assert str(plain) == "cost is not available over smpp; use https, soap"
    hinted = UnsupportedOperation("history", "smtp", ["https"], companion="status_via")
    assert hinted.companion == "status_via"
    assert str(hinted).endswith("use https, or set status_via to an HTTP(S) URL for it")


def test_unsupported_operation_without_alternatives_still_names_the_operation() -> None:
    error = UnsupportedOperation("receipts", "smtp")
    assert error.supported_by == ()
    assert "receipts" in str(error)
    assert "smtp" in str(error)


@pytest.mark.parametrize(
    ("operation", "codes"),
    [
        ("send", {1, 2, 3, 4, 5, 6, 7, 8, 9}),
        ("status", {1, 2, 4, 5, 9}),
        ("balance", {1, 2, 4, 9}),
        ("nonsense", set()),
    ],
)
def test_documented_codes_per_operation(operation: str, codes: set[int]) -> None:
    assert documented_codes(operation) == codes


# --- safe_excerpt --------------------------------------------------------------------


def test_safe_excerpt_masks_a_given_secret() -> None:
    text = safe_excerpt("login failed for hunter2 (hunter2)", ["hunter2"])
    assert "hunter2" not in text
    assert text.count("***") == 2


def test_safe_excerpt_ignores_empty_and_missing_secrets() -> None:
    assert safe_excerpt("plain answer", ["", None]) == "plain answer"


@pytest.mark.parametrize(
    ("answer", "secret"),
    [
        ("GET /sys/send.php?login=u&psw=p4ss&phones=7999", "p4ss"),
        ("GET /sys/send.php?apikey=K3y-abc&phones=7999", "K3y-abc"),
        ("password=Pw0rd; other=1", "Pw0rd"),
        ("PSW=Upper&x=1", "Upper"),
        ("api_key=k3y", "k3y"),
        ('{"login":"u","password":"S3cr3t-pw"}', "S3cr3t-pw"),
        ('{"psw": "S3cr3t-pw", "fmt": 3}', "S3cr3t-pw"),
        ('{"apikey":"K3y-abc"}', "K3y-abc"),
    ],
)
def test_safe_excerpt_masks_secret_shaped_parameters(answer: str, secret: str) -> None:
    text = safe_excerpt(answer)
    assert secret not in text
    assert "***" in text


def test_safe_excerpt_keeps_the_rest_of_a_query() -> None:
    assert safe_excerpt("login=u&psw=p4ss&phones=7999") == "login=u&psw=***&phones=7999"


def test_safe_excerpt_masks_a_json_password_holding_an_escaped_quote() -> None:
    text = safe_excerpt('{"password":"ab\\"cdef"}')
    assert "cdef" not in text


def test_safe_excerpt_masks_before_it_cuts() -> None:
    answer = "x" * 195 + "psw=secretvalue"
    text = safe_excerpt(answer, limit=200)
    assert "secret" not in text
    assert "secretvalue" not in safe_excerpt(answer, ["secretvalue"], limit=200)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("a\x00b", "a\\x00b"),
        ("line1\nline2", "line1\\nline2"),
        ("a\r\nb", "a\\r\\nb"),
        ("tab\there", "tab\\there"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("a\u2028b", "a\\u2028b"),
    ],
)
def test_safe_excerpt_escapes_control_characters(answer: str, expected: str) -> None:
    assert safe_excerpt(answer) == expected


def test_safe_excerpt_keeps_cyrillic_readable() -> None:
    answer = '{"error":"Ошибка авторизации","error_code":2}'
    assert safe_excerpt(answer) == answer


def test_safe_excerpt_keeps_spaces() -> None:
    assert safe_excerpt("ERROR = 2 (authorise error)") == "ERROR = 2 (authorise error)"


@pytest.mark.parametrize("limit", [1, 10, 200])
def test_safe_excerpt_truncates_to_the_limit_with_an_ellipsis(limit: int) -> None:
    assert safe_excerpt("a" * (limit + 50), limit=limit) == "a" * limit + "…"


def test_safe_excerpt_default_limit_is_200() -> None:
    assert safe_excerpt("a" * 1000) == "a" * 200 + "…"


def test_safe_excerpt_of_text_at_the_limit_is_not_marked_as_cut() -> None:
    assert safe_excerpt("a" * 200) == "a" * 200
    assert safe_excerpt("") == ""


def test_safe_excerpt_accepts_utf8_bytes() -> None:
    answer = '{"error":"Ошибка","error_code":2}'
    assert safe_excerpt(answer.encode()) == answer


def test_safe_excerpt_accepts_invalid_utf8_bytes() -> None:
    text = safe_excerpt(b"\xff\xfe\xd0 ok \x80")
    assert isinstance(text, str)
    assert " ok " in text


def test_safe_excerpt_masks_secrets_in_bytes() -> None:
    text = safe_excerpt(b"login=u&psw=p4ss&mes=hi", ["p4ss"])
    assert "p4ss" not in text
    assert "mes=hi" in text


def test_safe_excerpt_truncates_long_bytes() -> None:
    assert safe_excerpt(b"b" * 5000, limit=20) == "b" * 20 + "…"
