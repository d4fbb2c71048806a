"""The emulator's SMPP front end: SMSC's ``smpp.smsc.ru:3700`` (3443 with TLS) on loopback.

::

    front = SmppFrontEnd(state, port=0)       # or Emulator(front_ends=[SmppFrontEnd])
    front.start()
    smpplib_client.connect(); smpplib_client.bind_transceiver(system_id="demo", password="demo")

It serves on its own event loop in a daemon thread. Binds are checked against the
state's accounts; each submit_sm is one message in the shared state, under the id
``submit_sm_resp`` returns. When a message's status becomes final the front end
pushes a receipt (``deliver_sm``) to a receiving bind of the account — the one that
sent it if it still can, else any, else it keeps the receipt until one binds. The state's
clock drives this, so a test with a :class:`~smsc_transports.emulator.state.ManualClock`
gets a receipt shortly after advancing it. :meth:`push_incoming` delivers an incoming
(MO) message.

Options: ``throttle_rate`` answers ESME_RTHROTTLED above that many submits per second
per connection; ``receipt_ids="hex"`` writes receipt ids in hex (SMSC's receipt id base
is not documented, §3 [U]); ``receipts_as="data_sm"`` pushes receipts in data_sm
instead of deliver_sm, as some SMSCs do; ``status_base`` is where SMSC codes without
an SMPP equivalent go (0x400 + code, see :mod:`smsc_transports.wire.smpp.command_status`).

A message split into several submit_sm (UDH or SAR) is stored as ONE message billed
for its parts, under one id every part is answered with (:mod:`.segments`); a group
whose parts stop coming is sent as far as it got after ``split_ttl`` seconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import ssl
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

from smsc_transports.emulator.smpp.connection import SmppConnection
from smsc_transports.emulator.smpp.deliver_sm import ReceiptIds, incoming_messages, receipt_message
from smsc_transports.emulator.smpp.segments import Segments, SplitMessage
from smsc_transports.emulator.state.accounts import Account
from smsc_transports.emulator.state.records import IncomingRecord, SendRequest
from smsc_transports.emulator.state.smsc import EmulatorState
from smsc_transports.errors import APIError
from smsc_transports.wire.smpp.command_status import SMSC_STATUS_BASE, status_for_code
from smsc_transports.wire.smpp.incoming import IncomingPart
from smsc_transports.wire.smpp.pdu import ESME_ROK, MAX_PDU_LENGTH
from smsc_transports.wire.smpp.short_message import ShortMessage

__all__ = ["SmppFrontEnd"]

log = logging.getLogger("smsc_transports.emulator.smpp")

_PENDING_LIMIT = 100_000  # receipts/MOs kept per account while nobody is bound to receive
_POLL_BATCH = 20_000  # receipts checked per poll, so the loop stays responsive


@dataclass(order=True)
class _Due:
    """A message whose receipt is due at ``when`` (state clock)."""

    when: float
    number: int
    account: Account = field(compare=False)
    id: str = field(compare=False)
    phone: str = field(compare=False)
    failures_only: bool = field(compare=False)
    sender: SmppConnection | None = field(compare=False)


class SmppFrontEnd:
    """SMSC's SMPP server over ``state`` on ``host``:``port`` (0 = a free port).

    ``tls_context`` (a server context with a certificate) makes it SMPP over TLS.
    Counters: ``connections``, ``submitted``, ``throttled``, ``delivered``.
    """

    def __init__(
        self,
        state: EmulatorState,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_context: ssl.SSLContext | None = None,
        *,
        name: str = "smpp",
        throttle_rate: float | None = None,
        receipt_ids: ReceiptIds = "dec",
        poll_interval: float = 0.05,
        status_base: int = SMSC_STATUS_BASE,
        system_id: str = "SMSC",
        max_pdu: int = MAX_PDU_LENGTH,
        receipts_as: Literal["deliver_sm", "data_sm"] = "deliver_sm",
        split_ttl: float = 600.0,
    ) -> None:
        self.state = state
        self.host = host
        self.requested_port = port
        self.tls_context = tls_context
        self.name = name
        self.throttle_rate = throttle_rate
        self.receipt_ids = receipt_ids
        self.poll_interval = poll_interval
        self.status_base = status_base
        self.system_id = system_id
        self.max_pdu = max_pdu
        self.receipts_as = receipts_as
        self.segments = Segments(ttl=split_ttl)
        self.connections = 0
        self.submitted = 0
        self.throttled = 0
        self.delivered = 0
        self.live: set[SmppConnection] = set()
        self._receivers: dict[str, list[SmppConnection]] = {}
        self._pending: dict[str, deque[ShortMessage]] = {}
        self._due: list[_Due] = []
        self._numbers = itertools.count()
        # (login, message id) -> (phone, data_coding) of each message submitted here.
        self._messages: dict[tuple[str, str], tuple[str, int]] = {}
        self._references = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._poller: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The port listened on (valid once started)."""
        if self._server is None:
            raise RuntimeError("the SMPP front end is not running")
        return int(self._server.sockets[0].getsockname()[1])

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start listening; return once the port is bound."""
        if self._thread is not None:
            return
        loop = asyncio.new_event_loop()
        ready: Future[None] = Future()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # the caller of start() must hear of it
                if not ready.done():
                    ready.set_exception(exc)
                return
            ready.set_result(None)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name=f"smsc-emulator-{self.name}", daemon=True)
        self._thread.start()
        try:
            ready.result(timeout=10)
        except BaseException:
            self._thread.join(timeout=5)
            self._thread = None
            loop.close()
            raise

    async def _serve(self) -> None:
        self._server = await asyncio.get_running_loop().create_server(
            lambda: SmppConnection(self), self.host, self.requested_port, ssl=self.tls_context
        )
        self._poller = asyncio.create_task(self._poll())

    def stop(self) -> None:
        """Close every connection and the listener; safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = self._server = None

    async def _shutdown(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        for connection in list(self.live):
            if connection.transport is not None:
                connection.transport.abort()
        for _ in range(3):
            await asyncio.sleep(0)  # let the aborted transports run connection_lost
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def __enter__(self) -> SmppFrontEnd:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- connections ------------------------------------------------------------------

    def bound(self, connection: SmppConnection) -> None:
        """A connection bound: a receiver gets what waited for its account."""
        if not connection.receives or connection.account is None:
            return
        login = connection.account.login
        self._receivers.setdefault(login, []).append(connection)
        waiting = self._pending.pop(login, None)
        while waiting:
            self._deliver(connection, waiting.popleft())

    def unbound(self, connection: SmppConnection) -> None:
        """A connection unbound: it receives no more deliveries."""
        for receivers in self._receivers.values():
            if connection in receivers:
                receivers.remove(connection)

    def closed(self, connection: SmppConnection) -> None:
        """A connection ended."""
        self.unbound(connection)
        self.live.discard(connection)

    def phone_of(self, login: str, message_id: str) -> str | None:
        """The phone a message submitted over SMPP went to (for query_sm)."""
        found = self._messages.get((login, message_id))
        return None if found is None else found[0]

    def coding_of(self, login: str, message_id: str) -> int:
        """The data_coding a message was submitted in (replace_sm's text is in it)."""
        found = self._messages.get((login, message_id))
        return 0 if found is None else found[1]

    def accepted(
        self,
        account: Account,
        connection: SmppConnection | None,
        message_id: str,
        sm: ShortMessage,
        start: float,
    ) -> None:
        """Remember an accepted submit and, if it asked for one, when its receipt is due."""
        self.submitted += 1
        self._messages[(account.login, message_id)] = (sm.destination_addr, sm.data_coding)
        wanted = sm.registered_delivery & 0x03  # SMPP 3.4 §5.2.17
        if wanted in (1, 2):
            state = self.state
            when = start + max(state.transfer_after, state.deliver_after)
            item = _Due(
                when,
                next(self._numbers),
                account,
                message_id,
                sm.destination_addr,
                wanted == 2,
                connection,
            )
            heapq.heappush(self._due, item)

    # -- split messages ---------------------------------------------------------------

    def split_part(
        self, connection: SmppConnection, part: IncomingPart, request: SendRequest, start: float
    ) -> tuple[int, str]:
        """Take one part of a split message; return the (status, message id) to answer.

        Every part is answered with the id the first one numbered; the part that
        completes the text sends the message, and its answer is the send's.
        """
        account = connection.account
        assert account is not None
        segments = self.segments
        split = segments.find(account.login, part)
        if split is None:
            message_id = self.state.new_message_id(account)
            split = segments.open(account.login, message_id, part, request, start, time.monotonic())
        segments.add(account.login, split, part)
        if not split.complete:
            self._messages[(account.login, split.id)] = (
                split.first.destination_addr,
                split.first.data_coding,
            )
            return ESME_ROK, split.id
        return self._send_split(split, connection)

    def _send_split(
        self, split: SplitMessage, connection: SmppConnection | None
    ) -> tuple[int, str]:
        account = connection.account if connection is not None else None
        if account is None:
            account = self.state.account(split.login)
        try:
            outcome = self.state.send(account, split.send_request())
        except APIError as exc:
            log.info("split SMPP message %s refused when whole: %s", split.id, exc)
            return status_for_code(exc.code, self.status_base), ""
        assert outcome.id is not None
        self.accepted(account, connection, outcome.id, split.first, split.start)
        return ESME_ROK, outcome.id

    def _send_expired_splits(self) -> None:
        for split in self.segments.expired(time.monotonic()):
            # The rest never came: what did is sent, so no accepted part is lost.
            self._send_split(split, None)

    # -- delivering -------------------------------------------------------------------

    def _deliver(self, connection: SmppConnection, sm: ShortMessage) -> None:
        receipt = bool(sm.esm_class & 0x04)  # SMPP 3.4 §5.2.12: an SMSC delivery receipt
        connection.deliver(sm, as_data_sm=receipt and self.receipts_as == "data_sm")

    def _send_to(self, login: str, sm: ShortMessage, prefer: SmppConnection | None) -> None:
        if prefer is not None and prefer.alive and prefer.receives:
            self._deliver(prefer, sm)
            return
        for connection in self._receivers.get(login, ()):
            if connection.alive:
                self._deliver(connection, sm)
                return
        self._pending.setdefault(login, deque(maxlen=_PENDING_LIMIT)).append(sm)

    # -- receipts and incoming messages -----------------------------------------------

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                self.poll()
                self._send_expired_splits()
            except Exception:  # one bad record must not end receipts for everyone
                log.exception("SMPP receipt poll failed")

    def poll(self) -> int:
        """Push the receipts due by the state's clock now; return how many went out."""
        now = self.state.clock()
        recheck = max(1.0, self.state.deliver_after)
        sent = 0
        for _ in range(_POLL_BATCH):
            if not self._due or self._due[0].when > now:
                break
            due = heapq.heappop(self._due)
            # Reading for our own receipts must not use up the client's status limit.
            record = self.state.status(due.account, due.id, due.phone, throttled=False)
            if not record.status.is_final:
                due.when = now + recheck
                heapq.heappush(self._due, due)
                continue
            if due.failures_only and not record.status.is_failed:
                continue
            self._send_to(due.account.login, receipt_message(record, self.receipt_ids), due.sender)
            sent += 1
        return sent

    def push_incoming(
        self, login: str, phone: str, text: str, to_phone: str | None = None
    ) -> IncomingRecord:
        """An incoming (MO) message from ``phone`` to ``login``: stored, and pushed as
        deliver_sm (split with a UDH when long) to a receiving bind. Thread-safe."""
        record = self.state.add_incoming(login, phone, text, to_phone)
        reference = next(self._references)
        messages = incoming_messages(record.phone, record.text, record.to_phone, reference)
        if self._loop is None:
            raise RuntimeError("the SMPP front end is not running")

        def push() -> None:
            for sm in messages:
                self._send_to(login, sm, None)

        self._loop.call_soon_threadsafe(push)
        return record
