"""The emulator's SMSC itself: accounts, messages and their statuses, limits, time.

Rule: this package is the model every front end shares, and knows no protocol. It
imports only the standard library, the core modules (message, statuses, errors,
encoding, translit) and ``smsc_transports.wire`` for SMSC's own conventions (Moscow
time); it never imports a front end, the emulator's server or CLI,
``smsc_transports.backends`` or ``smsc_transports.cli``. It opens no socket and starts
no thread; everything it holds changes only through :class:`EmulatorState`, under
that state's lock.

* ``smsc`` — :class:`EmulatorState`, the one object front ends call.
* ``activity`` — :class:`Activity`: messages accepted and sends refused, for
  ``smsc emulator --live``.
* ``accounts`` — :class:`Account`, :class:`Tariff`, :class:`Limits`, and the accounts
  table that authenticates.
* ``recipient`` — one recipient of a sent message and its status timeline, and the
  table of them.
* ``inbox`` — incoming (MO) messages.
* ``rate_limits`` — SMSC's error 9: sliding windows and requests in flight.
* ``ip_blocks`` — SMSC's error 4: an address blocked after frequent errors.
* ``short_links`` — ``tinyurl=1``: short links and the clicks on them.
* ``pricing`` — a send request turned into validated, priced recipients.
* ``planning`` — when each recipient leaves and under which sender.
* ``number_rules`` — test numbers: recipients with known fates (:data:`RULES`).
* ``time_forms`` — SMSC's ``time``/``tz`` and ``valid`` forms.
* ``clock`` — clocks, :class:`ManualClock`, and SMSC's date format (Moscow time).
* ``records`` — the values the state takes and returns.
"""

from smsc_transports.emulator.state.accounts import Account, Limits, Tariff, demo_account
from smsc_transports.emulator.state.clock import Clock, ManualClock
from smsc_transports.emulator.state.number_rules import (
    RULES,
    Behaviour,
    answer_delay,
    behaviour_for,
)
from smsc_transports.emulator.state.records import (
    BalanceInfo,
    CallbackEvent,
    IncomingRecord,
    PhoneOutcome,
    SendOutcome,
    SendRequest,
    StatusRecord,
)
from smsc_transports.emulator.state.smsc import EmulatorState

__all__ = [
    "RULES",
    "Account",
    "BalanceInfo",
    "Behaviour",
    "CallbackEvent",
    "Clock",
    "EmulatorState",
    "IncomingRecord",
    "Limits",
    "ManualClock",
    "PhoneOutcome",
    "SendOutcome",
    "SendRequest",
    "StatusRecord",
    "Tariff",
    "answer_delay",
    "behaviour_for",
    "demo_account",
]
