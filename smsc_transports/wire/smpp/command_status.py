"""SMPP ``command_status`` → the library's exceptions (smsc-protocol.md §1.6, SMPP 3.4 §5.1.3).

SMSC does not document which status it answers for which of its own error codes
(§3 [U]), so only the statuses whose meaning is the same as an SMSC code map onto that
code; every other status becomes :class:`~smsc_transports.errors.UnknownAPIError` with
the status as its code. The status itself is always kept in ``protocol_status``.

Statuses ``base + N`` (``base`` = 0x400, the start of SMPP's vendor-specific range) are
read as SMSC code ``N`` for N in 1…9. That is this library's convention — the emulator
answers that way — not a documented SMSC fact; pass ``base=0`` to turn it off.
"""

from __future__ import annotations

from typing import Final

from smsc_transports.errors import APIError, UnknownAPIError, api_error
from smsc_transports.wire.smpp.pdu import (
    ESME_RBINDFAIL,
    ESME_RINVDSTADR,
    ESME_RINVDSTNPI,
    ESME_RINVDSTTON,
    ESME_RINVEXPIRY,
    ESME_RINVPASWD,
    ESME_RINVSCHED,
    ESME_RINVSRCADR,
    ESME_RINVSRCNPI,
    ESME_RINVSRCTON,
    ESME_RINVSYSID,
    ESME_RMSGQFUL,
    ESME_RTHROTTLED,
    status_text,
)

__all__ = ["SMSC_STATUS_BASE", "THROTTLING", "smpp_error", "smsc_code", "status_for_code"]

SMSC_STATUS_BASE: Final = 0x400
THROTTLING: Final = frozenset({ESME_RTHROTTLED, ESME_RMSGQFUL})
"""Statuses that mean "not now": the message was refused unread and may be resubmitted."""

_CODE_BY_STATUS: Final = {
    ESME_RBINDFAIL: 2,
    ESME_RINVPASWD: 2,
    ESME_RINVSYSID: 2,
    ESME_RINVDSTADR: 7,
    ESME_RINVDSTTON: 7,
    ESME_RINVDSTNPI: 7,
    ESME_RINVSRCADR: 6,  # SMSC's code 6 covers a forbidden sender name
    ESME_RINVSRCTON: 6,
    ESME_RINVSRCNPI: 6,
    ESME_RINVSCHED: 5,
    ESME_RINVEXPIRY: 5,
    ESME_RTHROTTLED: 9,
    ESME_RMSGQFUL: 9,
}
# The reverse, for a server (the emulator) that must answer an SMSC code over SMPP.
_STATUS_BY_CODE: Final = {
    2: ESME_RBINDFAIL,
    5: ESME_RINVSCHED,
    6: ESME_RINVSRCADR,
    7: ESME_RINVDSTADR,
}


def smsc_code(status: int, base: int = SMSC_STATUS_BASE) -> int | None:
    """Return the SMSC error code a ``command_status`` stands for, or ``None``."""
    if base and base + 1 <= status <= base + 9:
        return status - base
    return _CODE_BY_STATUS.get(status)


def status_for_code(code: int, base: int = SMSC_STATUS_BASE) -> int:
    """Return the ``command_status`` a server answers for SMSC error ``code``."""
    if code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[code]
    return base + code if base and 1 <= code <= 9 else 0x45  # ESME_RSUBMITFAIL


def smpp_error(
    status: int, *, operation: str = "send", base: int = SMSC_STATUS_BASE, id: str | None = None
) -> APIError:
    """Return the :class:`APIError` for an error ``command_status``, the status kept."""
    code = smsc_code(status, base)
    where = f"command_status 0x{status:08X}"
    if code is None:
        # Never through api_error: status 1 (ESME_RINVMSGLEN) is not SMSC's code 1.
        text = f"SMPP {status_text(status)} ({where})"
        return UnknownAPIError(
            text, code=status, id=id, operation=operation, protocol_status=status
        )
    # Said as SMSC says the code over HTTP; the SMPP status follows, named when the
    # standard names it (the vendor range has no names of its own).
    meaning = api_error(code, operation=operation).message
    named = "" if base and base < status <= base + 9 else f"{status_text(status)}, "
    text = f"{meaning} (SMPP {named}{where})"
    return api_error(code, text, id=id, operation=operation, protocol_status=status)
