"""SMPP fault soak, the long run: every scenario through both faces, reconciled.

    python bench/smpp_fault_soak.py [--messages 20000] [--scenarios a,b] [--faces sync,async]
                                    [--seed 1] [--quick]

Method. The test suite's fault-injecting SMSC (``tests/backends/smpp/soak_server.py``) plays
each scenario: abrupt closes before an answer (TCP reset) and after one (FIN), half an
answer then a close, a server gone silent, the server unbinding mid-traffic, writes cut
into fragments, throttling bursts, generic_nack answers, unknown commands,
alert_notification, enquire_link, receipts before their submit_sm_resp, receipts of
earlier sessions, unreadable receipts. ``--messages`` tagged messages go through
``send_many`` of ``SmppTransport`` and ``AsyncSmppTransport``; the link faults come
round again every 2,000 messages. Then every outcome and every receipt is held against
the server's ledger: one outcome per message, no false success, no false failure, no
duplicate, every ``OutcomeUnknown`` really unanswered at the fault, every acknowledged
receipt delivered exactly once, nothing written after an unbind_resp. It prints one row
per run (the reconciliation is ``tests/backends/smpp/soak_ledger.py``) and exits 1 if any
run found a problem.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.backends.smpp.faces import FACES
from tests.backends.smpp.soak import SCENARIOS, soak

COLUMNS = (
    ("scenario", 22),
    ("face", 5),
    ("messages", 8),
    ("s", 6),
    ("msg/s", 7),
    ("accepted", 8),
    ("rejected", 8),
    ("unknown", 7),
    ("links", 5),
    ("faults", 6),
    ("rcpt ack", 8),
    ("rcpt out", 8),
    ("redeliv", 7),
    ("bad rcpt", 8),
    ("problems", 8),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--faces", default=",".join(FACES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="2,000 messages per run")
    args = parser.parse_args()
    # The faults make the transports warn at every turn; the table is what matters.
    logging.basicConfig(level=logging.ERROR)
    count = 2_000 if args.quick else args.messages
    rounds = max(1, count // 2_000)
    print(" ".join(f"{name:>{width}}" for name, width in COLUMNS))
    failed = 0
    totals = {"messages": 0, "seconds": 0.0}
    for scenario in args.scenarios.split(","):
        for face in args.faces.split(","):
            seed = args.seed * 1_000_003 + zlib.crc32(f"{scenario}/{face}".encode())
            started = time.monotonic()
            problems, counts = soak(scenario, face, count, seed=seed, rounds=rounds)
            seconds = time.monotonic() - started
            totals["messages"] += count
            totals["seconds"] += seconds
            faults = sum(n for name, n in counts.items() if name.startswith("fault: "))
            row = (
                scenario,
                face,
                count,
                f"{seconds:.1f}",
                f"{count / seconds:.0f}",
                counts["accepted"],
                counts["rejected"],
                counts["unknown"],
                counts["connections"],
                faults,
                counts["receipts acknowledged"],
                counts["receipts delivered"],
                counts["receipts redelivered"],
                counts["unreadable reported"],
                len(problems),
            )
            print(
                " ".join(
                    f"{value!s:>{width}}" for value, (_, width) in zip(row, COLUMNS, strict=True)
                )
            )
            for problem in problems[:10]:
                print(f"    seed {seed}: {problem}")
            failed += bool(problems)
    print(
        f"\n{totals['messages']} messages in {totals['seconds']:.1f} s;"
        f" {failed} run(s) with problems"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
