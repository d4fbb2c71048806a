"""When each recipient of a send leaves and under which sender: ``time``/``tz``,
``period``/``freq`` (a spread mailing) and ``list=`` lines' own sender and time zone.

Pure functions of an accepted request; :meth:`EmulatorState.send` calls them under
its lock.
"""

from __future__ import annotations

from smsc_transports.emulator.state.accounts import Account
from smsc_transports.emulator.state.pricing import Prepared
from smsc_transports.emulator.state.records import SendRequest
from smsc_transports.emulator.state.time_forms import parse_send_time
from smsc_transports.message import MessageKind

__all__ = ["sender_of", "start_times"]


def sender_of(account: Account, request: SendRequest, p: Prepared) -> str:
    """The sender recorded for one recipient: its ``list=`` line's, the request's,
    or the account's default."""
    if request.kind is MessageKind.HLR:
        # SMSC shows "HLR" as an HLR request's sender: the official PHP and Python
        # libraries tell an HLR status row by that field (m[14] == "HLR").
        return "HLR"
    line_sender = None
    if p.line is not None and p.line < len(request.line_options):
        line_sender = request.line_options[p.line][0]
    if line_sender is not None:
        return line_sender
    return request.sender if request.sender is not None else account.default_sender


def start_times(request: SendRequest, accepted: list[Prepared], now: float) -> list[float]:
    """When each accepted recipient leaves: ``time`` (in its ``list=`` line's time
    zone, if the line names one), spread over ``period`` hours in batches every
    ``freq`` minutes."""
    starts = []
    for p in accepted:
        start = request.send_at
        if start is None:
            tz = request.tz
            if p.line is not None and p.line < len(request.line_options):
                line_tz = request.line_options[p.line][1]
                tz = line_tz if line_tz is not None else tz
            start = parse_send_time(request.time, tz=tz, now=now)
        starts.append(now if start is None or start < now else start)
    if request.period:
        every = 60.0 * (request.freq or 60)
        batches = max(1, int(request.period * 3600 // every))
        count = len(accepted)
        starts = [s + (i * batches // count) * every for i, s in enumerate(starts)]
    return starts
