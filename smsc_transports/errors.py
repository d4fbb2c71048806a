"""The exception tree, and the map from SMSC error codes to it.

::

    SMSCError                          root of everything this library raises
    ├── ConfigurationError             bad settings, unknown URL scheme
    ├── ValidationError                bad input, raised before anything is sent
    ├── UnsupportedOperation           the protocol cannot do it (names those that can)
    ├── NotSent                        never sent: its batch stopped at a fatal error (cause)
    ├── TransportError                 could not talk to SMSC
    │   ├── ConnectError               never reached SMSC: safe to retry elsewhere
    │   ├── TransportTimeout           no answer in time: the request may have arrived
    │   ├── ProtocolError              the answer is malformed or hostile
    │   └── OutcomeUnknown             the link dropped after the request was written
    └── APIError                       SMSC answered with an error code
        ├── ParameterError        1    error in parameters
        ├── AuthenticationError   2    bad login/password/API key, or IP not allowed
        ├── InsufficientFunds     3    not enough money on the account   (id kept)
        ├── IPBlocked             4    IP temporarily blocked for frequent errors
        ├── DateFormatError       5    bad date format (send)
        ├── DeleteError           5    a message could not be deleted (status)
        ├── MessageForbidden      6    forbidden text or sender          (id kept)
        ├── InvalidPhone          7    bad phone number format           (id kept)
        ├── Undeliverable         8    cannot deliver to this number     (id kept)
        ├── RateLimited           9    duplicate request, or too many at once
        └── UnknownAPIError       *    any other code, kept as given

The same code means slightly different things per operation (5 is a date error for
``send.php`` and a delete error for ``status.php``), so :func:`api_error` takes the
operation. Every backend (HTTP error JSON, SOAP ``error`` field, SMPP
``command_status``) builds its exceptions through :func:`api_error`.

No exception text ever holds a password or an API key: backends quote server answers
through :func:`safe_excerpt`, which masks them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from typing import ClassVar, Literal

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "ConnectError",
    "DateFormatError",
    "DeleteError",
    "IPBlocked",
    "InsufficientFunds",
    "InvalidPhone",
    "MessageForbidden",
    "NotSent",
    "Operation",
    "OutcomeUnknown",
    "ParameterError",
    "ProtocolError",
    "RateLimited",
    "SMSCError",
    "TransportError",
    "TransportTimeout",
    "Undeliverable",
    "UnknownAPIError",
    "UnsupportedOperation",
    "ValidationError",
    "api_error",
    "safe_excerpt",
    "stops_sending",
]

Operation = Literal[
    "send",
    "cost",
    "status",
    "balance",
    "get",
    "senders",
    "delete",
    "history",
    "incoming",
    "operator",
    "jobs",
    "cancel",
    "replace",
    "bind",
]
"""The names :attr:`APIError.operation` takes for the library's own calls.

A ``raw`` call's error carries the command it named instead (``info``, a SOAP
operation…), so the attribute itself is a ``str``.
"""


class SMSCError(Exception):
    """Root of every exception raised by smsc_transports.

    ``stops_batch`` is true for errors every later message of a batch would get too
    (:func:`stops_sending`).
    """

    stops_batch: ClassVar[bool] = False


class ConfigurationError(SMSCError, ValueError):
    """The settings are incomplete or inconsistent (unknown scheme, missing password...)."""


class ValidationError(SMSCError, ValueError):
    """The input cannot be sent as it is; raised before anything goes on the wire."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnsupportedOperation(SMSCError, NotImplementedError):
    """The configured protocol cannot perform this operation.

    ``supported_by`` names the protocols that can; ``companion`` the settings option
    that would let this transport do it through another protocol (SMTP's
    ``status_via``), where there is one.
    """

    def __init__(
        self,
        operation: str,
        protocol: str,
        supported_by: Iterable[str] = (),
        *,
        companion: str | None = None,
    ) -> None:
        self.operation = operation
        self.protocol = protocol
        self.supported_by = tuple(supported_by)
        self.companion = companion
        text = f"{operation} is not available over {protocol}"
        if self.supported_by:
            text += f"; use {', '.join(self.supported_by)}"
        if companion:
            text += f", or set {companion} to an HTTP(S) URL for it"
        super().__init__(text)


