"""SMSC's SOAP service as data: operation calls out, typed results in (no sockets here).

The seven operations (smsc-protocol.md §4) take and return plain strings. A message
that needs only what ``send_sms`` has fields for (phones, text, id, sender, time) goes
out as ``send_sms``; anything more (a kind, translit, a lifetime, extra parameters)
goes as ``send_sms2`` with the rest in ``query``, a URL-encoded string built by the
same code that builds the HTTP API's parameters (:mod:`smsc_transports.wire.http`),
so both protocols always say the same thing. Cost and status work the same way.

Every field is XML text, and XML 1.0 has no way to carry most control characters
(``\x00``–``\x1f`` but tab, LF and CR), U+FFFE, U+FFFF or lone surrogates: a call
holding one is a :class:`~smsc_transports.errors.ValidationError` when it is built,
before anything is sent. The ``query`` of the ``*2`` operations is URL-encoded, so it
carries any character.

Results carry SMSC's numeric ``error`` code as a string (``""``/``"0"`` on success);
the fields have the HTTP API's names and meanings, so the HTTP parsers read them once
the error has been checked here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from smsc_transports.errors import (
    ProtocolError,
    RateLimited,
    SMSCError,
    ValidationError,
    api_error,
    safe_excerpt,
)
from smsc_transports.field_support import refuse_uncarried
from smsc_transports.message import Message
from smsc_transports.results import Balance, CostResult, PhoneResult, SendResult, StatusResult
from smsc_transports.statuses import MessageStatus
from smsc_transports.wire import http

__all__ = [
    "DEFAULT_ADDRESS",
    "ENDPOINT_PATH",
    "NAMESPACE",
    "NOT_XML",
    "OPERATIONS",
    "SOAP_ACTION",
    "OperationSpec",
    "SoapCall",
    "balance_call",
    "check_error",
    "cost_call",
    "credential_fields",
    "operation_kind",
    "parse_balance",
    "parse_cost",
    "parse_raw",
    "parse_send",
    "parse_status",
    "rate_limited",
    "raw_call",
    "send_call",
    "status_call",
    "wsdl_bytes",
]

NAMESPACE = "https://smsc.ru/sys/soap.php"
SOAP_ACTION = NAMESPACE  # one soapAction for every operation (§4)
ENDPOINT_PATH = "/sys/soap.php"
DEFAULT_ADDRESS = "https://smsc.ru" + ENDPOINT_PATH  # presumed, [U] in §4
WSDL_RESOURCE = "smsc.wsdl"


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """One SOAP operation: its request element and fields, its response and result.

    ``fields`` are in schema order; ``required`` those without ``minOccurs="0"``.
    """

    name: str
    request: str
    fields: tuple[str, ...]
    required: frozenset[str]
    response: str
    result: str
    result_fields: tuple[str, ...]


_SEND_RESULT = ("id", "balance", "cost", "cnt", "error")
_COST_RESULT = ("cost", "cnt", "error")
_STATUS_RESULT = (
    "status",
    "last_date",
    "last_timestamp",
    "err",
    "error",
    "send_date",
    "send_timestamp",
    "phone",
    "cost",
    "sender_id",
    "status_name",
    "message",
    "operator",
    "region",
)
_AUTH = ("login", "psw")
_SEND_FIELDS = ("phones", "mes", "id", "sender", "time")


def _spec(
    name: str,
    request: str,
    fields: tuple[str, ...],
    optional: tuple[str, ...],
    response: str,
    result: str,
    result_fields: tuple[str, ...],
) -> OperationSpec:
    return OperationSpec(
        name,
        request,
        fields,
        frozenset(fields) - frozenset(optional),
        response,
        result,
        result_fields,
    )


OPERATIONS: Mapping[str, OperationSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "send_sms",
            "send",
            (*_AUTH, *_SEND_FIELDS),
            ("id", "sender", "time"),
            "SendResponse",
            "sendresult",
            _SEND_RESULT,
        ),
        _spec(
            "send_sms2",
            "send2",
            (*_AUTH, *_SEND_FIELDS, "query"),
            ("id", "sender", "time", "query"),
            "Send2Response",
            "sendresult",
            (*_SEND_RESULT, "errors"),
        ),
        _spec(
            "get_sms_cost",
            "cost",
            (*_AUTH, "phones", "mes"),
            (),
            "CostResponse",
            "costresult",
            _COST_RESULT,
        ),
        _spec(
            "get_sms_cost2",
            "cost2",
            (*_AUTH, "phones", "mes", "query"),
            (),
            "Cost2Response",
            "costresult",
            _COST_RESULT,
        ),
        _spec(
            "get_status",
            "status",
            (*_AUTH, "phone", "id", "all"),
            ("all",),
            "StatusResponse",
            "statusresult",
            _STATUS_RESULT,
        ),
        _spec(
            "get_status2",
            "status2",
            (*_AUTH, "phone", "id", "all", "query"),
            ("all",),
            "Status2Response",
            "statusresult",
            _STATUS_RESULT,
        ),
        _spec(
            "get_balance",
            "balance",
            _AUTH,
            (),
            "BalanceResponse",
            "balanceresult",
            ("balance", "error"),
        ),
    )
}


def wsdl_bytes() -> bytes:
    """Return the WSDL shipped with the package (the 2018 operations, see §4)."""
    return (
        resources.files(__package__ or "smsc_transports.wire.soap") / WSDL_RESOURCE
    ).read_bytes()


# Requests ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SoapCall:
    """One operation to call and its fields (all strings); ``repr`` masks the password."""

    operation: str
    fields: Mapping[str, str]

    def __repr__(self) -> str:
        shown = {k: ("***" if k == "psw" else v) for k, v in self.fields.items()}
        return f"SoapCall({self.operation!r}, {shown!r})"


# What XML 1.0 can carry (§2.2, "Char"); the text of an element cannot hold the rest.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Which Message (or setting) each SOAP field comes from, for ValidationError.field.
_FIELD_SOURCES = {"mes": "text", "psw": "password", "time": "send_at", "query": "extra"}


def _checked(call: SoapCall) -> SoapCall:
    """Return ``call``, or raise ValidationError if a field holds what XML cannot carry."""
    for name, value in call.fields.items():
        found = NOT_XML.search(value)
        if found is None:
            continue
        # The password is never quoted, not even one character of it.
        shown = "a character" if name == "psw" else f"the character {found[0]!r}"
        raise ValidationError(
            f"{_FIELD_SOURCES.get(name, name)} holds {shown}, which XML 1.0 (and so SOAP) "
            "cannot carry; remove it, or send the message over HTTP",
            field=_FIELD_SOURCES.get(name, name),
        )
    return call


def credential_fields(
    login: str | None, password: str | None, apikey: str | None = None
) -> dict[str, str]:
    """Return the ``login``/``psw`` fields; an API key goes as ``psw`` with no login.

    The 2018 WSDL has no ``apikey`` field (§4, [U]); SMSC's own libraries and its SMTP
    gateway read an empty login as "the password is an API key", so that is sent.
    """
    if apikey:
        return {"login": "", "psw": apikey}
    return {"login": login or "", "psw": password or ""}


def _with_query(
    plain: str, extended: str, base: Mapping[str, str], extra: Mapping[str, str]
) -> SoapCall:
    if extra:
        return _checked(SoapCall(extended, {**base, "query": urlencode(extra)}))
    return _checked(SoapCall(plain, dict(base)))


def send_call(
    message: Message, credentials: Mapping[str, str], *, report_refused: bool = False
) -> SoapCall:
    """Return the ``send_sms`` call for ``message``, or ``send_sms2`` if it needs more.

    ``report_refused`` asks SMSC (``err=1``) to list the refused numbers, which only
    ``send_sms2`` can answer. SOAP answers always carry cost and balance, so the HTTP
    ``cost`` mode is not sent.
    """
    refuse_uncarried(message, "soap")
    params = http.send_params(message, cost=3, per_phone=False)
    del params["cost"]
    if report_refused:
        params["err"] = "1"
    plain = {name: params.pop(name) for name in _SEND_FIELDS if name in params}
    return _with_query("send_sms", "send_sms2", {**credentials, **plain}, params)


def cost_call(message: Message, credentials: Mapping[str, str]) -> SoapCall:
    """Return the ``get_sms_cost`` call for ``message``, or ``get_sms_cost2`` with a query.

    ``get_sms_cost`` has fields for phones and text only, so a sender, a kind or a
    time (which all change the price) go in ``query``; a message id prices nothing.
    """
    refuse_uncarried(message, "soap")
    params = http.send_params(message, cost=1, per_phone=False)
    del params["cost"]
    params.pop("id", None)
    plain = {"phones": params.pop("phones"), "mes": params.pop("mes")}
    return _with_query("get_sms_cost", "get_sms_cost2", {**credentials, **plain}, params)


def status_call(
    id: str,
    phone: str,
    credentials: Mapping[str, str],
    *,
    detail: int = 0,
    extra: Mapping[str, str] | None = None,
) -> SoapCall:
    """Return the ``get_status`` call (``all`` = ``detail``), or ``get_status2`` with ``extra``."""
    params = http.status_params([id], [phone], detail)
    return _with_query("get_status", "get_status2", {**credentials, **params}, extra or {})


def raw_call(
    operation: str, fields: Mapping[str, object] | None, credentials: Mapping[str, str]
) -> SoapCall:
    """Return a call of any WSDL ``operation`` with ``fields`` and the credentials.

    Field names must be the operation's (``login`` and ``psw`` are the transport's), the
    required ones present, values ``str`` or ``int``; ``query`` (of the ``*2``
    operations) may also be a mapping, URL-encoded here. Anything else is a
    :class:`ValidationError`, raised before anything is sent.
    """
    spec = OPERATIONS.get(operation) if isinstance(operation, str) else None
    if spec is None:
        raise ValidationError(
            f"{operation!r} is not an operation of SMSC's WSDL ({', '.join(OPERATIONS)})",
            field="operation",
        )
    given: dict[str, str] = {}
    for name, value in (fields or {}).items():
        if name in ("login", "psw"):
            raise ValidationError(f"{name!r} is set by the transport", field=name)
        if name not in spec.fields:
            raise ValidationError(
                f"{operation} has no field {name!r} (it has {', '.join(spec.fields)})", field=name
            )
        text = value
        if name == "query" and isinstance(value, Mapping):
            text = urlencode({str(k): str(v) for k, v in value.items()})
        if isinstance(text, bool) or not isinstance(text, str | int):
            raise ValidationError(f"field {name!r} must be a str or an int", field=name)
        given[name] = str(text)
    missing = sorted(spec.required - {"login", "psw"} - set(given))
    if missing:
        raise ValidationError(f"{operation} needs {', '.join(missing)}", field=missing[0])
    return _checked(SoapCall(operation, {**credentials, **given}))


# SOAP operation -> the name every protocol reports it under (``…2`` variants alike).
_KINDS = {
    "send_sms": "send",
    "get_sms_cost": "cost",
    "get_status": "status",
    "get_balance": "balance",
}


def operation_kind(operation: str) -> str:
    """The operation name every protocol uses for SOAP's ``operation`` (``send_sms2`` is
    ``send``); an operation of no known kind keeps its own name."""
    return _KINDS.get(operation.removesuffix("2"), operation)


def parse_raw(result: Any, operation: str) -> dict[str, Any]:
    """Return a raw call's result as a dict, or raise the :class:`APIError` it carries."""
    return check_error(result, operation_kind(OPERATIONS[operation].name))


