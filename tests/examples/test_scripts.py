"""The protocol scripts in examples/ run as documented: send, print the result and status."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from smsc_transports import MessageStatus
from smsc_transports.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RUN_LIMIT = 120  # seconds; a hung script fails the test instead of the whole run


def run_example(
    script: str, *arguments: str, **environment: str
) -> subprocess.CompletedProcess[str]:
    """Run ``examples/SCRIPT`` with this interpreter, without the caller's SMSC settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSC_")}
    env.update(environment)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
        check=False,
    )


@pytest.mark.parametrize(
    ("script", "protocol"),
    [
        ("send_http.py", "https"),
        ("send_smtp.py", "smtp"),
        ("send_soap.py", "soap"),
        ("send_smpp.py", "smpp"),
    ],
)
def test_each_protocol_script_sends_through_its_own_emulator_until_delivered(
    script: str, protocol: str
) -> None:
    done = run_example(script)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"protocol: {protocol}"
    assert re.fullmatch(r"sent: id=\S+ parts=1\b.*", lines[1]), lines[1]
    # Right after sending the message is on its way, and then the emulator delivers it.
    assert re.fullmatch(r"status: (WAITING \(-1\)|TRANSFERRED \(0\))", lines[2]), lines[2]
    assert lines[-1].endswith(": DELIVERED (1)"), lines[-1]


def test_the_http_script_prints_the_cost_and_balance_smsc_reports() -> None:
    done = run_example("send_http.py")
    assert "sent: id=1 parts=1 cost=1.40 balance=98.60" in done.stdout.splitlines()


def test_the_smpp_script_waits_for_the_delivery_receipt() -> None:
    done = run_example("send_smpp.py")
    assert "receipt: DELIVERED (1)" in done.stdout.splitlines(), done.stdout + done.stderr


def test_with_smsc_url_a_script_sends_there_instead(shared_emulator: Emulator) -> None:
    done = run_example(
        "send_http.py", SMSC_URL=shared_emulator.url(), SMSC_DEMO_PHONE="79990000123"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    message_id = re.search(r"^sent: id=(\S+)", done.stdout, re.MULTILINE)
    assert message_id is not None, done.stdout
    account = shared_emulator.state.authenticate("demo", "demo")
    record = shared_emulator.state.status(account, message_id[1], "79990000123", throttled=False)
    assert record.status != MessageStatus.NOT_FOUND
    # Real time is not the script's to move: no "3 s later" line for a real SMSC.
    assert "later" not in done.stdout


@pytest.mark.parametrize("script", ["send_http.py", "send_smpp.py", "smpp_bulk_async.py"])
def test_with_smsc_url_but_no_phone_a_script_refuses_to_guess_one(script: str) -> None:
    done = run_example(script, SMSC_URL="https://login:password@smsc.example")
    assert done.returncode != 0
    assert "SMSC_" in done.stderr and "PHONE" in done.stderr
    assert done.stdout == ""


def test_the_async_bulk_script_sends_a_thousand_and_gets_a_receipt_for_each_accepted() -> None:
    done = run_example("smpp_bulk_async.py")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(
        r"sent 1000 messages in [\d.]+ s \(\d+/s\): 990 accepted, 10 refused", lines[0]
    ), lines[0]
    assert "  refused: InvalidPhone x 10" in lines
    assert "receipts: 990 of 990" in lines
    assert "  DELIVERED: 900" in lines
    assert "  UNABLE_TO_DELIVER: 90" in lines


def test_the_async_bulk_script_takes_a_count() -> None:
    done = run_example("smpp_bulk_async.py", "--count", "50")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "receipts: 50 of 50" in done.stdout.splitlines()


def test_the_async_bulk_script_refuses_a_protocol_that_pushes_no_receipts() -> None:
    done = run_example(
        "smpp_bulk_async.py", SMSC_URL="https://login:password@smsc.example", SMSC_BULK_PHONES="1"
    )
    assert done.returncode != 0
    assert "smpp://" in done.stderr
    assert done.stdout == ""