class NotSent(SMSCError):
    """Never sent: an earlier message of the same batch failed in a way every later one
    would too, so sending stopped (:func:`stops_sending`).

    ``cause`` is that error (wrong credentials, a blocked IP, no money). Nothing of this
    message reached SMSC: send it again once the cause is fixed.
    """

    def __init__(self, cause: SMSCError) -> None:
        self.cause = cause
        super().__init__(f"not sent: the batch stopped at {type(cause).__name__}: {cause}")


class TransportError(SMSCError):
    """Could not talk to SMSC: connection, TLS, timeout or a malformed answer."""


class ConnectError(TransportError):
    """The request never reached SMSC (refused, DNS, TLS handshake): safe to retry."""


class TransportTimeout(TransportError):
    """SMSC did not answer in time; a send may or may not have been accepted."""


class ProtocolError(TransportError):
    """The server's answer could not be understood (truncated, not JSON, bad PDU...)."""


class OutcomeUnknown(TransportError):
    """The request was written but the link was lost before the answer arrived.

    The message may have been accepted; it is never resent automatically. Send it
    again with the same ``Message.id`` to let SMSC reject a duplicate (code 9).
    ``accepted_ids`` are the ids SMSC gave the parts it did answer (SMPP: one submit_sm
    per part and recipient), to ask their status by; empty where none is known.
    """

    accepted_ids: tuple[str, ...] = ()


class APIError(SMSCError):
    """SMSC answered with an error code.

    ``code`` is SMSC's number, ``message`` its text, ``id`` the message id SMSC assigned
    (codes 3, 6, 7 and 8 assign one), ``operation`` what was asked, and
    ``protocol_status`` the protocol's own status where it has one (an SMPP
    ``command_status``, an SMTP reply code).
    """

    code: ClassVar[int] = 0
    description: ClassVar[str] = "SMSC error"

    def __init__(
        self,
        message: str = "",
        *,
        code: int | None = None,
        id: str | None = None,
        operation: str = "send",
        protocol_status: int | None = None,
    ) -> None:
        if code is not None:
            self.code = code  # type: ignore[misc]  # instances of UnknownAPIError keep theirs
        self.message = message or self.description
        self.id = id
        self.operation = operation
        self.protocol_status = protocol_status
        text = f"SMSC error {self.code}: {self.message}"
        if id is not None:
            text += f" (message id {id})"
        super().__init__(text)


class ParameterError(APIError):
    """Code 1: an error in the request parameters."""

    code = 1
    description = "error in parameters"


class AuthenticationError(APIError):
    """Code 2: invalid login, password or API key, or a request from a non-allowed IP."""

    code = 2
    description = "invalid login or password, or IP address not allowed"
    stops_batch = True


class InsufficientFunds(APIError):
    """Code 3: not enough money on the account."""

    code = 3
    description = "not enough funds on the account"
    stops_batch = True


class IPBlocked(APIError):
    """Code 4: the IP address is temporarily blocked after frequent errors."""

    code = 4
    description = "IP address temporarily blocked because of frequent errors"
    stops_batch = True


class DateFormatError(APIError):
    """Code 5 of a send: the ``time`` parameter is malformed."""

    code = 5
    description = "invalid date format"


class DeleteError(APIError):
    """Code 5 of a status request: the message could not be deleted."""

    code = 5
    description = "error deleting the message"


class MessageForbidden(APIError):
    """Code 6: forbidden by text or sender name, or bulk mail without a contract."""

    code = 6
    description = "message forbidden (text or sender name)"


class InvalidPhone(APIError):
    """Code 7: the phone number is malformed."""

    code = 7
    description = "invalid phone number format"


class Undeliverable(APIError):
    """Code 8: the message cannot be delivered to this number."""

    code = 8
    description = "message cannot be delivered to this number"


class RateLimited(APIError):
    """Code 9: a duplicate request within a minute, or too many requests at once.

    For a send that carried the caller's own ``id`` and is being retried, this means
    the first attempt was accepted.
    """

    code = 9
    description = "duplicate request or too many requests, wait a minute"


class UnknownAPIError(APIError):
    """An error code this library does not know; ``code`` holds it as SMSC sent it."""

    description = "unknown SMSC error"


