"""``smsc bulk`` resumes after an interruption without sending anything twice.

Each test runs the real ``smsc`` in a subprocess against an emulator in this process.
Row 100 is a slow test number (``79990003090``: its answer is held back) and the
transport sends one request at a time, so while the emulator holds that answer the
test knows where the run is: rows 1-100 accepted, 100 still unanswered, and however
many the transport had answered before it journaled. No timing is guessed, and
nothing depends on how far ahead the transport reads its input.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from smsc_transports import Message
from smsc_transports.cli import main
from smsc_transports.emulator import Emulator, Limits, ManualClock
from smsc_transports.factory import create_transport
from tests.backends.smpp.conftest import smpp_url
from tests.backends.smpp.servers import Peer, ScriptedServer
from tests.cli.helpers import Running, history_phones, read_results, wait_until, write_csv

SLOW = "79990003090"
PHONES = [SLOW if i == 99 else f"79990000{i:03d}" for i in range(200)]


@pytest.fixture
def no_repeat_check(manual_clock: ManualClock) -> Iterator[Emulator]:
    """An emulator that accepts a repeated id: a double send would show in its history."""
    with Emulator(clock=manual_clock, limits=Limits(duplicate_window=None)) as running:
        running.state.set_balance("demo", 10_000)
        yield running


@pytest.fixture
def rich(emulator: Emulator) -> Emulator:
    emulator.state.set_balance("demo", 10_000)
    return emulator


def start_bulk(emulator: Emulator, tmp_path: Path) -> tuple[Running, Path]:
    source = write_csv(tmp_path / "list.csv", ["phone", "text"], [(p, "hi") for p in PHONES])
    url = emulator.url() + "?block=10&concurrency=1&timeout=120"
    running = Running("bulk", str(source), "--url", url, cwd=tmp_path)
    wait_until(lambda: emulator.http.held == 1, "the slow row's answer to be held")
    return running, source


@contextmanager
def releasing(emulator: Emulator) -> Iterator[None]:
    """Within the block, answers the emulator holds back are let go at once."""
    done = threading.Event()

    def release() -> None:
        while not done.wait(0.01):
            if emulator.http.held:
                emulator.release_delayed()

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(5)


def journaled(source: Path, state: str = "accepted") -> list[dict[str, str]]:
    """The journal's lines in ``state``."""
    text = source.with_name(source.name + ".journal").read_text()
    lines = [json.loads(line) for line in text.splitlines()[1:] if line]
    return [line for line in lines if line["state"] == state]