def balance_call(credentials: Mapping[str, str]) -> SoapCall:
    """Return the ``get_balance`` call (it has no currency: SOAP has no ``cur``)."""
    return _checked(SoapCall("get_balance", dict(credentials)))


# Results ----------------------------------------------------------------------------

# An error code is a few digits; SMSC's fmt=1 answers write it as "-N", which is read too.
_ERROR_CODE = re.compile(r"\s*-?(\d{1,4})\s*")
_STATUS_CODE = re.compile(r"\s*-?\d{1,4}\s*")
# The message status a refused number is listed with, and the send error it stands for
# (the inverse of what the HTTP API's per-phone answers pair up, §1.5/§1.8).
_REFUSAL_BY_STATUS = {
    MessageStatus.FORBIDDEN: 6,
    MessageStatus.INVALID_NUMBER: 7,
    MessageStatus.UNAVAILABLE_NUMBER: 8,
    MessageStatus.INSUFFICIENT_FUNDS: 3,
}
_GENERIC_REFUSAL = 8


def _as_result(result: Any, operation: str) -> dict[str, Any]:
    if not isinstance(result, Mapping):
        raise ProtocolError(f"SMSC's SOAP {operation} answer has no result element")
    return dict(result)


def check_error(result: Any, operation: str) -> dict[str, Any]:
    """Return ``result`` as a dict, or raise the :class:`APIError` its ``error`` holds."""
    body = _as_result(result, operation)
    raw = body.get("error")
    if raw is None or raw == "":
        return body
    if not isinstance(raw, str):
        raise ProtocolError(f"SMSC's SOAP {operation} answer has a non-text error")
    match = _ERROR_CODE.fullmatch(raw)
    if match is None:
        raise ProtocolError(
            f"SMSC's SOAP {operation} answer has a malformed error code {safe_excerpt(raw)!r}"
        )
    code = int(match[1])
    if code == 0:
        return body
    raw_id = body.get("id")
    message_id = http.error_id(raw_id) if isinstance(raw_id, str) else None
    raise api_error(code, id=message_id, operation=operation)


