"""The views: send an SMS, read its status, and receive SMSC's callbacks.

Sending opens a transport per request (``with create_transport(...)``), which is right
for the HTTP API; over SMPP keep one transport per process instead, since each one is a
bind. The callback view hands the request to the library's sans-I/O
:class:`~smsc_transports.callbacks.CallbackReceiver`, which checks the shared secret and
parses the form, then sends a Django signal with the result.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from examples.django_app.signals import sms_incoming_received, sms_status_received
from smsc_transports import (
    APIError,
    Message,
    SMSCError,
    StatusResult,
    TransportError,
    ValidationError,
    create_transport,
)
from smsc_transports.callbacks import CallbackReceiver, Reply

log = logging.getLogger(__name__)

FORM = """<!doctype html><title>Send an SMS</title>
<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{}">
<label>Phone <input name="phone" value="79990000001"></label>
<label>Text <input name="text" value="Код: 1234"></label>
<button>Send</button></form>
"""


def error_response(exc: SMSCError) -> JsonResponse:
    """Return a JSON error: 400 for bad input, 502 for SMSC's refusals, 503 for the link."""
    if isinstance(exc, ValidationError):
        return JsonResponse({"error": str(exc)}, status=400)
    if isinstance(exc, APIError):
        return JsonResponse({"error": str(exc), "smsc_error": exc.code, "id": exc.id}, status=502)
    if isinstance(exc, TransportError):
        return JsonResponse({"error": str(exc)}, status=503)
    return JsonResponse({"error": type(exc).__name__}, status=500)


@require_http_methods(["GET", "POST"])
def send_sms(request: HttpRequest) -> HttpResponse:
    """Show a form (GET); send its ``text`` to its ``phone`` and answer the id (POST).

    CSRF protection applies, as to any form of your site: post from a page that carries
    the token (this one does), not from another site.
    """
    if request.method == "GET":
        return HttpResponse(format_html(FORM, get_token(request)))
    try:
        message = Message(
            [request.POST.get("phone", "")],
            request.POST.get("text", ""),
            sender=request.POST.get("sender") or None,
        )
        with create_transport(settings.SMSC_URL) as transport:
            result = transport.send(message)
    except SMSCError as exc:
        return error_response(exc)
    cost = None if result.cost is None else str(result.cost)
    return JsonResponse({"id": result.id, "parts": result.parts, "cost": cost}, status=201)


@require_GET
def sms_status(request: HttpRequest, message_id: str, phone: str) -> JsonResponse:
    """Answer a message's status as SMSC reports it."""
    try:
        with create_transport(settings.SMSC_URL) as transport:
            found = transport.status(message_id, phone)
    except SMSCError as exc:
        return error_response(exc)
    return JsonResponse(
        {
            "id": found.id,
            "phone": found.phone,
            "status": found.status.name,
            "code": int(found.status),
            "error": found.error.name if found.error else None,
            "final": found.status.is_final,
        }
    )


def _as_response(reply: Reply) -> HttpResponse:
    return HttpResponse(reply.text, status=reply.code, content_type="text/plain; charset=utf-8")


@csrf_exempt  # SMSC cannot send a CSRF token; the shared secret protects this view
@require_http_methods(["GET", "POST"])
def sms_callback(request: HttpRequest) -> HttpResponse:
    """Receive one SMSC callback and send ``sms_status_received``/``sms_incoming_received``."""
    receiver = CallbackReceiver(secret=settings.SMSC_CALLBACK_SECRET)
    # WSGI hands the query over as latin-1 "bytes in a str" (PEP 3333): undo that.
    query = request.META.get("QUERY_STRING", "").encode("latin-1", "replace")
    event = receiver.receive(
        request.method or "GET",
        query,
        request.META.get("CONTENT_TYPE", ""),
        request.headers.get(receiver.token_header),
        request.body,
    )
    if isinstance(event, Reply):
        return _as_response(event)
    if isinstance(event, StatusResult):
        sms_status_received.send(sender=sms_callback, result=event)
    else:
        sms_incoming_received.send(sender=sms_callback, message=event)
    log.info("SMSC callback for message %s handled", event.id)
    return _as_response(Reply(200, "OK"))
