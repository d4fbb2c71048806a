"""``smsc demo``: one message through a fresh emulator over all four protocols."""

from __future__ import annotations

import json

import pytest

from smsc_transports.cli import main


def test_the_demo_sends_over_every_protocol_and_follows_each_copy_to_delivered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--text", "Привет: код 1234"]) == 0
    out = capsys.readouterr().out
    table = out.split("sent over each protocol", 1)[1].split("status,", 1)[0]
    rows = {line.split()[0]: line.split() for line in table.splitlines()[1:] if line.strip()}
    assert set(rows) == {"protocol", "https", "soap", "smtp", "smpp"}
    assert rows["https"][3] == rows["soap"][3] == "1.40"  # these two report the cost
    assert rows["smtp"][3] == rows["smpp"][3] == "unknown"
    last = out.strip().splitlines()[-3].split()
    assert last[2:] == ["delivered"] * 4
    assert out.strip().endswith("delivered over every protocol")


def test_the_demo_exits_1_when_a_copy_is_not_delivered(capsys: pytest.CaptureFixture[str]) -> None:
    # 79990001006: the emulator's "subscriber offline" number, failed with error 6.
    assert main(["demo", "--to", "79990001006"]) == 1
    assert "not every copy was delivered" in capsys.readouterr().out


def test_the_demo_speaks_json_and_refuses_a_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["sent"]) == {"https", "soap", "smtp", "smpp"}
    assert report["statuses"][-1] == dict.fromkeys(report["sent"], "delivered")
    assert report["delivered"] is True
    assert main(["demo", "--url", "https://login:secret@127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "takes no --url" in err and "secret" not in err
