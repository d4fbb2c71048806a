"""Send one SMS over SMSC's HTTP API, then read its status.

::

    python examples/send_http.py                     # through a local emulator
    SMSC_URL='https://login:password@smsc.ru' SMSC_DEMO_PHONE=79991234567 \\
        python examples/send_http.py                 # through the real SMSC

Without ``SMSC_URL`` an emulator runs in this process (account ``demo``/``demo``) on a
clock moved by hand, so the message is delivered as soon as the script says so.
"""

from __future__ import annotations

from smsc_transports import Message, StatusResult, create_transport
from smsc_transports.emulator.sandbox import smsc_or_emulator


def describe(status: StatusResult) -> str:
    """Return ``DELIVERED (1)``, with the delivery error when there is one."""
    error = f", error {status.error.name}" if status.error else ""
    return f"{status.status.name} ({int(status.status)}){error}"


def main() -> None:
    """Send, print the result, print the status (and, on the emulator, the final one)."""
    with smsc_or_emulator("http") as target, create_transport(target.url) as transport:
        print(f"protocol: {transport.protocol}")
        result = transport.send(Message([target.phone], "Код: 1234"))
        sent = f"sent: id={result.id} parts={result.parts}"
        print(f"{sent} cost={result.cost} balance={result.balance}")
        print(f"status: {describe(transport.status(result.id, target.phone))}")
        if target.clock is not None:
            target.clock.advance(3)  # the emulator's delivery time
            print(f"status 3 s later: {describe(transport.status(result.id, target.phone))}")


if __name__ == "__main__":
    main()
