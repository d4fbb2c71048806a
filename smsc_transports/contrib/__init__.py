"""Optional integrations with other frameworks.

Each module here imports a framework the core library does not depend on; install the
matching extra first (``pip install "smsc-transports[celery]"`` for
:mod:`smsc_transports.contrib.celery`). Importing this package itself needs nothing.

Rule: an integration uses the library as its users do, through the public interface;
it never imports ``backends/``, ``emulator/``, ``cli/`` or ``callbacks/``.
"""
