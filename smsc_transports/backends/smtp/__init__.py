"""SMSC's e-mail gateway (e-mail-to-SMS): :class:`AsyncSmtpTransport`.

Schemes: ``smtp://login:password@send.smsc.ru`` (STARTTLS when offered, or required
with ``tls=starttls``) and ``smtps://`` (TLS from the first byte). Capabilities: send
and bulk; cost, status and balance too when an HTTP companion is configured
(``status_via``), since SMTP itself answers nothing but a reply code. Options:
``docs/smtp.md``. Native asyncio; ``create_transport`` gives it a sync face.

Rule: I/O only. ``transport`` is the face; ``link`` owns the one pipelined SMTP
connection; ``errors`` maps SMTP replies and ``aiosmtplib`` failures onto the library's
exceptions (``reply_error`` and the ``connect_errors`` context manager). The body
and the MIME message are ``smsc_transports.wire.mail.body``'s business.
"""

from smsc_transports.backends.smtp.transport import AsyncSmtpTransport

__all__ = ["AsyncSmtpTransport"]
