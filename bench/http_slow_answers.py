"""``send_many`` against a server whose answers take a random time, as a real SMSC's do.

On loopback every answer comes in a fraction of a millisecond; over a network some come
much later than others. This script serves ``send.php`` from a bare loopback server
that holds each answer for a random time (exponential, ``--mean`` seconds on average,
the same seeded sequence for every side) and prints, side by side: ``send_many`` with
its defaults but ``--batch-phones`` recipients a request, the ideal for ``concurrency``
requests at once (requests × mean / concurrency), and one request per message from a
pool of the same number of threads (what a caller of SMSC's own library might write;
a new connection each, as that library makes). A client that read the answers only in
the order it wrote the requests would leave connections idle behind each slow answer
and fall well behind the ideal.

    python bench/http_slow_answers.py [--n 2000] [--batch-phones 10] [--mean 0.05]
                                      [--concurrency 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from smsc_transports import Message, create_transport


class SlowServer(ThreadingHTTPServer):
    """Answers ``send.php`` like SMSC (``fmt=3`` with ``op=1``, or ``fmt=1``) after a
    random wait."""

    daemon_threads = True

    def __init__(self, mean: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mean = mean
        self.random = random.Random(1)
        self.lock = threading.Lock()

    def wait(self) -> float:
        with self.lock:
            return self.random.expovariate(1 / self.mean)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SlowServer

    def log_message(self, format: str, *args: object) -> None:
        del format, args  # quiet

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        self._answer(form)

    def do_GET(self) -> None:
        self._answer(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query))

    def _answer(self, form: dict[str, list[str]]) -> None:
        phones = form["phones"][0].split(",")
        time.sleep(self.server.wait())
        if form.get("fmt") == ["1"]:
            body = b"1,1"
        else:
            entries = [
                {"phone": p, "mccmnc": "25001", "cost": "1.40", "status": -1, "error": 0}
                for p in phones
            ]
            document = {"id": 1, "cnt": len(phones), "cost": "1.40", "phones": entries}
            body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def ours(port: int, n: int, batch_phones: int, concurrency: int) -> float:
    """``send_many`` of ``n`` recipients of one text; its seconds."""
    url = (
        f"http://bench:bench@127.0.0.1:{port}?batch_phones={batch_phones}&concurrency={concurrency}"
    )
    started = time.perf_counter()
    with create_transport(url) as transport:
        messages = (Message(f"7916{i:07d}", "Sale today!") for i in range(n))
        accepted = sum(1 for outcome in transport.send_many(messages) if outcome.ok)
    assert accepted == n, accepted
    return time.perf_counter() - started


def per_message(port: int, n: int, concurrency: int) -> float:
    """One GET per message from ``concurrency`` threads, a new connection each."""

    def send(i: int) -> None:
        query = urllib.parse.urlencode(
            {"login": "bench", "psw": "bench", "phones": f"7917{i:07d}", "mes": "Sale today!",
             "fmt": "1"}
        )  # fmt: skip
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sys/send.php?{query}") as answer:
            answer.read()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, range(n)))
    return time.perf_counter() - started


def main() -> None:
    """Run each side ``--rounds`` times against one slow server; print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch-phones", type=int, default=10)
    parser.add_argument("--mean", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer-n", type=int, default=400, help="messages for the peer")
    args = parser.parse_args()
    server = SlowServer(args.mean)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    requests = -(-args.n // args.batch_phones)
    try:
        ours_runs = [
            ours(port, args.n, args.batch_phones, args.concurrency) for _ in range(args.rounds)
        ]
        peer_runs = [per_message(port, args.peer_n, args.concurrency) for _ in range(args.rounds)]
    finally:
        server.shutdown()
        server.server_close()
    ideal = requests * args.mean / args.concurrency
    ours_seconds = statistics.median(ours_runs)
    peer_rate = args.peer_n / statistics.median(peer_runs)
    print(
        f"{args.n} recipients, {args.batch_phones} a request ({requests} requests), answers held "
        f"{args.mean * 1000:g} ms on average (exponential), {args.concurrency} at once, "
        f"median of {args.rounds}\n"
    )
    print(f"{'client':<52} {'seconds':>9} {'msg/s':>9}")
    print(f"{'smsc_transports send_many':<52} {ours_seconds:>9.2f} {args.n / ours_seconds:>9.0f}")
    print(f"{'ideal: requests x mean / concurrency':<52} {ideal:>9.2f} {args.n / ideal:>9.0f}")
    print(
        f"{f'one GET per message, {args.concurrency} threads ({args.peer_n} messages)':<52}"
        f" {statistics.median(peer_runs):>9.2f} {peer_rate:>9.0f}"
    )
    print(f"\nsend_many runs: {', '.join(f'{s:.2f}' for s in ours_runs)} s")
    ratio = args.n / ours_seconds / peer_rate
    print(f"send_many at {ideal / ours_seconds:.0%} of the ideal; {ratio:.1f}x the peer's rate")


if __name__ == "__main__":
    main()
