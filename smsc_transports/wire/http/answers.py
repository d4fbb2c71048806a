"""SMSC's HTTP API answers as data: the JSON SMSC sends back, as typed results or errors.

Requests always ask for ``fmt=3`` (JSON) and ``charset=utf-8``; answers are decoded with
the charset that was asked for, not the one the ``Content-Type`` header claims, because
SMSC labels answers windows-1251 whatever it sends (smsc-protocol.md §1.1).

Answers are untrusted: numbers are bounded while the JSON is read (at most
:data:`MAX_NUMBER_CHARS` characters, magnitude below ``10**18``, no ``NaN`` or
``Infinity``), so that no field can cost seconds of CPU or make a result unprintable,
and the server's own text is masked (the caller's secrets wherever they appear,
``psw=…`` shapes in ``error``) and escaped before it reaches an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from smsc_transports.errors import (
    APIError,
    ProtocolError,
    RateLimited,
    SMSCError,
    api_error,
    safe_excerpt,
)
from smsc_transports.message import STRING_ID
from smsc_transports.results import (
    Balance,
    CostResult,
    HlrInfo,
    IncomingMessage,
    PhoneResult,
    SendResult,
    StatusResult,
    build_phone_result,
)
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.http.params import CHARSET

__all__ = [
    "MAX_NUMBER_CHARS",
    "MOSCOW",
    "check_error",
    "decode_answer",
    "error_id",
    "mask_secrets",
    "may_repeat_send",
    "parse_balance",
    "parse_cost",
    "parse_incoming",
    "parse_send",
    "parse_senders",
    "parse_status",
    "parse_statuses",
    "rate_limited",
    "refused_for_load",
    "says_duplicate",
]

# SMSC's dates ("DD.MM.YYYY hh:mm:ss") are Moscow time, which has no DST since 2014.
MOSCOW = timezone(timedelta(hours=3), "MSK")
# Longest number an answer may hold: money, counts, ids, Unix times and phone numbers
# all fit with room to spare.
MAX_NUMBER_CHARS = 40
# Every number SMSC sends is far below this (ids, phones, money); beyond it a number is
# hostile, and int() of a huge Decimal costs seconds of CPU.
_MAX_EXPONENT = 18
_MAX_MAGNITUDE = 10**_MAX_EXPONENT
_MIN_EXPONENT = -30
# How much of the server's error text goes into an exception.
_ERROR_TEXT_LIMIT = 300
# A run of digits long enough to hold an integer out of range (10**18 has 19 digits).
# An answer without one cannot hold such an integer, so the JSON reader may build its
# integers itself instead of calling back into Python for each of them.
# Found as a run of "0" once every digit is made one (a regular expression takes 15
# times as long on a bulk answer, trying a match at every digit of every number). On
# the UTF-8 octets: no octet of a multi-octet character is an ASCII digit.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * (_MAX_EXPONENT + 1)


class _NumberOutOfRange(ValueError):
    """A number in an answer that no SMSC field can hold (raised inside ``json.loads``)."""


def _json_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberOutOfRange
    value = int(text)
    if abs(value) >= _MAX_MAGNITUDE:
        raise _NumberOutOfRange
    return value


def _json_decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberOutOfRange
    value = Decimal(text)
    if value and not _MIN_EXPONENT <= value.adjusted() < _MAX_EXPONENT:
        raise _NumberOutOfRange
    return value


def _json_constant(name: str) -> Any:
    del name
    # NaN, Infinity and -Infinity are not JSON; Python's reader accepts them by default.
    raise _NumberOutOfRange


def decode_answer(body: bytes, secrets: Iterable[str | None] = ()) -> Any:
    """Decode a ``fmt=3`` answer; anything but bounded JSON is a :class:`ProtocolError`.

    ``secrets`` (the caller's password and API key) are masked in every string of the
    answer: exceptions quote the server's texts, and results keep them in ``raw``.
    """
    secrets = tuple(secrets)
    try:
        text = body.decode(CHARSET)
    except UnicodeDecodeError:
        raise ProtocolError(
            f"SMSC answer is not {CHARSET}: {safe_excerpt(body, secrets)!r}"
        ) from None
    if not text.strip():
        raise ProtocolError("SMSC sent an empty answer")
    long_digits = _LONG_DIGIT_RUN in body.translate(_DIGITS_AS_ZERO)
    parse_int = _json_int if long_digits else None
    try:
        answer = json.loads(
            text, parse_float=_json_decimal, parse_int=parse_int, parse_constant=_json_constant
        )
    except _NumberOutOfRange:
        raise ProtocolError(
            f"SMSC answer holds a number out of range (more than {MAX_NUMBER_CHARS} "
            "characters, not finite, or absurdly large or small)"
        ) from None
    except (ValueError, RecursionError):
        raise ProtocolError(f"SMSC answer is not JSON: {safe_excerpt(text, secrets)!r}") from None
    if "\\" not in text and not any(secret and secret in text for secret in secrets):
        # Without an escape, every string of the answer is a slice of its text: a
        # secret absent from the text is absent from every string.
        return answer
    return mask_secrets(answer, secrets)


def mask_secrets(answer: Any, secrets: Sequence[str | None]) -> Any:
    """Return ``answer`` with ``secrets`` replaced by ``***`` in every string it holds.

    Dicts and lists are changed in place. A server that echoes the password (in
    ``error``, or in any field) must not put it into an exception, a result's ``raw``
    or a repr. The walk is iterative: an answer may be nested as deep as the JSON
    reader allows.
    """
    known = [secret for secret in secrets if secret]
    if not known:
        return answer

    def masked(text: str) -> str:
        for secret in known:
            if secret in text:
                text = text.replace(secret, "***")
        return text

    if isinstance(answer, str):
        return masked(answer)
    stack: list[Any] = [answer]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            items = list(node.items())
            node.clear()
            for key, value in items:
                node[masked(key)] = masked(value) if isinstance(value, str) else value
                if isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    node[index] = masked(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
    return answer


def _shown(value: Any) -> str:
    """A server value as an exception may quote it: short, masked, escaped."""
    return safe_excerpt(repr(value), limit=60)


def error_id(value: Any) -> str | None:
    """Return the message id an error answer names (``None`` for none or ``0``).

    An id is quoted in the exception text, so anything but an id's alphabet (SMSC's
    digits, or the caller's own ``A-Z a-z 0-9 . _ -``, at most 40) is a
    :class:`ProtocolError`.
    """
    if value in (None, "", 0, "0"):
        return None
    text = _text(value, "id").strip()
    if not STRING_ID.fullmatch(text):
        raise ProtocolError(f"SMSC answer field 'id' has a bad value {_shown(value)}")
    return text


def check_error(answer: Any, operation: str) -> None:
    """Raise the :class:`APIError` an answer carries (``error_code``), if any.

    The server's ``error`` text is quoted through :func:`safe_excerpt`: anything shaped
    like ``psw=…`` is masked, control characters escaped and the length bounded.
    """
    if isinstance(answer, dict) and "error_code" in answer:
        code = _int(answer, "error_code")
        message = answer.get("error")
        text = safe_excerpt(message, limit=_ERROR_TEXT_LIMIT) if isinstance(message, str) else ""
        raise api_error(code, text, id=error_id(answer.get("id")), operation=operation)


# Error 9 stands for two things (smsc-protocol.md §1.6): a repeat of a send accepted
# within the last minute ("duplicate request, wait a minute", as recorded from SMSC),
# and too many requests at once or too often. Only the second proves that the request
# was refused for load and may be made again; the texts are matched loosely, in
# English and Russian, because SMSC's exact wording for it is not documented [U].
_DUPLICATE_WORDS = ("duplicate", "повтор", "дубл")
_LOAD_WORDS = ("too many", "concurrent", "simultaneous", "too frequent", "одновремен", "много")


def rate_limited(answer: Any, operation: str = "send") -> RateLimited | None:
    """Return the :class:`RateLimited` error (code 9) ``answer`` carries, else ``None``.

    Any other error, and a malformed answer, is left to the parsers.
    """
    try:
        check_error(answer, operation)
    except RateLimited as exc:
        return exc
    except SMSCError:
        return None
    return None


def says_duplicate(error: APIError) -> bool:
    """Whether an error 9 says the request repeats one SMSC accepted within a minute.

    Such a request was not accepted itself, but an identical one (or one with the same
    ``id``) was: repeating it later could send the message twice.
    """
    text = error.message.lower()
    return error.code == 9 and any(word in text for word in _DUPLICATE_WORDS)


def refused_for_load(error: APIError) -> bool:
    """Whether an error 9 proves the request was refused for load (too many at once or
    too often) and not for being a duplicate: the request was not accepted, and nothing
    identical was, so making it again cannot send anything twice."""
    text = error.message.lower()
    return (
        error.code == 9 and not says_duplicate(error) and any(word in text for word in _LOAD_WORDS)
    )


def may_repeat_send(error: APIError, *, own_id: bool) -> bool:
    """Whether a send SMSC refused with ``error`` may be made again without risk of
    sending it twice (every earlier attempt of it having been answered).

    Only an error 9: when it proves a refusal for load; or, for a message with the
    caller's own ``id`` (``own_id``), whenever it does not say "duplicate" — SMSC
    refuses a second message with that id within a minute, so a repeat cannot be
    accepted twice.
    """
    if error.code != 9 or says_duplicate(error):
        return False
    return own_id or refused_for_load(error)


def _expect_object(answer: Any, what: str) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise ProtocolError(f"SMSC {what} answer is a {type(answer).__name__}, expected an object")
    return answer


def _text(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ProtocolError(f"SMSC answer field {name!r} has a bad value {_shown(value)}")
    return str(value)


def _int(answer: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = answer.get(name, default)
    if isinstance(value, bool) or value is None:
        raise ProtocolError(f"SMSC answer lacks the integer field {name!r}")
    if isinstance(value, str) and len(value) > MAX_NUMBER_CHARS:
        # A string is bounded here, not by the JSON reader; int() of it is quadratic.
        raise ProtocolError(f"SMSC answer field {name!r} is out of range: {_shown(value)}")
    try:
        result = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ProtocolError(
            f"SMSC answer field {name!r} is not an integer: {_shown(value)}"
        ) from None
    if abs(result) >= _MAX_MAGNITUDE:
        raise ProtocolError(f"SMSC answer field {name!r} is out of range: {_shown(value)}")
    return result


def _decimal(answer: Mapping[str, Any], name: str) -> Decimal | None:
    value = answer.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        raise ProtocolError(f"SMSC answer field {name!r} is not a number: {_shown(value)}")
    if isinstance(value, str) and len(value) > MAX_NUMBER_CHARS:
        raise ProtocolError(f"SMSC answer field {name!r} is out of range: {_shown(value)}")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ProtocolError(
            f"SMSC answer field {name!r} is not a number: {_shown(value)}"
        ) from None
    if not result.is_finite():
        raise ProtocolError(f"SMSC answer field {name!r} is not a finite number")
    if result and not _MIN_EXPONENT <= result.adjusted() < _MAX_EXPONENT:
        raise ProtocolError(f"SMSC answer field {name!r} is out of range: {_shown(value)}")
    return result


def _optional_str(answer: Mapping[str, Any], name: str) -> str | None:
    value = answer.get(name)
    if value is None or value == "":
        return None
    return _text(value, name)


def _time(answer: Mapping[str, Any], stamp: str, date: str) -> datetime | None:
    value = answer.get(stamp)
    if value not in (None, "", 0, "0"):
        seconds = _int(answer, stamp)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ProtocolError(f"SMSC answer field {stamp!r} is out of range") from None
    text = answer.get(date)
    if isinstance(text, str) and text:
        try:
            return datetime.strptime(text, "%d.%m.%Y %H:%M:%S").replace(tzinfo=MOSCOW)
        except ValueError:
            raise ProtocolError(
                f"SMSC answer field {date!r} is not a date: {_shown(text)}"
            ) from None
    return None


def _phones(answer: Mapping[str, Any], id: str | None = None) -> tuple[PhoneResult, ...]:
    """The per-recipient entries of an ``op=1`` answer; each accepted one gets ``id``
    (the message's: SMSC gives one id to all its recipients)."""
    items = answer.get("phones")
    if items is None:
        return ()
    if not isinstance(items, list):
        raise ProtocolError("SMSC answer field 'phones' is not a list")
    # A bulk answer repeats the same few costs, statuses and codes for every recipient:
    # each distinct combination is checked once per answer (the results are immutable).
    seen: dict[tuple[Any, Any, Any], tuple[Decimal | None, MessageStatus | None, int | None]]
    seen = {}
    results = []
    for item in items:
        entry = item if type(item) is dict else _expect_object(item, "per-phone")
        get = entry.get
        phone = get("phone")
        mccmnc = get("mccmnc")
        key = (get("cost"), get("status"), get("error"))
        if type(key[0]) in _PLAIN and type(key[1]) in _PLAIN and type(key[2]) in _PLAIN:
            found = seen.get(key)
            if found is None:
                found = seen[key] = _read_cost_and_codes(entry)
        else:
            found = _read_cost_and_codes(entry)
        cost, status, error = found
        results.append(
            build_phone_result(
                phone if type(phone) is str else _text(phone, "phone"),
                cost,
                status,
                error,
                mccmnc if type(mccmnc) is str and mccmnc else _optional_str(entry, "mccmnc"),
                entry,
                None if error else id,
            )
        )
    return tuple(results)


# Values that equal each other only when they print alike (a Decimal "1.4" equals
# "1.40"; a bool equals an int): only these are remembered.
_PLAIN = (str, int, type(None))


def _read_cost_and_codes(
    entry: Mapping[str, Any],
) -> tuple[Decimal | None, MessageStatus | None, int | None]:
    return _decimal(entry, "cost"), _status_code(entry, "status"), _error_code(entry, "error")


def _status_code(entry: Mapping[str, Any], name: str) -> MessageStatus | None:
    value = entry.get(name)
    return None if value in (None, "") else MessageStatus(_int(entry, name))


def _error_code(entry: Mapping[str, Any], name: str) -> int | None:
    value = entry.get(name)
    return None if value in (None, "", 0, "0") else _int(entry, name)


def parse_send(answer: Any, *, transport: str = "https") -> SendResult:
    """Return the :class:`SendResult` of a ``send.php`` answer, or raise its error.

    Each recipient SMSC accepted carries the message's id already, as
    :meth:`SendResult.for_recipients` would give it.
    """
    check_error(answer, "send")
    body = _expect_object(answer, "send")
    id = _text(body.get("id"), "id")
    return SendResult(
        id=id,
        parts=_int(body, "cnt"),
        cost=_decimal(body, "cost"),
        balance=_decimal(body, "balance"),
        phones=_phones(body, id),
        transport=transport,
        raw=body,
    )


def parse_cost(answer: Any) -> CostResult:
    """Return the :class:`CostResult` of a ``send.php?cost=1`` answer."""
    check_error(answer, "cost")
    body = _expect_object(answer, "cost")
    cost = _decimal(body, "cost")
    if cost is None:
        raise ProtocolError("SMSC cost answer lacks 'cost'")
    return CostResult(cost=cost, parts=_int(body, "cnt"), phones=_phones(body), raw=body)


# The fields an HLR message's status carries, SMSC's name to HlrInfo's, in the order of
# SMSC's fmt=1 answer after status, time and error (smsc-protocol.md §1.7, [S]).
_HLR_FIELDS = {
    "imsi": "imsi",
    "msc": "msc",
    "mcc": "mcc",
    "mnc": "mnc",
    "cn": "country",
    "net": "operator",
    "rcn": "roaming_country",
    "rnet": "roaming_operator",
}


def _hlr(body: Mapping[str, Any]) -> HlrInfo | None:
    if not any(key in body for key in _HLR_FIELDS):
        return None
    return HlrInfo(**{field: _optional_str(body, key) for key, field in _HLR_FIELDS.items()})


def parse_status(answer: Any, id: str = "", phone: str = "") -> StatusResult:
    """Return the :class:`StatusResult` of a one-message ``status.php`` answer."""
    check_error(answer, "status")
    body = _expect_object(answer, "status")
    err = body.get("err")
    return StatusResult(
        id=_optional_str(body, "id") or id,
        phone=_optional_str(body, "phone") or phone,
        status=MessageStatus(_int(body, "status")),
        error=None if err in (None, "") else DeliveryError(_int(body, "err")),
        changed_at=_time(body, "last_timestamp", "last_date"),
        sent_at=_time(body, "send_timestamp", "send_date"),
        cost=_decimal(body, "cost"),
        sender=_optional_str(body, "sender_id"),
        text=_optional_str(body, "message"),
        status_name=_optional_str(body, "status_name"),
        country=_optional_str(body, "country"),
        operator=_optional_str(body, "operator"),
        region=_optional_str(body, "region"),
        hlr=_hlr(body),
        int_id=error_id(body.get("int_id")),
        raw=body,
    )


def parse_statuses(answer: Any) -> list[StatusResult]:
    """Return the results of a several-message ``status.php`` answer (a JSON list)."""
    check_error(answer, "status")
    if isinstance(answer, dict):
        return [parse_status(answer)]
    if not isinstance(answer, list):
        raise ProtocolError("SMSC status answer is neither an object nor a list")
    return [parse_status(item) for item in answer]


def parse_balance(answer: Any) -> Balance:
    """Return the :class:`Balance` of a ``balance.php`` answer."""
    check_error(answer, "balance")
    body = _expect_object(answer, "balance")
    amount = _decimal(body, "balance")
    if amount is None:
        raise ProtocolError("SMSC balance answer lacks 'balance'")
    return Balance(
        amount=amount,
        currency=_optional_str(body, "currency"),
        credit=_decimal(body, "credit"),
        raw=body,
    )


def parse_incoming(answer: Any) -> list[IncomingMessage]:
    """Return the messages of a ``get.php?get_answers=1`` answer."""
    check_error(answer, "get")
    if not isinstance(answer, list):
        raise ProtocolError("SMSC incoming-messages answer is not a list")
    result = []
    for item in answer:
        entry = _expect_object(item, "incoming-message")
        result.append(
            IncomingMessage(
                id=_text(entry.get("id"), "id"),
                phone=_text(entry.get("phone"), "phone"),
                text=_optional_str(entry, "message") or "",
                to_phone=_optional_str(entry, "to_phone"),
                received_at=_time(entry, "received_timestamp", "received"),
                sent_at=_time(entry, "sent_timestamp", "sent"),
                raw=entry,
            )
        )
    return result


def parse_senders(answer: Any) -> list[str]:
    """Return the sender IDs of a ``senders.php?get=1`` answer."""
    check_error(answer, "senders")
    if not isinstance(answer, list):
        raise ProtocolError("SMSC senders answer is not a list")
    return [_text(_expect_object(item, "sender").get("sender"), "sender") for item in answer]
