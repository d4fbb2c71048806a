"""The TLS context an ``smpps`` link connects with."""

from __future__ import annotations

import ssl

from smsc_transports.wire.smpp.session.options import SmppOptions

__all__ = ["client_context"]


def client_context(options: SmppOptions) -> ssl.SSLContext | None:
    """The TLS context for ``smpps`` (``None`` for plain ``smpp``).

    Certificate and host name are checked unless ``verify=0`` (smpplib's own
    ``wrap_socket`` passes no server name at all); ``ca_file`` replaces the system's
    certificate authorities.
    """
    if not options.tls:
        return None
    context = ssl.create_default_context(cafile=options.ca_file)
    if not options.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
