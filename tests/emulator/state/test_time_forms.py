"""SMSC's time forms for ``time`` and ``valid``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from smsc_transports.emulator.state.time_forms import parse_send_time, parse_valid
from smsc_transports.errors import DateFormatError, ParameterError

MSK = timezone(timedelta(hours=3))
NOW = datetime(2024, 3, 1, 12, 30, tzinfo=MSK).timestamp()


def at(year: int, month: int, day: int, hour: int, minute: int, tz: timezone = MSK) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=tz).timestamp()


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        ("0203241015", None, at(2024, 3, 2, 10, 15)),
        ("02.03.24 10:15", None, at(2024, 3, 2, 10, 15)),
        ("02.03.2024 10:15", None, at(2024, 3, 2, 10, 15)),
        ("0203241015", 2, at(2024, 3, 2, 10, 15, tz=timezone(timedelta(hours=5)))),
        ("01709290000", None, 1709290000.0),
        ("+15", None, NOW + 900),
        ("14-18", None, at(2024, 3, 1, 14, 0)),
        ("9-13", None, None),
        ("6-9", None, at(2024, 3, 2, 6, 0)),
        ("22-6", None, at(2024, 3, 1, 22, 0)),
        ("", None, None),
        ("0", None, None),
        (None, None, None),
    ],
)
def test_time_forms(value: str | None, tz: float | None, expected: float | None) -> None:
    assert parse_send_time(value, tz=tz, now=NOW) == expected


@pytest.mark.parametrize(
    "value",
    ["tomorrow", "3202241015", "31.02.24 10:00", "25-3", "+", "7-7", "0" + "9" * 40, "0١٢٣٤٥٦٧٨٩٠"],
)
def test_malformed_time_is_error_5(value: str) -> None:
    with pytest.raises(DateFormatError):
        parse_send_time(value, tz=None, now=NOW)


@pytest.mark.parametrize(
    ("value", "seconds"), [("01:00", 3600.0), ("00:01", 60.0), ("24", 86400.0)]
)
def test_valid_forms(value: str, seconds: float) -> None:
    assert parse_valid(value) == seconds


@pytest.mark.parametrize("value", ["00:00", "25:00", "1h", "-1"])
def test_bad_valid_is_error_1(value: str) -> None:
    with pytest.raises(ParameterError):
        parse_valid(value)