def rate_limited(result: Any) -> RateLimited | None:
    """The error 9 a SOAP result holds, if any (other errors are the parsers' business)."""
    try:
        check_error(result, "send")
    except RateLimited as exc:
        return exc
    except SMSCError:
        return None
    return None


def _refused(items: Any) -> tuple[PhoneResult, ...]:
    if items is None:
        return ()
    if isinstance(items, Mapping):
        items = [items]  # one <errors> element may come back unwrapped
    if not isinstance(items, list | tuple):
        raise ProtocolError("SMSC's SOAP send answer has a malformed 'errors' list")
    refused = []
    for item in items:
        if not isinstance(item, Mapping):
            raise ProtocolError("SMSC's SOAP send answer has a malformed 'errors' entry")
        entry = dict(item)
        phone = entry.get("phone")
        if not isinstance(phone, str) or not phone.strip():
            raise ProtocolError("SMSC's SOAP send answer lists a refused number without a phone")
        raw_status = entry.get("status")
        if not isinstance(raw_status, str) or not _STATUS_CODE.fullmatch(raw_status):
            raise ProtocolError(f"SMSC's SOAP send answer has a bad status for {phone!r}")
        status = MessageStatus(int(raw_status))
        refused.append(
            PhoneResult(
                phone=phone.strip(),
                status=status,
                error=_REFUSAL_BY_STATUS.get(status, _GENERIC_REFUSAL),
                raw=entry,
            )
        )
    return tuple(refused)


def parse_send(result: Any) -> SendResult:
    """Return the :class:`SendResult` of a ``send_sms``/``send_sms2`` result, or raise."""
    body = check_error(result, "send")
    sent = http.parse_send(body, transport="soap")
    return replace(sent, phones=_refused(body.get("errors")))


def parse_cost(result: Any) -> CostResult:
    """Return the :class:`CostResult` of a ``get_sms_cost``/``get_sms_cost2`` result."""
    return http.parse_cost(check_error(result, "cost"))


def parse_status(result: Any, id: str, phone: str) -> StatusResult:
    """Return the :class:`StatusResult` of a ``get_status``/``get_status2`` result.

    SOAP answers carry neither the id nor (below ``all=1``) the phone, so the asked-for
    ones fill in.
    """
    return http.parse_status(check_error(result, "status"), id, phone)


def parse_balance(result: Any) -> Balance:
    """Return the :class:`Balance` of a ``get_balance`` result (no currency over SOAP)."""
    return http.parse_balance(check_error(result, "balance"))
