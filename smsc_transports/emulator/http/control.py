"""The emulator's own paths on its HTTP port, under ``/_emulator/``: health and control.

``GET /_emulator/health`` always answers (a service's liveness probe). The control
API, off unless enabled (``smsc emulator --control``), lets a test suite in any
language drive the emulator with plain JSON over HTTP: inject an incoming message,
move the clock, force a status, read what was sent and received, set a balance,
deliver the callbacks due. With a token, every control request must carry
``Authorization: Bearer TOKEN``; an emulator listening beyond loopback refuses to
enable control without one (see :class:`ControlSettings`). The paths and their
answers are documented in ``docs/emulator.md``.

Every answer is JSON (``application/json; charset=utf-8``); an error is
``{"error": "what is wrong"}`` with 400 (bad request), 401 (token), 404 (no such
path, account or message), 405 (method) or 409 (the clock cannot move).

Rule: like every front end's part it uses ``emulator/state`` and the core modules
only; what needs another front end (pushing an incoming message to SMPP binds, the
ports of every front end) comes through :class:`ServiceHooks`, which the
:class:`~smsc_transports.emulator.server.Emulator` implements.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from urllib.parse import parse_qsl

from smsc_transports.emulator.state.clock import format_date
from smsc_transports.emulator.state.records import IncomingRecord, StatusRecord
from smsc_transports.emulator.state.smsc import EmulatorState
from smsc_transports.statuses import MessageStatus

__all__ = ["PREFIX", "ControlSettings", "ServiceApi", "ServiceHooks", "is_loopback"]

PREFIX = "/_emulator/"
JSON_TYPE = "application/json; charset=utf-8"
_LOOPBACK = ("127.", "::1", "localhost")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine."""
    return host.startswith(_LOOPBACK) or host == "::1"


@dataclass(frozen=True)
class ControlSettings:
    """Whether the control API is on, and the token it requires (``None``: none).

    ``check(host)`` refuses control without a token on a host other than loopback:
    anyone who can reach the port could otherwise move money and statuses.
    """

    enabled: bool = False
    token: str | None = None

    def check(self, host: str) -> None:
        """Raise ``ValueError`` when these settings are unsafe on ``host``."""
        if self.enabled and not self.token and not is_loopback(host):
            raise ValueError(
                f"the control API on {host} (beyond loopback) needs a token (--control-token)"
            )

    def __repr__(self) -> str:
        token = "None" if self.token is None else "'***'"
        return f"ControlSettings(enabled={self.enabled}, token={token})"


class ServiceHooks(Protocol):
    """What the control API needs from the emulator as a whole."""

    @property
    def ports(self) -> dict[str, int]:
        """Each front end's port by name."""
        ...

    def push_incoming(
        self, login: str, phone: str, text: str, to_phone: str | None
    ) -> IncomingRecord:
        """Store an incoming message and push it to SMPP receivers, if any."""
        ...

    def flush_callbacks(self) -> int:
        """Deliver the callbacks due now; return how many succeeded."""
        ...


class _Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


Answer = tuple[int, bytes]
"""An HTTP status and a JSON body."""


