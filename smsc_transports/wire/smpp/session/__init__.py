"""The ESME's SMPP session as a state machine (h11's ``Connection``, for SMPP).

Rule: like all of ``wire/``, no socket, thread, selector or event loop, and no import of
``backends/``: the I/O layer feeds it bytes and writes what it returns (see
:mod:`.link` for the five calls and who must serialise them). It imports the SMPP codec
(``wire/smpp``) and the core modules.

* ``binds`` — :class:`Binds`: a transport's ``binds=N`` sessions, what they share,
  which takes the next message, and when a bind the SMSC refused binds again.
* ``link`` — :class:`SmppSession`: bind, unbind, dispatch, keepalive, timeouts; owns the
  parts below.
* ``window`` — :class:`SubmitWindow`: sequence numbers, the window, throttling, settling.
* ``tickets`` — one input message in flight and its submit_sm parts; its one outcome.
* ``deliveries`` — receipts and incoming messages from deliver_sm.
* ``receipt_store`` — accepted messages waiting for their receipts, bounded.
* ``status_lookup`` — ``status(id, phone)`` from the store, then query_sm.
* ``options`` — :class:`SmppOptions`, read once from the settings.
* ``stats`` — the counters.
"""

from smsc_transports.wire.smpp.session.binds import Binds
from smsc_transports.wire.smpp.session.link import (
    CAPABILITIES,
    TICK,
    LinkState,
    SmppSession,
    reconnect_delay,
)
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.session.stats import SmppStats
from smsc_transports.wire.smpp.session.window import SubmitWindow

__all__ = [
    "CAPABILITIES",
    "TICK",
    "Binds",
    "LinkState",
    "SmppOptions",
    "SmppSession",
    "SmppStats",
    "SubmitWindow",
    "reconnect_delay",
]
