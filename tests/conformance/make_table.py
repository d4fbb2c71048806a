"""Write ``docs/conformance.md`` from a fresh run of the conformance scenarios.

    python tests/conformance/make_table.py

The same as ``SMSC_WRITE_CONFORMANCE=1 pytest tests/conformance``, without pytest: it
plays every scenario over every protocol (sync mode, which the table shows) and writes
the page. Prints the table.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def main() -> int:
    """Play the scenarios, write the page, print the table."""
    # The bad-credentials scenario makes the SMPP backend log its refused bind.
    logging.basicConfig(level=logging.CRITICAL)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.conformance.table import PAGE, Observations, render_page, render_table

    observations = Observations()
    PAGE.write_text(render_page(observations), encoding="utf-8")
    sys.stdout.write(render_table(observations) + "\n")
    sys.stdout.write(f"written: {PAGE}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
