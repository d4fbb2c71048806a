"""The test-number table: each family's fate, end to end through the state."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsc_transports.emulator import EmulatorState, ManualClock, SendRequest
from smsc_transports.emulator.state.number_rules import (
    RULES,
    answer_delay,
    behaviour_for,
    describe_number,
    failure_status,
    mccmnc_of,
)
from smsc_transports.errors import InvalidPhone, MessageForbidden, Undeliverable
from smsc_transports.message import MessageKind
from smsc_transports.statuses import MessageStatus

DOCS = Path(__file__).resolve().parents[3] / "docs" / "emulator.md"


def final(
    phone: str, *, kind: MessageKind = MessageKind.SMS, after: float = 10
) -> tuple[MessageStatus, int]:
    clock = ManualClock()
    state = EmulatorState(clock=clock)
    account = state.authenticate("demo", "demo")
    outcome = state.send(account, SendRequest((phone,), "hello", kind=kind))
    assert outcome.id is not None
    clock.advance(after)
    record = state.status(account, outcome.id, phone)
    return record.status, record.err


def test_any_ordinary_number_is_delivered() -> None:
    assert final("79161234567") == (MessageStatus.DELIVERED, 0)
    assert final("79990000001") == (MessageStatus.DELIVERED, 0)


@pytest.mark.parametrize(
    ("phone", "status", "err"),
    [
        ("79990001001", MessageStatus.UNABLE_TO_DELIVER, 1),
        ("79990001006", MessageStatus.UNABLE_TO_DELIVER, 6),
        ("79990001249", MessageStatus.INVALID_NUMBER, 249),
        ("79990001250", MessageStatus.FORBIDDEN, 250),
        ("79990001254", MessageStatus.FORBIDDEN, 254),
        ("79990001248", MessageStatus.UNAVAILABLE_NUMBER, 248),
        ("79990001245", MessageStatus.EXPIRED, 245),
        ("79990001240", MessageStatus.UNABLE_TO_DELIVER, 240),
    ],
)
def test_failure_family_ends_with_the_err_in_its_last_digits(
    phone: str, status: MessageStatus, err: int
) -> None:
    assert final(phone) == (status, err)


def test_failure_family_outside_1_to_255_is_an_ordinary_number() -> None:
    assert final("79990001000") == (MessageStatus.DELIVERED, 0)
    assert final("79990001256") == (MessageStatus.DELIVERED, 0)


def test_expiring_number_stays_transferred_until_its_lifetime_ends() -> None:
    assert final("79990002000", after=3600) == (MessageStatus.TRANSFERRED, 0)
    assert final("79990002000", after=24 * 3600) == (MessageStatus.EXPIRED, 6)


def test_stuck_number_stays_transferred_forever() -> None:
    assert final("79990005000", after=10**7) == (MessageStatus.TRANSFERRED, 0)


def test_read_number_and_read_address_end_as_read() -> None:
    assert final("79990006000") == (MessageStatus.READ, 0)
    assert final("read@emulator.test", kind=MessageKind.MAIL) == (MessageStatus.READ, 0)


def test_failing_address_reports_a_mail_error() -> None:
    status = final("fail-002@emulator.test", kind=MessageKind.MAIL)
    assert status == (MessageStatus.UNABLE_TO_DELIVER, 2)


@pytest.mark.parametrize(
    ("phone", "error"),
    [
        ("79990004006", MessageForbidden),
        ("79990004007", InvalidPhone),
        ("79990004008", Undeliverable),
    ],
)
def test_refused_numbers_fail_the_send_with_their_code_and_an_id(
    phone: str, error: type[Exception]
) -> None:
    state = EmulatorState(clock=ManualClock())
    with pytest.raises(error) as caught:
        state.send(state.authenticate("demo", "demo"), SendRequest((phone,), "hello"))
    assert getattr(caught.value, "id", None) == "1"


def test_slow_numbers_ask_for_a_delay_of_their_last_digits_in_seconds() -> None:
    assert answer_delay(["79990003005"]) == 5.0
    assert answer_delay(["79990000001", "79990003002", "79990003001"]) == 2.0
    assert answer_delay(["79161234567"]) == 0.0
    assert behaviour_for("+79990003005").final_status == MessageStatus.DELIVERED


def test_virtual_send_error_counts_as_delivered() -> None:
    assert failure_status(200) == MessageStatus.DELIVERED


def test_every_rule_example_matches_its_own_rule() -> None:
    for rule in RULES:
        assert rule.apply(rule.example) is not None, rule.example


def test_docs_table_lists_every_rule_example() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [rule.example for rule in RULES if f"`{rule.example}`" not in text]
    assert missing == []


def test_number_description_marks_test_numbers() -> None:
    assert describe_number("79990000001").operator == "Emulator Test"
    assert describe_number("79161234567").mccmnc == "25099"
    assert describe_number("not a number").country == ""


def test_networks_of_many_numbers_are_each_number_s_own() -> None:
    addresses = ["79161234567", "375291234567", "+380501234567", "77011234567", "76", "7"]
    addresses += ["4915112345678", "", "abc", "read@emulator.test", "\uff17\uff19\uff11"]
    addresses += ["79990000001", "79161234568"]
    found = mccmnc_of(addresses)
    assert found == [describe_number(a).mccmnc for a in addresses]
    assert found[:7] == ["25099", "25799", "25599", "40199", "40199", "25099", ""]


def test_every_rule_lives_under_the_fast_path_prefixes() -> None:
    """behaviour_for skips the table for other numbers; no rule may hide outside them."""
    from smsc_transports.emulator.state.number_rules import RULES, TEST_PREFIX, behaviour_for

    for rule in RULES:
        assert rule.example.startswith(TEST_PREFIX) or rule.example.endswith("@emulator.test")
        assert behaviour_for(rule.example) == rule.apply(rule.example.lower())
