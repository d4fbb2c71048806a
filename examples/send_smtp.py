"""Send one SMS as an e-mail to SMSC's gateway, then read its status over HTTP.

::

    python examples/send_smtp.py                     # through a local emulator
    SMSC_URL='smtp://login:password@send.smsc.ru?status_via=https://smsc.ru' \\
        SMSC_DEMO_PHONE=79991234567 python examples/send_smtp.py

SMTP only carries the message: SMSC's answer is the mail server's "250", so the
backend gives the message an id of its own. The status is asked over SMSC's HTTP API
under that id, through the companion URL in ``status_via``; without one the script
says the status cannot be had over SMTP.
"""

from __future__ import annotations

from smsc_transports import Capability, Message, StatusResult, create_transport
from smsc_transports.emulator.sandbox import smsc_or_emulator


def describe(status: StatusResult) -> str:
    """Return ``DELIVERED (1)``, with the delivery error when there is one."""
    error = f", error {status.error.name}" if status.error else ""
    return f"{status.status.name} ({int(status.status)}){error}"


def main() -> None:
    """Send, print the result, print the status (and, on the emulator, the final one)."""
    with smsc_or_emulator("smtp") as target, create_transport(target.url) as transport:
        print(f"protocol: {transport.protocol}")
        result = transport.send(Message([target.phone], "Код: 1234"))
        # SMTP reports no cost and no balance: both are None.
        print(f"sent: id={result.id} parts={result.parts} reply={result.raw!r}")
        if Capability.STATUS not in transport.capabilities:
            print("status: not available over SMTP without status_via")
            return
        print(f"status: {describe(transport.status(result.id, target.phone))}")
        if target.clock is not None:
            target.clock.advance(3)  # the emulator's delivery time
            print(f"status 3 s later: {describe(transport.status(result.id, target.phone))}")


if __name__ == "__main__":
    main()
