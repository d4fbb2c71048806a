"""The package logs like a library: silent until the application configures logging."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import smsc_transports


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# An SMPP transport to a closed port logs a warning for the failed connect, then the
# send raises ConnectError: a real warning from a real failure.
FAILING_SEND = """
import sys
{setup}
from smsc_transports import ConnectError, Message, create_transport
url = "smpp://demo:demo@127.0.0.1:{port}?reconnect_attempts=1&timeout=5"
with create_transport(url) as transport:
    try:
        transport.send(Message("79990000001", "hi"))
    except ConnectError:
        print("ConnectError")
"""


def run_failing_send(setup: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSC_")}
    return subprocess.run(
        [sys.executable, "-c", FAILING_SEND.format(setup=setup, port=closed_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_the_package_logger_has_a_null_handler() -> None:
    handlers = logging.getLogger(smsc_transports.__name__).handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)


def test_without_logging_configured_the_library_prints_nothing() -> None:
    # Before the NullHandler, logging's last resort printed the connect warning on stderr.
    done = run_failing_send(setup="")
    assert done.stdout.strip() == "ConnectError"
    assert done.stderr == ""


def test_an_application_that_configures_logging_sees_the_warnings() -> None:
    done = run_failing_send(setup="import logging; logging.basicConfig()")
    assert done.stdout.strip() == "ConnectError"
    assert "WARNING:smsc_transports.backends.smpp:SMPP connect to 127.0.0.1 failed" in done.stderr