def test_ctrl_c_stops_cleanly_and_the_rerun_sends_only_the_rest(
    no_repeat_check: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = no_repeat_check
    running, source = start_bulk(emulator, tmp_path)
    try:
        running.process.send_signal(signal.SIGINT)
        running.wait_for_line("stopping after the messages in flight")
        emulator.release_delayed()
        code, out = running.finish()
    finally:
        running.kill() if running.process.poll() is None else None
    assert code == 130
    assert "interrupted; run the same command again to resume" in out
    # What was in flight was finished and recorded, in order; then feeding stopped.
    first = read_results(tmp_path / "list.csv.results.csv")
    done = len(first)
    assert 100 <= done < 200
    assert [r["phone"] for r in first] == PHONES[:done]
    assert len(journaled(source)) == done
    assert history_phones(emulator) == dict.fromkeys(PHONES[:done], 1)

    assert main(["bulk", str(source), "--url", emulator.url()]) == 0

    assert history_phones(emulator) == dict.fromkeys(PHONES, 1)
    results = read_results(tmp_path / "list.csv.results.csv")
    assert [r["phone"] for r in results] == PHONES
    assert {r["note"] for r in results[:done]} == {"accepted in an earlier run"}
    assert {r["note"] for r in results[done:]} == {""}
    summary = f"200 rows: 200 accepted ({done} in earlier runs), 0 failed"
    assert summary in capsys.readouterr().out


def kill_while_in_flight(emulator: Emulator, tmp_path: Path) -> tuple[Path, int]:
    """Kill the run while row 100 waits for its answer; return the source and the
    number of rows journaled as accepted (the rest of rows 1-100 are in doubt)."""
    running, source = start_bulk(emulator, tmp_path)
    running.process.send_signal(signal.SIGKILL)
    code, _ = running.finish()
    emulator.release_delayed()
    assert code == -signal.SIGKILL
    assert history_phones(emulator) == dict.fromkeys(PHONES[:100], 1)
    accepted = len(journaled(source))
    assert accepted < 100  # at least the slow row was never answered
    assert len({line["row"] for line in journaled(source, "sending")}) >= 100
    return source, accepted


def test_after_a_kill_rows_in_doubt_are_looked_up_not_resent(
    no_repeat_check: Emulator, tmp_path: Path
) -> None:
    emulator = no_repeat_check
    source, journaled_before = kill_while_in_flight(emulator, tmp_path)

    assert main(["bulk", str(source), "--url", emulator.url()]) == 0

    assert history_phones(emulator) == dict.fromkeys(PHONES, 1)
    results = read_results(tmp_path / "list.csv.results.csv")
    assert len(results) == 200
    # The emulator has not moved its clock: the messages are still waiting to leave.
    assert {r["note"] for r in results[journaled_before:100]} == {
        "accepted in an earlier run (its status: waiting)"
    }


def test_a_row_in_doubt_refused_as_a_repeat_counts_as_accepted_earlier(
    rich: Emulator, tmp_path: Path
) -> None:
    source, journaled_before = kill_while_in_flight(rich, tmp_path)
    # Use up SMSC's five status requests a minute for each row in doubt, so the
    # resumed run cannot look them up and has to send them again.
    ids = {int(line["row"]): line["id"] for line in journaled(source, "sending")}
    with create_transport(rich.url()) as transport:
        for row in range(journaled_before + 1, 101):
            for _ in range(5):
                transport.status(ids[row], PHONES[row - 1])

    # The slow row goes out again: let its answer through as soon as it is held.
    with releasing(rich):
        assert main(["bulk", str(source), "--url", rich.url()]) == 0

    assert history_phones(rich) == dict.fromkeys(PHONES, 1)
    results = read_results(tmp_path / "list.csv.results.csv")
    assert {r["note"] for r in results[journaled_before:100]} == {
        "accepted in an earlier run: SMSC answered error 9 to the repeated id"
    }
    assert all(r["error"] == "" for r in results)


def test_a_row_in_doubt_over_smpp_is_found_by_the_ids_smsc_gave_it(
    manual_clock: ManualClock, tmp_path: Path
) -> None:
    # SMSC assigns its own ids over SMPP: a fresh transport cannot find a row by the
    # row's id, only by the ids the journal recorded. Without asking by them, the row
    # was sent again (the emulator here accepts a repeat, as a double send would show).
    with Emulator(
        clock=manual_clock, limits=Limits(duplicate_window=None), smpp_port=0
    ) as emulator:
        emulator.state.set_balance("demo", 10_000)
        phones = [f"79990000{i:03d}" for i in range(3)]
        source = write_csv(tmp_path / "list.csv", ["phone", "text"], [(p, "hi") for p in phones])
        url = emulator.url("smpp")
        assert main(["bulk", str(source), "--url", url]) == 0
        journal = source.with_name(source.name + ".journal")
        head, *lines = journal.read_text().splitlines()
        entries = [json.loads(line) for line in lines if line]
        accepted = [e for e in entries if e["state"] == "accepted"]
        assert len(accepted) == 3 and all(e["ids"] and e["ids"] != [e["id"]] for e in accepted)
        # As if the link had dropped after SMSC took the second row: in doubt, with the
        # id SMSC gave it.
        doubtful = {**accepted[1], "state": "unknown", "error": "OutcomeUnknown: dropped"}
        kept = [json.dumps(e) for e in entries if e["row"] != doubtful["row"]]
        journal.write_text("\n".join([head, *kept, json.dumps(doubtful)]) + "\n")

        assert main(["bulk", str(source), "--url", url]) == 0

        assert history_phones(emulator) == dict.fromkeys(phones, 1)
        results = read_results(tmp_path / "list.csv.results.csv")
        assert results[1]["note"].startswith("accepted in an earlier run (its status:")


def test_smpp_parts_answered_before_a_drop_are_journaled_for_the_next_run(
    tmp_path: Path,
) -> None:
    def first_part_then_drop(peer: Peer) -> None:
        if not peer.bind():
            return
        frame = peer.read()
        assert frame is not None
        peer.answer(frame)  # SMSC took part 1 as id "1"; part 2 is read, never answered
        peer.read()

    long_text = "Long text. " * 20  # 220 characters: two parts
    source = write_csv(tmp_path / "list.csv", ["phone", "text"], [("79990000001", long_text)])
    with ScriptedServer([first_part_then_drop]) as server:
        url = smpp_url(server.port, long="udh", reconnect_attempts="1", timeout="3")
        assert main(["bulk", str(source), "--url", url]) == 1
    [entry] = journaled(source, "unknown")
    ids: object = entry["ids"]  # JSON: a list
    phones: object = entry["phones"]
    assert ids == ["1"] and phones == ["79990000001"]


def test_a_row_in_doubt_over_smpp_is_not_found_by_its_own_id_on_a_fresh_transport(
    manual_clock: ManualClock, tmp_path: Path
) -> None:
    # SMPP never sends the row's own id, so SMSC knows nothing by it: a numeric id that
    # happens to equal SMSC's id of another message to the same phone must not make the
    # row "accepted earlier" (it was never sent, and would be lost).
    phone = "79990000001"
    with Emulator(
        clock=manual_clock, limits=Limits(duplicate_window=None), smpp_port=0
    ) as emulator:
        emulator.state.set_balance("demo", 10_000)
        url = emulator.url("smpp")
        with create_transport(url) as transport:
            taken = transport.send(Message(phone, "an earlier, unrelated message")).id
        source = write_csv(
            tmp_path / "list.csv", ["phone", "text", "id"], [(phone, "the row", taken)]
        )
        with Emulator(clock=manual_clock, smpp_port=0) as elsewhere:
            elsewhere.state.set_balance("demo", 10_000)
            with create_transport(elsewhere.url("smpp")) as transport:
                for n in range(3):  # so that the row gets an SMSC id other than its own
                    transport.send(Message("79990000002", f"filler {n}"))
            assert main(["bulk", str(source), "--url", elsewhere.url("smpp")]) == 0
        journal = source.with_name(source.name + ".journal")
        head, *lines = journal.read_text().splitlines()
        entry = [json.loads(line) for line in lines if line][-1]
        assert entry["state"] == "accepted" and entry["phones"] == [phone]
        # As if the link had dropped before SMSC answered: in doubt, no SMSC id known.
        doubtful = {**entry, "state": "unknown", "error": "OutcomeUnknown: dropped", "ids": []}
        journal.write_text("\n".join([head, json.dumps(doubtful)]) + "\n")

        assert main(["bulk", str(source), "--url", url]) == 0

        texts = [r.text for r in emulator.state.history(emulator.state.account("demo"))]
        assert sorted(texts) == ["an earlier, unrelated message", "the row"]
        results = read_results(tmp_path / "list.csv.results.csv")
        assert not results[0]["note"].startswith("accepted in an earlier run")
