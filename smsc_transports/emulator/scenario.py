"""A scenario file for the emulator: ``smsc emulator --config emulator.toml``.

Everything the Python setup API offers — accounts with API keys, balances, credit,
registered senders and allowed IPs; the tariff; SMSC's limits; SMTP with STARTTLS or
implicit TLS and AUTH; SMPP with throttling and hex receipt ids; HTTPS; the control
API; callback retries; the clock's speed; a snapshot file; incoming messages waiting
at start — written in TOML (read with the standard library's ``tomllib``), so a team
in any language can rehearse every outcome. ``docs/emulator.md`` shows every key.

:func:`load_scenario` reads and checks the file: an unknown key, a value of the wrong
type or a combination that cannot work raises :class:`ScenarioError` (a
:class:`~smsc_transports.errors.ConfigurationError`) with one line naming the file
and the key, ``emulator.toml: accounts[1].balance: expected an amount, got 'lots'``.
Relative paths in the file are read from the file's folder.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from smsc_transports.emulator.callback_sender import RetryRule
from smsc_transports.emulator.http.control import ControlSettings
from smsc_transports.emulator.keyed_table import KeyedTable, ScenarioError
from smsc_transports.emulator.state.accounts import Account, Limits, Tariff
from smsc_transports.message import MessageKind

__all__ = [
    "IncomingText",
    "Scenario",
    "ScenarioError",
    "SmppScenario",
    "SmtpScenario",
    "load_scenario",
]

SmtpTls = Literal["none", "starttls", "implicit"]


@dataclass(frozen=True)
class SmtpScenario:
    """The e-mail front end: its port, TLS mode and SMTP AUTH users."""

    port: int = 0
    tls: SmtpTls = "none"
    auth: Mapping[str, str] = field(default_factory=dict, repr=False)
    auth_required: bool = False
    require_starttls: bool = False


@dataclass(frozen=True)
class SmppScenario:
    """The SMPP front ends: plain and TLS ports, throttling, how receipts write ids."""

    port: int | None = 0
    tls_port: int | None = None
    throttle_rate: float | None = None
    receipt_ids: Literal["dec", "hex"] = "dec"


@dataclass(frozen=True)
class IncomingText:
    """An incoming message waiting in an account's inbox when the emulator starts."""

    login: str
    phone: str
    text: str
    to: str | None = None


@dataclass
class Scenario:
    """What an emulator is started with; :func:`load_scenario` fills it from a file."""

    host: str = "127.0.0.1"
    http_port: int = 0
    https_port: int | None = None
    accounts: list[Account] = field(default_factory=list)
    limits: Limits | None = None
    tariff: Tariff | None = None
    callback_url: str | None = None
    transfer_after: float | None = None
    deliver_after: float = 3.0
    clock_speed: float = 1.0
    clock_start: float | None = None
    retry: RetryRule | None = None
    control: ControlSettings = field(default_factory=ControlSettings)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_dir: Path | None = None
    snapshot: Path | None = None
    snapshot_interval: float | None = None
    smtp: SmtpScenario | None = None
    smpp: SmppScenario | None = None
    incoming: list[IncomingText] = field(default_factory=list)
    echo_charset: bool = False
    source: str = "command line"


