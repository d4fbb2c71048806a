"""The emulator run as a service: a scenario file, SIGTERM, a snapshot kept across a real
restart, HTTPS that the library's client verifies, and callbacks retried until the
receiver takes them. Every process is started here and stopped by its own PID."""

from __future__ import annotations

import argparse
import os
import re
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, quote

import pytest
import requests

from smsc_transports import Message, create_transport
from smsc_transports.emulator import Account, Emulator, ManualClock
from smsc_transports.emulator.callback_sender import RetryRule
from smsc_transports.emulator.certificate import server_context
from smsc_transports.emulator.cli import add_parser, build_emulator, scenario_of
from smsc_transports.emulator.scenario import ScenarioError, load_scenario
from smsc_transports.errors import TransportError
from smsc_transports.statuses import MessageStatus
from tests.conftest import require_command
from tests.emulator.api import ROOT, started_emulator

MODULE = [sys.executable, "-m", "smsc_transports.emulator"]


def toml_line(key: str, value: str) -> str:
    """One ``key = "value"`` line of a scenario file."""
    return f'{key} = "{value}"\n'


# A throwaway account of the scenario files below (a placeholder, not a credential).
PASSWORD_LINE = toml_line("password", "x" * 8)
ACCOUNT = "[[accounts]]\n" + toml_line("login", "a") + PASSWORD_LINE


def refused(port: int) -> bool:
    """Whether nothing listens on ``port`` any more."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


SCENARIO = """\
[emulator]
http_port = 0
clock_speed = 0
snapshot = "state.json"

[control]
enabled = true
token = "tok"

[limits]
duplicate_window = false

[tariff]
default = "2.00"
sms = { "7" = "1.50" }

[[accounts]]
login = "shop"
password = "secret"
apikey = "KEY-1"
balance = "10.00"
credit = "5"
senders = ["Shop"]
allowed_ips = ["127.0.0.1"]

[smpp]
port = 0
receipt_ids = "hex"
throttle_rate = 20

