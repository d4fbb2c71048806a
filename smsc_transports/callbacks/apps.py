"""A tiny WSGI app and ASGI app that receive SMSC's callbacks and hand them to your function.

Both share one sans-I/O core, :class:`CallbackReceiver`: a request (method, query,
content type, token, body) in, either a ready answer or a parsed callback out. The
apps only move bytes. What they answer:

=====  ==========================================================================
200    ``OK`` — the callback was handed to your function (or was an empty probe)
400    the callback is malformed; the body says why
403    a shared secret is configured and the request does not carry it
405    a method other than GET or POST
413    the body is larger than ``max_body``
415    a POST that is neither form-encoded nor multipart
500    your function raised; the exception is logged, the client sees no details
=====  ==========================================================================

The shared secret is this library's own addition, not SMSC's (SMSC's signing scheme,
if any, is unknown [U]): put ``?token=SECRET`` in the callback URL you give SMSC, or
send the ``X-Callback-Token`` header from a proxy.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from smsc_transports.callbacks.forms import (
    UnsupportedBody,
    charset_of,
    check_charset,
    decode_pairs,
    multipart_pairs,
)
from smsc_transports.callbacks.parse import DEFAULT_FIELDS, CallbackFields, parse_callback
from smsc_transports.errors import ValidationError
from smsc_transports.results import IncomingMessage, StatusResult

__all__ = [
    "ASGIApp",
    "CallbackReceiver",
    "IncomingHandler",
    "Reply",
    "StatusHandler",
    "make_asgi_app",
    "make_wsgi_app",
]

log = logging.getLogger(__name__)

StatusHandler = Callable[[StatusResult], Any]
"""Your function for status callbacks (a coroutine function is fine under ASGI)."""
IncomingHandler = Callable[[IncomingMessage], Any]
"""Your function for incoming-message callbacks."""

ASGIScope = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[MutableMapping[str, Any]]]
ASGISend = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[ASGIScope, ASGIReceive, ASGISend], Awaitable[None]]

DEFAULT_MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer: status code and plain-text body."""

    code: int
    text: str

    @property
    def status_line(self) -> str:
        """``"200 OK"``-style status for WSGI."""
        reasons = {200: "OK", 400: "Bad Request", 403: "Forbidden", 405: "Method Not Allowed",
                   413: "Content Too Large", 415: "Unsupported Media Type",
                   500: "Internal Server Error"}  # fmt: skip
        return f"{self.code} {reasons.get(self.code, 'Error')}"

    def headers(self) -> list[tuple[str, str]]:
        """The answer's headers."""
        found = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(self.body))),
        ]
        if self.code == 405:
            found.append(("Allow", "GET, POST"))
        return found

    @property
    def body(self) -> bytes:
        """The body as bytes."""
        return (self.text + "\n").encode("utf-8")


OK = Reply(200, "OK")
INTERNAL = Reply(500, "internal error")


