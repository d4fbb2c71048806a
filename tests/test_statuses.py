"""Message status codes (smsc-protocol.md §1.8) and delivery error codes (§1.9).

The tables below are copied from the protocol notes, not from the code, so that a code
missing from (or added to) the enums is caught in both directions.
"""

from __future__ import annotations

from typing import Any

import pytest

from smsc_transports import DeliveryError, MessageStatus

# §1.8: code -> (final?, delivered?, failed?)
STATUS_TABLE: dict[int, tuple[bool, bool, bool]] = {
    -3: (True, False, False),  # message not found: final for the lookup
    -2: (False, False, False),  # stopped
    -1: (False, False, False),  # waiting to be sent
    0: (False, False, False),  # transferred to the operator
    1: (True, True, False),  # delivered
    2: (True, True, False),  # read
    3: (True, False, True),  # expired
    4: (True, True, False),  # link clicked
    20: (True, False, True),  # unable to deliver
    22: (True, False, True),  # invalid number
    23: (True, False, True),  # forbidden
    24: (True, False, True),  # insufficient funds
    25: (True, False, True),  # unavailable number
}

# §1.9
DELIVERY_ERROR_CODES = frozenset(
    {0, 1, 6, 11, 12, 13, 21, 200, 219, 220, *range(237, 256)},
)


def test_the_delivery_error_table_holds_29_codes() -> None:
    assert len(DELIVERY_ERROR_CODES) == 29


def test_every_documented_status_code_is_a_member_and_no_other() -> None:
    assert {int(member) for member in MessageStatus} == set(STATUS_TABLE)


def test_every_documented_delivery_error_code_is_a_member_and_no_other() -> None:
    assert {int(member) for member in DeliveryError} == DELIVERY_ERROR_CODES


@pytest.mark.parametrize("code", sorted(STATUS_TABLE))
def test_each_status_code_is_known_with_a_description(code: int) -> None:
    status = MessageStatus(code)
    assert status.is_known
    assert status == code
    assert status.description
    assert "unknown" not in status.description


@pytest.mark.parametrize("code", sorted(DELIVERY_ERROR_CODES))
def test_each_delivery_error_code_is_known_with_a_description(code: int) -> None:
    error = DeliveryError(code)
    assert error.is_known
    assert error == code
    assert error.description
    assert "unknown" not in error.description


@pytest.mark.parametrize(
    ("code", "flags"), sorted(STATUS_TABLE.items()), ids=[str(c) for c in sorted(STATUS_TABLE)]
)
def test_final_delivered_and_failed_follow_the_documented_table(
    code: int, flags: tuple[bool, bool, bool]
) -> None:
    status = MessageStatus(code)
    assert (status.is_final, status.is_delivered, status.is_failed) == flags


def test_delivered_and_failed_never_overlap() -> None:
    for status in MessageStatus:
        assert not (status.is_delivered and status.is_failed)
        if status.is_delivered or status.is_failed:
            assert status.is_final


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("NOT_FOUND", -3),
        ("WAITING", -1),
        ("TRANSFERRED", 0),
        ("DELIVERED", 1),
        ("READ", 2),
        ("EXPIRED", 3),
        ("UNABLE_TO_DELIVER", 20),
        ("UNAVAILABLE_NUMBER", 25),
    ],
)
def test_status_names_read_like_the_docs(name: str, code: int) -> None:
    assert MessageStatus[name] == code


@pytest.mark.parametrize("enum_type", [MessageStatus, DeliveryError])
@pytest.mark.parametrize("code", [77, -9, 5, 1000, 256])
def test_unknown_codes_construct_without_raising(
    enum_type: type[MessageStatus] | type[DeliveryError], code: int
) -> None:
    value = enum_type(code)
    assert isinstance(value, enum_type)
    assert not value.is_known
    assert value == code
    assert int(value) == code
    assert hash(value) == hash(code)
    assert enum_type(code) == enum_type(code)
    assert str(code) in value.description


def test_unknown_codes_get_readable_names() -> None:
    assert MessageStatus(77).name == "UNKNOWN_77"
    assert MessageStatus(-9).name == "UNKNOWN_MINUS_9"
    assert DeliveryError(300).name == "UNKNOWN_300"


def test_unknown_codes_are_not_added_to_the_members() -> None:
    before = len(MessageStatus)
    MessageStatus(78)
    assert len(MessageStatus) == before
    assert 78 not in {int(m) for m in MessageStatus}


@pytest.mark.parametrize("value", ["1", 1.5, None])
def test_a_code_that_is_not_an_int_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="is not a valid"):
        MessageStatus(value)


@pytest.mark.parametrize(
    ("code", "meaning"),
    [(2, "mailbox full"), (3, "mail server not found"), (4, "mailbox blocked")],
)
def test_small_delivery_errors_read_as_mail_errors_for_e_mail(code: int, meaning: str) -> None:
    error = DeliveryError(code)
    assert meaning in error.describe(email=True)
    assert meaning not in error.describe()
    assert error.describe() == error.description


@pytest.mark.parametrize("code", [0, 1, 6, 255])
def test_other_delivery_errors_read_the_same_for_e_mail(code: int) -> None:
    error = DeliveryError(code)
    assert error.describe(email=True) == error.describe() == error.description


def test_delivery_error_zero_means_no_error() -> None:
    assert DeliveryError(0) is DeliveryError.NO_ERROR
    assert "no error" in DeliveryError.NO_ERROR.description
