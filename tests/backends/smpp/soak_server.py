"""The fault soak's SMSC: SMPP 3.4 on loopback, misbehaving on purpose, keeping a ledger.

:class:`SoakServer` speaks the SMSC side and, by a :class:`Plan`, ends connections
abruptly before an answer (TCP reset) or after one (FIN), sends half an answer and
closes, goes silent (never answers again), unbinds mid-traffic, cuts its writes into
fragments, throttles in bursts, answers some submits with generic_nack, sends unknown
commands, alert_notification and enquire_link, receipts before their submit_sm_resp,
receipts of messages from earlier sessions, and receipts nobody can read. Every message
carries a unique tag (its text); the :class:`~tests.backends.smpp.soak_ledger.Ledger`
records what the server received, how it answered, every receipt it delivered and how
the client acknowledged it.

Answers are never lost by the server itself: before a reset it waits until the client's
kernel has acknowledged every byte written (``TIOCOUTQ``), and after a FIN it keeps
reading until the client closes, so what the ledger calls answered did reach the client.
"""

from __future__ import annotations

import contextlib
import fcntl
import random
import select
import socket
import struct
import termios
import threading
import time
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

from smsc_transports.emulator.state.rate_limits import TokenBucket
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.incoming import incoming_part
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_PAYLOAD,
    TAG_MESSAGE_STATE,
    TAG_RECEIPTED_MESSAGE_ID,
    ShortMessage,
    decode_short_message,
    encode_deliver_sm,
)
from tests.backends.smpp.soak_ledger import (
    ACCEPTED,
    NACKED,
    REFUSED,
    THROTTLED,
    Delivery,
    Ledger,
    Reception,
)
from tests.faults import AcceptLoop

LINK_FAULTS: Final = ("reset", "close_after_answer", "half_answer", "silence", "unbind")
PHONES: Final = ("79990000001", "79990000002", "79990000003")
REFUSED_PHONE: Final = "79990004007"
_LINGER_RESET: Final = struct.pack("ii", 1, 0)
_UNKNOWN_COMMAND: Final = 0x00000099
_NACK_STATUS: Final = w.ESME_RSYSERR


@dataclass(frozen=True)
class Plan:
    """What the server does to one scenario's traffic (probabilities are per submit).

    ``link_faults`` are taken in turn, one per connection, each after a number of
    submits drawn from ``fault_after``, ``rounds`` times over; a connection past that
    gets none. ``cap`` is a rate per connection, as an SMSC caps each bind: submits
    beyond it (a token bucket of a tenth of a second) are answered ESME_RTHROTTLED.
    """

    name: str
    link_faults: tuple[str, ...] = ()
    rounds: int = 1
    fault_after: tuple[int, int] = (150, 400)
    split: float = 0.0
    throttle: float = 0.0
    burst: tuple[int, int] = (3, 12)
    nack: float = 0.0
    early: float = 0.0
    receipts: float = 1.0
    old_receipts: float = 0.0
    unknown_commands: float = 0.0
    enquire: float = 0.0
    malformed: float = 0.0
    cap: float = 0.0


class SoakServer:
    """A misbehaving SMSC on 127.0.0.1 (see the module docstring); a context manager."""

    def __init__(self, plan: Plan, seed: int = 0) -> None:
        self.plan = plan
        self.random = random.Random(seed)
        self.ledger = Ledger()
        self.lock = threading.Lock()
        self.pending: deque[Delivery] = deque()
        self.live: set[_Connection] = set()
        self._next_id = 0
        self._old = 0
        self._loop = AcceptLoop(self._accepted)
        self.port: int = self._loop.port
        self.stopping = self._loop.stopping

    def __enter__(self) -> Self:
        self._loop.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        alive = self._loop.stop(timeout=10)
        assert not alive, f"soak server threads still running: {alive}"

    def settled(self) -> bool:
        """Whether every receipt owed was delivered and every delivery answered."""
        with self.lock:
            return not self.pending and not any(c.awaiting() for c in self.live)

    def _accepted(self, sock: socket.socket) -> None:
        with self.lock:
            number = self.ledger.connections
            self.ledger.connections += 1
            faults = self.plan.link_faults
            fault = (
                faults[number % len(faults)] if number < len(faults) * self.plan.rounds else None
            )
            trigger = self.random.randint(*self.plan.fault_after)
            connection = _Connection(self, sock, number, fault, trigger, self.random.random())
            self.live.add(connection)
        self._loop.spawn(connection.run)

    def next_id(self) -> str:
        """A fresh message id: decimal and sequential, so other-base readings collide."""
        self._next_id += 1
        return str(self._next_id)

    def old_receipt(self) -> Delivery:
        """A receipt of a message sent before this client existed."""
        self._old += 1
        rid = str(900_000_000 + self._old)
        delivery = Delivery(rid, self.random.choice(PHONES))
        self.ledger.deliveries[rid] = delivery
        return delivery


