"""``-v``/``-q`` on every ``smsc`` subcommand, and the logging they turn on while it runs.

The library only logs: its package logger holds a ``NullHandler``, so nothing shows
unless the application configures logging. The ``smsc`` command is such an
application. A failure is one line (``smsc: …``) that the command prints itself, so by
default no log record shows: the library's warnings and errors are the detail of that
line. While a subcommand runs, ``-v`` shows warnings and INFO records (connections,
binds, retries) on stderr, ``-vv`` DEBUG records too; ``-q`` keeps the default. Only the
package's own loggers go below WARNING: third-party debug logs (zeep's, urllib3's)
print whole requests, passwords included, where the package's own mask them. When the
subcommand returns, logging is as it was (``main`` may be called from a program).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["PACKAGE_LOGGER", "add_verbosity_options", "cli_logging", "log_level", "with_logging"]

PACKAGE_LOGGER = "smsc_transports"

Handler = Callable[[argparse.Namespace], int]


def add_verbosity_options(parser: argparse.ArgumentParser) -> None:
    """Add ``-v/--verbose`` (repeatable) and ``-q/--quiet`` to ``parser``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="show the detail on stderr: -v warnings, connections and retries, "
        "-vv every request (secrets masked)",
    )
    group.add_argument(
        "-q", "--quiet", action="store_true", help="no detail on stderr (the default)"
    )


QUIET = logging.CRITICAL + 10
"""Above every level the library logs at: nothing shows."""


def log_level(verbose: int, quiet: bool) -> int:
    """Return the lowest level shown: none by default or quiet, INFO (``-v``), DEBUG (``-vv``)."""
    if verbose >= 2 and not quiet:
        return logging.DEBUG
    if verbose == 1 and not quiet:
        return logging.INFO
    return QUIET


class _StderrHandler(logging.Handler):
    """Writes each record to ``sys.stderr`` as it is at that moment (tests replace it)."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.addFilter(self._shown)
        self.setFormatter(_CliFormatter(detailed=level < logging.WARNING))

    def _shown(self, record: logging.LogRecord) -> bool:
        ours = record.name == PACKAGE_LOGGER or record.name.startswith(PACKAGE_LOGGER + ".")
        return ours or record.levelno >= max(self.level, logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


class _CliFormatter(logging.Formatter):
    """``smsc: warning: …`` by default; time, level and logger name when verbose."""

    def __init__(self, *, detailed: bool) -> None:
        super().__init__(datefmt="%H:%M:%S")
        self.detailed = detailed

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  # logging's name
        level = record.levelname.lower()
        if not self.detailed:
            return f"smsc: {level}: {record.message}"
        stamp = self.formatTime(record, self.datefmt)
        return f"{stamp} {level} {record.name}: {record.message}"


@contextmanager
def cli_logging(verbose: int = 0, quiet: bool = False) -> Iterator[None]:
    """Within the block, show log records on stderr at the level ``-v``/``-q`` ask for."""
    level = log_level(verbose, quiet)
    root = logging.getLogger()
    package = logging.getLogger(PACKAGE_LOGGER)
    handler = _StderrHandler(level)
    previous = package.level
    package.setLevel(level)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        package.setLevel(previous)


def with_logging(handler: Handler) -> Handler:
    """Return ``handler`` running inside :func:`cli_logging` at its arguments' verbosity."""

    def run(args: argparse.Namespace) -> int:
        with cli_logging(getattr(args, "verbose", 0), getattr(args, "quiet", False)):
            return handler(args)

    return run
