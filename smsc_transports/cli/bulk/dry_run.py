"""``smsc bulk --dry-run``: price every row with ``cost`` and send nothing.

Rows are priced one by one (SMSC's ``cost=1``), so nothing leaves the account. Equal
rows (same phones, text, sender and options) are priced once: SMSC answers error 9 to
a sixth identical cost request within a minute, and the answer would not change.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Hashable, Iterator
from decimal import Decimal
from pathlib import Path

from smsc_transports.cli.bulk.csv_rows import BulkRow
from smsc_transports.cli.bulk.journal import ResultsWriter, RowResult
from smsc_transports.cli.output import emit
from smsc_transports.cli.progress import Progress
from smsc_transports.cli.stop import StopRequest
from smsc_transports.errors import SMSCError, UnsupportedOperation
from smsc_transports.message import Message
from smsc_transports.results import CostResult
from smsc_transports.transport import Transport

__all__ = ["price_rows"]

CACHE_SIZE = 4096


def _cache_key(message: Message) -> Hashable:
    return (message.phones, message.text, message.sender, message.kind, message.translit)


def price_rows(
    args: argparse.Namespace,
    transport: Transport,
    rows: Iterator[BulkRow],
    out: Path,
    progress: Progress,
    stop: StopRequest,
) -> int:
    """Price each row, write the results CSV, print the totals; return the exit status."""
    cache: dict[Hashable, CostResult] = {}
    total_cost = Decimal(0)
    total_parts = rows_done = failed = 0
    results = ResultsWriter(out)
    try:
        for row in rows:
            result = _price(transport, row, cache)
            results.write(result)
            rows_done += 1
            if result.ok:
                total_cost += result.cost or 0
                total_parts += result.parts or 0
            else:
                failed += 1
            progress.advance(ok=result.ok)
            if stop.requested:
                break
    finally:
        results.close()
        progress.finish()
    summary = {
        "rows": rows_done,
        "priced": rows_done - failed,
        "failed": failed,
        "parts": total_parts,
        "cost": total_cost,
        "results": str(out),
        "stopped": stop.reason or None,
        "dry_run": True,
    }
    human = (
        f"{rows_done} rows priced (nothing sent): {total_parts} part(s), cost {total_cost}; "
        f"{failed} could not be priced\nresults: {out}"
    )
    emit(args, summary, human)
    if stop.by_signal:
        print("smsc: interrupted", file=sys.stderr)
        return 130
    return 1 if failed else 0


def _price(transport: Transport, row: BulkRow, cache: dict[Hashable, CostResult]) -> RowResult:
    if row.message is None:
        return RowResult(row.number, row.phone, error=row.error)
    key = _cache_key(row.message)
    found = cache.get(key)
    if found is None:
        try:
            found = transport.cost(row.message)
        except UnsupportedOperation:
            raise  # the protocol cannot price at all: bad settings, not a bad row
        except SMSCError as exc:
            return RowResult(row.number, row.phone, error=f"{type(exc).__name__}: {exc}")
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[key] = found
    return RowResult(row.number, row.phone, parts=found.parts, cost=found.cost, note="priced")
