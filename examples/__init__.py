"""Runnable examples of smsc_transports, each against a local SMSC emulator by default.

The scripts run from anywhere (``python examples/send_http.py``); the web examples are
packages run from the repository's root (``python -m examples.fastapi_app``). Setting
``SMSC_URL`` (and ``SMSC_DEMO_PHONE``) sends through the real SMSC instead. The test
suite runs every one of them (``tests/examples/``).
"""
