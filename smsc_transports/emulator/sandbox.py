"""Rehearse on the emulator, go live by setting one variable: :func:`smsc_or_emulator`.

::

    with smsc_or_emulator("smpp") as target, create_transport(target.url) as transport:
        transport.send(Message(target.phone, "hello"))

With ``SMSC_URL`` set, ``target`` is the real SMSC and ``SMSC_DEMO_PHONE`` the
recipient; without it, an emulator runs in this process for the protocol asked for, on
a clock the caller moves by hand (``target.clock.advance(3)`` delivers the message).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

from smsc_transports.emulator.server import Emulator
from smsc_transports.emulator.state.clock import ManualClock
from smsc_transports.errors import ConfigurationError

__all__ = ["EMULATOR_PHONE", "Target", "smsc_or_emulator"]

EMULATOR_PHONE = "79990000001"  # a test number: delivered after the normal schedule
PROTOCOLS = ("http", "soap+http", "smtp", "smpp")


@dataclass(frozen=True)
class Target:
    """Where to send: a settings URL, a phone, and the emulator's clock (None on SMSC)."""

    url: str
    phone: str
    clock: ManualClock | None


@contextmanager
def smsc_or_emulator(
    protocol: str = "http", *, environ: Mapping[str, str] | None = None
) -> Iterator[Target]:
    """Yield the real SMSC when ``SMSC_URL`` is set, else a local emulator's ``protocol``.

    ``protocol`` is ``http``, ``soap+http``, ``smtp`` (with an HTTP ``status_via``
    companion, so status works) or ``smpp``.
    """
    env = os.environ if environ is None else environ
    url = env.get("SMSC_URL")
    if url:
        phone = env.get("SMSC_DEMO_PHONE")
        if not phone:
            raise ConfigurationError("SMSC_URL is set: also set SMSC_DEMO_PHONE to send to")
        yield Target(url, phone, None)
        return
    if protocol not in PROTOCOLS:
        raise ConfigurationError(f"unknown protocol {protocol!r}; one of {', '.join(PROTOCOLS)}")
    clock = ManualClock()
    with Emulator(
        clock=clock,
        smtp_port=0 if protocol == "smtp" else None,
        smpp_port=0 if protocol == "smpp" else None,
    ) as emulator:
        url = emulator.url(protocol)
        if protocol == "smtp":
            # A URL inside a URL's query is percent-encoded whole (docs/smtp.md).
            url += "?status_via=" + quote(emulator.url("http"), safe="")
        yield Target(url, EMULATOR_PHONE, clock)
