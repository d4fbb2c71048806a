"""``smsc bulk --dry-run``: price every row with ``cost_many`` and send nothing.

Rows are read in chunks of :data:`CHUNK` and each chunk is priced with one
:meth:`~smsc_transports.transport.Transport.cost_many` call (SMSC's ``cost=1``): over
HTTP that is a request per batch, like the real run, not one per row. Nothing leaves
the account. Equal rows (same phones, text, sender and options) are priced once: SMSC
answers error 9 to a sixth identical cost request within a minute, and the answer
would not change.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Hashable, Iterator
from decimal import Decimal
from itertools import islice
from pathlib import Path

from smsc_transports.cli.bulk.csv_rows import BulkRow
from smsc_transports.cli.bulk.journal import ResultsWriter, RowResult
from smsc_transports.cli.output import emit
from smsc_transports.cli.progress import Progress
from smsc_transports.cli.stop import StopRequest
from smsc_transports.errors import SMSCError
from smsc_transports.message import Message
from smsc_transports.results import CostResult
from smsc_transports.transport import Transport

__all__ = ["price_rows"]

CACHE_SIZE = 4096
CHUNK = 500  # rows priced with one cost_many call (memory bound of a dry run)


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
    cache: dict[Hashable, CostResult | SMSCError] = {}
    total_cost = Decimal(0)
    total_parts = rows_done = failed = 0
    results = ResultsWriter(out)
    try:
        while not stop.requested and (chunk := list(islice(rows, CHUNK))):
            _price_chunk(transport, chunk, cache)
            for row in chunk:
                result = _result(row, cache)
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


def _price_chunk(
    transport: Transport, chunk: list[BulkRow], cache: dict[Hashable, CostResult | SMSCError]
) -> None:
    """Price the chunk's messages not priced yet, each distinct one once, in one call."""
    wanted: dict[Hashable, Message] = {}
    for row in chunk:
        if row.message is not None and (key := _cache_key(row.message)) not in cache:
            wanted.setdefault(key, row.message)
    if not wanted:
        return
    # UnsupportedOperation (a protocol that cannot price) is raised here: bad settings,
    # not a bad row.
    outcomes = transport.cost_many(wanted.values())
    if len(cache) + len(wanted) > CACHE_SIZE:
        # Forget what this chunk does not use; its own rows still find their prices.
        needed = {_cache_key(row.message) for row in chunk if row.message is not None}
        for key in [key for key in cache if key not in needed]:
            del cache[key]
    for key, outcome in zip(wanted, outcomes, strict=True):
        cache[key] = outcome.result if outcome.result is not None else _error_of(outcome.error)


def _error_of(error: SMSCError | None) -> SMSCError:
    assert error is not None, "a CostOutcome holds a result or an error"
    return error


def _result(row: BulkRow, cache: dict[Hashable, CostResult | SMSCError]) -> RowResult:
    if row.message is None:
        return RowResult(row.number, row.phone, error=row.error)
    found = cache[_cache_key(row.message)]
    if isinstance(found, SMSCError):
        return RowResult(row.number, row.phone, error=f"{type(found).__name__}: {found}")
    return RowResult(row.number, row.phone, parts=found.parts, cost=found.cost, note="priced")
