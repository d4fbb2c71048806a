"""A local SMS Center (SMSC) to rehearse integrations on and to test every backend against.

One in-memory state (:class:`EmulatorState`) behind protocol front ends (HTTP now):
accounts, tariffs, SMSC's limits and error codes, status progression on a clock you
can drive by hand, test numbers with known fates, callbacks. See ``docs/emulator.md``.
"""

from smsc_transports.emulator.accounts import Account, Limits, Tariff, demo_account
from smsc_transports.emulator.callbacks import CallbackDispatcher
from smsc_transports.emulator.clock import Clock, ManualClock
from smsc_transports.emulator.http_front import HttpFrontEnd
from smsc_transports.emulator.records import (
    BalanceInfo,
    CallbackEvent,
    IncomingRecord,
    PhoneOutcome,
    SendOutcome,
    SendRequest,
    StatusRecord,
)
from smsc_transports.emulator.server import Emulator, FrontEnd, FrontEndFactory
from smsc_transports.emulator.state import EmulatorState
from smsc_transports.emulator.test_numbers import RULES, Behaviour, answer_delay, behaviour_for

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
