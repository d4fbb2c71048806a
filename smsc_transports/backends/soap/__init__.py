"""SMSC's SOAP API through zeep: :class:`SoapTransport`.

Schemes: ``soap://login:password@smsc.ru`` (``soap+https://``), ``soap+http://`` only for
a local emulator or a TLS-terminating proxy. Options: ``docs/soap.md``.

Rule: I/O only. ``transport`` is the face users get from the factory and the
:class:`SoapClient` that makes each call (failover, answers checked); ``session`` is
zeep's ``requests`` session, whose calls it bounds by a deadline and whose errors it
maps. What an envelope and an answer hold is ``smsc_transports.wire.soap``'s business.
"""

from smsc_transports.backends.soap.transport import SoapClient, SoapTransport

__all__ = ["SoapClient", "SoapTransport"]