class _Connection:
    """The server's side of one connection; all ledger updates hold the server's lock."""

    def __init__(
        self,
        server: SoakServer,
        sock: socket.socket,
        number: int,
        fault: str | None,
        trigger: int,
        seed: float,
    ) -> None:
        self.server = server
        self.plan = server.plan
        self.ledger = server.ledger
        self.random = random.Random(seed)
        self.sock = sock
        self.number = number
        self.fault = fault
        self.trigger = trigger
        self.splitter = w.FrameSplitter()
        self.mode = "normal"  # normal, silent, unbinding, closing
        self.bound = False
        self.unbind_resp_seen = False
        self.reset = False
        self.submits = 0
        self.burst = 0
        self.sequence = 0
        self.out = bytearray()
        self.requests: dict[int, tuple[str, Delivery | None]] = {}
        self.staged: list[Delivery] = []
        self.closing_deadline = 0.0
        self.ended_by_server = False  # the server ended it gracefully: all must be answered
        self.cap = TokenBucket(self.plan.cap)

    def awaiting(self) -> bool:
        """Whether a deliver_sm of this connection waits for its answer."""
        return not self.reset and any(kind == "deliver" for kind, _ in self.requests.values())

    # -- the loop -------------------------------------------------------------------

    def run(self) -> None:
        sock = self.sock
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Blocking writes (bounded), so an answer is written whole or the client is gone;
        # reads wait in select() so receipts go out between them.
        sock.settimeout(10)
        try:
            while not self.server.stopping.is_set():
                try:
                    readable = select.select([sock], [], [], 0.02)[0]
                    data = sock.recv(65536) if readable else None
                except OSError:
                    break
                if data == b"":
                    break
                with self.server.lock:
                    if data and not self._frames(data):
                        return
                    self._send_receipts()
                    self._flush()
                if self.mode == "closing" and time.monotonic() > self.closing_deadline:
                    self.ledger.violations.append(f"connection {self.number}: client never closed")
                    break
        finally:
            with self.server.lock:
                self._end()

    def _frames(self, data: bytes) -> bool:
        try:
            frames = self.splitter.feed(data)
        except Exception as exc:
            self.ledger.violations.append(f"connection {self.number}: bad stream {exc}")
            return True
        return all(self._handle(frame) for frame in frames)

    def _end(self) -> None:
        self.server.live.discard(self)
        for kind, delivery in self.requests.values():
            if delivery is not None:
                self.server.pending.append(delivery)  # the SMSC sends it again later
            if self.ended_by_server:
                # FIN after the request: the client read it before the end, so it had
                # to answer it before closing.
                self.ledger.violations.append(
                    f"connection {self.number} ({self.fault}): the client never answered {kind}"
                )
        self.requests.clear()
        with contextlib.suppress(OSError):
            self.sock.close()

    # -- writing --------------------------------------------------------------------

    def _request(self, command_id: int, body: bytes, kind: str, delivery: Delivery | None) -> None:
        self.sequence += 1
        self.requests[self.sequence] = (kind, delivery)
        self.out += w.encode_pdu(command_id, 0, self.sequence, body)

    def _flush(self) -> None:
        if not self.out or self.mode in ("closing", "silent"):
            self.out.clear()
            return
        data = bytes(self.out)
        self.out.clear()
        try:
            if self.plan.split and self.random.random() < self.plan.split:
                self.ledger.events["split writes"] += 1
                position = 0
                while position < len(data):
                    size = self.random.randint(1, 40)
                    self.sock.sendall(data[position : position + size])
                    position += size
                    if self.random.random() < 0.05:
                        time.sleep(0.001)  # a half PDU sits in the client's buffer
            else:
                self.sock.sendall(data)
        except OSError:
            self.mode = "closing"  # the client went; the loop sees EOF

    def _wait_sent(self) -> None:
        """Wait (bounded) until the client's kernel acknowledged every byte written."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                queued = struct.unpack("i", fcntl.ioctl(self.sock, termios.TIOCOUTQ, b"\0\0\0\0"))[
                    0
                ]
            except OSError:
                return
            if queued == 0:
                return
            time.sleep(0.001)

    def _half_close(self) -> None:
        """FIN after what is written; keep reading until the client closes."""
        self._flush()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        self.mode = "closing"
        self.closing_deadline = time.monotonic() + 15

    # -- what the client sends -------------------------------------------------------

    def _handle(self, frame: w.Frame) -> bool:
        command_id, status, sequence, body = frame
        if command_id == w.SUBMIT_SM:
            return self._submit(sequence, body)
        if command_id in (w.BIND_TRANSCEIVER, w.BIND_TRANSMITTER, w.BIND_RECEIVER):
            self.out += w.encode_bind_resp(command_id, 0, sequence, w.BindResponse("SOAK"))
            self.bound = True
            return True
        if command_id & w.RESPONSE:
            self._response(command_id, status, sequence)
            return True
        if self.mode in ("silent", "closing"):
            return True
        if command_id == w.ENQUIRE_LINK:
            self.out += w.encode_pdu(w.ENQUIRE_LINK_RESP, 0, sequence)
        elif command_id == w.UNBIND:
            self.out += w.encode_pdu(w.UNBIND_RESP, 0, sequence)
            self._half_close()
        else:
            self.ledger.violations.append(f"unexpected request 0x{command_id:08X}")
        return True

    def _response(self, command_id: int, status: int, sequence: int) -> None:
        if command_id == w.UNBIND_RESP and self.mode == "unbinding":
            self.unbind_resp_seen = True
            self.ended_by_server = True
            self._half_close()
            return
        request = self.requests.pop(sequence, None)
        if request is None:
            self.ledger.violations.append(f"answer 0x{command_id:08X} to nothing ({sequence})")
            return
        kind, delivery = request
        expected = {
            "deliver": w.DELIVER_SM_RESP,
            "enquire_link": w.ENQUIRE_LINK_RESP,
            "unknown": w.GENERIC_NACK,
        }[kind]
        if command_id != expected or (kind == "unknown" and status != w.ESME_RINVCMDID):
            self.ledger.violations.append(f"{kind} answered 0x{command_id:08X}/{status:#x}")
            return
        if delivery is None:
            return
        if delivery.malformed:
            if status != w.ESME_RX_P_APPN:
                self.ledger.violations.append(f"unreadable receipt answered {status:#x}")
            delivery.refused += 1
        elif status == 0:
            delivery.acked += 1
        else:
            delivery.refused += 1
            self.server.pending.append(delivery)

    def _submit(self, sequence: int, body: bytes) -> bool:
        sm = decode_short_message(body)
        tag = incoming_part(sm).text
        reception = Reception(self.number)
        self.ledger.receptions.setdefault(tag, []).append(reception)
        if self.unbind_resp_seen:
            self.ledger.after_unbind_resp += 1
        if self.mode != "normal":
            return True  # silent, unbinding or closing: never answered
        self.submits += 1
        if self.fault is not None and self.submits == self.trigger:
            return self._fault(reception, sequence, sm)
        self._answer(reception, sequence, sm)
        self._extras()
        return True

    def _answer(self, reception: Reception, sequence: int, sm: ShortMessage) -> None:
        plan = self.plan
        chance = self.random.random
        if sm.destination_addr == REFUSED_PHONE:
            self._refuse(reception, sequence, REFUSED, w.ESME_RINVDSTADR)
        elif plan.cap and not self.cap.take():
            self.ledger.events["over the cap"] += 1
            self._refuse(reception, sequence, THROTTLED, w.ESME_RTHROTTLED)
        elif self.burst or chance() < plan.throttle:
            if not self.burst:
                self.burst = self.random.randint(*plan.burst)
                self.ledger.events["throttling bursts"] += 1
            self.burst -= 1
            self._refuse(reception, sequence, THROTTLED, w.ESME_RTHROTTLED)
        elif chance() < plan.nack:
            self.ledger.events["generic_nack answers"] += 1
            reception.answer, reception.status = NACKED, _NACK_STATUS
            self.out += w.encode_pdu(w.GENERIC_NACK, _NACK_STATUS, sequence)
        else:
            self._accept(reception, sequence, sm)

    def _refuse(self, reception: Reception, sequence: int, answer: str, status: int) -> None:
        reception.answer, reception.status = answer, status
        self.out += w.encode_message_id_resp(w.SUBMIT_SM_RESP, status, sequence, "")

    def _accept(self, reception: Reception, sequence: int, sm: ShortMessage) -> None:
        message_id = self.server.next_id()
        reception.answer, reception.message_id = ACCEPTED, message_id
        delivery = self._owe_receipt(message_id, sm.destination_addr)
        if delivery is not None and self.random.random() < self.plan.early:
            self.ledger.events["receipts before their answer"] += 1
            self._deliver(delivery)
        elif delivery is not None:
            self.staged.append(delivery)
        self.out += w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, sequence, message_id)

    def _owe_receipt(self, message_id: str, phone: str) -> Delivery | None:
        if self.random.random() >= self.plan.receipts:
            return None
        delivery = Delivery(message_id, phone)
        self.ledger.deliveries[message_id] = delivery
        return delivery

    def _extras(self) -> None:
        plan = self.plan
        chance = self.random.random
        if chance() < plan.unknown_commands:
            self.ledger.events["unknown commands"] += 1
            self._request(_UNKNOWN_COMMAND, b"", "unknown", None)
            self.sequence += 1
            self.out += w.encode_pdu(w.ALERT_NOTIFICATION, 0, self.sequence, b"")
        if chance() < plan.enquire:
            self.ledger.events["enquire_link from the server"] += 1
            self._request(w.ENQUIRE_LINK, b"", "enquire_link", None)
        if chance() < plan.old_receipts:
            self.ledger.events["receipts of earlier sessions"] += 1
            self.staged.append(self.server.old_receipt())
        if chance() < plan.malformed:
            self.ledger.events["unreadable receipts"] += 1
            rid = f"bad-{len(self.ledger.deliveries)}"
            delivery = Delivery(rid, PHONES[0], malformed=True)
            self.ledger.deliveries[rid] = delivery
            self.staged.append(delivery)

    def _fault(self, reception: Reception, sequence: int, sm: ShortMessage) -> bool:
        fault = self.fault
        assert fault is not None
        self.ledger.faults[fault] += 1
        if fault == "reset":
            self._flush()
            self._wait_sent()
            self.reset = True
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
            return False  # _end() closes: a reset
        if fault == "close_after_answer":
            self._answer(reception, sequence, sm)
            self.ended_by_server = True
            self._half_close()
        elif fault == "half_answer":
            # Accepted by the SMSC, but only half of the answer ever leaves.
            message_id = self.server.next_id()
            self._owe_receipt(message_id, sm.destination_addr)
            answer = w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, sequence, message_id)
            self.out += answer[: len(answer) // 2]
            self.ended_by_server = True
            self._half_close()
        elif fault == "silence":
            self._flush()
            self.mode = "silent"
        elif fault == "unbind":
            self.sequence += 1
            self.out += w.encode_pdu(w.UNBIND, 0, self.sequence)
            self._flush()
            self.mode = "unbinding"
        return True

    # -- receipts ---------------------------------------------------------------------

    def _send_receipts(self) -> None:
        pending = self.server.pending
        if self.mode == "normal" and self.bound:
            for _ in range(min(len(pending), 64)):
                self._deliver(pending.popleft())
        pending.extend(self.staged)
        self.staged.clear()

    def _deliver(self, delivery: Delivery) -> None:
        delivery.sent += 1
        if delivery.malformed:
            text = b"id:" + delivery.rid.encode() + b" sub:001 dlvrd:001 stat:DELIVRD err:\xb2"
            sm = ShortMessage(
                source_addr=delivery.phone,
                esm_class=0x04,
                data_coding=3,
                tlvs=((TAG_MESSAGE_PAYLOAD, text),),
            )
        else:
            text = (
                f"id:{delivery.rid} sub:001 dlvrd:001 submit date:2401011200"
                f" done date:2401011201 stat:DELIVRD err:000 text:soak"
            ).encode()
            tlvs: tuple[tuple[int, bytes], ...] = ()
            if int(delivery.rid) % 2:  # half of them with the TLVs as well
                tlvs = (
                    (TAG_RECEIPTED_MESSAGE_ID, delivery.rid.encode() + b"\0"),
                    (TAG_MESSAGE_STATE, b"\x02"),
                )
            sm = ShortMessage(
                source_addr=delivery.phone, esm_class=0x04, short_message=text, tlvs=tlvs
            )
        self.sequence += 1
        self.requests[self.sequence] = ("deliver", delivery)
        self.out += encode_deliver_sm(self.sequence, sm)
