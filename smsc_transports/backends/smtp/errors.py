"""SMTP failures as the library's exceptions: one place maps replies and aiosmtplib errors.

* A 5xx reply whose text carries ``SMSC error N: text`` (the emulator's format, see
  :func:`~smsc_transports.wire.mail.replies.smsc_reply`) is SMSC's own error, built by
  :func:`~smsc_transports.errors.api_error` with the SMTP code in ``protocol_status``.
* A refusal before the message content was sent (greeting, EHLO, STARTTLS, AUTH, MAIL,
  RCPT, the DATA command) is :class:`SmtpNotSent`, a :class:`ConnectError`: nothing
  reached SMSC, sending again is safe.
* A refusal of the content itself is :class:`SmtpReplyError`; by SMTP's rules the
  message was not taken (``temporary`` says whether the server asked to try later).

Reply texts go through :func:`~smsc_transports.errors.safe_excerpt` with the secrets,
since a server may echo what it was sent.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterable, Iterator

import aiosmtplib

from smsc_transports.errors import (
    ConnectError,
    SMSCError,
    TransportError,
    api_error,
    safe_excerpt,
)
from smsc_transports.wire.mail.replies import parse_smsc_reply

__all__ = [
    "SmtpAuthenticationError",
    "SmtpNotSent",
    "SmtpReplyError",
    "connect_errors",
    "reply_error",
]

# Codes that come with the message id SMSC assigned (smsc-protocol.md §1.5).
_CODES_WITH_ID = frozenset({3, 6, 7, 8})


class SmtpReplyError(TransportError):
    """The SMTP server refused: ``code`` and ``reply`` (masked) at ``stage``.

    ``temporary`` is true for 4xx codes (the server asked to try later).
    """

    def __init__(self, code: int, reply: str, *, stage: str) -> None:
        self.code = code
        self.reply = reply
        self.stage = stage
        super().__init__(f"SMTP server refused the {stage} with {code}: {reply}")

    @property
    def temporary(self) -> bool:
        """Whether the code is 4xx: the server may accept the same request later."""
        return 400 <= self.code < 500


class SmtpNotSent(SmtpReplyError, ConnectError):
    """Refused before the message content was sent; nothing reached SMSC."""


class SmtpAuthenticationError(SmtpNotSent):
    """SMTP AUTH was refused (``smtp_user``/``smtp_password``, not the SMSC account).

    Every later message would be refused too, so a batch stops at it.
    """

    stops_batch = True


def reply_error(
    code: int,
    text: str,
    *,
    stage: str,
    id: str | None = None,
    secrets: Iterable[str | None] = (),
    content_sent: bool = False,
) -> SMSCError:
    """Return the exception for a refusal ``code``/``text`` of the message ``id``.

    A 5xx text holding ``SMSC error N: description`` becomes SMSC's error ``N``;
    anything else an :class:`SmtpReplyError` (:class:`SmtpNotSent` when the content
    had not been sent yet).
    """
    excerpt = safe_excerpt(text, secrets, limit=300)
    found = parse_smsc_reply(excerpt)
    if found is not None and 500 <= code < 600:
        error, description, reply_id = found
        return api_error(
            error,
            description,
            id=(reply_id or id) if error in _CODES_WITH_ID else None,
            protocol_status=code,
        )
    if content_sent:
        return SmtpReplyError(code, excerpt, stage=stage)
    return SmtpNotSent(code, excerpt, stage=stage)


@contextlib.contextmanager
def connect_errors(address: str, secrets: Iterable[str | None] = ()) -> Iterator[None]:
    """Turn what opening, securing and authenticating a connection raises into ours."""
    secrets = tuple(secrets)
    try:
        yield
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise SmtpAuthenticationError(
            exc.code, safe_excerpt(exc.message, secrets), stage="SMTP AUTH"
        ) from None
    except aiosmtplib.SMTPResponseException as exc:
        raise SmtpNotSent(
            exc.code, safe_excerpt(exc.message, secrets), stage=f"connection to {address}"
        ) from None
    except (aiosmtplib.SMTPTimeoutError, TimeoutError):
        raise ConnectError(f"timed out connecting to {address}") from None
    except ssl.SSLError as exc:
        raise ConnectError(f"TLS with {address} failed: {exc.reason or exc}") from None
    except aiosmtplib.SMTPException as exc:
        # Connection refused, lost during the handshake, STARTTLS or AUTH not offered.
        cause = exc.__cause__
        if isinstance(cause, ssl.SSLError):
            raise ConnectError(f"TLS with {address} failed: {cause.reason or cause}") from None
        raise ConnectError(
            f"cannot talk to {address}: {safe_excerpt(exc.message, secrets)}"
        ) from None
    except OSError as exc:
        raise ConnectError(f"cannot connect to {address}: {exc}") from None
