"""One ESME's connection to the emulator's SMPP front end (an :class:`asyncio.Protocol`).

It speaks the SMSC side of SMPP 3.4 with the library's own codec: binds are checked
against the state's accounts, submit_sm and data_sm go through
:meth:`EmulatorState.send` (so a message sent here answers ``status`` over HTTP under
the same id; the parts of a split message are joined into one, see
:mod:`~.segments`), query_sm reads the state, cancel_sm and replace_sm change a
message that has not left yet, enquire_link/unbind/generic_nack are answered as §4
says, and anything unknown gets generic_nack ESME_RINVCMDID.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Protocol

from smsc_transports.emulator.smpp.deliver_sm import message_state
from smsc_transports.emulator.state.accounts import Account
from smsc_transports.emulator.state.clock import to_datetime
from smsc_transports.emulator.state.rate_limits import TokenBucket
from smsc_transports.emulator.state.records import SendRequest
from smsc_transports.emulator.state.smsc import EmulatorState
from smsc_transports.errors import APIError, ProtocolError
from smsc_transports.message import MessageKind
from smsc_transports.statuses import MessageStatus
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.command_status import status_for_code
from smsc_transports.wire.smpp.incoming import IncomingPart, incoming_part
from smsc_transports.wire.smpp.receipts import decode_text
from smsc_transports.wire.smpp.scheduled import decode_cancel_sm, decode_replace_sm
from smsc_transports.wire.smpp.short_message import (
    TAG_MESSAGE_PAYLOAD,
    ShortMessage,
    decode_data_sm,
    decode_short_message,
    encode_data_sm,
    encode_deliver_sm,
)
from smsc_transports.wire.smpp.time_fields import absolute_time, parse_time

__all__ = ["SmppConnection", "SmppOwner"]

log = logging.getLogger("smsc_transports.emulator.smpp")

_MODES = {w.BIND_TRANSMITTER: "tx", w.BIND_RECEIVER: "rx", w.BIND_TRANSCEIVER: "trx"}


class SmppOwner(Protocol):
    """What a connection uses of the server that accepted it: settings, counters, calls.

    The SMPP front end is one; a connection knows it only through these members.
    """

    state: EmulatorState
    max_pdu: int
    system_id: str
    throttle_rate: float | None
    status_base: int
    connections: int
    throttled: int
    delivered: int
    live: set[SmppConnection]

    def bound(self, connection: SmppConnection) -> None:
        """``connection`` bound (called soon after its bind_resp went out)."""
        ...

    def unbound(self, connection: SmppConnection) -> None:
        """``connection`` unbound: it receives no more deliveries."""
        ...

    def closed(self, connection: SmppConnection) -> None:
        """``connection`` ended."""
        ...

    def accepted(
        self,
        account: Account,
        connection: SmppConnection | None,
        message_id: str,
        sm: ShortMessage,
        start: float,
    ) -> None:
        """``account``'s submit ``sm`` (from ``connection``) was accepted as ``message_id``."""
        ...

    def phone_of(self, login: str, message_id: str) -> str | None:
        """The phone ``login``'s message ``message_id`` went to, if submitted here."""
        ...

    def coding_of(self, login: str, message_id: str) -> int:
        """The data_coding ``login``'s message ``message_id`` was submitted in (0 if unknown)."""
        ...

    def split_part(
        self, connection: SmppConnection, part: IncomingPart, request: SendRequest, start: float
    ) -> tuple[int, str]:
        """Take one part of a split message; return the (status, message id) to answer."""
        ...


