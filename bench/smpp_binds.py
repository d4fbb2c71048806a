"""SMPP binds against an SMSC that caps each bind: 1, 2, 4 and 8 binds, side by side, reconciled.

    python bench/smpp_binds.py [--cap 500] [--binds 1,2,4,8] [--seconds 4]
                               [--faces sync,async] [--rates cap,none] [--quick]

Method. The sink is the fault soak's SMSC (``tests/backends/smpp/soak_server.py``) with
no fault planned and a cap per connection, as a real SMSC caps each bind: a token bucket
of ``--cap`` submits a second (a tenth of a second deep); a submit beyond it is answered
``ESME_RTHROTTLED``. Every accepted message gets a delivery receipt, pushed on whichever
bind reads next. The sink runs in its own process (2 cores: one for it, one for the
client). For each number of binds N the client sends ``--cap`` × N × ``--seconds``
tagged messages with ``send_many`` (``smpp://…?binds=N&window=64``) after binding, and
the time runs from the first message to the last outcome. Two client settings:

* ``cap``: ``rate=--cap`` per bind, the client's own token bucket, as ``docs/smpp.md``
  advises when the SMSC's limit is known;
* ``none``: no client rate; the client learns the limit from ``ESME_RTHROTTLED`` alone
  (pause, halved window, resubmit; ``RateLimited`` after ``throttle_retries``).

Then every outcome and every receipt is reconciled with the sink's ledger as in the
fault soak (``tests/backends/smpp/soak_ledger.py``): one outcome per message, no false
success or failure, no message received twice except after a throttling refusal,
every acknowledged receipt delivered exactly once. The table prints the aggregate rate
beside the ideal (N × cap) and beside one bind. It exits 1 if any run found a problem.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.backends.smpp.conftest import smpp_url
from tests.backends.smpp.faces import run_face
from tests.backends.smpp.soak import messages
from tests.backends.smpp.soak_ledger import reconcile
from tests.backends.smpp.soak_server import Plan, SoakServer

COLUMNS = (
    ("face", 5),
    ("rate", 5),
    ("binds", 5),
    ("messages", 8),
    ("s", 6),
    ("msg/s", 7),
    ("ideal", 6),
    ("of ideal", 8),
    ("× 1 bind", 8),
    ("CPU µs", 7),
    ("throttled", 9),
    ("accepted", 8),
    ("rejected", 8),
    ("rate lim", 8),
    ("unknown", 7),
    ("receipts", 8),
    ("problems", 8),
)


def sink(cap: float, seed: int, pipe: Connection) -> None:
    """The capped SMSC, in its own process: answers ``settled`` and ``ledger`` requests."""
    logging.basicConfig(level=logging.ERROR)
    with SoakServer(Plan("capped", cap=cap), seed=seed) as server:
        pipe.send(server.port)
        while True:
            request = pipe.recv()
            if request == "settled":
                pipe.send(server.settled())
            else:
                with server.lock:
                    pipe.send(server.ledger)
                return


@dataclass
class Result:
    """One run: its timing, the sink's counts, and the reconciliation's problems."""

    seconds: float
    count: int
    cpu: float
    counts: Counter[str]
    problems: list[str]


def run(face: str, binds: int, cap: float, rate: str, seconds: float) -> Result:
    """N binds through ``face`` against a fresh capped sink, reconciled."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=sink, args=(cap, binds, theirs), daemon=True)
    process.start()
    try:
        port = ours.recv()
        count = int(cap * binds * seconds)
        sent = messages(f"{face}/{rate}/{binds}", count)
        options = {
            "binds": str(binds),
            "window": "64",
            "response_timeout": "10",
            "rate": str(cap) if rate == "cap" else "0",
        }

        def settled(_: object) -> bool:
            ours.send("settled")
            return bool(ours.recv())

        result = run_face(
            face, smpp_url(port, **options), sent, linger=settled, linger_timeout=30, connect=True
        )
        ours.send("ledger")
        ledger = ours.recv()
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
    problems, counts = reconcile(result, sent, ledger)
    return Result(result.seconds, count, result.cpu, counts, problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cap", type=float, default=500.0, help="submits a second per bind")
    parser.add_argument("--binds", default="1,2,4,8")
    parser.add_argument("--seconds", type=float, default=4.0, help="of traffic at the ideal rate")
    parser.add_argument("--faces", default="sync,async")
    parser.add_argument("--rates", default="cap,none")
    parser.add_argument("--quick", action="store_true", help="1 s of traffic per run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    seconds = 1.0 if args.quick else args.seconds
    print(" ".join(f"{name:>{width}}" for name, width in COLUMNS))
    failed = 0
    for face in args.faces.split(","):
        for rate in args.rates.split(","):
            single = 0.0
            for binds in (int(n) for n in args.binds.split(",")):
                result = run(face, binds, args.cap, rate, seconds)
                counts = result.counts
                speed = result.count / result.seconds
                if binds == 1:
                    single = speed
                ideal = args.cap * binds
                row = (
                    face,
                    rate,
                    binds,
                    result.count,
                    f"{result.seconds:.2f}",
                    f"{speed:.0f}",
                    f"{ideal:.0f}",
                    f"{speed / ideal:.0%}",
                    f"{speed / single:.2f}" if single else "-",
                    f"{result.cpu / result.count * 1e6:.0f}",
                    counts["over the cap"],
                    counts["accepted"],
                    counts["rejected"],
                    counts["rate limited"],
                    counts["unknown"],
                    counts["receipts delivered"],
                    len(result.problems),
                )
                print(" ".join(f"{v!s:>{w}}" for v, (_, w) in zip(row, COLUMNS, strict=True)))
                for problem in result.problems[:10]:
                    print(f"    {problem}")
                failed += bool(result.problems)
    print(f"\n{failed} run(s) with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