class ServiceApi:
    """Answers the ``/_emulator/`` paths over ``state``; the HTTP front end calls :meth:`answer`."""

    def __init__(
        self,
        state: EmulatorState,
        hooks: ServiceHooks,
        control: ControlSettings | None = None,
        *,
        certificate: bytes | None = None,
    ) -> None:
        self.state = state
        self.hooks = hooks
        self.control = control or ControlSettings()
        self.certificate = certificate
        self.started = time.monotonic()
        self._routes: dict[tuple[str, str], Callable[[Mapping[str, str], Any], object]] = {
            ("GET", "clock"): self._get_clock,
            ("POST", "clock"): self._move_clock,
            ("POST", "incoming"): self._inject,
            ("GET", "incoming"): self._received,
            ("GET", "messages"): self._messages,
            ("POST", "status"): self._force_status,
            ("GET", "accounts"): self._accounts,
            ("POST", "accounts"): self._set_balance,
            ("POST", "callbacks"): self._flush_callbacks,
        }

    def answer(
        self, method: str, path: str, query: str, body: bytes, authorization: str | None
    ) -> tuple[int, str, bytes]:
        """The HTTP status, content type and body for a request to ``path``."""
        name = path[len(PREFIX) :].strip("/")
        if name == "health" and method == "GET":
            return 200, JSON_TYPE, _json(self._health())
        if name == "ca.pem" and method == "GET" and self.certificate is not None:
            return 200, "application/x-pem-file", self.certificate
        try:
            status, payload = self._control(method, name, query, body, authorization)
        except _Refused as refused:
            status, payload = refused.status, {"error": refused.text}
        return status, JSON_TYPE, _json(payload)

    def _control(
        self, method: str, name: str, query: str, body: bytes, authorization: str | None
    ) -> tuple[int, object]:
        if not self.control.enabled:
            raise _Refused(404, "the control API is off: start the emulator with --control")
        if self.control.token is not None:
            scheme, _, given = (authorization or "").partition(" ")
            expected = self.control.token.encode("utf-8")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode("utf-8"), expected
            ):
                raise _Refused(401, "the control API needs Authorization: Bearer <token>")
        handler = self._routes.get((method, name))
        if handler is None:
            if any(key[1] == name for key in self._routes):
                raise _Refused(405, f"{method} is not allowed on {PREFIX}{name}")
            raise _Refused(404, f"no control path {PREFIX}{name}")
        params = dict(parse_qsl(query, keep_blank_values=True))
        document: Any = None
        if method == "POST":
            try:
                document = json.loads(body.decode("utf-8") or "{}")
            except (UnicodeDecodeError, ValueError):
                raise _Refused(400, "the body must be a JSON object") from None
            if not isinstance(document, dict):
                raise _Refused(400, "the body must be a JSON object")
        return 200, handler(params, document)

    # -- the paths ----------------------------------------------------------------------

    def _health(self) -> dict[str, object]:
        return {
            "status": "ok",
            "ports": self.hooks.ports,
            "uptime": round(time.monotonic() - self.started, 3),
            "control": self.control.enabled,
        }

    def _get_clock(self, params: Mapping[str, str], document: Any) -> object:
        now = self.state.clock()
        return {"now": now, "date": format_date(now)}

    def _move_clock(self, params: Mapping[str, str], document: Any) -> object:
        clock = self.state.clock
        advance = getattr(clock, "advance", None)
        move_to = getattr(clock, "set", None)
        if not callable(advance) or not callable(move_to):
            raise _Refused(409, "this emulator's clock cannot be moved")
        try:
            if "advance" in document:
                advance(_number(document, "advance"))
            elif "set" in document:
                move_to(_number(document, "set"))
            else:
                raise _Refused(400, 'give "advance" (seconds) or "set" (Unix seconds)')
        except ValueError as exc:
            raise _Refused(400, str(exc)) from None
        return self._get_clock(params, document)

    def _inject(self, params: Mapping[str, str], document: Any) -> object:
        login = self._login(document)
        phone, text = _text(document, "phone"), _text(document, "text")
        to_phone = _text(document, "to") if "to" in document else None
        record = self.hooks.push_incoming(login, phone, text, to_phone)
        return _incoming(record)

    def _received(self, params: Mapping[str, str], document: Any) -> object:
        account = self.state.account(self._login(params))
        found = self.state.incoming(account, cnt=_limit(params))
        return {"incoming": [_incoming(record) for record in found]}

    def _messages(self, params: Mapping[str, str], document: Any) -> object:
        account = self.state.account(self._login(params))
        phones = [params["phone"]] if params.get("phone") else None
        found = self.state.history(account, phones=phones, cnt=_limit(params))
        return {"messages": [_message(record) for record in found]}

    def _force_status(self, params: Mapping[str, str], document: Any) -> object:
        login = self._login(document)
        code = document.get("status")
        if isinstance(code, bool) or not isinstance(code, int):
            raise _Refused(400, '"status" must be an SMSC status code (an integer)')
        status = MessageStatus(code)
        if not status.is_known or status is MessageStatus.NOT_FOUND:
            raise _Refused(400, f"{code} is not a status SMSC gives a message")
        err = document.get("err", 0)
        if isinstance(err, bool) or not isinstance(err, int) or not 0 <= err <= 999:
            raise _Refused(400, '"err" must be a delivery error code (0-999)')
        try:
            record = self.state.force_status(
                login, _text(document, "id"), _text(document, "phone"), status, err
            )
        except KeyError:
            raise _Refused(404, "no such message (id and phone as sent)") from None
        return _message(record)

    def _accounts(self, params: Mapping[str, str], document: Any) -> object:
        rows = []
        for login in self.state.logins():
            balance = self.state.account_balance(login)
            rows.append(
                {
                    "login": login,
                    "balance": str(balance.balance),
                    "currency": balance.currency,
                    "credit": None if balance.credit is None else str(balance.credit),
                    "senders": list(self.state.senders(self.state.account(login))),
                }
            )
        return {"accounts": rows}

    def _set_balance(self, params: Mapping[str, str], document: Any) -> object:
        login = self._login(document)
        raw = document.get("balance")
        try:
            amount = Decimal(str(raw)) if isinstance(raw, str | int | float) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or isinstance(raw, bool):
            raise _Refused(400, '"balance" must be an amount ("250.00")')
        self.state.set_balance(login, amount)
        return {"login": login, "balance": str(self.state.account_balance(login).balance)}

    def _flush_callbacks(self, params: Mapping[str, str], document: Any) -> object:
        return {"delivered": self.hooks.flush_callbacks()}

    def _login(self, source: Mapping[str, Any]) -> str:
        login = _text(source, "login")
        if login not in self.state.logins():
            raise _Refused(404, f"no account {login!r}")
        return login


def _json(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _text(source: Mapping[str, Any], key: str) -> str:
    value = source.get(key)
    if not isinstance(value, str) or not value:
        raise _Refused(400, f'"{key}" must be a non-empty string')
    return value


def _number(source: Mapping[str, Any], key: str) -> float:
    value = source.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refused(400, f'"{key}" must be a number')
    return float(value)


def _limit(params: Mapping[str, str]) -> int:
    raw = params.get("limit", "100")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 10_000:
        raise _Refused(400, "limit must be 1 to 10000")
    return int(raw)


def _incoming(record: IncomingRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "login": record.login,
        "phone": record.phone,
        "to": record.to_phone,
        "text": record.text,
        "received": record.received,
    }


def _message(record: StatusRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "phone": record.phone,
        "text": record.text,
        "sender": record.sender,
        "kind": record.kind.name.lower(),
        "status": int(record.status),
        "err": record.err,
        "sent": record.send_timestamp,
        "changed": record.last_timestamp,
        "cost": str(record.cost),
        "parts": record.parts,
        "subject": record.subject,
        "options": dict(record.options),
    }