class CallbackReceiver:
    """Turns one HTTP request into a parsed callback or an answer; calls nothing itself.

    ``fields`` names the form fields (see :class:`CallbackFields`); ``secret`` enables
    the token check (query parameter ``token_param`` or header ``token_header``);
    ``max_body`` caps the body; ``charset`` decodes bodies that do not name theirs.
    """

    def __init__(
        self,
        *,
        fields: CallbackFields = DEFAULT_FIELDS,
        secret: str | None = None,
        token_param: str = "token",  # noqa: S107  # a parameter name, not a secret
        token_header: str = "X-Callback-Token",  # noqa: S107  # a header name
        max_body: int = DEFAULT_MAX_BODY,
        charset: str = "utf-8",
    ) -> None:
        check_charset(charset)  # fail now, not on the first callback
        self.fields = fields
        self.secret = secret
        self.token_param = token_param
        self.token_header = token_header.lower()
        self.max_body = max_body
        self.charset = charset

    def early_reply(self, method: str, content_length: int | None) -> Reply | None:
        """An answer decided before reading the body (bad method, body too large)."""
        if method not in ("GET", "POST"):
            return Reply(405, "only GET and POST are accepted")
        if content_length is not None and content_length > self.max_body:
            return Reply(413, f"the body is larger than {self.max_body} bytes")
        return None

    def receive(
        self, method: str, query: bytes, content_type: str, token: str | None, body: bytes
    ) -> StatusResult | IncomingMessage | Reply:
        """Return the callback the request carries, or the answer to give instead.

        With a secret, the token is checked before the body is read for anything but
        the token itself: the header and the query first; only when neither carries
        the right one is the body read for a ``token`` field, and a body that cannot
        be read then is answered 403, like a wrong token. Nothing here raises.
        """
        early = self.early_reply(method, len(body))
        if early is not None:
            return early
        trusted = self.secret is None or self._is_secret(token)
        try:
            query_fields = dict(decode_pairs(query, self.charset))
        except ValidationError as exc:
            return self._bad(str(exc)) if trusted else self._forbidden()
        trusted = trusted or self._is_secret(query_fields.pop(self.token_param, None))
        query_fields.pop(self.token_param, None)
        try:
            body_fields = self._body_fields(method, content_type, body)
        except UnsupportedBody as exc:
            return Reply(415, str(exc)) if trusted else self._forbidden()
        except ValidationError as exc:
            return self._bad(str(exc)) if trusted else self._forbidden()
        trusted = trusted or self._is_secret(body_fields.get(self.token_param))
        if not trusted:
            return self._forbidden()
        body_fields.pop(self.token_param, None)
        # Body fields come last and win over same-named query parameters.
        fields = {**query_fields, **body_fields}
        if not fields:
            return OK  # an empty probe (a browser, a health check): nothing to report
        try:
            return parse_callback(fields, self.fields)
        except ValidationError as exc:
            return self._bad(str(exc))

    def _is_secret(self, given: str | None) -> bool:
        return (
            self.secret is not None
            and given is not None
            and hmac.compare_digest(given.encode("utf-8", "replace"), self.secret.encode())
        )

    def _forbidden(self) -> Reply:
        log.warning("refused a callback without the right token")
        return Reply(403, "forbidden")

    def _body_fields(self, method: str, content_type: str, body: bytes) -> dict[str, str]:
        """The body's fields; ValidationError or UnsupportedBody for a body that is not one."""
        if method != "POST" or not body:
            return {}
        try:
            return dict(self._body_pairs(content_type, body))
        except (ValidationError, UnsupportedBody):
            raise
        except Exception as exc:
            # The parsers refuse what they know to be malformed; anything else a hostile
            # body provokes is malformed too, and must not become a 500 or escape.
            log.debug("unreadable callback body", exc_info=True)
            raise ValidationError(f"unreadable body ({type(exc).__name__})") from None

    def _bad(self, reason: str) -> Reply:
        log.warning("refused a malformed callback: %s", reason)
        return Reply(400, f"bad callback: {reason}")

    def _body_pairs(self, content_type: str, body: bytes) -> list[tuple[str, str]]:
        kind, _, params = content_type.partition(";")
        kind = kind.strip().lower()
        charset = charset_of(params) or self.charset
        # No type at all arrives as text/plain from some WSGI servers (wsgiref): read it
        # as a form too, since what SMSC sends is not documented [U].
        if kind in ("", "application/x-www-form-urlencoded", "text/plain"):
            return decode_pairs(body, charset)
        if kind == "multipart/form-data":
            return multipart_pairs(content_type, body, charset)
        raise UnsupportedBody(f"unsupported content type {kind!r}: send a form")


def _check_handlers(on_status: StatusHandler, on_incoming: IncomingHandler | None) -> None:
    if not callable(on_status) or (on_incoming is not None and not callable(on_incoming)):
        raise TypeError("callback handlers must be callables")


def _handler_for(
    event: StatusResult | IncomingMessage,
    on_status: StatusHandler,
    on_incoming: IncomingHandler | None,
) -> Callable[[Any], Any] | None:
    if isinstance(event, StatusResult):
        return on_status
    if on_incoming is None:
        # SMSC calls one URL for both kinds; without a handler an incoming message is
        # acknowledged (a refusal would only make SMSC try again) and left to get.php.
        log.debug("incoming-message callback %s acknowledged; no handler is set", event.id)
    return on_incoming


