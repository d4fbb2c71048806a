"""Optional integrations with other frameworks.

Each module here imports a framework the core library does not depend on; install the
matching extra first (``pip install "smsc-transports[celery]"`` for
:mod:`smsc_transports.contrib.celery`). Importing this package itself needs nothing.
"""
