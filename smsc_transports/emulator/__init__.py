"""A local SMS Center (SMSC) to rehearse integrations on and to test every backend against.

One in-memory state (:class:`EmulatorState`: accounts, tariffs, SMSC's limits and
error codes, status progression on a clock you can drive by hand, test numbers with
known fates, callbacks) behind four protocol front ends: HTTP (with SOAP on the same
port), SMTP and SMPP. :class:`Emulator` runs them together; ``python -m
smsc_transports.emulator`` and ``smsc emulator`` run one from the command line. See
``docs/emulator.md``.

Rule: the emulator is SMSC's side of each protocol. It reuses ``smsc_transports.wire``
for that side's formats and the core modules (message, results, errors, encoding,
statuses, translit, frozen); it never imports ``smsc_transports.backends`` or
``smsc_transports.cli``, so the backends are tested against a peer that shares none
of their code. Inside, ``state/`` knows no front end; each front end (``http/``,
``smtp``, ``smpp/``) uses ``state/`` and ``wire``, never another front end; ``server``
assembles them, ``callback_sender`` posts the state's callbacks, ``snapshot`` keeps
the state in a file, ``cli`` (with ``scenario`` and ``keyed_table`` for its
``--config`` file and ``certificate`` for TLS), ``__main__`` and ``sandbox`` start
an :class:`Emulator`.
"""

from smsc_transports.emulator.callback_sender import CallbackDispatcher, RetryRule
from smsc_transports.emulator.http.control import ControlSettings
from smsc_transports.emulator.http.front import HttpFrontEnd
from smsc_transports.emulator.server import Emulator, FrontEnd, FrontEndFactory
from smsc_transports.emulator.state import (
    RULES,
    Account,
    BalanceInfo,
    Behaviour,
    CallbackEvent,
    Clock,
    EmulatorState,
    IncomingRecord,
    Limits,
    ManualClock,
    PhoneOutcome,
    SendOutcome,
    SendRequest,
    StatusRecord,
    Tariff,
    answer_delay,
    behaviour_for,
    demo_account,
)
from smsc_transports.emulator.state.clock import ScaledClock

__all__ = [
    "RULES",
    "Account",
    "BalanceInfo",
    "Behaviour",
    "CallbackDispatcher",
    "CallbackEvent",
    "Clock",
    "ControlSettings",
    "Emulator",
    "EmulatorState",
    "FrontEnd",
    "FrontEndFactory",
    "HttpFrontEnd",
    "IncomingRecord",
    "Limits",
    "ManualClock",
    "PhoneOutcome",
    "RetryRule",
    "ScaledClock",
    "SendOutcome",
    "SendRequest",
    "StatusRecord",
    "Tariff",
    "answer_delay",
    "behaviour_for",
    "demo_account",
]