[[incoming]]
login = "shop"
phone = "79991112233"
text = "waiting at start"
"""


def test_sigterm_ends_a_config_run_with_0_ports_closed_and_a_restart_keeps_state(
    tmp_path: Path,
) -> None:
    (tmp_path / "emulator.toml").write_text(SCENARIO, encoding="utf-8")
    token = {"Authorization": "Bearer tok"}
    with started_emulator(["--config", "emulator.toml"], tmp_path) as first:
        assert set(first.ports) == {"http", "smpp"}
        send = first.url("/sys/send.php")
        answer = requests.post(
            send, data={"apikey": "KEY-1", "phones": "79990000001", "mes": "hi", "fmt": 3},
            timeout=10,
        ).json()  # fmt: skip
        assert answer == {"id": 1, "cnt": 1}
        # The scenario's sender, tariff and credit are in force.
        listed = requests.get(
            first.url("/_emulator/messages"), params={"login": "shop"}, headers=token, timeout=10
        ).json()["messages"]
        assert [(m["sender"], m["cost"]) for m in listed] == [("Shop", "1.50")]
        balance = requests.get(
            first.url("/sys/balance.php"),
            params={"login": "shop", "psw": "secret", "fmt": "3", "cur": "1"},
            timeout=10,
        ).json()
        assert balance == {"balance": "8.50", "currency": "RUB", "credit": "5.00"}
        ports = list(first.ports.values())
        assert first.terminate() == 0
    assert all(refused(port) for port in ports)
    saved = (tmp_path / "state.json").read_text(encoding="utf-8")
    assert '"balance": "8.50"' in saved
    assert oct((tmp_path / "state.json").stat().st_mode & 0o777) == "0o600"

    with started_emulator(["--config", "emulator.toml"], tmp_path) as second:
        incoming = requests.get(
            second.url("/_emulator/incoming"), params={"login": "shop"}, headers=token, timeout=10
        ).json()["incoming"]
        assert [m["text"] for m in incoming] == ["waiting at start"]  # not added twice
        status = requests.get(
            second.url("/sys/status.php"),
            params={"apikey": "KEY-1", "id": "1", "phone": "79990000001", "fmt": "3"},
            timeout=10,
        ).json()
        assert status["status"] == -1  # the clock (speed 0) resumed where it stopped
        again = requests.post(
            second.url("/sys/send.php"),
            data={"apikey": "KEY-1", "phones": "79990000001", "mes": "hi", "fmt": 3},
            timeout=10,
        ).json()
        assert again["id"] == 2  # numbering carries on
        assert second.terminate() == 0


def test_python_m_emulator_exits_0_on_sigterm_with_its_ports_closed(tmp_path: Path) -> None:
    with started_emulator(["--http-port", "0", "--smpp-port", "0"], tmp_path) as emulator:
        health = requests.get(emulator.url("/_emulator/health"), timeout=10).json()
        assert health["status"] == "ok" and health["ports"] == emulator.ports
        ports = list(emulator.ports.values())
        assert emulator.terminate() == 0
    assert all(refused(port) for port in ports)


def _errors(tmp_path: Path, text: str) -> str:
    config = tmp_path / "emulator.toml"
    config.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [*MODULE, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    return done.stderr


def test_a_bad_scenario_is_one_line_naming_file_and_key_and_exit_2(tmp_path: Path) -> None:
    said = _errors(tmp_path, ACCOUNT + 'balance = "lots"\n')
    assert "emulator.toml: accounts[0].balance: expected an amount" in said


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[emulator]\nhttp_prot = 1\n", "emulator.http_prot: unknown key"),
        ("[emulator]\nhttp_port = 70000\n", "emulator.http_port: expected a port"),
        ("[emulator]\nclock_speed = -1\n", "emulator.clock_speed: must be 0 or more"),
        ("[[accounts]]\n" + PASSWORD_LINE, "accounts[0].login: is required"),
        ("[[accounts]]\nlogin = 'a'\n", "accounts[0].password: is required"),
        (
            ACCOUNT + ACCOUNT,
            "accounts[1].login: 'a' is given twice",
        ),
        (
            ACCOUNT + "senders = 'Shop'\n",
            "accounts[0].senders: expected a list of strings",
        ),
        ("[limits]\nbalance_per_minute = 0\n", "limits.balance_per_minute: expected a whole"),
        ("[tariff.per_message]\nfax = '1'\n", "tariff.per_message.fax: not a message kind"),
        ("[smtp]\ntls = 'sometimes'\n", 'smtp.tls: expected "none", "starttls" or "implicit"'),
        ("[smtp]\nauth_required = true\n", "smtp.auth_required: needs users in [smtp.auth]"),
        ("[smpp]\nreceipt_ids = 'oct'\n", 'smpp.receipt_ids: expected "dec" or "hex"'),
        ("[callbacks]\nretry_delays = [1, -1]\n", "callbacks.retry_delays: expected a list"),
        ("[control]\nenabled = 'yes'\n", "control.enabled: expected true or false"),
        ("[emulator]\ncallback_url = 'ftp://x'\n", "emulator.callback_url: expected an http"),
        ("[[incoming]]\nlogin = 'x'\nphone = '1'\n", "incoming[0].text: is required"),
        ("[emulator\n", "not valid TOML"),
    ],
)
def test_scenario_errors_name_the_key(tmp_path: Path, text: str, said: str) -> None:
    config = tmp_path / "emulator.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(config)
    assert str(caught.value).startswith(f"{config}: ")
    assert said in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_scenario_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"nothing\.toml: no such file"):
        load_scenario(tmp_path / "nothing.toml")


def test_control_on_a_public_host_without_token_is_refused(tmp_path: Path) -> None:
    said = _errors(tmp_path, "[emulator]\nhost = '0.0.0.0'\n[control]\nenabled = true\n")
    assert "needs a token" in said


def test_the_library_verifies_the_https_listener_with_its_ca_file(
    tls_files: tuple[Path, Path], manual_clock: ManualClock
) -> None:
    cert, key = tls_files
    context = server_context(cert, key)
    with Emulator(clock=manual_clock, https_port=0, tls_context=context) as emu:
        https = emu.ports["https"]
        url = f"https://demo:demo@127.0.0.1:{https}?verify={quote(str(cert), safe='')}"
        with create_transport(url) as transport:
            sent = transport.send(Message(["79990000001"], "over TLS"))
            manual_clock.advance(3)
            assert transport.status(sent.id, "79990000001").status == MessageStatus.DELIVERED
            assert transport.balance().amount == Decimal("98.60")
        # Without the CA file the system's trust store does not know the certificate.
        with (
            create_transport(f"https://demo:demo@127.0.0.1:{https}") as unverified,
            pytest.raises(TransportError, match=r"(?i)certificate|ssl|tls"),
        ):
            unverified.balance()


def test_https_port_makes_a_self_signed_certificate_the_client_can_trust(tmp_path: Path) -> None:
    require_command("openssl", "for the emulator's self-signed certificate")
    with started_emulator(["--https-port", "0", "--tls-dir", "tls"], tmp_path) as emulator:
        pem = requests.get(emulator.url("/_emulator/ca.pem"), timeout=10)
        assert pem.status_code == 200
        assert b"BEGIN CERTIFICATE" in pem.content and b"PRIVATE KEY" not in pem.content
        ca = tmp_path / "ca.pem"
        ca.write_bytes(pem.content)
        answer = requests.get(
            emulator.url("/sys/balance.php", "https"),
            params={"login": "demo", "psw": "demo", "fmt": "3"},
            verify=str(ca),
            timeout=10,
        )
        assert answer.json() == {"balance": "100.00"}
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(emulator.url("/_emulator/health", "https"), timeout=10)
        assert emulator.terminate() == 0
    assert (tmp_path / "tls" / "cert.pem").is_file()  # kept for the next run


class FlakyReceiver:
    """A callback receiver that answers 503 to the first ``failures`` POSTs, then 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: list[dict[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.attempts.append(dict(parse_qsl(body.decode("utf-8"))))
                code = 503 if len(owner.attempts) <= owner.failures else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_failed_callback_is_retried_after_each_delay_until_taken(
    manual_clock: ManualClock,
) -> None:
    receiver = FlakyReceiver(failures=2)
    account = Account("demo", "demo", callback_url=receiver.url)
    try:
        with Emulator(
            [account], clock=manual_clock, callback_retry=RetryRule((10.0, 60.0)),
            callback_interval=3600,
        ) as emu:  # fmt: skip
            emu.push_incoming("demo", "79991112233", "hi")
            assert emu.flush_callbacks() == 0  # 503: first failure
            assert emu.callbacks.waiting == 1
            manual_clock.advance(9)
            assert emu.flush_callbacks() == 0 and len(receiver.attempts) == 1  # not due yet
            manual_clock.advance(1)
            assert emu.flush_callbacks() == 0  # 503 again, at 10 s
            manual_clock.advance(60)
            assert emu.flush_callbacks() == 1  # taken at the third attempt
            assert emu.callbacks.waiting == 0
            assert [a["mes"] for a in receiver.attempts] == ["hi", "hi", "hi"]
            assert (emu.callbacks.failed, emu.callbacks.dropped) == (2, 0)
    finally:
        receiver.close()


def test_a_callback_is_dropped_after_the_last_retry(manual_clock: ManualClock) -> None:
    receiver = FlakyReceiver(failures=99)
    account = Account("demo", "demo", callback_url=receiver.url)
    try:
        with Emulator(
            [account], clock=manual_clock, callback_retry=RetryRule((5.0,)),
            callback_interval=3600,
        ) as emu:  # fmt: skip
            emu.push_incoming("demo", "79991112233", "hi")
            emu.flush_callbacks()
            manual_clock.advance(5)
            emu.flush_callbacks()
            manual_clock.advance(1000)
            emu.flush_callbacks()
            assert len(receiver.attempts) == 2
            assert (emu.callbacks.dropped, emu.callbacks.waiting) == (1, 0)
    finally:
        receiver.close()


def test_the_scenario_on_the_docs_page_loads_as_written(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "emulator.md").read_text("utf-8")
    (block,) = re.findall(r"```toml\n(.*?)```", page, re.S)
    config = tmp_path / "emulator.toml"
    config.write_text(block, encoding="utf-8")
    scenario = load_scenario(config)
    shop, broke = scenario.accounts
    assert (shop.apikey, shop.balance, shop.credit) == (
        "SHOP-API-KEY",
        Decimal("250.00"),
        Decimal("50.00"),
    )
    assert (shop.senders, shop.allowed_ips) == (("Shop", "ShopNews"), ("127.0.0.1",))
    assert broke.balance == Decimal("0.00")
    assert scenario.smtp is not None and scenario.smtp.tls == "starttls"
    assert scenario.smtp.auth == {"mailer": "mail-secret"} and scenario.smtp.auth_required
    assert scenario.smpp is not None
    assert (scenario.smpp.throttle_rate, scenario.smpp.receipt_ids) == (50.0, "hex")
    assert scenario.retry == RetryRule((10.0, 60.0, 600.0))
    assert scenario.control.enabled and scenario.control.token == "change-me"
    assert scenario.tariff is not None and scenario.tariff.part_price("375291234567") == Decimal(
        "4.50"
    )
    assert scenario.snapshot == tmp_path / "state.json"
    assert [m.text for m in scenario.incoming] == ["STOP"]


def test_a_damaged_snapshot_stops_the_start_with_one_line_and_is_kept(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"version": 1, "accounts": [{"login": 5}]}', "utf-8")
    said = _errors(tmp_path, '[emulator]\nsnapshot = "state.json"\n')
    assert "state.json is damaged: accounts[0].login: expected str" in said
    assert (tmp_path / "state.json").read_text("utf-8").startswith('{"version": 1')


def test_a_snapshot_that_cannot_be_written_stops_the_start(tmp_path: Path) -> None:
    said = _errors(tmp_path, '[emulator]\nsnapshot = "missing/folder/state.json"\n')
    assert "cannot write snapshot" in said and "state.json" in said


def test_the_snapshot_is_also_written_every_interval(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    with Emulator(snapshot=path, snapshot_interval=0.05) as emu:
        emu.push_incoming("demo", "79991112233", "kept")
        deadline = 200
        while (emu.snapshot is None or emu.snapshot.saves < 2) and deadline:
            threading.Event().wait(0.05)
            deadline -= 1
        assert path.is_file() and '"kept"' in path.read_text("utf-8")
    with Emulator(snapshot=path) as again:
        assert [m.text for m in again.state.incoming(again.state.account("demo"))] == ["kept"]


FRONTS = """\
[emulator]
clock_speed = 0

[tls]
self_signed_dir = "tls"

[control]
enabled = true

[[accounts]]
login = "shop"
password = "secret"

[smtp]
port = 0
tls = "implicit"
auth = { mailer = "mail-pw" }
auth_required = true

[smpp]
port = 0
tls_port = 0
throttle_rate = 7
receipt_ids = "hex"
"""


def test_smtp_with_implicit_tls_and_auth_from_a_scenario(tmp_path: Path) -> None:
    require_command("openssl", "for the emulator's self-signed certificate")
    (tmp_path / "emulator.toml").write_text(FRONTS, encoding="utf-8")
    with started_emulator(["--config", "emulator.toml"], tmp_path) as emulator:
        assert set(emulator.ports) == {"http", "smtp", "smpp", "smpps"}
        trust = ssl.create_default_context(cafile=str(tmp_path / "tls" / "cert.pem"))
        body = b"Content-Type: text/plain; charset=utf-8\n\nshop:secret:9:,:0,0,,0:79990000001:hi"
        with smtplib.SMTP_SSL(
            "127.0.0.1", emulator.ports["smtp"], context=trust, timeout=10
        ) as mail:
            with pytest.raises(smtplib.SMTPSenderRefused):  # AUTH is required
                mail.sendmail("api@example.org", ["send@send.smsc.ru"], body)
            mail.login("mailer", "mail-pw")
            mail.sendmail("api@example.org", ["send@send.smsc.ru"], body)
        listed = requests.get(
            emulator.url("/_emulator/messages"), params={"login": "shop"}, timeout=10
        ).json()["messages"]
        assert [(m["id"], m["text"]) for m in listed] == [("9", "hi")]
        assert emulator.terminate() == 0


def test_smpp_throttling_and_hex_receipts_come_from_the_scenario(tmp_path: Path) -> None:
    require_command("openssl", "for the certificate the scenario's SMTP front end wants")
    (tmp_path / "emulator.toml").write_text(FRONTS.replace("tls_port = 0\n", ""), "utf-8")
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["emulator", "--config", str(tmp_path / "emulator.toml")])
    with build_emulator(scenario_of(args)) as emu:
        (smpp,) = [front for front in emu.front_ends if front.name == "smpp"]
        assert (getattr(smpp, "throttle_rate", None), getattr(smpp, "receipt_ids", None)) == (
            7.0,
            "hex",
        )
        (smtp,) = [front for front in emu.front_ends if front.name == "smtp"]
        assert getattr(smtp, "implicit_tls", None) is True
        assert getattr(smtp, "auth_required", None) is True


def test_ip_block_and_charset_label_from_the_scenario_and_the_command_line(
    tmp_path: Path,
) -> None:
    config = tmp_path / "emulator.toml"
    config.write_text("[emulator]\necho_charset = true\n[limits]\nip_block = false\n", "utf-8")
    scenario = load_scenario(config)
    assert scenario.echo_charset is True
    assert scenario.limits is not None and scenario.limits.ip_block_auth_failures is None
    assert scenario.limits.balance_per_minute == 10  # the other rules stay
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["emulator", "--no-ip-block", "--echo-charset"])
    with build_emulator(scenario_of(args)) as emu:
        assert emu.state.limits.ip_block_error_run is None
        assert emu.http.echo_charset is True
