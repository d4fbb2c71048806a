"""The ``emulator`` subcommand: the ready line, real answers, a clean exit on SIGINT."""

from __future__ import annotations

import argparse
import re
import signal
import socket
import subprocess
import sys
from decimal import Decimal

import pytest
import requests

from smsc_transports import Message, create_transport
from smsc_transports.emulator.cli import add_parser, parse_account, scenario_of
from tests.emulator.api import emulator_process
from tests.faults import closed_port


def test_ready_line_then_serving_then_exit_0_on_sigint() -> None:
    options = ("--account", "shop:pa:ss:12.5", "--no-limits")
    with emulator_process(*options) as (process, base):
        fields: dict[str, str | int] = {"login": "shop", "psw": "pa:ss", "fmt": 3}
        answer = requests.get(base + "/sys/balance.php", params=fields, timeout=5)
        assert answer.json() == {"balance": "12.50"}
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
        None,
        None,
        False,
        0.5,
    )
    assert callable(args.func)
    # Options not given take the scenario's values (here the defaults: no --config).
    scenario = scenario_of(args)
    assert (scenario.http_port, scenario.host, scenario.deliver_after) == (0, "127.0.0.1", 0.5)
    assert [a.login for a in scenario.accounts] == ["a", "c"]


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
        (["--snapshot-interval", "5"], "--snapshot-interval needs --snapshot FILE"),
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
    with closed_port() as smpp_port:
        options = ("--no-limits", "--live", "0.2", "--smpp-port", str(smpp_port))
    with emulator_process(*options) as (process, base):
        assert process.stderr is not None
        fields = {"login": "demo", "psw": "demo", "fmt": 3, "mes": "hi"}
        requests.post(base + "/sys/send.php", data={**fields, "phones": "79990000001,79990000002"},
                      timeout=5)  # fmt: skip
        requests.post(base + "/sys/send.php", data={**fields, "phones": "79990004007"},
                      timeout=5)  # fmt: skip  # refused: error 7
        with create_transport(f"smpp://demo:demo@127.0.0.1:{smpp_port}") as smpp:
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
