"""Send one SMS over SMPP, wait for its delivery receipt, and read its status.

::

    python examples/send_smpp.py                     # through a local emulator
    SMSC_URL='smpp://login:password@smpp.smsc.ru' SMSC_DEMO_PHONE=79991234567 \\
        python examples/send_smpp.py                 # through the real SMSC

SMPP binds once and keeps the connection; ``submit_sm_resp`` brings the message id and
SMSC pushes a delivery receipt (``deliver_sm``) when the status becomes final.
``status()`` answers from the receipts seen, else asks with ``query_sm``.
"""

from __future__ import annotations

from smsc_transports import Message, StatusResult, create_transport
from smsc_transports.backends.smpp import SmppTransport
from smsc_transports.emulator.sandbox import smsc_or_emulator

RECEIPT_WAIT = 60.0  # seconds to wait for the receipt; SMSC's can take longer


def describe(status: StatusResult) -> str:
    """Return ``DELIVERED (1)``, with the delivery error when there is one."""
    error = f", error {status.error.name}" if status.error else ""
    return f"{status.status.name} ({int(status.status)}){error}"


def main() -> None:
    """Send, print the result and the status, then wait for the receipt."""
    with smsc_or_emulator("smpp") as target, create_transport(target.url) as transport:
        print(f"protocol: {transport.protocol}")
        result = transport.send(Message([target.phone], "Код: 1234"))
        # SMPP reports no cost and no balance: both are None.
        print(f"sent: id={result.id} parts={result.parts}")
        print(f"status: {describe(transport.status(result.id, target.phone))}")
        if not isinstance(transport, SmppTransport):
            return  # SMSC_URL named another protocol: no receipts to wait for
        if target.clock is not None:
            target.clock.advance(3)  # the emulator's delivery time
        for receipt in transport.receipts(timeout=RECEIPT_WAIT):
            if receipt.id == result.id:
                print(f"receipt: {describe(receipt)}")
                break
        else:
            print(f"receipt: none within {RECEIPT_WAIT:.0f} s")
        print(f"status now: {describe(transport.status(result.id, target.phone))}")


if __name__ == "__main__":
    main()
