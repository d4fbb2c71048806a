"""``smsc bulk FILE.csv``: send every row of a CSV, resumably, with progress and a results CSV.

The file is streamed into the transport's ``send_many`` by a generator, in segments of
:data:`SEGMENT` rows, so memory stays bounded whatever its size. Each row carries a
message id (its own, or a derived stable one), and the journal records each row before
it is handed over and again when its outcome is known. A rerun of the same command:

1. asks SMSC, where the protocol can, for the status of every row the journal left in
   doubt (handed over, no answer recorded); a row SMSC knows was accepted earlier;
2. skips rows already accepted, or refused for a reason that will not change;
3. sends the rest with the same ids. A row in doubt that SMSC now refuses as a repeat
   (error 9) was accepted the first time, and its results line says so.

Ctrl-C (or SIGTERM) stops feeding new rows, lets the messages in flight finish and
leaves journal and results consistent; a second Ctrl-C aborts at once. Bad credentials,
a blocked IP or an empty account stop the run too, since every later row would fail
the same way. Exit status: 0 all rows accepted, 1 some failed (or the run was stopped
by such an error), 2 bad usage or an unreadable file, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from smsc_transports.cli.bulk.csv_rows import STDIN, BulkRow, estimate_rows, open_input
from smsc_transports.cli.bulk.dry_run import price_rows
from smsc_transports.cli.bulk.journal import Entry, Journal, ResultsWriter, RowResult, State
from smsc_transports.cli.output import emit, open_transport
from smsc_transports.cli.progress import Progress, live_lines
from smsc_transports.cli.stop import StopRequest
from smsc_transports.errors import (
    APIError,
    ConnectError,
    OutcomeUnknown,
    RateLimited,
    SMSCError,
    TransportError,
    UnknownAPIError,
    UnsupportedOperation,
    ValidationError,
    stops_sending,
)
from smsc_transports.message import Message
from smsc_transports.observe import Tally
from smsc_transports.results import Outcome
from smsc_transports.statuses import MessageStatus
from smsc_transports.transport import Capability, Transport

__all__ = ["SEGMENT", "BulkRun", "add_bulk_parser", "bulk_command"]

SEGMENT = 10_000
"""Rows per ``send_many`` call. Rows decided without sending (bad, or done in an earlier
run) queue behind the oldest unanswered message; ending the call every so many rows
caps that queue."""

# Codes a later run may succeed with: bad credentials, no funds, IP blocked, error 9.
RETRY_CODES = frozenset({2, 3, 4, 9})

EARLIER = "accepted in an earlier run"


@dataclass(slots=True)
class _Slot:
    """A row on its way through the run; ``result`` is set once its fate is known."""

    row: BulkRow
    in_doubt: bool = False
    result: RowResult | None = None
    earlier: bool = False


class BulkRun:
    """One run over the rows: feeds ``send_many``, journals, writes results in input order."""

    def __init__(
        self,
        transport: Transport,
        rows: Iterator[BulkRow],
        journal: Journal,
        results: ResultsWriter,
        progress: Progress,
        stop: StopRequest,
        *,
        segment: int = SEGMENT,
    ) -> None:
        self.transport = transport
        self.rows = rows
        self.journal = journal
        self.results = results
        self.progress = progress
        self.stop = stop
        self.segment = segment
        self.input_error: ValidationError | None = None
        self.exhausted = False
        # Backends may pull the input from another thread (the async adapters do), so
        # the queues, the journal and the results file are all behind one lock.
        self._lock = threading.RLock()
        self._pending: deque[_Slot] = deque()
        self._waiting: deque[_Slot] = deque()
        self.rows_done = 0
        self.accepted = 0
        self.earlier = 0
        self.failed = 0
        self.parts = 0
        self.cost = Decimal(0)
        self.cost_unknown = 0  # rows sent over a protocol that reports no price (SMPP, SMTP)
        self.cost_known = 0

    def resolve_doubts(self) -> int:
        """Ask SMSC about each row left in doubt; journal those it accepted; return how many.

        A row is asked for by its id (SMSC holds it under it over HTTP, SOAP and SMTP),
        then by each id SMSC gave it that the journal recorded (SMPP: SMSC assigns its
        own ids, so a fresh transport can find a row only by those).
        """
        if Capability.STATUS not in self.transport.capabilities:
            return 0
        found = 0
        for entry in self.journal.in_doubt():
            if self.stop.requested:
                break
            if not entry.phones:
                continue
            status = None
            for asked in dict.fromkeys(self._ids_to_ask(entry)):
                try:
                    status = self.transport.status(asked, entry.phones[0])
                except SMSCError:
                    continue  # stays in doubt; a resend answered by error 9 settles it
                if status.status is not MessageStatus.NOT_FOUND:
                    break
            if status is not None and status.status is not MessageStatus.NOT_FOUND:
                note = f"{EARLIER} (its status: {status.status.name.lower()})"
                with self._lock:
                    self.journal.record(
                        replace(entry, state=State.ACCEPTED, error="", retry=False, note=note)
                    )
                found += 1
        return found

    def _ids_to_ask(self, entry: Entry) -> tuple[str, ...]:
        """The ids a row in doubt is asked for by.

        Over SMPP the row's own id never reaches SMSC (the transport that sent it kept
        it, and is gone): asked for by it, SMSC would answer for whichever message it
        gave that id, maybe another one to the same phone, and the row would be
        counted as sent when it never was. So over SMPP only the ids SMSC gave count.
        """
        given = tuple(i for i in entry.ids if i)
        return given if self.transport.protocol == "smpp" else (entry.id, *given)

    def run(self) -> None:
        """Process rows until the input ends or a stop is requested."""
        while not self.exhausted and not self.stop.requested:
            outcomes = self.transport.send_many(self._feed())
            try:
                for outcome in outcomes:
                    self._settle(outcome)
            finally:
                close = getattr(outcomes, "close", None)
                if close is not None:
                    close()
            self._orphans()
            self._drain()

    def _feed(self) -> Iterator[Message]:
        taken = 0
        # The stop check comes before reading a row, so no row is read and then dropped.
        while taken < self.segment and not self.stop.requested:
            try:
                row = next(self.rows)
            except StopIteration:
                self.exhausted = True
                return
            except ValidationError as exc:
                self.input_error = exc
                self.exhausted = True
                return
            taken += 1
            with self._lock:
                slot = self._slot_for(row)
                message = row.message if slot.result is None else None
                self._pending.append(slot)
                if message is not None:
                    self._waiting.append(slot)
                    # Journaled before it can leave: a crash after this line leaves the
                    # row in doubt (checked next run), never silently unsent-or-sent.
                    self.journal.record(
                        Entry(row.number, row.key, State.SENDING, row.id, message.phones)
                    )
            if message is not None:
                yield message
            else:
                self._drain()

    def _slot_for(self, row: BulkRow) -> _Slot:
        if row.message is None:
            return _Slot(row, result=RowResult(row.number, row.phone, error=row.error))
        entry = self.journal.latest.get(row.number)
        if entry is None or entry.key != row.key:
            return _Slot(row)
        if entry.settled:
            accepted = entry.state is State.ACCEPTED
            note = entry.note or (EARLIER if accepted else "refused in an earlier run")
            return _Slot(row, result=RowResult.from_entry(entry, row.phone, note), earlier=accepted)
        return _Slot(row, in_doubt=entry.in_doubt)

    def _settle(self, outcome: Outcome) -> None:
        with self._lock:
            if not self._waiting:
                raise RuntimeError("the transport gave more outcomes than it was given messages")
            slot = self._waiting.popleft()
            entry = self._judge(slot, outcome)
            self.journal.record(entry)
            slot.result = RowResult.from_entry(entry, slot.row.phone)
        self._drain()

    def _judge(self, slot: _Slot, outcome: Outcome) -> Entry:
        row = slot.row
        base = Entry(row.number, row.key, State.ACCEPTED, row.id)
        if outcome.result is not None:
            result = outcome.result
            repeat = result.already_accepted
            if result.cost is not None:
                self.cost += result.cost
                self.cost_known += 1
            else:
                self.cost_unknown += 1
            self.parts += result.parts
            note = "accepted (a retry SMSC recognised by its id)" if repeat else ""
            accepted = replace(base, parts=result.parts, cost=result.cost, note=note)
            recipients = result.for_recipients(outcome.message.phones).phones
            if any(p.id not in (None, row.id) for p in recipients):
                # SMPP answers SMSC's own id, one per recipient: kept to ask each status.
                phones = tuple(p.phone for p in recipients)
                ids = tuple(p.id or "" for p in recipients)
                accepted = replace(accepted, phones=phones, ids=ids)
            return accepted
        error = outcome.error
        assert error is not None
        text = f"{type(error).__name__}: {error}"
        if stops_sending(error) or isinstance(error, UnsupportedOperation):
            # Every following row would get it too: the run stops instead of hammering
            # SMSC, which blocks an IP after frequent errors (§1.6 code 4). The transport
            # has already stopped its own requests; the rest of its input is NotSent.
            self.stop.request(f"stopped: {text}")
        if isinstance(error, RateLimited) and slot.in_doubt:
            slot.earlier = True
            return replace(base, note=f"{EARLIER}: SMSC answered error 9 to the repeated id")
        if isinstance(error, APIError):
            retry = error.code in RETRY_CODES or isinstance(error, UnknownAPIError)
            return replace(base, state=State.REFUSED, error=text, retry=retry)
        if isinstance(error, TransportError) and not isinstance(error, ConnectError):
            # The request may have arrived: in doubt until a later run finds out. SMPP
            # names the ids SMSC gave the parts it answered before the link dropped: a
            # later run asks by them.
            phones = row.message.phones if row.message else ()
            ids = error.accepted_ids if isinstance(error, OutcomeUnknown) else ()
            return replace(base, state=State.UNKNOWN, phones=phones, ids=ids, error=text)
        retry = not isinstance(error, ValidationError)
        return replace(base, state=State.REFUSED, error=text, retry=retry)

    def _orphans(self) -> None:
        """Give a result to rows a misbehaving transport never answered for."""
        with self._lock:
            while self._waiting:
                slot = self._waiting.popleft()
                row = slot.row
                phones = row.message.phones if row.message else ()
                entry = Entry(row.number, row.key, State.UNKNOWN, row.id, phones,
                              error="TransportError: the transport gave no outcome")  # fmt: skip
                self.journal.record(entry)
                slot.result = RowResult.from_entry(entry, row.phone)

    def _drain(self) -> None:
        with self._lock:
            while self._pending and self._pending[0].result is not None:
                slot = self._pending.popleft()
                result = slot.result
                assert result is not None
                self.results.write(result)
                self.rows_done += 1
                if result.ok:
                    self.accepted += 1
                    self.earlier += slot.earlier
                else:
                    self.failed += 1
                self.progress.advance(ok=result.ok)


def _paths(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    source = Path(args.file)
    # Standard input has no file to put them beside: stdin.* in the working folder.
    base = Path("stdin") if args.file == STDIN else source
    out = Path(args.out) if args.out else base.with_name(base.name + ".results.csv")
    journal = Path(args.journal) if args.journal else base.with_name(base.name + ".journal")
    resolved = {p.resolve() for p in (source, out, journal)}
    if len(resolved) < 3:
        raise ValidationError("the input, --out and --journal must be three different files")
    if len(args.delimiter) != 1:
        raise ValidationError("--delimiter must be one character")
    return source, out, journal


def bulk_command(args: argparse.Namespace) -> int:
    """Run ``smsc bulk``; return the exit status (see the module docstring)."""
    source, out, journal_path = _paths(args)
    with open_input(
        args.file,
        text=args.text,
        sender=args.sender,
        translit=args.translit,
        delimiter=args.delimiter,
    ) as bulk_input:
        total = None if args.file == STDIN else estimate_rows(source)
        progress = Progress(sys.stderr, total=total)
        for name in bulk_input.ignored:
            progress.note(f"smsc: ignoring the unknown column {name!r}")
        stop = StopRequest()
        tally = Tally() if args.live else None
        with (
            open_transport(args, observer=tally) as transport,
            stop.signals(progress.note),
            live_lines(
                args.live, lambda: f"smsc: {tally.summary()}" if tally else "", progress.note
            ),
        ):
            if args.dry_run:
                return price_rows(args, transport, bulk_input.rows(), out, progress, stop)
            journal = Journal(journal_path, restart=args.restart)
            results = ResultsWriter(out)
            run = BulkRun(transport, bulk_input.rows(), journal, results, progress, stop)
            try:
                if journal.resumed:
                    progress.note(f"smsc: resuming from {journal_path}")
                    run.resolve_doubts()
                run.run()
            finally:
                results.close()
                journal.close()
                progress.finish()
    return _report(args, run, out, journal_path, stop)


def _report(
    args: argparse.Namespace, run: BulkRun, out: Path, journal: Path, stop: StopRequest
) -> int:
    summary: dict[str, Any] = {
        "rows": run.rows_done,
        "accepted": run.accepted,
        "accepted_earlier": run.earlier,
        "failed": run.failed,
        "parts": run.parts,
        # Unknown money is None, never 0: a sum only of the rows that had a price.
        "cost": None if run.cost_unknown and not run.cost_known else run.cost,
        "cost_unknown_rows": run.cost_unknown,
        "results": str(out),
        "journal": str(journal),
        "stopped": stop.reason or None,
    }
    human = (
        f"{run.rows_done} rows: {run.accepted} accepted ({run.earlier} in earlier runs), "
        f"{run.failed} failed; sent now: {run.parts} part(s), {_cost_text(run)}\nresults: {out}"
    )
    if run.input_error is not None:
        summary["stopped"] = str(run.input_error)
        emit(args, summary, human)
        print(f"smsc: {run.input_error}", file=sys.stderr)
        return 2
    if stop.requested:
        human += f"\n{stop.reason}; run the same command again to resume"
    elif run.accepted == run.earlier and run.rows_done and not run.failed:
        human += "\nnothing new was sent (the journal has every row); --restart sends again"
    emit(args, summary, human)
    if stop.by_signal:
        return 130
    return 1 if run.failed or stop.requested else 0


def _cost_text(run: BulkRun) -> str:
    if not run.cost_unknown:
        return f"cost {run.cost}"
    if not run.cost_known:
        return "cost unknown"
    return f"cost {run.cost} + unknown for {run.cost_unknown} row(s)"


def add_bulk_parser(subparsers: Any, common: argparse.ArgumentParser) -> None:
    """Register ``smsc bulk``."""
    p = subparsers.add_parser(
        "bulk",
        parents=[common],
        help="send every row of a CSV file (resumable)",
        description="Send every row of a CSV file with a header row (phone,text and "
        "optionally sender,time,id), resumably; see docs/cli.md.",
    )
    p.add_argument("file", help="the CSV file; - reads it from standard input")
    p.add_argument("--text", help="one text for every row; the file then needs only 'phone'")
    p.add_argument("--sender", help="sender ID for rows whose sender column is empty")
    p.add_argument(
        "--translit", type=int, choices=(0, 1, 2), default=0, help="1 or 2: Cyrillic in Latin"
    )
    p.add_argument("--out", help="results CSV (default: FILE.results.csv, stdin.results.csv)")
    p.add_argument("--journal", help="journal for resuming (default: FILE.journal, stdin.journal)")
    p.add_argument("--restart", action="store_true", help="forget the journal, send every row")
    p.add_argument("--dry-run", action="store_true", help="price every row; send nothing")
    p.add_argument("--delimiter", default=",", help="field separator (default ',')")
    p.add_argument(
        "--live",
        type=float,
        metavar="SECONDS",
        help="print a summary line (rate, errors by class, window, reconnects) every SECONDS",
    )
    p.set_defaults(handler=bulk_command)
