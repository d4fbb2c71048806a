"""The ``smsc`` command as a whole: version, ``python -m``, standard input, verbosity, help."""

from __future__ import annotations

import argparse
import io
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest

import smsc_transports
from smsc_transports.cli import build_parser, main
from smsc_transports.cli.completion import describe
from smsc_transports.emulator import Account, Emulator

SECRET = "dummy-secret-pw"


def history_texts(emulator: Emulator, login: str = "demo", password: str = "demo") -> list[str]:
    """The texts of every message the emulator's account sent."""
    account = emulator.state.authenticate(login, password)
    return [record.text for record in emulator.state.history(account, cnt=1000)]


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Make ``data`` the process's standard input, bytes beneath text as a real one."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def smpp_emulator() -> Iterator[Emulator]:
    """A running emulator with an SMPP front end on the real clock."""
    with Emulator(smpp_port=0) as running:
        yield running


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"smsc {smsc_transports.__version__}\n"


def test_python_dash_m_smsc_transports_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "smsc_transports", "parts", "Привет"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ucs2: 1 part(s), 6 units")


def test_send_text_dash_reads_the_text_from_standard_input(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_stdin(monkeypatch, "Код: 1234\nвторая строка\n".encode())
    code = main(["send", "--to", "79990000001", "--text", "-", "--url", emulator.url()])
    assert code == 0, capsys.readouterr().err
    # The final newline is the shell's, not the message's; the one inside is kept.
    assert history_texts(emulator) == ["Код: 1234\nвторая строка"]


def test_parts_dash_counts_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_stdin(monkeypatch, b"x" * 161 + b"\n")
    assert main(["parts", "-"]) == 0
    assert capsys.readouterr().out.startswith("gsm7: 2 part(s), 161 units")


def test_text_dash_that_is_not_utf8_exits_2_before_sending(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_stdin(monkeypatch, "Привет".encode("cp1251"))
    code = main(["send", "--to", "79990000001", "--text", "-", "--url", emulator.url()])
    assert code == 2
    assert "standard input is not UTF-8 text" in capsys.readouterr().err
    assert history_texts(emulator) == []


def test_send_over_a_protocol_without_prices_says_cost_unknown(
    smpp_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    url = smpp_emulator.url("smpp")
    assert main(["send", "--to", "79990000001", "--text", "hi", "--url", url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sent: id ")
    assert ", 1 part(s), cost unknown" in out


def test_send_to_several_phones_over_smpp_prints_each_phones_own_id(
    smpp_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    url = smpp_emulator.url("smpp")
    to = ["--to", "79990000001,79990000002"]
    assert main(["send", *to, "--text", "hi both", "--url", url]) == 0
    listed = capsys.readouterr().out.splitlines()[1]
    assert listed.startswith("ids per phone: 79990000001 ")
    pairs = [pair.split() for pair in listed.removeprefix("ids per phone: ").split(", ")]
    assert [phone for phone, _ in pairs] == ["79990000001", "79990000002"]
    state = smpp_emulator.state
    account = state.account("demo")
    assert [state.status(account, i, p).text for p, i in pairs] == ["hi both"] * 2


def test_send_over_http_still_prints_the_cost(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["send", "--to", "79990000001", "--text", "hi", "--url", emulator.url()]) == 0
    assert ", 1 part(s), cost 1.40, balance 98.60" in capsys.readouterr().out


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_subcommand_takes_verbose_and_quiet(command: str) -> None:
    (found,) = [c for c in describe(build_parser()) if c.name == command]
    flags = {flag for option in found.options for flag in option.flags}
    assert {"-v", "--verbose", "-q", "--quiet"} <= flags


def test_verbose_and_quiet_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["balance", "-v", "-q"])
    assert stop.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_option_and_argument_has_help(command: str) -> None:
    missing = [
        action.dest
        for action in subcommands()[command]._actions
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert missing == []


def test_the_top_level_options_have_help() -> None:
    parser = build_parser()
    assert all(a.help for a in parser._actions if a.option_strings)


@pytest.fixture
def shop() -> Iterator[Emulator]:
    """An emulator whose account has a password to look for in the logs."""
    with Emulator([Account("shop", SECRET, balance=Decimal(100))]) as running:
        yield running


def test_vv_logs_each_request_with_the_password_masked(
    shop: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    url = shop.url(login="shop", password=SECRET)
    assert main(["balance", "-vv", "--url", url]) == 0
    err = capsys.readouterr().err
    assert f"debug smsc_transports.backends.http.client: POST {shop.http_url}" in err
    assert SECRET not in err


def test_without_v_no_debug_or_info_lines(
    shop: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["balance", "--url", shop.url(login="shop", password=SECRET)]) == 0
    assert capsys.readouterr().err == ""


def smpp_to_nowhere() -> list[str]:
    url = f"smpp://demo:demo@127.0.0.1:{closed_port()}?reconnect_attempts=1&timeout=5"
    return ["send", "--to", "79990000001", "--text", "hi", "--url", url]


def test_a_failure_is_one_line_and_v_shows_its_detail(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(smpp_to_nowhere()) == 1
    err = capsys.readouterr().err
    assert err.startswith("smsc: ConnectError: cannot connect to 127.0.0.1:")
    assert err.count("\n") == 1, err
    assert main([*smpp_to_nowhere(), "-v"]) == 1
    detail = capsys.readouterr().err
    assert "warning smsc_transports.backends.smpp: SMPP connect to 127.0.0.1 failed (1)" in detail
    assert detail.splitlines()[-1].startswith("smsc: ConnectError: cannot connect to 127.0.0.1:")


def test_quiet_shows_only_the_failure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*smpp_to_nowhere(), "-q"]) == 1
    err = capsys.readouterr().err
    assert "warning" not in err
    assert err.startswith("smsc: ConnectError") and err.count("\n") == 1


def test_the_command_leaves_logging_as_it_found_it(shop: Emulator) -> None:
    package = logging.getLogger("smsc_transports")
    before = (package.level, list(logging.getLogger().handlers), list(package.handlers))
    assert main(["balance", "-vv", "--url", shop.url(login="shop", password=SECRET)]) == 0
    after = (package.level, list(logging.getLogger().handlers), list(package.handlers))
    assert after == before


def test_the_emulator_subcommand_takes_verbose_too() -> None:
    # Started for real: -v must reach a command whose options the emulator package owns.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSC_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "smsc_transports", "emulator", "-v", "--http-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("emulator ready http=")
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0
