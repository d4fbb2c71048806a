"""The FastAPI app: send with an async transport, receive callbacks with ``make_asgi_app``.

========================================  ===============================================
``POST /sms``                             send ``{"phone", "text", "sender"?, "id"?}``;
                                          answers ``{"id", "parts", "cost"}``
``GET /sms/{id}/{phone}``                 the message's status
``POST /smsc/callback/?token=SECRET``     SMSC's status and incoming-message callbacks
``GET /smsc/events``                      what the callbacks brought, oldest first
========================================  ===============================================

One transport per app, opened when the app starts and closed when it stops: over SMPP
that is one bind, over HTTP one pool of keep-alive connections. The callback receiver
is the library's own ASGI app, mounted under ``/smsc/callback/``; it checks the shared
secret, parses the form and hands each callback to :class:`CallbackLog`. A real service
would update its database there instead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from smsc_transports import (
    APIError,
    AsyncTransport,
    IncomingMessage,
    Message,
    SMSCError,
    StatusResult,
    TransportError,
    UnsupportedOperation,
    ValidationError,
    create_async_transport,
)
from smsc_transports.callbacks import make_asgi_app

__all__ = ["CallbackEvent", "CallbackLog", "SmsRequest", "SmsSent", "SmsStatus", "create_app"]


class SmsRequest(BaseModel):
    """What to send: one phone, a text, optionally a sender name and your own id."""

    phone: str
    text: str
    sender: str | None = None
    id: str | None = None


class SmsSent(BaseModel):
    """What SMSC accepted: the message id, the parts billed, the cost when reported."""

    id: str
    parts: int
    cost: str | None


class SmsStatus(BaseModel):
    """A message's status: SMSC's code, its name, the delivery error, and finality."""

    id: str
    phone: str
    status: str
    code: int
    error: str | None
    final: bool


class CallbackEvent(BaseModel):
    """One callback from SMSC: a status change or an incoming message."""

    kind: Literal["status", "incoming"]
    id: str
    phone: str
    status: str | None = None
    error: str | None = None
    text: str | None = None


class CallbackLog:
    """Keeps the last ``limit`` callbacks; the handlers ``make_asgi_app`` calls."""

    def __init__(self, limit: int = 1000) -> None:
        self.events: deque[CallbackEvent] = deque(maxlen=limit)

    async def on_status(self, result: StatusResult) -> None:
        """Record a status change (a coroutine: the ASGI app awaits it on the loop)."""
        error = result.error.name if result.error else None
        self.events.append(
            CallbackEvent(
                kind="status",
                id=result.id,
                phone=result.phone,
                status=result.status.name,
                error=error,
            )
        )

    async def on_incoming(self, message: IncomingMessage) -> None:
        """Record an SMS sent to one of your numbers."""
        self.events.append(
            CallbackEvent(kind="incoming", id=message.id, phone=message.phone, text=message.text)
        )


class _Sender:
    """The app's one transport, opened and closed with the app."""

    def __init__(self, smsc_url: str | None) -> None:
        self.smsc_url = smsc_url
        self._transport: AsyncTransport | None = None

    @property
    def transport(self) -> AsyncTransport:
        if self._transport is None:
            raise HTTPException(503, "the SMSC transport is not open")
        return self._transport

    async def open(self) -> None:
        # None means SMSC_URL from the environment, as everywhere in the library.
        self._transport = create_async_transport(self.smsc_url)

    async def close(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.aclose()


def http_error(exc: SMSCError) -> HTTPException:
    """Return the HTTP answer for a library error: the client's fault, SMSC's, or the link's."""
    if isinstance(exc, ValidationError):
        return HTTPException(422, str(exc))
    if isinstance(exc, UnsupportedOperation):
        return HTTPException(501, str(exc))
    if isinstance(exc, APIError):
        return HTTPException(502, {"smsc_error": exc.code, "message": str(exc), "id": exc.id})
    if isinstance(exc, TransportError):
        return HTTPException(503, str(exc))
    return HTTPException(500, type(exc).__name__)


def create_app(
    smsc_url: str | None = None,
    *,
    callback_secret: str | None = None,
    callbacks: CallbackLog | None = None,
) -> FastAPI:
    """Return the app sending through ``smsc_url`` (default: ``SMSC_URL``).

    ``callback_secret`` is the token SMSC's callback URL must carry
    (``/smsc/callback/?token=...``); ``callbacks`` receives them (a new
    :class:`CallbackLog` by default, at ``app.state.callbacks``).
    """
    sender = _Sender(smsc_url)
    log = callbacks if callbacks is not None else CallbackLog()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await sender.open()
        try:
            yield
        finally:
            await sender.close()

    app = FastAPI(title="SMS via SMSC", lifespan=lifespan)
    app.state.callbacks = log

    @app.post("/sms", status_code=201)
    async def send_sms(request: SmsRequest) -> SmsSent:
        """Send one SMS."""
        try:
            message = Message([request.phone], request.text, sender=request.sender, id=request.id)
            result = await sender.transport.send(message)
        except SMSCError as exc:
            raise http_error(exc) from exc
        cost = None if result.cost is None else str(result.cost)
        return SmsSent(id=result.id, parts=result.parts, cost=cost)

    @app.get("/sms/{message_id}/{phone}")
    async def sms_status(message_id: str, phone: str) -> SmsStatus:
        """Ask SMSC for a message's status."""
        try:
            found = await sender.transport.status(message_id, phone)
        except SMSCError as exc:
            raise http_error(exc) from exc
        return SmsStatus(
            id=found.id,
            phone=found.phone,
            status=found.status.name,
            code=int(found.status),
            error=found.error.name if found.error else None,
            final=found.status.is_final,
        )

    @app.get("/smsc/events")
    async def callback_events() -> list[CallbackEvent]:
        """What SMSC's callbacks brought so far."""
        return list(log.events)

    # SMSC's callback URL is https://your.host/smsc/callback/?token=SECRET (with the
    # trailing slash: a mount answers a path without it with a redirect, which a POST
    # from SMSC would not follow).
    receiver = make_asgi_app(log.on_status, log.on_incoming, secret=callback_secret)
    app.mount("/smsc/callback", receiver)
    return app