_BY_CODE: dict[int, type[APIError]] = {
    cls.code: cls
    for cls in (
        ParameterError,
        AuthenticationError,
        InsufficientFunds,
        IPBlocked,
        DateFormatError,
        MessageForbidden,
        InvalidPhone,
        Undeliverable,
        RateLimited,
    )
}

# Which codes each operation can answer (smsc-protocol.md §1.6, §1.7, §1.10, §4).
_CODES_BY_OPERATION: dict[str, frozenset[int]] = {
    "send": frozenset(range(1, 10)),
    "cost": frozenset(range(1, 10)),
    "status": frozenset({1, 2, 4, 5, 9}),
    "delete": frozenset({1, 2, 4, 5, 9}),
    "balance": frozenset({1, 2, 4, 9}),
    "get": frozenset({1, 2, 4, 9}),
    "senders": frozenset({1, 2, 4, 9}),
}


def api_error(
    code: int,
    message: str = "",
    *,
    id: str | None = None,
    operation: str = "send",
    protocol_status: int | None = None,
) -> APIError:
    """Return the :class:`APIError` subclass instance that stands for ``code``.

    A code the operation does not document still maps to its class (SMSC adds codes
    over time); a code no class knows becomes :class:`UnknownAPIError` with the code
    kept.
    """
    cls: type[APIError]
    if code == 5 and operation in ("status", "delete"):
        cls = DeleteError
    else:
        cls = _BY_CODE.get(code, UnknownAPIError)
    if cls is UnknownAPIError:
        return UnknownAPIError(
            message, code=code, id=id, operation=operation, protocol_status=protocol_status
        )
    return cls(message, id=id, operation=operation, protocol_status=protocol_status)


def documented_codes(operation: str) -> frozenset[int]:
    """Return the error codes SMSC documents for ``operation``."""
    return _CODES_BY_OPERATION.get(operation, frozenset())


# A run of base64 (or URL-safe base64): where SMTP AUTH's encoded password may be echoed.
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{4,}={0,2}")
_URLSAFE = str.maketrans("-_", "+/")
_SECRET_PARAM = re.compile(r"((?:psw|password|apikey|api_key|passwd)=)[^&\s\"'<>]*", re.I)
_SECRET_JSON = re.compile(r"(\"(?:psw|password|apikey)\"\s*:\s*\")(?:[^\"\\]|\\.)*", re.I)


def safe_excerpt(text: str | bytes, secrets: Iterable[str | None] = (), *, limit: int = 200) -> str:
    """Return about ``limit`` characters of a server answer, fit to put in an error.

    Known secrets, any base64 run that decodes to text holding one (SMTP AUTH LOGIN
    and AUTH PLAIN send the password so, and a server may echo the line), and anything
    shaped like ``psw=…`` are masked, control characters
    escaped (which may lengthen the text) and a cut marked with an ellipsis, so the
    excerpt can go into logs and exception texts.
    """
    if isinstance(text, bytes):
        text = text[: limit * 4].decode("utf-8", "replace")
    known = [secret for secret in secrets if secret]
    for secret in known:
        text = text.replace(secret, "***")
    if known:
        text = _mask_encoded(text, known)
    text = _SECRET_PARAM.sub(r"\1***", text)
    text = _SECRET_JSON.sub(r"\1***", text)
    cut = len(text) > limit
    text = "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text[:limit]
    )
    return text + ("…" if cut else "")


def stops_sending(error: BaseException) -> bool:
    """Whether every later message of a batch would fail with ``error`` too.

    Wrong credentials, a blocked IP and an empty account refuse every request alike, and
    SMSC blocks an IP that keeps making failing requests (error 4), so ``send_many``
    sends nothing more after one of them: the rest end as :class:`NotSent`. An error
    class says so with its ``stops_batch`` attribute.
    """
    return isinstance(error, SMSCError) and error.stops_batch


def _mask_encoded(text: str, secrets: Sequence[str]) -> str:
    """Mask every base64 run of ``text`` that decodes to bytes holding one of ``secrets``."""
    needles = [secret.encode("utf-8") for secret in secrets]

    def mask(found: re.Match[str]) -> str:
        token = found[0].translate(_URLSAFE)
        try:
            decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        except (binascii.Error, ValueError):
            return found[0]
        return "***" if any(needle in decoded for needle in needles) else found[0]

    return _BASE64_TOKEN.sub(mask, text)
