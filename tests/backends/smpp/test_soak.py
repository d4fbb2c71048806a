"""The SMPP fault soak: thousands of tagged messages per scenario through both faces.

Each scenario of :data:`~tests.backends.smpp.soak.SCENARIOS` runs a
:class:`~tests.backends.smpp.soak.SoakServer` and sends ``COUNT`` messages with
``send_many`` through ``SmppTransport`` and ``AsyncSmppTransport``;
:func:`~tests.backends.smpp.soak.reconcile` then checks every outcome and every
receipt against the server's ledger (the rules are in that module's docstring), and
each scenario must have shown the faults it is about. The run must leave no thread or
file descriptor behind and never hang (the timeout is the guard).
``bench/smpp_fault_soak.py`` runs the same scenarios longer and prints the figures.
"""

from __future__ import annotations

import os
import threading
import zlib

import pytest

from tests.backends.smpp.conftest import eventually
from tests.backends.smpp.faces import FACES
from tests.backends.smpp.soak import SCENARIOS, soak

COUNT = 2000


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.timeout(90)
@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_message_and_every_acknowledged_receipt_is_accounted_for(
    scenario: str, face: str
) -> None:
    threads, descriptors = threading.active_count(), open_descriptors()
    seed = zlib.crc32(f"{scenario}/{face}".encode())
    problems, counts = soak(scenario, face, COUNT, seed=seed)
    assert problems == [], f"seed {seed}: {len(problems)} problems, e.g. {problems[:5]}; {counts}"
    assert counts["accepted"] + counts["rejected"] + counts["unknown"] == COUNT
    assert counts["accepted"] > COUNT // 2
    assert counts["receipts delivered"] >= counts["receipts acknowledged"] > 0
    assert eventually(lambda: threading.active_count() <= threads), "a thread was left behind"
    assert eventually(lambda: open_descriptors() <= descriptors), "a descriptor leaked"
