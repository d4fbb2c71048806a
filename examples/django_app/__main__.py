"""Django's ``manage.py`` for the example: ``python -m examples.django_app [COMMAND ...]``.

::

    python -m examples.django_app check
    python -m examples.django_app                          # runserver --noreload 127.0.0.1:8000
    python -m examples.django_app runserver --noreload 127.0.0.1:8080

Management commands run in this process (``execute_from_command_line``). For
``runserver`` without ``SMSC_URL``, an emulator starts alongside and POSTs its callbacks
to the server's ``/sms/callback``. Open http://127.0.0.1:8000/sms/send in a browser to
send, then http://127.0.0.1:8000/sms/status/1/79990000001 for the status.
"""

from __future__ import annotations

import os
import secrets
import sys
from contextlib import ExitStack

from django.core.management import execute_from_command_line

from smsc_transports.emulator import Emulator

DEFAULT_COMMAND = ["runserver", "--noreload", "127.0.0.1:8000"]


def server_address(arguments: list[str]) -> str:
    """The ``host:port`` runserver will listen on (Django's default ``127.0.0.1:8000``)."""
    for argument in reversed(arguments[1:]):
        if argument.startswith("-"):
            continue
        return f"127.0.0.1:{argument}" if argument.isdigit() else argument
    return "127.0.0.1:8000"


def main(arguments: list[str] | None = None) -> None:
    """Run a management command; give ``runserver`` an emulator unless SMSC_URL is set."""
    command = (sys.argv[1:] if arguments is None else arguments) or DEFAULT_COMMAND
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_app.settings")
    with ExitStack() as stack:
        if command[0] == "runserver" and not os.environ.get("SMSC_URL"):
            secret = os.environ.setdefault("SMSC_CALLBACK_SECRET", secrets.token_urlsafe(16))
            callback_url = f"http://{server_address(command)}/sms/callback?token={secret}"
            emulator = stack.enter_context(Emulator(callback_url=callback_url))
            # Read by the settings module, which Django imports after this point.
            os.environ["SMSC_URL"] = emulator.url()
            print(f"SMSC emulator on {emulator.http_url}", flush=True)
        execute_from_command_line(["manage", *command])


if __name__ == "__main__":
    main()
