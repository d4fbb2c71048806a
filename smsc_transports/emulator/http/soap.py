"""The emulator's SOAP endpoint, ``/sys/soap.php`` on the HTTP port: :func:`handle_soap`.

``GET ?wsdl`` serves the WSDL shipped with the library, its address pointed at the
emulator. A POSTed SOAP 1.1 envelope is read by :mod:`smsc_transports.wire.soap.envelope`
(no DTD, no entities, no network), turned into the same parameters the HTTP API takes
(the operation's fields, plus ``query`` for the ``*2`` operations) and answered from the
shared :class:`~smsc_transports.emulator.state.EmulatorState`: a message sent over SOAP
has the same id, status and charge over HTTP. SMSC errors travel in the result's
``error`` field, as SMSC does; only an envelope that cannot be read gets a SOAP Fault
(HTTP 500), never a traceback.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from urllib.parse import parse_qsl

from smsc_transports.emulator.http.commands import send_request
from smsc_transports.emulator.http.params import Params
from smsc_transports.emulator.http.render import money, status_fields
from smsc_transports.emulator.state.accounts import Account
from smsc_transports.emulator.state.number_rules import answer_delay
from smsc_transports.emulator.state.pricing import params_error
from smsc_transports.emulator.state.records import SendOutcome
from smsc_transports.emulator.state.smsc import EmulatorState
from smsc_transports.errors import APIError
from smsc_transports.wire.soap import envelope as soap_envelope
from smsc_transports.wire.soap.calls import ENDPOINT_PATH, OPERATIONS, wsdl_bytes

__all__ = ["CONTENT_TYPE", "handle_soap"]

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/xml; charset=utf-8"
Result = dict[str, str | Sequence[Mapping[str, str]]]
Answer = tuple[int, str, bytes]

# Which HTTP command each operation is, for error meanings (5 is a date error for a send).
_OPERATION_KIND = {
    "send_sms": "send",
    "send_sms2": "send",
    "get_sms_cost": "cost",
    "get_sms_cost2": "cost",
    "get_status": "status",
    "get_status2": "status",
    "get_balance": "balance",
}
# Parameters ``query`` may not set: the credentials are SOAP fields, the cost mode is
# the operation's, and SOAP answers have one format and one charset. (An ``apikey`` may
# come in ``query``: the 2024 docs list it, the 2018 WSDL has no field for it.)
_FIXED = frozenset({"login", "psw", "cost", "fmt", "charset"})
# Status fields SOAP's StatusResponseType has, by the ``all`` level that shows them.
_STATUS_SOAP_FIELDS = frozenset(OPERATIONS["get_status"].result_fields)


def handle_soap(
    state: EmulatorState,
    method: str,
    query: str,
    body: bytes,
    base_url: str,
    *,
    client_ip: str | None = None,
    wait: Callable[[float], object] = time.sleep,
) -> Answer:
    """Answer one request to ``/sys/soap.php``: return (HTTP status, content type, body).

    ``query`` is the URL's query string (``"wsdl"`` asks for the WSDL), ``base_url``
    the emulator's own ``http://host:port`` (the WSDL's address is set to it),
    ``client_ip`` the peer's address for accounts with an IP allow-list, and ``wait``
    how to hold back the answer to a slow test number (the HTTP front end's ``wait``,
    so that stopping the emulator releases it).
    """
    if method == "GET" and _asks_for_wsdl(query):
        return 200, CONTENT_TYPE, _wsdl_for(_address(base_url))
    if method != "POST":
        return 405, "text/plain; charset=utf-8", b"POST a SOAP 1.1 envelope, or GET ?wsdl\n"
    try:
        request = soap_envelope.parse_request(body)
    except soap_envelope.EnvelopeError as exc:
        return _fault(str(exc), exc.code)
    try:
        result = _answer(state, request, client_ip, wait)
    except Exception:
        log.exception("emulator SOAP handler failed on %s", request.operation)
        return _fault("internal error in the emulator", "Server")
    return 200, CONTENT_TYPE, soap_envelope.build_response(request.operation, result)


def _asks_for_wsdl(query: str) -> bool:
    return any(k.lower() == "wsdl" for k, _ in parse_qsl(query, keep_blank_values=True))


def _address(base_url: str) -> str:
    base = base_url.rstrip("/")
    return base if base.endswith(ENDPOINT_PATH) else base + ENDPOINT_PATH


@functools.lru_cache(maxsize=16)
def _wsdl_for(address: str) -> bytes:
    return soap_envelope.rewrite_address(wsdl_bytes(), address)


def _fault(message: str, code: str) -> Answer:
    return 500, CONTENT_TYPE, soap_envelope.build_fault(message, code)


def _params(request: soap_envelope.SoapRequest) -> Params:
    """The HTTP-style parameters of a request: its fields over its ``query``."""
    values: dict[str, str] = {}
    raw_query = request.fields.get("query", "")
    if raw_query:
        try:
            pairs = parse_qsl(raw_query, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise params_error(_OPERATION_KIND[request.operation]) from None
        values.update((k, v) for k, v in pairs if k not in _FIXED)
    values.update((k, v) for k, v in request.fields.items() if k != "query")
    return Params(values)


def _answer(
    state: EmulatorState,
    request: soap_envelope.SoapRequest,
    client_ip: str | None,
    wait: Callable[[float], object],
) -> Result:
    kind = _OPERATION_KIND[request.operation]
    try:
        params = _params(request)
        login, password, apikey = params.get("login"), params.get("psw"), params.get("apikey")
        if not (login or password or apikey):
            raise params_error(kind)
        account = state.authenticate(login, password, apikey, ip=client_ip, operation=kind)
        with state.request_slot(account.login):
            if kind == "send":
                return _send(state, account, params, wait, client_ip)
            if kind == "cost":
                return _cost(state, account, params)
            if kind == "status":
                return _status(state, account, params)
            return {"balance": money(state.balance(account).balance), "error": "0"}
    except APIError as error:
        result: Result = {"error": str(error.code)}
        if error.id is not None and kind == "send":
            result["id"] = error.id
        return result
    except ValueError:  # e.g. an unknown message format number, as the HTTP API answers
        return {"error": "1"}


def _send(
    state: EmulatorState,
    account: Account,
    params: Params,
    wait: Callable[[float], object],
    client_ip: str | None,
) -> Result:
    # SOAP's send answer always has cost and balance: SMSC's cost=3.
    params.values["cost"] = "3"
    failure: APIError | None = None
    try:
        request = send_request(params)
    except APIError as bad:
        state.note_send_answer(client_ip, bad)  # towards the "100 in a row" IP block
        raise
    try:
        outcome: SendOutcome = state.send(account, request)
    except APIError as bad:
        failure = bad
        raise
    finally:
        state.note_send_answer(client_ip, failure)
        # Slow test numbers hold the answer back whatever it is, like a slow server.
        wait(answer_delay(request.phones or [p for p, _ in request.pairs]))
    result: Result = {
        "id": str(outcome.id),
        "balance": money(outcome.balance) if outcome.balance is not None else "",
        "cost": money(outcome.cost),
        "cnt": str(outcome.parts),
        "error": "0",
    }
    refused = [{"phone": p.phone, "status": str(p.status)} for p in outcome.phones if p.error]
    if request.err and refused:
        result["errors"] = refused
    return result


def _cost(state: EmulatorState, account: Account, params: Params) -> Result:
    params.values["cost"] = "1"
    outcome = state.cost(account, send_request(params))
    return {"cost": money(outcome.cost), "cnt": str(outcome.parts), "error": "0"}


def _status(state: EmulatorState, account: Account, params: Params) -> Result:
    id_text, phone = params.text("id").strip(), params.text("phone").strip()
    # One result element per answer: SOAP has no list form, so comma lists are refused.
    if not id_text or not phone or "," in id_text or "," in phone:
        raise params_error("status")
    level = params.number("all", 0, high=2)
    record = state.status(account, id_text, phone)
    result: Result = {"error": "0"}
    for name, value in status_fields(record, level):
        if name in _STATUS_SOAP_FIELDS and name != "error":
            result[name] = money(value) if isinstance(value, Decimal) else str(value)
    return result
