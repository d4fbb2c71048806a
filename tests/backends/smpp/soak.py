"""The SMPP fault soak: its scenarios, and one run of a scenario through one face.

:func:`soak` starts a :class:`~tests.backends.smpp.soak_server.SoakServer` with a
scenario's plan, sends tagged messages through ``SmppTransport`` or
``AsyncSmppTransport`` (:func:`~tests.backends.smpp.faces.run_face`), lingers until
the receipts owed are delivered, and reconciles everything with the server's ledger
(:func:`~tests.backends.smpp.soak_ledger.reconcile`). ``tests/backends/smpp/test_soak.py``
runs each scenario with a few thousand messages, ``bench/smpp_fault_soak.py`` with many.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Final

from smsc_transports import Message
from tests.backends.smpp.conftest import smpp_url
from tests.backends.smpp.faces import run_face
from tests.backends.smpp.soak_ledger import reconcile
from tests.backends.smpp.soak_server import (
    LINK_FAULTS,
    PHONES,
    REFUSED_PHONE,
    Plan,
    SoakServer,
)

SCENARIOS: Final = {
    "link faults": Plan(
        "link faults", link_faults=LINK_FAULTS, fault_after=(60, 300), split=0.2, early=0.1
    ),
    "throttling and nacks": Plan(
        "throttling and nacks", throttle=0.004, burst=(2, 7), nack=0.01, split=0.1
    ),
    "noise": Plan(
        "noise",
        split=0.5,
        unknown_commands=0.02,
        enquire=0.02,
        old_receipts=0.02,
        malformed=0.01,
    ),
    "early receipts": Plan(
        "early receipts",
        link_faults=("reset", "unbind", "reset"),
        fault_after=(300, 600),
        early=0.5,
    ),
    "everything": Plan(
        "everything",
        link_faults=LINK_FAULTS,
        fault_after=(100, 400),
        split=0.3,
        throttle=0.003,
        nack=0.005,
        early=0.3,
        old_receipts=0.01,
        unknown_commands=0.01,
        enquire=0.01,
        malformed=0.005,
    ),
}
"""The soak's scenarios; each runs through both faces."""

EXERCISED: Final = {
    "link faults": {f"fault: {fault}" for fault in LINK_FAULTS} | {"unknown", "split writes"},
    "throttling and nacks": {"throttling bursts", "generic_nack answers", "rejected"},
    "noise": {
        "unknown commands",
        "enquire_link from the server",
        "receipts of earlier sessions",
        "unreadable reported",
        "split writes",
    },
    "early receipts": {"receipts before their answer", "fault: reset", "fault: unbind"},
    "everything": {f"fault: {fault}" for fault in LINK_FAULTS}
    | {"receipts before their answer", "throttling bursts", "unreadable reported"},
}
"""What each scenario must have shown, or its run proves nothing."""

CLIENT_OPTIONS: Final = {
    # A silent server is noticed after response_timeout: short enough to keep runs
    # short, long enough that a busy machine never makes a working link look silent
    # (that would race the answers in flight). A quick back-off (the conftest's), and a
    # small window so that faults land inside it.
    "window": "32",
    "response_timeout": "2",
    "enquire_link_interval": "0.5",
    "throttle_delay": "0.01",
    "reconnect_attempts": "20",
}


def soak(
    scenario: str, face: str, count: int, *, seed: int, rounds: int = 1, binds: int = 1
) -> tuple[list[str], Counter[str]]:
    """Run ``count`` tagged messages of ``scenario`` through ``face``; reconcile them.

    Link faults come ``rounds`` times over (each connection, whichever bind it is, takes
    the next fault). Returns the problems (none is a pass) and the counts of what happened.
    """
    plan = replace(SCENARIOS[scenario], rounds=rounds)
    sent = messages(f"{scenario}/{face}", count)
    with SoakServer(plan, seed=seed) as server:
        run = run_face(
            face,
            smpp_url(server.port, **CLIENT_OPTIONS, binds=str(binds)),
            sent,
            linger=lambda _: server.settled(),
            linger_timeout=10,
        )
    problems, counts = reconcile(run, sent, server.ledger)
    missing = sorted(name for name in EXERCISED[scenario] if not counts[name])
    if missing:
        problems.append(f"the scenario never showed {missing}")
    return problems, counts


def messages(tag: str, count: int) -> list[Message]:
    """``count`` messages with unique texts; every 97th to the number the server refuses."""
    return [
        Message(REFUSED_PHONE if n % 97 == 96 else PHONES[n % len(PHONES)], f"{tag} {n:06d}")
        for n in range(count)
    ]
