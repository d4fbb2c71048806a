"""``smsc bulk --dry-run`` prices rows in batches (``cost_many``), not one request per row."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from smsc_transports.cli import main
from smsc_transports.emulator import Emulator
from smsc_transports.emulator.state.records import SendOutcome, SendRequest
from tests.cli.helpers import history_phones, read_results, write_csv


def test_a_dry_run_of_60_different_rows_asks_smsc_a_handful_of_times(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The emulator's own pricing is observed (and left to answer): how many requests.
    priced: list[int] = []
    real_cost = emulator.state.cost

    def counting(account: object, request: SendRequest) -> SendOutcome:
        priced.append(len(request.pairs) or len(request.phones))
        return real_cost(account, request)  # type: ignore[arg-type]

    monkeypatch.setattr(emulator.state, "cost", counting)
    rows = [(f"79990000{i:03d}", f"text number {i}") for i in range(60)]
    rows.append(("79990004007", "refused number"))
    source = write_csv(tmp_path / "many.csv", ["phone", "text"], rows)

    code = main(["bulk", str(source), "--dry-run", "--json", "--url", emulator.url()])

    assert code == 1  # the refused number could not be priced
    assert sum(priced) == 61
    assert len(priced) <= 2  # one list= request per batch of 100 recipients
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows"], summary["priced"], summary["failed"]) == (61, 60, 1)
    assert Decimal(summary["cost"]) == Decimal("1.40") * 60
    results = read_results(tmp_path / "many.csv.results.csv")
    assert results[-1]["error"].startswith("InvalidPhone")
    assert history_phones(emulator) == {}


def test_equal_rows_are_priced_once_so_smsc_never_answers_error_9(
    emulator: Emulator, tmp_path: Path
) -> None:
    rows = [("79990000001", "the same")] * 12
    source = write_csv(tmp_path / "same.csv", ["phone", "text"], rows)
    assert main(["bulk", str(source), "--dry-run", "--url", emulator.url()]) == 0
    assert {r["cost"] for r in read_results(tmp_path / "same.csv.results.csv")} == {"1.40"}
