"""The example's URLs: ``sms/send``, ``sms/status/<id>/<phone>``, ``sms/callback``."""

from __future__ import annotations

from django.urls import path

from examples.django_app import views

urlpatterns = [
    path("sms/send", views.send_sms, name="sms-send"),
    path("sms/status/<str:message_id>/<str:phone>", views.sms_status, name="sms-status"),
    path("sms/callback", views.sms_callback, name="sms-callback"),
]
