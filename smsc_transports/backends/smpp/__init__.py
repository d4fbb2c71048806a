"""SMSC over SMPP 3.4: :class:`SmppTransport` (threads) and :class:`AsyncSmppTransport`.

Schemes: ``smpp://login:password@smpp.smsc.ru:3700`` and ``smpps://`` (TLS, the server
name checked). Capabilities: send, bulk (a window of pipelined submit_sm), status (the
receipt store, then query_sm) and receipts pushed as they arrive (``receipts()``,
``on_receipt``); incoming messages through ``incoming_stream()`` and ``on_incoming``.
Options: ``docs/smpp.md``, "Options".

Rule: I/O only. Both transports drive the same sans-I/O session
(``smsc_transports.wire.smpp.session``), which decides every byte and every outcome;
this package only moves bytes and wakes callers. ``sync_link`` is the reader thread of
the threaded transport, ``async_link`` the :class:`asyncio.Protocol` of the asyncio one;
``sync_transport`` and ``async_transport`` are the two faces, in the same method order;
``tls`` builds the TLS context of an ``smpps`` link.
"""

from smsc_transports.backends.smpp.async_transport import AsyncSmppTransport
from smsc_transports.backends.smpp.sync_transport import SmppTransport

__all__ = ["AsyncSmppTransport", "SmppTransport"]
