"""What a task queue may send again: DESIGN.md's reliability rules, for every error class."""

from __future__ import annotations

import pytest

from smsc_transports import Message, errors
from smsc_transports.contrib.celery.policy import (
    RetryPolicy,
    Verdict,
    judge,
    may_have_arrived,
    retry_delay,
    should_retry,
)

WITH_ID = Message("79991234567", "Код: 1234", id="order-1")
WITHOUT_ID = Message("79991234567", "Код: 1234")

# error class -> (retried with an id, retried without one)
EXPECTED: dict[type[errors.SMSCError], tuple[bool, bool]] = {
    errors.ConnectError: (True, True),  # never reached SMSC
    errors.TransportTimeout: (True, False),  # may have arrived: only an id makes it safe
    errors.OutcomeUnknown: (True, False),
    errors.RateLimited: (True, True),  # a first attempt refused: "too many requests"
    errors.ProtocolError: (False, False),
    errors.TransportError: (False, False),
    errors.ParameterError: (False, False),
    errors.AuthenticationError: (False, False),
    errors.InsufficientFunds: (False, False),
    errors.IPBlocked: (False, False),  # repeating only prolongs the block
    errors.DateFormatError: (False, False),
    errors.DeleteError: (False, False),
    errors.MessageForbidden: (False, False),
    errors.InvalidPhone: (False, False),
    errors.Undeliverable: (False, False),
    errors.UnknownAPIError: (False, False),
    errors.APIError: (False, False),
    errors.ValidationError: (False, False),
    errors.ConfigurationError: (False, False),
    errors.UnsupportedOperation: (False, False),
    errors.NotSent: (False, False),  # its batch stopped at what a retry cannot fix
    errors.SMSCError: (False, False),
}


def every_error_class() -> set[type[errors.SMSCError]]:
    found: set[type[errors.SMSCError]] = set()
    todo = [errors.SMSCError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return {cls for cls in found if cls.__module__ == errors.__name__}


def instance(cls: type[errors.SMSCError]) -> errors.SMSCError:
    if issubclass(cls, errors.UnsupportedOperation):
        return cls("balance", "smtp")
    if cls is errors.NotSent:
        return errors.NotSent(errors.AuthenticationError("authorise error"))
    if cls is errors.UnknownAPIError:
        return errors.UnknownAPIError("unknown error", code=15)
    return cls("failed")


def test_the_table_decides_every_error_class_of_the_library() -> None:
    assert set(EXPECTED) == every_error_class()


@pytest.mark.parametrize("cls", list(EXPECTED), ids=lambda cls: cls.__name__)
def test_should_retry_follows_the_reliability_rules(cls: type[errors.SMSCError]) -> None:
    error = instance(cls)
    assert (should_retry(error, WITH_ID), should_retry(error, WITHOUT_ID)) == EXPECTED[cls]


@pytest.mark.parametrize("code", [1, 2, 3, 5, 6, 7, 8])
def test_smsc_error_codes_that_would_fail_again_are_never_retried(code: int) -> None:
    assert not should_retry(errors.api_error(code, "refused"), WITH_ID)


def test_only_timeouts_and_lost_answers_may_have_arrived() -> None:
    arrived = {cls for cls in EXPECTED if may_have_arrived(instance(cls))}
    assert arrived == {errors.TransportTimeout, errors.OutcomeUnknown}


def test_error_9_after_an_attempt_that_may_have_arrived_means_accepted() -> None:
    assert judge(errors.RateLimited(), WITH_ID, arrived_before=True) is Verdict.ACCEPTED


def test_error_9_to_a_first_attempt_means_wait_and_retry() -> None:
    assert judge(errors.RateLimited(), WITH_ID, arrived_before=False) is Verdict.RETRY


def test_error_9_is_never_read_as_accepted_without_an_id() -> None:
    assert judge(errors.RateLimited(), WITHOUT_ID, arrived_before=True) is Verdict.RETRY


@pytest.mark.parametrize("arrived_before", [False, True])
def test_other_errors_keep_their_verdict_after_an_uncertain_attempt(arrived_before: bool) -> None:
    assert judge(errors.InvalidPhone(), WITH_ID, arrived_before=arrived_before) is Verdict.FAIL
    assert judge(errors.TransportTimeout(), WITH_ID, arrived_before=arrived_before) is (
        Verdict.RETRY
    )
    assert judge(errors.TransportTimeout(), WITHOUT_ID, arrived_before=arrived_before) is (
        Verdict.FAIL
    )


def test_refused_sends_back_off_exponentially_up_to_a_cap() -> None:
    policy = RetryPolicy(rate_limit_base=2, rate_limit_cap=60)
    delays = [retry_delay(errors.RateLimited(), n, policy) for n in range(7)]
    assert delays == [2, 4, 8, 16, 32, 60, 60]


def test_connect_failures_come_back_sooner() -> None:
    policy = RetryPolicy(connect_base=1, connect_cap=10)
    delays = [retry_delay(errors.ConnectError(), n, policy) for n in range(6)]
    assert delays == [1, 2, 4, 8, 10, 10]
    assert retry_delay(errors.ConnectError(), 10**6, policy) == 10  # no overflow


@pytest.mark.parametrize(
    "changes",
    [{"max_retries": -1}, {"rate_limit_base": 0}, {"resend_window": 61}, {"resend_window": 0}],
)
def test_a_policy_that_could_duplicate_or_never_wait_is_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**changes)  # type: ignore[arg-type]
