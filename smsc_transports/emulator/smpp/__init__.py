"""The emulator's SMPP front end: SMSC's SMPP 3.4 server side, over the shared state.

Rule: this package speaks SMPP with ``smsc_transports.wire.smpp`` (the same codec the
client backends use) and turns PDUs into calls on the shared
:class:`~smsc_transports.emulator.state.EmulatorState`. It may import
``emulator/state``, ``smsc_transports.wire`` and the core modules; it never imports
another front end, ``smsc_transports.backends`` or ``smsc_transports.cli``. Imports
run one way: ``front`` uses ``connection``, ``deliver_sm`` and ``segments``; ``connection`` knows
its server only as the :class:`~.connection.SmppOwner` protocol it declares.

* ``front`` — :class:`SmppFrontEnd`: the listener on its own event loop, binds by
  account, receipts due by the state's clock, incoming messages.
* ``connection`` — one ESME's connection: binds, submit_sm, query_sm, the rest.
* ``deliver_sm`` — what goes out in deliver_sm: receipts and incoming texts.
* ``segments`` — the parts of split submits, joined into one message.
"""

from smsc_transports.emulator.smpp.front import SmppFrontEnd

__all__ = ["SmppFrontEnd"]
