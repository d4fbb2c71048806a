"""SMSC's HTTP(S) API: :class:`HttpTransport`.

Schemes: ``https://login:password@smsc.ru`` (``http://`` only for a local emulator).
Capabilities: send, bulk, cost, status, balance, incoming, history, senders, delete,
operator, jobs, raw and attachments — everything SMSC's API offers, and ``raw()`` for
the rest. Options: ``docs/http.md``, "Settings".

Rule: I/O only. ``transport`` is the face users get from the factory; ``client`` POSTs
each command and fails over between hosts; ``connection`` owns the sockets (plain,
TLS, through a proxy), kept alive, and each exchange's deadline; ``batch`` plans the requests
of ``send_many`` and turns answers back into one outcome per message; ``pipeline``
keeps its requests on the wire from the caller's thread. What a request
and an answer look like is ``smsc_transports.wire.http``'s business, never this
package's.
"""

from smsc_transports.backends.http.transport import HttpTransport

__all__ = ["HttpTransport"]
