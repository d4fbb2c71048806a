"""SMPP time fields (SMPP 3.4 §7.1.1): absolute ``YYMMDDhhmmsstnnp`` and relative ``…R``.

The parsers read what a peer wrote, so they take ASCII digits only (``str.isdigit``
also accepts "²", which ``int`` refuses) and fixed lengths, and answer ``None`` for
anything else: never an exception.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from smsc_transports.errors import ValidationError
from smsc_transports.wire.http import MOSCOW

__all__ = [
    "absolute_time",
    "is_ascii_digits",
    "parse_absolute_time",
    "parse_relative_time",
    "parse_time",
    "relative_time",
    "schedule_time",
]


def relative_time(delta: timedelta) -> str:
    """SMPP relative time ``YYMMDDhhmmss000R`` (SMPP 3.4 §7.1.1) for ``delta``."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        raise ValidationError("a relative SMPP time cannot be negative")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days > 99:
        raise ValidationError("a relative SMPP time holds at most 99 days")
    return f"0000{days:02d}{hours:02d}{minutes:02d}{secs:02d}000R"


def absolute_time(moment: datetime) -> str:
    """SMPP absolute time ``YYMMDDhhmmsstnnp`` (SMPP 3.4 §7.1.1), written in UTC."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%y%m%d%H%M%S") + f"{utc.microsecond // 100000}00+"


def is_ascii_digits(value: str) -> bool:
    """Whether ``value`` is one or more of 0-9 (``str.isdigit`` also takes "²" and "٣")."""
    return value.isascii() and value.isdigit()


def parse_absolute_time(value: str) -> datetime | None:
    """Read an SMPP absolute time ``YYMMDDhhmmsstnnp`` (SMPP 3.4 §7.1.1); ``None`` if not one."""
    if len(value) != 16 or value[15] not in "+-" or not is_ascii_digits(value[:15]):
        return None
    try:
        moment = datetime.strptime(value[:12], "%y%m%d%H%M%S")
    except ValueError:
        return None
    # nn is the offset from UTC in quarter hours, p its sign; timezone() takes < 24 h.
    quarters = int(value[13:15])
    if quarters >= 96:
        return None
    zone = timezone(timedelta(minutes=15 * quarters * (1 if value[15] == "+" else -1)))
    return moment.replace(microsecond=int(value[12]) * 100000, tzinfo=zone)


def schedule_time(send_at: datetime | str | None, tz: int | None = None) -> str:
    """schedule_delivery_time for a Message's ``send_at`` ("" to send at once).

    SMSC's own time strings are accepted too: ``+m`` (minutes from now), ``0<unix
    time>``, and ``DDMMYYhhmm`` / ``DD.MM.YY hh:mm`` read in Moscow time shifted by
    ``tz`` hours, as SMSC reads them (§1.4 ``tz``); an hour window (``h1-h2``) has no
    SMPP form.
    """
    if send_at is None:
        return ""
    if isinstance(send_at, datetime):
        return absolute_time(send_at)
    if not send_at.isascii():
        # strptime reads other scripts' digits ("١٢"), which SMSC would not.
        raise ValidationError(f"send_at {send_at!r} is not ASCII", field="send_at")
    if send_at.startswith("+") and 1 < len(send_at) <= 7 and is_ascii_digits(send_at[1:]):
        return relative_time(timedelta(minutes=int(send_at[1:])))
    if send_at.startswith("0") and 10 < len(send_at) <= 12 and is_ascii_digits(send_at):
        return absolute_time(datetime.fromtimestamp(int(send_at[1:]), UTC))
    for layout in ("%d%m%y%H%M", "%d.%m.%y %H:%M"):
        try:
            local = datetime.strptime(send_at, layout)  # Moscow, added below
        except ValueError:
            continue
        # SMSC reads its own time forms in Moscow time unless told otherwise (§1.4 tz).
        zone = MOSCOW if not tz else timezone(timedelta(hours=3 + tz))
        return absolute_time(local.replace(tzinfo=zone))
    raise ValidationError(
        f"send_at {send_at!r} (an hour window) cannot be expressed in SMPP", field="send_at"
    )


def parse_relative_time(value: str) -> timedelta | None:
    """Read an SMPP relative time ``YYMMDDhhmmss000R``; ``None`` if it is not one.

    Years count 365 days and months 30, as SMPP gives no calendar for a relative time.
    """
    if len(value) != 16 or value[15] != "R" or not is_ascii_digits(value[:15]):
        return None
    years, months, days, hours, minutes, seconds = (int(value[i : i + 2]) for i in range(0, 12, 2))
    return timedelta(
        days=years * 365 + months * 30 + days, hours=hours, minutes=minutes, seconds=seconds
    )


def parse_time(value: str, now: datetime) -> datetime | None:
    """The moment an absolute or relative SMPP time names; ``None`` for "" or garbage."""
    if not value:
        return None
    delta = parse_relative_time(value)
    if delta is not None:
        return now + delta
    return parse_absolute_time(value)
