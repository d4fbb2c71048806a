"""Settings of the Django example: no database, no apps, just the SMS views.

``SMSC_URL`` names the SMSC account and protocol (``https://login:password@smsc.ru``,
``smpp://…``; see the library's docs). ``SMSC_CALLBACK_SECRET`` is the token SMSC's
callback URL must carry: ``https://YOUR-HOST/sms/callback?token=SECRET``.
"""

from __future__ import annotations

import os
from typing import Any

# For the example only: a real project reads its key from the environment or a vault.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-a-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "examples.django_app.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
DATABASES: dict[str, dict[str, Any]] = {}
USE_TZ = True
LOGGING_CONFIG = None  # leave logging as the process set it up

SMSC_URL = os.environ.get("SMSC_URL")  # None: create_transport reads SMSC_URL itself
SMSC_CALLBACK_SECRET = os.environ.get("SMSC_CALLBACK_SECRET")
