"""``python -m smsc_transports.emulator``: the ``smsc emulator`` subcommand on its own."""

from __future__ import annotations

import argparse
import logging
import sys

from smsc_transports.emulator.cli import add_parser, run
from smsc_transports.errors import ConfigurationError


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` as the ``emulator`` subcommand's options and run it."""
    parser = argparse.ArgumentParser(prog="python -m smsc_transports.emulator")
    subparsers = parser.add_subparsers(dest="command")
    add_parser(subparsers)
    args = parser.parse_args(["emulator", *(sys.argv[1:] if argv is None else argv)])
    # A program, unlike the library: its front ends' warnings belong on stderr.
    logging.basicConfig(format="emulator: %(levelname)s %(name)s: %(message)s")
    try:
        return run(args)
    except ConfigurationError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
