"""An observer that keeps every event, and one scenario, for the tests of what transports
report."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from smsc_transports import InvalidPhone, Message, Transport
from smsc_transports.observe import (
    Link,
    LinkEvent,
    Load,
    Observer,
    OperationEvent,
    ReceiptEvent,
)


class Recorder(Observer):
    """Keeps every event in the order heard, and the load functions being watched."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.operations: list[OperationEvent] = []
        self.receipts: list[ReceiptEvent] = []
        self.links: list[LinkEvent] = []
        self.watched: list[tuple[str, Callable[[], Load]]] = []
        self.unwatched: list[Callable[[], Load]] = []

    def operation(self, event: OperationEvent) -> None:
        with self.lock:
            self.operations.append(event)

    def receipt(self, event: ReceiptEvent) -> None:
        with self.lock:
            self.receipts.append(event)

    def link(self, event: LinkEvent) -> None:
        with self.lock:
            self.links.append(event)

    def watch(self, protocol: str, load: Callable[[], Load]) -> None:
        self.watched.append((protocol, load))

    def unwatch(self, load: Callable[[], Load]) -> None:
        self.unwatched.append(load)

    def changes(self) -> list[Link]:
        """The link changes heard, in order."""
        with self.lock:
            return [event.change for event in self.links]

    def outcomes(self) -> list[str]:
        """The outcome of every operation, in the order they finished."""
        with self.lock:
            return [event.outcome for event in self.operations]


def exercise(transport: Transport) -> str:
    """Send, be refused, price, ask a status and the balance; return the sent id."""
    sent = transport.send(Message("79990000001", "one"))
    with pytest.raises(InvalidPhone):
        transport.send(Message("79990004007", "refused"))
    transport.cost(Message("79990000001", "price"))
    transport.status(sent.id, "79990000001")
    transport.balance()
    return sent.id


# What exercise() makes the transport report, in order.
EXERCISED = [("send", "ok"), ("send", "InvalidPhone"), ("cost", "ok"), ("status", "ok"),
             ("balance", "ok")]  # fmt: skip