def load_scenario(path: str | Path) -> Scenario:
    """Read and check the scenario file at ``path``; :class:`ScenarioError` when it is wrong."""
    file = Path(path)
    name = str(path)
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ScenarioError(f"{name}: no such file") from None
    except OSError as exc:
        raise ScenarioError(f"{name}: cannot read it: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{name}: not valid TOML: {exc}") from None
    root = KeyedTable(data, "", name, file.resolve().parent)
    scenario = Scenario(source=name)
    _read_emulator(root, scenario)
    scenario.accounts = [_read_account(t) for t in root.tables("accounts")]
    logins = [account.login for account in scenario.accounts]
    for i, login in enumerate(logins):
        if login in logins[:i]:
            raise ScenarioError(f"{name}: accounts[{i}].login: {login!r} is given twice")
    limits = root.table("limits")
    scenario.limits = None if limits is None else _read_limits(limits)
    tariff = root.table("tariff")
    scenario.tariff = None if tariff is None else _read_tariff(tariff)
    _read_tls(root, scenario)
    _read_control(root, scenario)
    _read_callbacks(root, scenario)
    smtp = root.table("smtp")
    scenario.smtp = None if smtp is None else _read_smtp(smtp, scenario)
    smpp = root.table("smpp")
    scenario.smpp = None if smpp is None else _read_smpp(smpp, scenario)
    for table in root.tables("incoming"):
        login = table.required("login")
        if logins and login not in logins:
            raise table.fail("login", f"no account {login!r} in [[accounts]]")
        text = IncomingText(
            login, table.required("phone"), table.required("text"), table.text("to")
        )
        table.done()
        scenario.incoming.append(text)
    root.done()
    return scenario


def _read_emulator(root: KeyedTable, scenario: Scenario) -> None:
    table = root.table("emulator")
    if table is None:
        return
    scenario.host = table.text("host", scenario.host) or scenario.host
    scenario.http_port = table.port("http_port", 0) or 0
    scenario.https_port = table.port("https_port")
    scenario.callback_url = _url(table, "callback_url")
    scenario.transfer_after = table.number("transfer_after")
    scenario.deliver_after = table.number("deliver_after", 3.0) or 0.0
    scenario.clock_speed = table.number("clock_speed", 1.0) or 0.0
    scenario.clock_start = table.number("clock_start")
    scenario.echo_charset = table.flag("echo_charset")
    scenario.snapshot = table.path_value("snapshot")
    interval = table.number("snapshot_interval")
    if interval is not None and interval <= 0:
        raise table.fail("snapshot_interval", "must be above 0 seconds")
    if interval is not None and scenario.snapshot is None:
        raise table.fail("snapshot_interval", "needs emulator.snapshot (the file)")
    scenario.snapshot_interval = interval
    table.done()


def _url(table: KeyedTable, key: str) -> str | None:
    url = table.text(key)
    if url is not None and not url.startswith(("http://", "https://")):
        raise table.fail(key, f"expected an http:// or https:// URL, got {url!r}")
    return url


def _read_account(table: KeyedTable) -> Account:
    account = Account(
        login=table.required("login"),
        password=table.text("password", "") or "",
        apikey=table.text("apikey"),
        balance=table.money("balance", Decimal("100.00")) or Decimal(0),
        currency=table.text("currency", "RUB") or "RUB",
        credit=table.money("credit"),
        senders=table.strings("senders") or (),
        allowed_ips=table.strings("allowed_ips"),
        callback_url=_url(table, "callback_url"),
    )
    if not account.password and not account.apikey:
        raise table.fail("password", "is required (or an apikey)")
    table.done()
    return account


def _read_limits(table: KeyedTable) -> Limits:
    base = Limits.unlimited() if table.flag("unlimited") else Limits()
    if not table.flag("ip_block", True):
        base = base.without_ip_block()
    values: dict[str, Any] = {}
    for name in Limits.__dataclass_fields__:
        value = table.get(name)
        if value is None:
            continue
        if value is False:
            values[name] = None  # a rule switched off
        elif name == "duplicate_window":
            values[name] = table.number(name)
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise table.fail(name, f"expected a whole number of 1 or more, or false, got {value!r}")
        else:
            values[name] = value
    table.done()
    return Limits(**{**{n: getattr(base, n) for n in Limits.__dataclass_fields__}, **values})


