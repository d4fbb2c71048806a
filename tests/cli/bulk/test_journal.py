"""The bulk journal: append-only, last entry per row wins, torn lines survive."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from smsc_transports.cli.bulk.journal import Entry, Journal, State


def test_the_last_entry_for_a_row_wins_across_reopenings(tmp_path: Path) -> None:
    path = tmp_path / "a.journal"
    journal = Journal(path)
    journal.record(Entry(1, "x-1/7999", State.SENDING, "x-1", ("7999",)))
    journal.record(Entry(1, "x-1/7999", State.ACCEPTED, "x-1", parts=2, cost=Decimal("2.80")))
    journal.record(Entry(2, "x-2/7998", State.SENDING, "x-2", ("7998",)))
    journal.close()

    again = Journal(path)
    assert again.latest[1] == Entry(
        1, "x-1/7999", State.ACCEPTED, "x-1", parts=2, cost=Decimal("2.80")
    )
    assert again.latest[1].settled
    assert [e.row for e in again.in_doubt()] == [2]
    again.close()


def test_a_torn_last_line_is_ignored_and_the_next_entry_starts_on_its_own_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "b.journal"
    journal = Journal(path)
    journal.record(Entry(1, "k", State.SENDING, "i", ("7999",)))
    journal.close()
    with path.open("a") as stream:
        stream.write('{"row":1,"key":"k","state":"acc')  # the process died mid-write

    resumed = Journal(path)
    assert resumed.latest[1].state is State.SENDING
    resumed.record(Entry(1, "k", State.ACCEPTED, "i"))
    resumed.close()
    assert Journal(path).latest[1].state is State.ACCEPTED


def test_refusals_that_may_change_are_retried_the_rest_are_settled() -> None:
    funds = Entry(3, "k", State.REFUSED, "i", error="InsufficientFunds", retry=True)
    phone = Entry(4, "k", State.REFUSED, "i", error="InvalidPhone")
    unknown = Entry(5, "k", State.UNKNOWN, "i", ("7999",), error="TransportTimeout")
    assert (funds.settled, funds.in_doubt) == (False, False)
    assert (phone.settled, phone.in_doubt) == (True, False)
    assert (unknown.settled, unknown.in_doubt) == (False, True)


def test_restart_starts_an_empty_journal(tmp_path: Path) -> None:
    path = tmp_path / "c.journal"
    journal = Journal(path)
    journal.record(Entry(1, "k", State.ACCEPTED, "i"))
    journal.close()
    fresh = Journal(path, restart=True)
    assert not fresh.resumed
    fresh.close()
    assert not Journal(path).resumed


def test_lines_that_are_not_entries_are_skipped() -> None:
    for line in ["", "{}", "[1]", '{"row":"x","key":"k","state":"accepted"}', "not json",
                 '{"row":1,"key":"k","state":"lost"}']:  # fmt: skip
        assert Entry.from_json(line) is None
