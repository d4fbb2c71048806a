"""The ``emulator`` subcommand: the ready line, real answers, a clean exit on SIGINT."""

from __future__ import annotations

import argparse
import contextlib
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from smsc_transports import Message, create_transport
from smsc_transports.emulator.cli import add_parser, parse_account


@contextlib.contextmanager
def emulator_process(*options: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, int]]]:
    """``python -m smsc_transports.emulator --http-port 0 OPTIONS``, and its ports."""
    command = [sys.executable, "-m", "smsc_transports.emulator", "--http-port", "0", *options]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(20)
        assert lines, "no ready line within 20 s"
        match = re.fullmatch(r"emulator ready (http=\d+(?: \w+=\d+)*)\n", lines[0])
        assert match, lines[0]
        ports = {name: int(port) for name, port in re.findall(r"(\w+)=(\d+)", match[1])}
        yield process, ports
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_ready_line_then_serving_then_exit_0_on_sigint() -> None:
    with emulator_process("--account", "shop:pa:ss:12.5", "--no-limits") as (process, ports):
        url = f"http://127.0.0.1:{ports['http']}/sys/balance.php"
        fields: dict[str, str | int] = {"login": "shop", "psw": "pa:ss", "fmt": 3}
        assert requests.get(url, params=fields, timeout=5).json() == {"balance": "12.50"}
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        assert process.stdout is not None and process.stdout.read() == ""


def test_subcommand_options() -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        ["emulator", "--account", "a:b", "--account", "c:d:7", "--deliver-after", "0.5"]
    )
    assert [(a.login, a.password, a.balance) for a in args.account] == [
        ("a", "b", Decimal("100.00")),
        ("c", "d", Decimal("7")),
    ]
    assert (args.http_port, args.host, args.no_limits, args.deliver_after) == (
        0,
        "127.0.0.1",
        False,
        0.5,
    )
    assert callable(args.func)


@pytest.mark.parametrize("value", ["nologin", ":pw", "login:"])
def test_malformed_account_is_rejected(value: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_account(value)


def test_password_with_a_colon_and_no_balance() -> None:
    account = parse_account("a:x:y")
    assert (account.password, account.balance) == ("x:y", Decimal("100.00"))


def _fails(*args: str) -> tuple[int, str]:
    """Run ``smsc emulator ARGS`` (bounded); return its exit status and its stderr."""
    smsc = [
        sys.executable,
        "-c",
        "import sys; from smsc_transports.cli import main; sys.exit(main())",
    ]
    done = subprocess.run(
        [*smsc, "emulator", *args], check=False, capture_output=True, text=True, timeout=30
    )
    assert done.stdout == ""
    return done.returncode, done.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--smpps-port", "0"], "--smpps-port needs --tls-cert"),
        (["--tls-cert", "/nonexistent.pem"], "cannot load --tls-cert /nonexistent.pem"),
        (["--tls-key", "/some.key"], "--tls-key needs --tls-cert"),
    ],
)
def test_bad_emulator_options_are_one_line_and_exit_2(args: list[str], said: str) -> None:
    status, err = _fails("--http-port", "0", *args)
    assert status == 2
    assert err.startswith(f"smsc: {said}") and err.count("\n") == 1, err


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        status, err = _fails("--http-port", str(port))
    assert status == 2
    assert err.startswith(f"smsc: cannot listen on 127.0.0.1:{port}") and err.count("\n") == 1, err


def test_live_prints_what_was_accepted_and_refused_on_stderr() -> None:
    options = ("--no-limits", "--live", "0.2", "--smpp-port", "0")
    with emulator_process(*options) as (process, ports):
        assert process.stderr is not None
        url = f"http://127.0.0.1:{ports['http']}/sys/send.php"
        base = {"login": "demo", "psw": "demo", "fmt": 3, "mes": "hi"}
        requests.post(url, data={**base, "phones": "79990000001,79990000002"}, timeout=5)
        requests.post(url, data={**base, "phones": "79990004007"}, timeout=5)  # error 7
        with create_transport(f"smpp://demo:demo@127.0.0.1:{ports['smpp']}") as smpp:
            smpp.send(Message("79990000003", "over SMPP"))
            seen = ""
            for _ in range(50):  # the summary comes every 0.2 s; a later one has it all
                seen = process.stderr.readline()
                if "accepted 3 " in seen and "links 1" in seen:
                    break
        assert re.fullmatch(
            r"emulator: accepted 3 \(\d+/s\) · refused by code: 7: 1"
            r" · SMPP links 1, submits throttled 0\n",
            seen,
        )
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
