"""Reading SMSC's error 9: which refusals prove a request was not accepted and may be repeated.

Error 9 means a duplicate of a send accepted within the minute ("duplicate request, wait
a minute", recorded from SMSC) or too many requests at once or too often. Only the
second may be repeated; a send without its own id only when the answer says so.
"""

from __future__ import annotations

import pytest

from smsc_transports import RateLimited
from smsc_transports.errors import api_error
from smsc_transports.wire import http as wire


def nine(text: str) -> RateLimited:
    error = wire.rate_limited({"error": text, "error_code": 9})
    assert isinstance(error, RateLimited)
    return error


@pytest.mark.parametrize(
    "text",
    [
        "too many concurrent requests",
        "too many requests, wait a minute",
        "more than 15 simultaneous requests",
        "Too Frequent requests",
        "слишком много одновременных запросов",
    ],
)
def test_a_refusal_for_load_may_be_repeated_with_or_without_id(text: str) -> None:
    error = nine(text)
    assert wire.refused_for_load(error)
    assert not wire.says_duplicate(error)
    assert wire.may_repeat_send(error, own_id=False)
    assert wire.may_repeat_send(error, own_id=True)


@pytest.mark.parametrize(
    "text",
    [
        "duplicate request, wait a minute",
        "Duplicate request",
        "too many duplicate requests",  # says both: the duplicate wins
        "повторный запрос",
    ],
)
def test_a_duplicate_is_never_repeated(text: str) -> None:
    error = nine(text)
    assert wire.says_duplicate(error)
    assert not wire.refused_for_load(error)
    assert not wire.may_repeat_send(error, own_id=False)
    assert not wire.may_repeat_send(error, own_id=True)


@pytest.mark.parametrize("text", ["error", "wait a minute", ""])
def test_an_unclear_9_is_repeated_only_for_a_message_with_its_own_id(text: str) -> None:
    error = nine(text) if text else RateLimited("rate")
    assert not wire.refused_for_load(error)
    assert not wire.may_repeat_send(error, own_id=False)
    assert wire.may_repeat_send(error, own_id=True)


def test_a_9_without_any_text_reads_as_a_possible_duplicate() -> None:
    # SOAP's 9 has no text: the library's description names both meanings.
    error = api_error(9)
    assert wire.says_duplicate(error)
    assert not wire.may_repeat_send(error, own_id=True)


@pytest.mark.parametrize("code", [1, 2, 3, 4, 7, 8])
def test_other_errors_are_never_repeated(code: int) -> None:
    error = api_error(code, "too many concurrent requests")
    assert not wire.refused_for_load(error)
    assert not wire.may_repeat_send(error, own_id=True)


@pytest.mark.parametrize(
    "answer",
    [{"id": 1, "cnt": 1}, {"error": "authorise error", "error_code": 2}, [], "x", None],
)
def test_rate_limited_finds_only_error_9(answer: object) -> None:
    assert wire.rate_limited(answer) is None
