"""The ``smsc`` command (console script ``smsc_transports.cli:main``).

Rule: the CLI reaches SMSC only through the public interface — ``create_transport``,
:class:`~smsc_transports.transport.Transport` and its
:class:`~smsc_transports.transport.Capability` set — and may start the local emulator
(``smsc emulator``, ``smsc demo``). It never imports ``backends/``: an operation a
protocol lacks is found from ``capabilities`` or from ``UnsupportedOperation``. It is
the only package that prints, and the only one that configures logging (for the time a
subcommand runs).

``app`` builds the parser and runs a subcommand; ``output`` is what every subcommand
shares (a leaf), ``verbosity`` the ``-v``/``-q`` options and the logging they set up;
``account``, ``emulator``, ``completion`` and ``bulk/`` hold the larger subcommands,
``progress`` and ``stop`` the pieces ``bulk`` runs with.
"""

from smsc_transports.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