def _read_tariff(table: KeyedTable) -> Tariff:
    default = table.money("default", Decimal("1.40")) or Decimal(0)
    sms: dict[str, Decimal] = {}
    prefixes = table.table("sms")
    if prefixes is not None:
        for prefix, price in prefixes.data.items():
            if not prefix.isdigit():
                raise prefixes.fail(prefix, "a tariff prefix is digits (a country code)")
            sms[prefix] = prefixes.amount(prefix, price)
            prefixes.used.add(prefix)
    per_message: dict[MessageKind, Decimal] = {}
    kinds = table.table("per_message")
    if kinds is not None:
        for name, price in kinds.data.items():
            kind = MessageKind.__members__.get(name.upper())
            if kind is None:
                known = ", ".join(k.lower() for k in MessageKind.__members__)
                raise kinds.fail(name, f"not a message kind (one of {known})")
            per_message[kind] = kinds.amount(name, price)
            kinds.used.add(name)
    table.done()
    return Tariff(sms=sms, default=default, per_message=per_message)


def _read_tls(root: KeyedTable, scenario: Scenario) -> None:
    table = root.table("tls")
    if table is None:
        return
    scenario.tls_cert = table.path_value("cert")
    scenario.tls_key = table.path_value("key")
    scenario.tls_dir = table.path_value("self_signed_dir")
    if scenario.tls_key is not None and scenario.tls_cert is None:
        raise table.fail("key", "needs tls.cert (the certificate it belongs to)")
    table.done()


def _read_control(root: KeyedTable, scenario: Scenario) -> None:
    table = root.table("control")
    if table is None:
        return
    scenario.control = ControlSettings(enabled=table.flag("enabled"), token=table.text("token"))
    table.done()


def _read_callbacks(root: KeyedTable, scenario: Scenario) -> None:
    table = root.table("callbacks")
    if table is None:
        return
    delays = table.get("retry_delays")
    if delays is not None:
        if not isinstance(delays, list) or not all(
            isinstance(d, int | float) and not isinstance(d, bool) and d >= 0 for d in delays
        ):
            raise table.fail(
                "retry_delays", f"expected a list of seconds (0 or more), got {delays!r}"
            )
        scenario.retry = RetryRule(tuple(float(d) for d in delays))
    table.done()


def _read_smtp(table: KeyedTable, scenario: Scenario) -> SmtpScenario:
    tls = table.text("tls", "none")
    if tls not in ("none", "starttls", "implicit"):
        raise table.fail("tls", f'expected "none", "starttls" or "implicit", got {tls!r}')
    users = table.table("auth")
    auth: dict[str, str] = {}
    if users is not None:
        for user, password in users.data.items():
            if not isinstance(password, str):
                raise users.fail(user, "an SMTP AUTH password is a string")
            auth[user] = password
            users.used.add(user)
    smtp = SmtpScenario(
        port=table.port("port", 0) or 0,
        tls=tls,  # type: ignore[arg-type]  # checked above
        auth=auth,
        auth_required=table.flag("auth_required"),
        require_starttls=table.flag("require_starttls"),
    )
    if smtp.auth_required and not auth:
        raise table.fail("auth_required", "needs users in [smtp.auth]")
    if smtp.require_starttls and tls != "starttls":
        raise table.fail("require_starttls", 'needs tls = "starttls"')
    table.done()
    return smtp


def _read_smpp(table: KeyedTable, scenario: Scenario) -> SmppScenario:
    receipt_ids = table.text("receipt_ids", "dec")
    if receipt_ids not in ("dec", "hex"):
        raise table.fail("receipt_ids", f'expected "dec" or "hex", got {receipt_ids!r}')
    rate = table.number("throttle_rate")
    if rate is not None and rate <= 0:
        raise table.fail("throttle_rate", "must be above 0 submits a second")
    smpp = SmppScenario(
        port=table.port("port"),
        tls_port=table.port("tls_port"),
        throttle_rate=rate,
        receipt_ids=receipt_ids,  # type: ignore[arg-type]  # checked above
    )
    if smpp.port is None and smpp.tls_port is None:
        raise table.fail("port", "give port, tls_port or both")
    table.done()
    return smpp
