"""A local SMS Center (SMSC) to rehearse integrations on and to test every backend against.

One in-memory state (:class:`EmulatorState`) behind protocol front ends (HTTP now):
accounts, tariffs, SMSC's limits and error codes, status progression on a clock you
can drive by hand, test numbers with known fates, callbacks. See ``docs/emulator.md``.
"""

from smsc_transports.emulator.callback_sender import CallbackDispatcher
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

__all__ = [
    "RULES",
    "Account",
    "BalanceInfo",
    "Behaviour",
    "CallbackDispatcher",
    "CallbackEvent",
    "Clock",
    "Emulator",
    "EmulatorState",
    "FrontEnd",
    "FrontEndFactory",
    "HttpFrontEnd",
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
