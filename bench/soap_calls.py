"""SOAP calls per second: our backend (one zeep client, reused) against a zeep client per call.

    python bench/soap_calls.py [--calls 300] [--warmup 20]

All sides send the same messages (``send_sms``) to the same local emulator endpoint,
in one run, one call at a time:

* ours — ``create_transport("soap+http://…")``: the shipped WSDL parsed once at
  construction, one keep-alive ``requests`` session;
* per call, live WSDL — what a hurried integration writes: ``zeep.Client(url + "?wsdl")``
  and then the call, every time (a WSDL download and parse per message);
* per call, local WSDL — the same with the WSDL read from the packaged file, to show
  how much of the cost is parsing rather than downloading.

The emulator runs with every rate limit off. If its HTTP port does not route
``/sys/soap.php`` yet, a stand-in stdlib server answers it through the same
``handle_soap`` over the same state.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
import zeep

from smsc_transports import Message, create_transport
from smsc_transports.emulator import Account, Emulator, EmulatorState, Limits
from smsc_transports.emulator.http.soap import handle_soap
from smsc_transports.wire.soap.calls import wsdl_bytes

PHONE = "79990000001"


class _StandIn(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are written separately; with Nagle on, a keep-alive client
    # waits out its delayed ACK (40 ms) on every answer.
    disable_nagle_algorithm = True
    state: EmulatorState
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        del format, args

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or "0"))
        host, port = self.server.server_address[:2]
        status, content_type, answer = 404, "text/plain", b"not found"
        if path == "/sys/soap.php":
            base = f"http://{host!s}:{port}"
            status, content_type, answer = handle_soap(self.state, self.command, query, body, base)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@contextlib.contextmanager
def soap_base(emulator: Emulator) -> Iterator[tuple[str, str]]:
    """Yield ``http://host:port`` answering SOAP for ``emulator``, and who answers it."""
    probe = requests.get(f"{emulator.http_url}/sys/soap.php?wsdl", timeout=5)
    if probe.status_code == 200 and b"send_sms" in probe.content:
        yield emulator.http_url, "the emulator's HTTP port"
        return
    handler = type("Handler", (_StandIn,), {"state": emulator.state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", "a stand-in over handle_soap"
    finally:
        server.shutdown()
        server.server_close()


def timed(call: Callable[[int], None], calls: int, warmup: int) -> float:
    """Seconds for ``calls`` calls after ``warmup`` untimed ones."""
    for i in range(warmup):
        call(-1 - i)
    start = time.perf_counter()
    for i in range(calls):
        call(i)
    return time.perf_counter() - start


def main() -> None:
    """Run the three sides against one emulator and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    rich = Account("demo", "demo", balance=Decimal("100000000"))
    with Emulator([rich], limits=Limits.unlimited()) as emulator, soap_base(emulator) as found:
        base, where = found
        address = f"{base}/sys/soap.php"
        fields = {"login": "demo", "psw": "demo", "phones": PHONE}
        transport = create_transport(base.replace("http://", "soap+http://demo:demo@"))

        def ours(i: int) -> None:
            transport.send(Message(PHONE, f"ours {i}"))

        def per_call_live(i: int) -> None:
            client = zeep.Client(address + "?wsdl")  # type: ignore[no-untyped-call]
            client.service.send_sms(**fields, mes=f"live {i}")

        def per_call_local(i: int) -> None:
            client = zeep.Client(io.BytesIO(wsdl_bytes()))  # type: ignore[no-untyped-call]
            binding = "{https://smsc.ru/sys/soap.php}ServiceSoap"
            service = client.create_service(binding, address)  # type: ignore[no-untyped-call]
            service.send_sms(**fields, mes=f"local {i}")

        results = [
            ("ours: one client, reused", timed(ours, args.calls, args.warmup)),
            ("zeep client per call, live WSDL", timed(per_call_live, args.calls, args.warmup)),
            ("zeep client per call, local WSDL", timed(per_call_local, args.calls, args.warmup)),
        ]
        transport.close()

    ours_rate = args.calls / results[0][1]
    print(f"SOAP send_sms, {args.calls} calls each after {args.warmup} warm-up, served by {where}")
    print(f"{'variant':36} {'seconds':>8} {'calls/s':>9} {'ours / it':>10}")
    for name, seconds in results:
        rate = args.calls / seconds
        print(f"{name:36} {seconds:8.2f} {rate:9.1f} {ours_rate / rate:9.1f}x")


if __name__ == "__main__":
    main()
