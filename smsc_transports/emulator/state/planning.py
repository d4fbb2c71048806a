"""When each recipient of a send leaves and under which sender: ``time``/``tz``,
``period``/``freq`` (a spread mailing) and ``list=`` lines' own sender and time zone.

Pure functions of an accepted request; :meth:`EmulatorState.send` calls them under
its lock. What every recipient shares (the request's sender, its time) is worked out
once per request, not once per recipient: only ``list=`` lines with options of their
own differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from smsc_transports.emulator.state.accounts import Account
from smsc_transports.emulator.state.pricing import Prepared
from smsc_transports.emulator.state.records import SendRequest
from smsc_transports.emulator.state.time_forms import parse_send_time
from smsc_transports.message import MessageKind

__all__ = ["senders_of", "start_times"]


def senders_of(account: Account, request: SendRequest, prepared: Sequence[Prepared]) -> list[str]:
    """The sender recorded for each recipient: its ``list=`` line's, the request's,
    or the account's default."""
    if request.kind is MessageKind.HLR:
        # SMSC shows "HLR" as an HLR request's sender: the official PHP and Python
        # libraries tell an HLR status row by that field (m[14] == "HLR").
        return ["HLR"] * len(prepared)
    default = request.sender if request.sender is not None else account.default_sender
    if not request.line_options:
        return [default] * len(prepared)
    senders = []
    for p in prepared:
        line_sender = _line_option(request, p.line)[0]
        senders.append(line_sender if line_sender is not None else default)
    return senders


def start_times(request: SendRequest, accepted: Sequence[Prepared], now: float) -> list[float]:
    """When each accepted recipient leaves: ``time`` (in its ``list=`` line's time
    zone, if the line names one), spread over ``period`` hours in batches every
    ``freq`` minutes."""
    if not accepted:
        return []
    if request.send_at is not None or not request.line_options:
        starts = [_start(request, request.tz, now)] * len(accepted)
    else:
        starts = []
        for p in accepted:
            line_tz = _line_option(request, p.line)[1]
            starts.append(_start(request, line_tz if line_tz is not None else request.tz, now))
    if request.period:
        every = 60.0 * (request.freq or 60)
        batches = max(1, int(request.period * 3600 // every))
        count = len(accepted)
        starts = [s + (i * batches // count) * every for i, s in enumerate(starts)]
    return starts


def _line_option(request: SendRequest, line: int | None) -> tuple[str | None, float | None]:
    """The (sender, tz) a recipient's ``list=`` line names; (None, None) where none."""
    if line is not None and line < len(request.line_options):
        return request.line_options[line]
    return None, None


def _start(request: SendRequest, tz: float | None, now: float) -> float:
    """When a recipient in time zone ``tz`` leaves: ``send_at``, else ``time``; not before now."""
    start = request.send_at
    if start is None:
        start = parse_send_time(request.time, tz=tz, now=now)
    return now if start is None or start < now else start
