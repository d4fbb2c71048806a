"""The emulator's HTTP front end: SMSC's ``/sys/*.php`` API, ``/rest/send/`` and SOAP.

Rule: this package translates HTTP (and SOAP, served on the same port at
``/sys/soap.php`` as on SMSC) to calls on the shared
:class:`~smsc_transports.emulator.state.EmulatorState` and back. It may import
``emulator/state``, ``smsc_transports.wire`` (SMSC's SOAP envelope and WSDL) and the
core modules; it never imports another front end, ``smsc_transports.backends`` or
``smsc_transports.cli``, and it keeps no SMSC data of its own: that lives in the state.

* ``front`` — :class:`HttpFrontEnd`, the threaded server and its routes.
* ``params`` — a request's query and body as decoded SMSC parameters.
* ``commands`` — each API command: parameters in, a call on the state, text out.
* ``render`` — SMSC's answer formats (``fmt`` 0-3).
* ``soap`` — the SOAP endpoint, built on ``params``, ``commands`` and ``render``.
"""

from smsc_transports.emulator.http.front import HttpFrontEnd

__all__ = ["HttpFrontEnd"]
