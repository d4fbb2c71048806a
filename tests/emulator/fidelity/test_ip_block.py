"""Error 4: an address blocked after frequent errors, by SMSC's FAQ rules (on by default)."""

from __future__ import annotations

import signal

import pytest
import requests

from smsc_transports import Message, create_transport
from smsc_transports.emulator import Account, Emulator, Limits, ManualClock
from smsc_transports.errors import InvalidPhone, IPBlocked
from tests.emulator.api import emulator_process
from tests.emulator.fidelity.sources import FAQ_IP, P_SEND_ANSWER, body, check

GOOD = {"login": "demo", "psw": "demo"}
WRONG = {"login": "demo", "psw": "wrong"}


def _balance(emulator: Emulator, credentials: dict[str, str], fmt: int = 0) -> str:
    params = {**credentials, "fmt": str(fmt)}
    return body(requests.get(emulator.http_url + "/sys/balance.php", params=params, timeout=5))


def test_five_failed_logins_block_the_address_for_30_minutes() -> None:
    clock = ManualClock()
    with Emulator(clock=clock) as emulator:
        for _ in range(5):
            check(_balance(emulator, WRONG), "ERROR = 2 (authorise error)", P_SEND_ANSWER)
        # Right credentials now, but the address is blocked: SMSC's text is the FAQ's.
        check(_balance(emulator, GOOD), "ERROR = 4 (ip is blocked)", FAQ_IP)
        check(_balance(emulator, GOOD, fmt=1), "0,-4", P_SEND_ANSWER)
        send = {**GOOD, "phones": "79990000001", "mes": "hi", "fmt": "3"}
        answer = requests.post(emulator.http_url + "/sys/send.php", data=send, timeout=5)
        check(answer.json(), {"error": "ip is blocked", "error_code": 4}, FAQ_IP)
        clock.advance(30 * 60 - 1)
        check(_balance(emulator, GOOD), "ERROR = 4 (ip is blocked)", FAQ_IP)
        clock.advance(1)
        check(_balance(emulator, GOOD), "100.00", FAQ_IP)


def test_failures_older_than_30_minutes_do_not_count() -> None:
    clock = ManualClock()
    with Emulator(clock=clock) as emulator:
        for _ in range(4):
            _balance(emulator, WRONG)
        clock.advance(30 * 60)
        for _ in range(4):
            check(_balance(emulator, WRONG), "ERROR = 2 (authorise error)", FAQ_IP)
        check(_balance(emulator, GOOD), "100.00", FAQ_IP)


def test_an_allow_listed_address_is_never_blocked_for_wrong_passwords() -> None:
    """FAQ: "This blocking does not work if the IP address … is in the list of allowed"."""
    shop = Account("shop", "secret", allowed_ips=("127.0.0.1",))
    with Emulator([shop], clock=ManualClock()) as emulator:
        for _ in range(10):
            _balance(emulator, {"login": "shop", "psw": "wrong"})
        check(_balance(emulator, {"login": "shop", "psw": "secret"}), "100.00", FAQ_IP)


def test_100_erroneous_sends_in_a_row_block_for_10_minutes() -> None:
    clock = ManualClock()
    with Emulator(clock=clock) as emulator:
        session = requests.Session()
        url = emulator.http_url + "/sys/send.php"
        bad = {**GOOD, "phones": "12", "mes": "hi", "fmt": "1"}
        for number in range(1, 100):
            # Error 7 carries the id assigned to the refused message.
            check(body(session.post(url, data=bad, timeout=5)), f"{number},-7", P_SEND_ANSWER)
        # A good request ends the run: 99 more errors are fine again.
        good = {**GOOD, "phones": "79990000001", "mes": "hi", "fmt": "1"}
        check(body(session.post(url, data=good, timeout=5)), "100,1", P_SEND_ANSWER)
        for _ in range(99):
            session.post(url, data=bad, timeout=5)
        check(_balance(emulator, GOOD), "98.60", FAQ_IP)
        session.post(url, data=bad, timeout=5)  # the 100th in a row
        check(_balance(emulator, GOOD), "ERROR = 4 (ip is blocked)", FAQ_IP)
        clock.advance(10 * 60)
        check(_balance(emulator, GOOD), "98.60", FAQ_IP)


def test_without_ip_block_wrong_passwords_never_block() -> None:
    with Emulator(clock=ManualClock(), limits=Limits().without_ip_block()) as emulator:
        for _ in range(20):
            _balance(emulator, WRONG)
        assert _balance(emulator, GOOD) == "100.00"
    assert Limits.unlimited().ip_block_auth_failures is None


def test_cli_no_ip_block_and_echo_charset() -> None:
    with emulator_process("--no-ip-block", "--echo-charset") as (process, base):
        url = base + "/sys/balance.php"
        for _ in range(6):
            requests.get(url, params={**WRONG, "fmt": "3"}, timeout=5)
        answer = requests.get(url, params={**GOOD, "fmt": "3", "charset": "utf-8"}, timeout=5)
        assert answer.json() == {"balance": "100.00"}
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_soap_sends_count_too_and_the_library_sees_ip_blocked() -> None:
    """The rule is per address, whatever the protocol: 100 bad SOAP sends block HTTP."""
    with Emulator(clock=ManualClock()) as emulator:
        with create_transport(emulator.url("soap+http")) as soap:
            for _ in range(100):
                with pytest.raises(InvalidPhone):
                    soap.send(Message(["79990004007"], "refused"))
        with create_transport(emulator.url()) as http, pytest.raises(IPBlocked) as blocked:
            http.balance()
        check(blocked.value.code, 4, FAQ_IP)
