"""``smsc bulk -`` reads the CSV from standard input; the summary says when a cost is unknown."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from smsc_transports.cli import main
from smsc_transports.emulator import Account, Emulator
from tests.cli.helpers import SMSC, history_phones, read_results

ROWS = [(f"79990000{i:03d}", f"привет {i}") for i in range(30)]


def csv_bytes(rows: list[tuple[str, str]]) -> bytes:
    lines = ["phone,text", *(f"{phone},{text}" for phone, text in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_bulk_dash_sends_every_row_piped_in(emulator: Emulator, tmp_path: Path) -> None:
    emulator.state.set_balance("demo", 1000)
    done = subprocess.run(
        [str(SMSC), "bulk", "-", "--url", emulator.url()],
        input=csv_bytes(ROWS),
        cwd=tmp_path,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"30 rows: 30 accepted" in done.stdout
    assert history_phones(emulator) == {phone: 1 for phone, _ in ROWS}
    # Standard input has no file to put them beside: they go to the working folder.
    assert [r["phone"] for r in read_results(tmp_path / "stdin.results.csv")] == [
        phone for phone, _ in ROWS
    ]
    assert (tmp_path / "stdin.journal").is_file()


def test_the_same_rows_piped_again_resume_from_the_journal(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator.state.set_balance("demo", 1000)
    monkeypatch.chdir(tmp_path)
    feed_stdin(monkeypatch, csv_bytes(ROWS[:5]))
    assert main(["bulk", "-", "--url", emulator.url()]) == 0
    feed_stdin(monkeypatch, csv_bytes(ROWS[:5]))
    assert main(["bulk", "-", "--url", emulator.url()]) == 0
    assert history_phones(emulator) == {phone: 1 for phone, _ in ROWS[:5]}
    assert "nothing new was sent" in capsys.readouterr().out


def test_broken_csv_on_standard_input_names_it(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    feed_stdin(monkeypatch, b"number,text\n79990000001,hi\n")
    assert main(["bulk", "-", "--url", emulator.url()]) == 2
    assert "standard input: the header row has no 'phone' column" in capsys.readouterr().err
    assert history_phones(emulator) == {}


@pytest.fixture
def smpp_emulator() -> Iterator[Emulator]:
    """An emulator with an SMPP front end and money for every row."""
    rich = Account("demo", "demo", balance=Decimal(1000))
    with Emulator([rich], smpp_port=0) as running:
        yield running


def test_bulk_over_smpp_says_the_cost_is_unknown(
    smpp_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # SMPP reports no price: the summary said "cost 0" as if the messages were free.
    source = tmp_path / "smpp.csv"
    source.write_bytes(csv_bytes(ROWS[:10]))
    assert main(["bulk", str(source), "--url", smpp_emulator.url("smpp")]) == 0
    out = capsys.readouterr().out
    assert "sent now: 10 part(s), cost unknown" in out
    again = tmp_path / "again.csv"
    again.write_bytes(csv_bytes(ROWS[10:20]))
    assert main(["bulk", str(again), "--json", "--url", smpp_emulator.url("smpp")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["cost"], summary["cost_unknown_rows"]) == (None, 10)


def test_bulk_over_smpp_journals_each_recipients_own_id(
    smpp_emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "pair.csv"
    source.write_bytes('phone,text\n"79990000001,79990000002",для двоих\n'.encode())
    assert main(["bulk", str(source), "--url", smpp_emulator.url("smpp")]) == 0
    lines = (tmp_path / "pair.csv.journal").read_text("utf-8").splitlines()
    accepted = [json.loads(line) for line in lines if '"accepted"' in line]
    assert len(accepted) == 1
    entry = accepted[0]
    assert entry["phones"] == ["79990000001", "79990000002"]
    assert len(set(entry["ids"])) == 2 and entry["id"] not in entry["ids"]
    state = smpp_emulator.state
    account = state.account("demo")
    found = [
        state.status(account, i, p).text for i, p in zip(entry["ids"], entry["phones"], strict=True)
    ]
    assert found == ["для двоих", "для двоих"]


def test_bulk_over_http_sums_the_known_cost(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "http.csv"
    source.write_bytes(csv_bytes(ROWS[:3]))
    assert main(["bulk", str(source), "--json", "--url", emulator.url()]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (Decimal(summary["cost"]), summary["cost_unknown_rows"]) == (Decimal("4.20"), 0)
