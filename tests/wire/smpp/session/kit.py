"""Helpers for driving a sans-I/O :class:`SmppSession` by hand in the tests."""

from __future__ import annotations

from typing import Any

from smsc_transports.message import Message
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.session.link import LinkState, SmppSession
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.session.tickets import Ticket
from smsc_transports.wire.smpp.short_message import ShortMessage, encode_deliver_sm


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(**options: Any) -> tuple[SmppSession, Clock]:
    """A bound session with ``options``."""
    clock = Clock()
    base = SmppOptions(host="h", port=1, login="demo", password="pw", **options)
    session = SmppSession(base, clock=clock)
    bind = session.begin_bind()
    sequence = int.from_bytes(bind[12:16], "big")
    session.feed(w.encode_bind_resp(w.BIND_TRANSCEIVER, 0, sequence, w.BindResponse("SMSC")))
    assert session.state == LinkState.BOUND
    return session, clock


def submits(session: SmppSession) -> list[tuple[int, bytes]]:
    """(sequence, body) of every submit_sm the session writes now."""
    frames = w.FrameSplitter().feed(session.output())
    return [(seq, body) for command, _, seq, body in frames if command == w.SUBMIT_SM]


def answer(session: SmppSession, sequence: int, status: int = 0, message_id: str = "") -> None:
    """Feed the submit_sm_resp an SMSC would send."""
    message_id = message_id or ("" if status else f"id{sequence}")
    session.feed(w.encode_message_id_resp(w.SUBMIT_SM_RESP, status, sequence, message_id))


def queue(session: SmppSession, *messages: Message) -> list[Ticket]:
    """Enqueue messages as tickets, in order."""
    tickets = [Ticket(n, m, session.window.encoder.encode(m)) for n, m in enumerate(messages)]
    for ticket in tickets:
        session.window.enqueue(ticket)
    return tickets


def sms(n: int, phones: str | list[str] = "79990000001") -> Message:
    return Message(phones, f"message {n}")


def deliver(session: SmppSession, sm: ShortMessage, sequence: int = 500) -> list[w.Frame]:
    """Feed a deliver_sm; return what the session answers."""
    session.feed(encode_deliver_sm(sequence, sm))
    return w.FrameSplitter().feed(session.output())
