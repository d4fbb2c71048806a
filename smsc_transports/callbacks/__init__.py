"""SMSC's HTTP callbacks: parse them, and receive them with a tiny WSGI or ASGI app.

SMSC calls a URL you set in your account after each delivery-status change of a message
you sent and after each incoming SMS (smsc-protocol.md §5.1). This module turns those
requests into the library's own result types::

    from smsc_transports.callbacks import make_wsgi_app

    def on_status(result: StatusResult) -> None:      # id, phone, status, error, raw
        orders.mark(result.id, result.status)

    app = make_wsgi_app(on_status, on_incoming=None, secret="dummy-secret")

Parsing (:mod:`.parse`): :func:`parse_callback` returns a
:class:`~smsc_transports.results.StatusResult` or an
:class:`~smsc_transports.results.IncomingMessage`; a callback with a ``status`` field
is a status, one with a text field (``mes``) and no ``status`` an incoming message.
Field names beyond ``id``/``status``/``err``/``phone`` are unconfirmed, so they are a
:class:`CallbackFields` value you can change. A bad callback raises
:class:`~smsc_transports.errors.ValidationError`.

Receiving (:mod:`.apps`): :func:`make_wsgi_app` and :func:`make_asgi_app`
accept GET and POST (form-encoded or multipart), call your function, answer ``200 OK``;
a malformed callback gets 400 with the reason, a failing function 500 (logged), a body
over the limit 413. The optional shared secret (``?token=`` or a header) is this
library's addition, not an SMSC feature.

Rule: this package parses untrusted requests and calls the user's functions; it may
import the core modules and ``wire/http`` (SMSC's date forms) and never sends
anything, so it imports no backend and no emulator. ``parse`` reads callback fields,
``forms`` decodes request bodies, ``apps`` holds the WSGI and ASGI receivers.
"""

from __future__ import annotations

from smsc_transports.callbacks.apps import (
    ASGIApp,
    CallbackReceiver,
    IncomingHandler,
    Reply,
    StatusHandler,
    make_asgi_app,
    make_wsgi_app,
)
from smsc_transports.callbacks.parse import (
    DEFAULT_FIELDS,
    CallbackFields,
    CallbackKind,
    Form,
    callback_kind,
    form_fields,
    parse_callback,
    parse_incoming_callback,
    parse_status_callback,
)

__all__ = [
    "DEFAULT_FIELDS",
    "ASGIApp",
    "CallbackFields",
    "CallbackKind",
    "CallbackReceiver",
    "Form",
    "IncomingHandler",
    "Reply",
    "StatusHandler",
    "callback_kind",
    "form_fields",
    "make_asgi_app",
    "make_wsgi_app",
    "parse_callback",
    "parse_incoming_callback",
    "parse_status_callback",
]
