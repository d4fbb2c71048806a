"""``smsc bulk``: one results line per input row, bad rows reported, dry runs send nothing."""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from smsc_transports.cli import main
from smsc_transports.cli.bulk.csv_rows import BulkInput, derived_id
from smsc_transports.emulator import Emulator, ManualClock
from tests.cli.helpers import history_phones, read_results, write_csv
from tests.faults import CannedServer, http_answer

LONG = "x" * 1001


def mixed_rows(count: int) -> list[tuple[str, str]]:
    """``count`` rows: mostly deliverable test numbers, with refused and invalid ones."""
    rows = []
    for i in range(count):
        if i % 50 == 7:
            rows.append(("79990004007", f"refused at send {i}"))  # error 7 at send
        elif i % 50 == 13:
            rows.append(("not-a-phone", f"bad phone {i}"))
        elif i % 50 == 21:
            rows.append((f"79990000{i:03d}", LONG))
        else:
            rows.append((f"79990000{i:03d}", f"Привет, номер {i}"))
    return rows


@pytest.fixture
def rich(emulator: Emulator) -> Emulator:
    emulator.state.set_balance("demo", 10_000)
    return emulator


def test_bulk_of_200_rows_reports_every_row_in_input_order(
    rich: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = mixed_rows(200)
    source = write_csv(tmp_path / "list.csv", ["phone", "text"], rows)

    code = main(["bulk", str(source), "--url", rich.url()])

    assert code == 1  # some rows failed
    results = read_results(tmp_path / "list.csv.results.csv")
    assert [int(r["row"]) for r in results] == list(range(1, 201))
    assert [r["phone"] for r in results] == [phone for phone, _ in rows]
    for (phone, text), result in zip(rows, results, strict=True):
        if phone == "79990004007":
            assert result["error"].startswith("InvalidPhone: SMSC error 7")
            assert result["id"]  # SMSC assigns the id even to a refused message
        elif phone == "not-a-phone":
            assert result["error"].startswith("ValidationError: invalid phone number")
            assert result["id"] == ""
        elif text == LONG:
            assert "1001 characters" in result["error"]
        else:
            assert result["error"] == ""
            assert (result["parts"], result["cost"]) == ("1", "1.40")
    accepted = [r for r in results if not r["error"]]
    assert len(accepted) == 188
    assert len({r["id"] for r in accepted}) == 188
    assert history_phones(rich) == {r["phone"]: 1 for r in accepted}
    out = capsys.readouterr().out
    assert "200 rows: 188 accepted (0 in earlier runs), 12 failed" in out


def test_rows_get_the_same_derived_ids_on_every_reading(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "a.csv", ["phone", "text"], [("79990000001", "hi")] * 3)
    with BulkInput(source) as first, BulkInput(source) as second:
        ids = [row.id for row in first.rows()]
        assert ids == [row.id for row in second.rows()]
    assert len(set(ids)) == 3  # the row number is part of the id
    assert all(len(i) <= 40 for i in ids)
    with BulkInput(source) as again:
        row = next(again.rows())
    assert row.message is not None
    assert ids[0] == derived_id("a.csv", 1, row.message.replace(id=None))


def test_an_id_column_is_used_as_given(
    rich: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(
        tmp_path / "ids.csv",
        ["Phone", " TEXT ", "id", "sender"],
        [("79990000001", "one", "order-17", ""), ("79990000002", "two", "", "")],
    )
    assert main(["bulk", str(source), "--url", rich.url(), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows"], summary["accepted"], summary["failed"]) == (2, 2, 0)
    results = read_results(tmp_path / "ids.csv.results.csv")
    assert results[0]["id"] == "order-17"
    assert results[1]["id"].endswith("-2")


def test_one_text_for_a_list_of_phones(rich: Emulator, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "phones.csv", ["phone"], [("79990000011",), ("79990000012",)])
    code = main(["bulk", str(source), "--text", "Sale today", "--url", rich.url()])
    assert code == 0
    account = rich.state.authenticate("demo", "demo")
    texts = {r.phone: r.text for r in rich.state.history(account)}
    assert texts == {"79990000011": "Sale today", "79990000012": "Sale today"}


def test_dry_run_prices_every_row_and_sends_nothing(
    rich: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [(f"79990000{i:03d}", "Привет" if i % 2 else "a" * 200) for i in range(10)]
    rows.append(("bad", "text"))
    source = write_csv(tmp_path / "price.csv", ["phone", "text"], rows)
    account = rich.state.authenticate("demo", "demo")
    before = rich.state.balance(account).balance

    code = main(["bulk", str(source), "--dry-run", "--json", "--url", rich.url()])

    assert code == 1  # the bad row could not be priced
    summary = json.loads(capsys.readouterr().out)
    # Five one-part Cyrillic texts and five two-part 200-character Latin ones at 1.40.
    assert (summary["parts"], Decimal(summary["cost"])) == (15, Decimal("21.00"))
    results = read_results(tmp_path / "price.csv.results.csv")
    assert [r["parts"] for r in results[:2]] == ["2", "1"]
    assert results[-1]["error"].startswith("ValidationError")
    assert rich.state.balance(account).balance == before
    assert history_phones(rich) == {}
    assert not (tmp_path / "price.csv.journal").exists()


def test_a_second_run_sends_nothing_already_accepted(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "again.csv", ["phone", "text"], [("79990000001", "a")])
    assert main(["bulk", str(source), "--url", emulator.url()]) == 0
    assert main(["bulk", str(source), "--url", emulator.url()]) == 0
    assert history_phones(emulator) == {"79990000001": 1}
    results = read_results(tmp_path / "again.csv.results.csv")
    assert results[0]["note"] == "accepted in an earlier run"
    assert "nothing new was sent" in capsys.readouterr().out


def test_restart_forgets_the_journal(
    emulator: Emulator, manual_clock: ManualClock, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "weekly.csv", ["phone", "text"], [("79990000001", "a")])
    assert main(["bulk", str(source), "--url", emulator.url()]) == 0
    manual_clock.advance(120)  # past SMSC's one-minute window for a repeated id
    assert main(["bulk", str(source), "--url", emulator.url(), "--restart"]) == 0
    assert history_phones(emulator) == {"79990000001": 2}


def test_no_funds_stops_the_run_and_a_later_run_finishes_it(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.state.set_balance("demo", "2.80")  # two messages' worth
    rows = [(f"79990000{i:03d}", "x") for i in range(30)]
    source = write_csv(tmp_path / "funds.csv", ["phone", "text"], rows)
    assert main(["bulk", str(source), "--url", emulator.url() + "?block=5"]) == 1
    first = capsys.readouterr().out
    assert "stopped: InsufficientFunds" in first
    # The run stopped after the block in flight instead of trying all 30 rows.
    assert len(read_results(tmp_path / "funds.csv.results.csv")) < 30

    emulator.state.set_balance("demo", 1000)
    assert main(["bulk", str(source), "--url", emulator.url() + "?block=5"]) == 0
    assert history_phones(emulator) == {phone: 1 for phone, _ in rows}


@pytest.mark.parametrize(
    ("header", "extra", "message"),
    [
        (["number", "text"], [], "no 'phone' column"),
        (["phone"], [], "no 'text' column"),
        (["phone", "text"], ["--text", "hi"], "use one of them"),
        (["phone", "phone", "text"], [], "appears twice"),
    ],
)
def test_unusable_files_exit_2_before_sending(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    header: list[str],
    extra: list[str],
    message: str,
) -> None:
    source = write_csv(tmp_path / "bad.csv", header, [["79990000001"] * len(header)])
    assert main(["bulk", str(source), "--url", emulator.url(), *extra]) == 2
    assert message in capsys.readouterr().err
    assert history_phones(emulator) == {}
    assert not (tmp_path / "bad.csv.journal").exists()


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bulk", str(tmp_path / "nope.csv"), "--url", "http://a:b@127.0.0.1:9"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_an_empty_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.csv").write_text("")
    assert main(["bulk", str(tmp_path / "empty.csv"), "--url", "http://a:b@127.0.0.1:9"]) == 2
    assert "header row" in capsys.readouterr().err


def test_broken_utf8_midway_stops_with_2_keeping_what_was_read_before(
    rich: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "latin.csv"
    # Enough good rows to fill several of the decoder's read buffers before the bad byte.
    good = "".join(f"79990000{i:03d},{'ok ' * 40}\n" for i in range(300))
    source.write_bytes(b"phone,text\n" + good.encode() + b"79990001999,caf\xe9\n")
    assert main(["bulk", str(source), "--url", rich.url()]) == 2
    assert "is not UTF-8" in capsys.readouterr().err
    sent = history_phones(rich)
    results = read_results(tmp_path / "latin.csv.results.csv")
    assert 0 < len(results) < 300
    assert sent == {r["phone"]: 1 for r in results}


def test_a_wrong_password_stops_the_run_between_requests_and_a_later_run_sends_everything(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [(f"79990000{i:03d}", f"text {i}") for i in range(300)]
    source = write_csv(tmp_path / "rows.csv", ["phone", "text"], rows)
    body = json.dumps({"error": "authorise error", "error_code": 2}).encode()
    with CannedServer(http_answer(body, content_type="application/json")) as smsc:
        url = f"http://demo:wrong@127.0.0.1:{smsc.port}"
        assert main(["bulk", str(source), "--url", url]) == 1
    out = capsys.readouterr().out
    assert "stopped: AuthenticationError" in out
    # Not one refused request per row: at most those already on their way.
    assert 1 <= len(smsc.requests) <= 8
    results = read_results(tmp_path / "rows.csv.results.csv")
    assert Counter(r["error"].split(":")[0] for r in results)["NotSent"] >= 300 - 8

    # With the password fixed, the same command sends every row, each once.
    emulator.state.set_balance("demo", 1000)
    assert main(["bulk", str(source), "--url", emulator.url()]) == 0
    assert history_phones(emulator) == {phone: 1 for phone, _ in rows}


def test_live_prints_the_transports_own_counts_during_and_after_the_run(
    rich: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [("79990000001", f"live {n}") for n in range(30)] + [("79990004007", "refused")]
    source = write_csv(tmp_path / "live.csv", ["phone", "text"], rows)

    code = main(["bulk", str(source), "--url", rich.url(), "--live", "30"])

    assert code == 1
    live = [line for line in capsys.readouterr().err.splitlines() if line.startswith("smsc: sent")]
    # The run is shorter than the interval: the one line is the closing one, all counted.
    assert len(live) == 1
    assert re.match(r"smsc: sent 30 \(\d+/s\) · errors: InvalidPhone 1 · in flight 0/4 ", live[0])
