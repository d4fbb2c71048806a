"""SMSC's own time forms, shared by every front end (send ``time``/``tz``, ``valid``).

``time`` (smsc-protocol.md §1.4, [C]): ``DDMMYYhhmm``, ``DD.MM.YY hh:mm``, ``0<unix ts>``,
``+<minutes>``, ``h1-h2`` (send only between hours h1 and h2, else at the next h1).
Dates are Moscow time shifted by ``tz`` hours ([S]). ``valid`` is ``hh:mm`` between one
minute and 24 hours ([C]/[S]); a bare number of hours is accepted too.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from smsc_transports.emulator.state.clock import to_datetime
from smsc_transports.errors import api_error

__all__ = ["MAX_VALID", "parse_send_time", "parse_valid"]

MAX_VALID = 24 * 3600.0
# ASCII digits only: SMSC does not read other scripts' digits.
_DATE_COMPACT = re.compile(r"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)", re.ASCII)
_DATE_DOTTED = re.compile(r"(\d\d)\.(\d\d)\.(\d\d|\d{4}) (\d\d):(\d\d)", re.ASCII)
# At most 11 digits after the 0: later dates do not fit in datetime (year 9999).
_UNIX = re.compile(r"0\d{1,11}", re.ASCII)
_RELATIVE = re.compile(r"\+(\d{1,6})", re.ASCII)
_WINDOW = re.compile(r"(\d{1,2})-(\d{1,2})", re.ASCII)
_VALID_HM = re.compile(r"(\d{1,2}):(\d\d)", re.ASCII)
_VALID_HOURS = re.compile(r"\d{1,2}", re.ASCII)


def _bad_date(value: str) -> Exception:
    """Return SMSC's error 5 for the unparsable ``value``."""
    del value  # SMSC's answer does not echo the value; keep the signature for readers
    return api_error(5, "invalid date format", operation="send")


def parse_send_time(value: str | None, *, tz: float | None, now: float) -> float | None:
    """Return when a message given ``time=value`` should leave, or ``None`` for "now".

    Raises error 5 (:class:`~smsc_transports.errors.DateFormatError`) for anything that
    is not one of SMSC's forms or names an impossible date.
    """
    if value is None:
        return None
    value = value.strip()
    if value in ("", "0"):
        return None
    zone = timezone(timedelta(hours=3 + (tz or 0.0)))
    if match := _DATE_COMPACT.fullmatch(value):
        day, month, year, hour, minute = (int(g) for g in match.groups())
        return _local(2000 + year, month, day, hour, minute, zone, value)
    if match := _DATE_DOTTED.fullmatch(value):
        day, month, year, hour, minute = (int(g) for g in match.groups())
        year = year + 2000 if year < 100 else year
        return _local(year, month, day, hour, minute, zone, value)
    if _UNIX.fullmatch(value):
        return float(int(value))
    if match := _RELATIVE.fullmatch(value):
        return now + int(match[1]) * 60.0
    if match := _WINDOW.fullmatch(value):
        return _next_in_window(int(match[1]), int(match[2]), zone, now, value)
    raise _bad_date(value)


def _local(
    year: int, month: int, day: int, hour: int, minute: int, zone: timezone, value: str
) -> float:
    try:
        return datetime(year, month, day, hour, minute, tzinfo=zone).timestamp()
    except ValueError:
        raise _bad_date(value) from None


def _next_in_window(first: int, last: int, zone: timezone, now: float, value: str) -> float | None:
    """Return ``None`` when ``now`` is inside hours [first, last), else the next ``first``."""
    if not (0 <= first <= 23 and 0 <= last <= 24) or first == last:
        raise _bad_date(value)
    local = to_datetime(now).astimezone(zone)
    hour = local.hour
    inside = first <= hour < last if first < last else hour >= first or hour < last
    if inside:
        return None
    start = local.replace(hour=first, minute=0, second=0, microsecond=0)
    if start <= local:
        start += timedelta(days=1)
    return start.timestamp()


def parse_valid(value: str | None) -> float | None:
    """Return a message lifetime in seconds from ``hh:mm`` (or whole hours), or ``None``.

    Raises error 1 when it is malformed or outside one minute … 24 hours.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if match := _VALID_HM.fullmatch(value):
        seconds = int(match[1]) * 3600.0 + int(match[2]) * 60.0
    elif _VALID_HOURS.fullmatch(value):
        seconds = int(value) * 3600.0
    else:
        raise api_error(1, "parameters error", operation="send")
    if not 60.0 <= seconds <= MAX_VALID:
        raise api_error(1, "parameters error", operation="send")
    return seconds