def make_wsgi_app(
    on_status: StatusHandler,
    on_incoming: IncomingHandler | None = None,
    **options: Any,
) -> WSGIApplication:
    """Return a WSGI app that parses each callback and calls ``on_status``/``on_incoming``.

    ``options`` are :class:`CallbackReceiver`'s (``fields``, ``secret``, ``token_param``,
    ``token_header``, ``max_body``, ``charset``). The handlers are plain functions.
    """
    _check_handlers(on_status, on_incoming)
    if inspect.iscoroutinefunction(on_status) or inspect.iscoroutinefunction(on_incoming):
        raise TypeError("a WSGI app calls plain functions; use make_asgi_app for coroutines")
    receiver = CallbackReceiver(**options)
    header_key = "HTTP_" + receiver.token_header.upper().replace("-", "_")

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        reply = _wsgi_reply(environ, receiver, header_key, on_status, on_incoming)
        start_response(reply.status_line, reply.headers())
        return [reply.body]

    return app


def _wsgi_reply(
    environ: WSGIEnvironment,
    receiver: CallbackReceiver,
    header_key: str,
    on_status: StatusHandler,
    on_incoming: IncomingHandler | None,
) -> Reply:
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return Reply(400, "bad Content-Length")
    if length < 0:
        return Reply(400, "bad Content-Length")
    early = receiver.early_reply(method, length)
    if early is not None:
        return early
    body = environ["wsgi.input"].read(length) if method == "POST" and length else b""
    if len(body) < length:
        return Reply(400, "the body ended early")
    # PEP 3333 hands the query over as latin-1 "bytes in a str": undo that first.
    query = str(environ.get("QUERY_STRING", "")).encode("latin-1", "replace")
    token = environ.get(header_key)
    event = receiver.receive(method, query, str(environ.get("CONTENT_TYPE", "")), token, body)
    if isinstance(event, Reply):
        return event
    handler = _handler_for(event, on_status, on_incoming)
    if handler is not None:
        try:
            handler(event)
        except Exception:
            log.exception("the callback handler failed for message %s", event.id)
            return INTERNAL
    return OK


def make_asgi_app(
    on_status: StatusHandler,
    on_incoming: IncomingHandler | None = None,
    **options: Any,
) -> ASGIApp:
    """Return an ASGI app doing what :func:`make_wsgi_app` does, for asyncio servers.

    Coroutine handlers are awaited; plain functions run in a worker thread
    (``asyncio.to_thread``) so a slow one does not stall the event loop.
    """
    _check_handlers(on_status, on_incoming)
    receiver = CallbackReceiver(**options)

    async def app(scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        reply = await _asgi_reply(scope, receive, receiver, on_status, on_incoming)
        if reply is None:
            return  # the client went away
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers()]
        await send({"type": "http.response.start", "status": reply.code, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})

    return app


async def _lifespan(receive: ASGIReceive, send: ASGISend) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _asgi_reply(
    scope: ASGIScope,
    receive: ASGIReceive,
    receiver: CallbackReceiver,
    on_status: StatusHandler,
    on_incoming: IncomingHandler | None,
) -> Reply | None:
    method = str(scope.get("method", "GET")).upper()
    headers = {
        bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1")
        for k, v in scope.get("headers", ())
    }
    try:
        length = int(headers["content-length"]) if "content-length" in headers else None
    except ValueError:
        return Reply(400, "bad Content-Length")
    early = receiver.early_reply(method, length)
    if early is not None:
        return early
    body = bytearray()
    while method == "POST":
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > receiver.max_body:
            return Reply(413, f"the body is larger than {receiver.max_body} bytes")
        if not message.get("more_body", False):
            break
    query = bytes(scope.get("query_string", b""))
    token = headers.get(receiver.token_header)
    event = receiver.receive(method, query, headers.get("content-type", ""), token, bytes(body))
    if isinstance(event, Reply):
        return event
    handler = _handler_for(event, on_status, on_incoming)
    if handler is None:
        return OK
    try:
        if inspect.iscoroutinefunction(handler):
            await handler(event)
        else:
            result = await asyncio.to_thread(handler, event)
            if inspect.isawaitable(result):
                await result
    except Exception:
        log.exception("the callback handler failed for message %s", event.id)
        return INTERNAL
    return OK
