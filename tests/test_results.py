"""Result values: Outcome holds exactly one of result/error; ``raw`` never affects equality."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from smsc_transports import (
    Balance,
    CostResult,
    DeliveryError,
    IncomingMessage,
    InvalidPhone,
    Message,
    MessageStatus,
    Outcome,
    OutcomeUnknown,
    PhoneResult,
    SendResult,
    StatusResult,
)

MESSAGE = Message(phones="79991234567", text="hello")
RESULT = SendResult(id="33", parts=1, cost=Decimal("1.40"), balance=Decimal("100.50"))


def test_an_outcome_with_a_result_is_ok_and_unwraps_to_it() -> None:
    outcome = Outcome(0, MESSAGE, result=RESULT)
    assert outcome.ok
    assert outcome.unwrap() is RESULT
    assert outcome.error is None


@pytest.mark.parametrize(
    "error", [InvalidPhone("invalid number", id="34"), OutcomeUnknown("link dropped")]
)
def test_an_outcome_with_an_error_is_not_ok_and_unwrap_raises_it(
    error: InvalidPhone | OutcomeUnknown,
) -> None:
    outcome = Outcome(3, MESSAGE, error=error)
    assert not outcome.ok
    assert outcome.result is None
    with pytest.raises(type(error)) as excinfo:
        outcome.unwrap()
    assert excinfo.value is error


def test_an_outcome_with_neither_result_nor_error_is_refused() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Outcome(0, MESSAGE)


def test_an_outcome_with_both_result_and_error_is_refused() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Outcome(0, MESSAGE, result=RESULT, error=InvalidPhone())


def test_an_outcome_keeps_its_index_and_message() -> None:
    outcome = Outcome(41, MESSAGE, result=RESULT)
    assert outcome.index == 41
    assert outcome.message is MESSAGE


@pytest.mark.parametrize(("error", "ok"), [(None, True), (0, True), (7, False), (8, False)])
def test_phone_result_is_ok_unless_smsc_gave_an_error(error: int | None, ok: bool) -> None:
    assert PhoneResult(phone="79991234567", error=error).ok is ok


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            SendResult(id="1", parts=1, raw={"id": 1, "cnt": 1}),
            SendResult(id="1", parts=1, raw="1,1"),
        ),
        (
            CostResult(cost=Decimal("1.44"), parts=1, raw={"cost": "1.44"}),
            CostResult(cost=Decimal("1.44"), parts=1, raw=None),
        ),
        (
            StatusResult(id="1", phone="7999", status=MessageStatus.DELIVERED, raw={"a": 1}),
            StatusResult(id="1", phone="7999", status=MessageStatus.DELIVERED, raw={"b": 2}),
        ),
        (
            Balance(amount=Decimal("1871.62"), currency="RUR", raw={"balance": "1871.62"}),
            Balance(amount=Decimal("1871.62"), currency="RUR"),
        ),
        (
            PhoneResult(phone="7999", cost=Decimal(1), raw={"x": 1}),
            PhoneResult(phone="7999", cost=Decimal(1), raw={}),
        ),
        (
            IncomingMessage(id="5", phone="7999", text="hi", raw={"sent": 1}),
            IncomingMessage(id="5", phone="7999", text="hi", raw=[1, 2]),
        ),
    ],
    ids=["send", "cost", "status", "balance", "phone", "incoming"],
)
def test_equality_and_hash_ignore_raw(first: object, second: object) -> None:
    assert first == second
    assert hash(first) == hash(second)


def test_results_that_differ_in_a_field_are_not_equal() -> None:
    assert SendResult(id="1", parts=1) != SendResult(id="2", parts=1)
    assert SendResult(id="1", parts=1) != SendResult(id="1", parts=2)
    assert Balance(amount=Decimal(1)) != Balance(amount=Decimal(1), currency="RUR")
    first = StatusResult(id="1", phone="7", status=MessageStatus.DELIVERED)
    assert first != dataclasses.replace(first, error=DeliveryError.SUBSCRIBER_OFFLINE)


def test_results_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RESULT.id = "other"  # type: ignore[misc]


def test_a_status_result_carries_typed_codes_and_aware_times() -> None:
    when = datetime(2016, 10, 18, 15, 34, 12, tzinfo=UTC)
    result = StatusResult(
        id="1",
        phone="79991234567",
        status=MessageStatus(1),
        error=DeliveryError(0),
        changed_at=when,
    )
    assert result.status is MessageStatus.DELIVERED
    assert result.status.is_delivered
    assert result.error is DeliveryError.NO_ERROR
    assert result.changed_at == when


def test_send_result_defaults() -> None:
    result = SendResult(id="1", parts=2)
    assert (result.cost, result.balance, result.phones, result.transport, result.raw) == (
        None,
        None,
        (),
        "",
        None,
    )


def test_recipient_finds_a_phone_s_result_whichever_side_has_the_plus() -> None:
    first, second = PhoneResult("79160000001", id="7"), PhoneResult("+79160000002", error=7)
    result = SendResult(id="7", parts=1, phones=(first, second))
    assert result.recipient("79160000001") is first
    assert result.recipient("+79160000001") is first
    assert result.recipient("79160000002") is second
    assert result.recipient("79160000003") is None