class SmppConnection(asyncio.Protocol):
    """The SMSC side of one SMPP connection."""

    def __init__(self, front: SmppOwner) -> None:
        self.front = front
        self.state = front.state
        self.transport: asyncio.Transport | None = None
        self.splitter = w.FrameSplitter(front.max_pdu)
        self.account: Account | None = None
        self.mode = ""
        self.peer: str | None = None
        self._sequence = 0
        self._bucket: TokenBucket | None = None

    @property
    def receives(self) -> bool:
        """Whether this ESME is bound to receive deliver_sm."""
        return self.account is not None and self.mode in ("rx", "trx")

    @property
    def alive(self) -> bool:
        """Whether the connection is still open."""
        return self.transport is not None and not self.transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Count the connection and remember the peer's address (for IP allow-lists)."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else None
        self.front.connections += 1
        self.front.live.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection (it receives no more deliveries)."""
        self.front.closed(self)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        """Answer every whole PDU received, in one write."""
        try:
            frames = self.splitter.feed(data)
        except ProtocolError as exc:
            # SMPP 3.4 §3.2: a bad command_length gets generic_nack; the stream is lost.
            log.info("SMPP client sent a bad PDU length: %s", exc)
            self.write(w.encode_pdu(w.GENERIC_NACK, w.ESME_RINVCMDLEN, 0))
            self.close()
            return
        out: list[bytes] = []
        for command_id, status, sequence, body in frames:
            try:
                answer = self._handle(command_id, status, sequence, body)
            except Exception:
                # A bug costs the one PDU, never the connection (an exception out of
                # data_received would make asyncio drop it).
                log.exception("SMPP front end failed on command 0x%08X", command_id)
                answer = (
                    b""
                    if command_id & w.RESPONSE
                    else w.encode_pdu(w.GENERIC_NACK, w.ESME_RSYSERR, sequence)
                )
            if answer:
                out.append(answer)
            if command_id == w.UNBIND and self.account is None:
                break
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
        if self.mode == "unbound":
            self.close()

    def write(self, data: bytes) -> None:
        """Write to the ESME if still connected."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        """Close after what is buffered has been written."""
        if self.transport is not None:
            self.transport.close()

    def deliver(self, sm: ShortMessage, *, as_data_sm: bool = False) -> None:
        """Push one deliver_sm, or data_sm with ``as_data_sm`` (the answer is only counted)."""
        self._sequence = self._sequence + 1 if self._sequence < w.MAX_SEQUENCE else 1
        encode = encode_data_sm if as_data_sm else encode_deliver_sm
        self.write(encode(self._sequence, sm))
        self.front.delivered += 1

    # -- dispatch ---------------------------------------------------------------------

    def _handle(self, command_id: int, status: int, sequence: int, body: bytes) -> bytes:
        if command_id == w.SUBMIT_SM:
            return self._submit(w.SUBMIT_SM_RESP, sequence, body)
        if command_id == w.DATA_SM:
            return self._submit(w.DATA_SM_RESP, sequence, body)
        if command_id in _MODES:
            return self._bind(command_id, sequence, body)
        if command_id == w.ENQUIRE_LINK:
            return w.encode_pdu(w.ENQUIRE_LINK_RESP, 0, sequence)
        if command_id == w.QUERY_SM:
            return self._query(sequence, body)
        if command_id == w.CANCEL_SM:
            return self._cancel(sequence, body)
        if command_id == w.REPLACE_SM:
            return self._replace(sequence, body)
        if command_id == w.UNBIND:
            self.front.unbound(self)
            self.account = None
            self.mode = "unbound"
            return w.encode_pdu(w.UNBIND_RESP, 0, sequence)
        if command_id in (w.DELIVER_SM_RESP, w.DATA_SM_RESP, w.ENQUIRE_LINK_RESP, w.UNBIND_RESP):
            return b""
        if command_id == w.GENERIC_NACK:
            log.info("SMPP client sent generic_nack 0x%08X for %d", status, sequence)
            return b""
        if command_id & w.RESPONSE:
            return b""  # an answer to nothing we asked: ignored (SMPP 3.4 §2.8)
        return w.encode_pdu(w.GENERIC_NACK, w.ESME_RINVCMDID, sequence)

    def _bind(self, command_id: int, sequence: int, body: bytes) -> bytes:
        def answer(status: int) -> bytes:
            response = w.BindResponse(self.front.system_id, 0x34) if not status else None
            return w.encode_bind_resp(command_id, status, sequence, response)

        if self.account is not None:
            return answer(w.ESME_RALYBND)
        try:
            bind = w.decode_bind(command_id, body)
        except ProtocolError:
            return answer(w.ESME_RINVCMDLEN)
        try:
            account = self.state.authenticate(bind.system_id, bind.password, ip=self.peer)
        except APIError:
            return answer(w.ESME_RBINDFAIL)
        self.account = account
        self.mode = _MODES[command_id]
        # Receipts waiting for this account go out after the bind_resp, not before it.
        asyncio.get_running_loop().call_soon(self.front.bound, self)
        return answer(w.ESME_ROK)

    def _allow(self) -> bool:
        rate = self.front.throttle_rate
        if not rate:
            return True
        if self._bucket is None or self._bucket.rate != rate:
            self._bucket = TokenBucket(rate)
        return self._bucket.take()

    def _submit(self, response: int, sequence: int, body: bytes) -> bytes:
        def answer(status: int, message_id: str = "") -> bytes:
            return w.encode_message_id_resp(response, status, sequence, message_id)

        if self.account is None or self.mode == "rx":
            return answer(w.ESME_RINVBNDSTS)
        if not self._allow():
            self.front.throttled += 1
            return answer(w.ESME_RTHROTTLED)
        decode = decode_data_sm if response == w.DATA_SM_RESP else decode_short_message
        try:
            sm = decode(body)
        except ProtocolError:
            return answer(w.ESME_RINVMSGLEN)
        now = self.state.clock()
        moment = datetime.fromtimestamp(now, UTC)
        start = parse_time(sm.schedule_delivery_time, moment)
        if sm.schedule_delivery_time and start is None:
            return answer(w.ESME_RINVSCHED)
        expiry = parse_time(sm.validity_period, start or moment)
        if sm.validity_period and expiry is None:
            return answer(w.ESME_RINVEXPIRY)
        # Message class 0 in a GSM data_coding is a flash SMS (3GPP TS 23.038 §4).
        flash = sm.data_coding & 0xF3 == 0x10
        kind = MessageKind.FLASH if flash else MessageKind.SMS
        binary = binary_octets(sm)
        if binary is not None:
            kind = MessageKind.BIN_HEX
        part = incoming_part(sm)
        request = SendRequest(
            phones=(sm.destination_addr,),
            text=part.text if binary is None else binary.hex(),
            sender=sm.source_addr or None,
            kind=kind,
            send_at=start.timestamp() if start is not None else None,
            valid=(expiry - (start or moment)).total_seconds() if expiry is not None else None,
        )
        at = start.timestamp() if start else now
        if part.reference is not None and binary is None:
            # A binary message keeps its header as SMSC stores it; text parts are joined.
            return answer(*self.front.split_part(self, part, request, at))
        try:
            outcome = self.state.send(self.account, request)
        except APIError as exc:
            return answer(status_for_code(exc.code, self.front.status_base))
        assert outcome.id is not None
        self.front.accepted(self.account, self, outcome.id, sm, at)
        return answer(w.ESME_ROK, outcome.id)

    def _target(self, message_id: str, destination: str = "") -> str | None:
        """The phone a cancel_sm/replace_sm names: its destination, else the message's."""
        assert self.account is not None
        return destination or self.front.phone_of(self.account.login, message_id)

    def _cancel(self, sequence: int, body: bytes) -> bytes:
        def answer(status: int) -> bytes:
            return w.encode_pdu(w.CANCEL_SM_RESP, status, sequence)

        if self.account is None or self.mode == "rx":
            return answer(w.ESME_RINVBNDSTS)
        try:
            request = decode_cancel_sm(body)
        except ProtocolError:
            return answer(w.ESME_RINVCMDLEN)
        phone = self._target(request.message_id, request.destination_addr)
        if not request.message_id or phone is None:
            return answer(w.ESME_RINVMSGID)
        record = self.state.cancel(self.account, request.message_id, phone)
        if record is None:
            return answer(w.ESME_RCANCELFAIL)  # it had already left (SMPP 3.4 §4.9)
        if record.status == MessageStatus.NOT_FOUND:
            return answer(w.ESME_RINVMSGID)
        return answer(w.ESME_ROK)

    def _replace(self, sequence: int, body: bytes) -> bytes:
        def answer(status: int) -> bytes:
            return w.encode_pdu(w.REPLACE_SM_RESP, status, sequence)

        if self.account is None or self.mode == "rx":
            return answer(w.ESME_RINVBNDSTS)
        try:
            request = decode_replace_sm(body)
        except ProtocolError:
            return answer(w.ESME_RINVCMDLEN)
        login = self.account.login
        phone = self._target(request.message_id)
        if phone is None:
            return answer(w.ESME_RINVMSGID)
        moment = datetime.fromtimestamp(self.state.clock(), UTC)
        start = parse_time(request.schedule_delivery_time, moment)
        if request.schedule_delivery_time and start is None:
            return answer(w.ESME_RINVSCHED)
        text = None
        if request.short_message:
            # replace_sm has no data_coding: the text is in the original's (§4.10.1).
            coding = self.front.coding_of(login, request.message_id)
            text = decode_text(coding, request.short_message)
        try:
            record = self.state.replace(
                self.account,
                request.message_id,
                phone,
                text=text,
                send_at=start.timestamp() if start is not None else None,
            )
        except APIError as exc:
            return answer(status_for_code(exc.code, self.front.status_base))
        if record is None:
            return answer(w.ESME_RREPLACEFAIL)  # it had already left (SMPP 3.4 §4.10)
        if record.status == MessageStatus.NOT_FOUND:
            return answer(w.ESME_RINVMSGID)
        return answer(w.ESME_ROK)

    def _query(self, sequence: int, body: bytes) -> bytes:
        if self.account is None:
            return w.encode_query_sm_resp(w.ESME_RINVBNDSTS, sequence, None)
        try:
            message_id, _, _, _ = w.decode_query_sm(body)
        except ProtocolError:
            return w.encode_query_sm_resp(w.ESME_RINVMSGLEN, sequence, None)
        phone = self.front.phone_of(self.account.login, message_id)
        if phone is None:
            return w.encode_query_sm_resp(w.ESME_RQUERYFAIL, sequence, None)
        try:
            record = self.state.status(self.account, message_id, phone)
        except APIError:
            return w.encode_query_sm_resp(w.ESME_RQUERYFAIL, sequence, None)
        final = record.status.is_final
        response = w.QueryResponse(
            message_id,
            absolute_time(to_datetime(record.last_timestamp)) if final else "",
            message_state(record.status),
            record.err & 0xFF,
        )
        return w.encode_query_sm_resp(w.ESME_ROK, sequence, response)


_TEXT_OCTETS = frozenset({9, 10, 13, *range(32, 127)})


def binary_octets(sm: ShortMessage) -> bytes | None:
    """A submit's octets in SMSC's binary form (header length first), if it is binary.

    ``data_coding`` 4 is 8-bit data, but SMSC's own client sends plain ASCII text with it
    too; so 8-bit user data counts as binary when it holds an octet that is not printable
    ASCII (a tab, CR or LF aside). A header (UDHI) travels in front, as SMSC writes it.
    """
    if sm.data_coding != 4:
        return None
    data = sm.tlv(TAG_MESSAGE_PAYLOAD) or sm.short_message
    if sm.esm_class & 0x40 and data:
        body = data[1 + data[0] :]
        return data if not _TEXT_OCTETS.issuperset(body) else None
    return b"\0" + data if not _TEXT_OCTETS.issuperset(data) else None
