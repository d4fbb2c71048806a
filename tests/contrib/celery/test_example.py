"""examples/celery_bulk runs as documented and reports no duplicate and no loss."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contrib.celery.redis_server import RedisServer

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "celery_bulk"


@pytest.mark.timeout(400)
def test_the_bulk_example_shares_a_job_between_two_workers(redis_server: RedisServer) -> None:
    # A database of its own on the test Redis: no other test's workers or queues.
    command = [sys.executable, "run_demo.py", "--broker", redis_server.url(db=3),
               "--messages", "2000", "--workers", "2", "--timeout", "300"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("SMSC_URL", "CELERY_BROKER_URL")}
    done = subprocess.run(
        command, cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=360, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "OK: no duplicate, no loss"
    assert "emulator history: 2000 messages, 2000 phones, 0 duplicates, 0 lost, 0 failed" in lines
    # Both workers took chunks: "... with 2 workers (alpha@host: N, beta@host: M)".
    assert "alpha@" in lines[0] and "beta@" in lines[0], lines[0]
