"""Serve the FastAPI example: ``python -m examples.fastapi_app [--host H] [--port N]``.

Without ``SMSC_URL`` an emulator starts in this process and POSTs its callbacks to this
app, so ``POST /sms`` followed by ``GET /smsc/events`` shows the whole round trip::

    python -m examples.fastapi_app --port 8000
    curl -X POST localhost:8000/sms -H 'Content-Type: application/json' \\
         -d '{"phone": "79990000001", "text": "Код: 1234"}'
    curl localhost:8000/smsc/events          # a second later: TRANSFERRED, then DELIVERED

With ``SMSC_URL`` (any protocol) it sends through SMSC; set ``SMSC_CALLBACK_SECRET`` and
give SMSC ``https://YOUR-HOST/smsc/callback/?token=SECRET`` as the callback address.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import socket
from contextlib import ExitStack

import uvicorn

from examples.fastapi_app.app import create_app
from smsc_transports.emulator import Emulator


def main() -> None:
    """Bind the port, start the emulator unless SMSC_URL is set, serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m examples.fastapi_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    options = parser.parse_args()
    # Bound first, so that the emulator knows the port to call back on.
    listener = socket.create_server((options.host, options.port))
    host, port = listener.getsockname()[:2]
    secret = os.environ.get("SMSC_CALLBACK_SECRET") or secrets.token_urlsafe(16)
    with ExitStack() as stack:
        stack.callback(listener.close)
        smsc_url = os.environ.get("SMSC_URL")
        if not smsc_url:
            callback_url = f"http://{host}:{port}/smsc/callback/?token={secret}"
            emulator = Emulator(callback_url=callback_url, transfer_after=0.2, deliver_after=1.0)
            stack.enter_context(emulator)
            smsc_url = emulator.url()
            print(f"SMSC emulator on {emulator.http_url}", flush=True)
        app = create_app(smsc_url, callback_secret=secret)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        print(f"listening on http://{host}:{port}", flush=True)
        # uvicorn stops gracefully on Ctrl-C, then raises the signal again for us.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[listener])
    print("stopped", flush=True)


if __name__ == "__main__":
    main()
