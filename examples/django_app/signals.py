"""Signals the callback view sends, so that any part of a project can react to them.

::

    from django.dispatch import receiver
    from examples.django_app.signals import sms_status_received

    @receiver(sms_status_received)
    def mark_delivered(sender: object, result: StatusResult, **kwargs: object) -> None:
        Order.objects.filter(sms_id=result.id).update(sms_status=int(result.status))
"""

from __future__ import annotations

from django.dispatch import Signal

sms_status_received = Signal()
"""Sent with ``result``: a :class:`~smsc_transports.StatusResult`."""

sms_incoming_received = Signal()
"""Sent with ``message``: an :class:`~smsc_transports.IncomingMessage`."""
