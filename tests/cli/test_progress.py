"""Progress: a redrawn bar on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
from pathlib import Path

import pytest

from smsc_transports.cli import main
from smsc_transports.cli.progress import Progress, format_duration
from smsc_transports.emulator import Emulator
from tests.cli.helpers import SMSC, write_csv


class Ticks:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def rows(count: int) -> list[tuple[str, str]]:
    return [(f"79990000{i:03d}", "hi") for i in range(count)]


def test_on_a_terminal_the_bar_is_redrawn_in_place(emulator: Emulator, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "tty.csv", ["phone", "text"], rows(20))
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(SMSC), "bulk", str(source), "--url", emulator.url()],
            stdout=subprocess.PIPE,
            stderr=follower,
            cwd=tmp_path,
        )
        os.close(follower)
        seen = b""
        while True:
            ready, _, _ = select.select([leader], [], [], 30)
            assert ready, "no progress output within 30 s"
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closes when the child exits (EIO on Linux)
                break
            if not chunk:
                break
            seen += chunk
        out, _ = process.communicate(timeout=30)
    finally:
        os.close(leader)
    assert process.returncode == 0
    text = seen.decode()
    assert "\r" in text
    assert "bulk 20/20  [########################] 100%" in text
    assert b"20 rows: 20 accepted" in out


def test_elsewhere_progress_is_plain_lines(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_csv(tmp_path / "log.csv", ["phone", "text"], rows(20))
    assert main(["bulk", str(source), "--url", emulator.url()]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    assert "\x1b" not in err
    assert err.splitlines()[-1].startswith("bulk: 20/20 rows, 20 ok, 0 failed")


def test_plain_lines_are_throttled_but_the_first_and_last_always_show() -> None:
    stream = io.StringIO()
    clock = Ticks()
    progress = Progress(stream, total=100, tty=False, clock=clock)
    for _ in range(99):
        clock.now += 0.01
        progress.advance(ok=True)
    clock.now += 0.01
    progress.advance(ok=False)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "bulk: 1/100 rows, 1 ok, 0 failed, 100.0 rows/s"  # one row: no ETA yet
    assert lines[-1] == "bulk: 100/100 rows, 99 ok, 1 failed, 100.0 rows/s"
    assert len(lines) == 2  # one second in all: under the five-second throttle


def test_the_bar_shows_rate_eta_and_failures() -> None:
    stream = io.StringIO()
    clock = Ticks()
    progress = Progress(stream, total=10, tty=True, clock=clock)
    clock.now = 2.0
    progress.advance(ok=True)
    progress.advance(ok=False)  # within 0.1 s of the last draw: not drawn
    bar = "[##......................]"
    assert stream.getvalue() == f"\rbulk 1/10  {bar} 10%  0.5/s\x1b[K"
    clock.now = 4.0  # 2 s after the first row, 1 row more since it: 8 left at 0.5 a second
    progress.finish()
    assert stream.getvalue().endswith("20%  0.5/s  ETA 0:00:16  1 failed\x1b[K\n")


def test_the_first_row_after_a_slow_start_promises_no_time_left() -> None:
    # Issue 13: connecting took 20 s, so one row in 20 s made 99 999 rows "take" 23 days.
    stream = io.StringIO()
    clock = Ticks()
    progress = Progress(stream, total=100_000, tty=False, clock=clock)
    clock.now = 20.0
    progress.advance(ok=True)
    assert stream.getvalue() == "bulk: 1/100000 rows, 1 ok, 0 failed, 0.1 rows/s\n"
    assert progress.seconds_left() is None


def test_the_time_left_counts_from_the_first_row_not_the_start() -> None:
    stream = io.StringIO()
    clock = Ticks()
    progress = Progress(stream, total=1001, tty=False, clock=clock)
    clock.now = 20.0  # a slow connect
    progress.advance(ok=True)
    for _ in range(100):  # then 100 rows a second
        clock.now += 0.01
        progress.advance(ok=True)
    assert progress.seconds_left() == pytest.approx(9.0)  # 900 rows left at 100 a second
    clock.now = 25.0
    progress.advance(ok=True)  # the five-second throttle lets a line through
    # 101 rows in the 5 s since the first: 899 left at 20.2 a second.
    assert stream.getvalue().splitlines()[-1].endswith(", ETA 0:00:45")


def test_no_time_left_before_rows_have_come_for_a_second() -> None:
    clock = Ticks()
    progress = Progress(io.StringIO(), total=1000, tty=False, clock=clock)
    progress.advance(ok=True)
    for _ in range(500):  # a burst: a batching transport answers a block at once
        progress.advance(ok=True)
    assert progress.seconds_left() is None
    clock.now = 1.0
    progress.advance(ok=True)
    assert progress.seconds_left() == pytest.approx(498 / 501)


def test_a_note_clears_the_bar_first() -> None:
    stream = io.StringIO()
    progress = Progress(stream, total=None, tty=True, clock=Ticks())
    progress.advance(ok=True)
    progress.note("smsc: something happened")
    assert stream.getvalue().endswith("\r\x1b[Ksmsc: something happened\n")


def test_more_rows_than_estimated_drop_the_total() -> None:
    stream = io.StringIO()
    progress = Progress(stream, total=1, tty=False, clock=Ticks())
    progress.advance(ok=True)
    progress.advance(ok=True)
    progress.finish()
    assert stream.getvalue().splitlines()[-1] == "bulk: 2 rows, 2 ok, 0 failed"


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00:00"), (59.6, "0:01:00"), (3723, "1:02:03")]
)
def test_durations(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown
