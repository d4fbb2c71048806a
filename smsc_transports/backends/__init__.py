"""The transports: I/O only — sockets, threads, event loops and third-party clients.

Rule: a backend moves bytes and wakes callers; what the bytes mean is ``wire/``'s
business. Backends import the core and ``wire/`` (and may share code with each other,
as ``http/`` and ``soap`` share ``calls``); they never import ``emulator/``,
``cli/``, ``callbacks/`` or ``contrib/``. Each is reached through the factory's
registry by a URL scheme, and its registry path does not change when a module grows
into a folder:

* ``http/`` — ``https://``, ``http://``: :class:`~smsc_transports.backends.http.HttpTransport`.
* ``smtp/`` — ``smtp://``, ``smtps://``: :class:`~smsc_transports.backends.smtp.AsyncSmtpTransport`.
* ``smpp/`` — ``smpp://``, ``smpps://``: :class:`~smsc_transports.backends.smpp.SmppTransport`
  and :class:`~smsc_transports.backends.smpp.AsyncSmppTransport`.
* ``soap/`` — ``soap://``: :class:`~smsc_transports.backends.soap.SoapTransport`.
* ``calls`` — what ``http/`` and ``soap`` share about a call: failover between hosts and
  what the observer hears.
* ``pacing`` — what they share about SMSC's limits: the opt-in request cap and the
  back-off of requests SMSC refused for load.
* ``steps`` — a call written as a generator that pauses where it waits for SMSC's
  answer, so that one thread can have several requests on the wire.
"""
