"""SMSC's HTTP commands beyond send, status and balance, as data: requests and answers.

History with every filter and paging (``get.php?get_messages=1``), the operator of a
number (``info.php?get_operator=1``), scheduled mailings (``jobs.php``), sender names
(``senders.php``: add, send a code, confirm), HLR fields in the ``fmt=1`` form, and the
checks of a raw call to any command by name. Every parameter is checked here, before
anything is sent; every answer is read as untrusted, like :mod:`.answers` reads its own.

Where SMSC's answer shapes are not documented where we could read them (jobs and
sender answers, smsc-protocol.md §1.3 [S]), the parsers take what they need (an
``id``, a ``sender``) and keep the rest in ``raw``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from smsc_transports.errors import ProtocolError, ValidationError, api_error
from smsc_transports.message import STRING_ID, MessageKind, normalize_phone
from smsc_transports.results import HlrInfo, OperatorInfo, ScheduledJob, StatusResult
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.http.answers import (
    _HLR_FIELDS,
    _expect_object,
    _optional_str,
    _text,
    _time,
    check_error,
    error_id,
)

__all__ = [
    "MAX_HISTORY",
    "RAW_RESERVED",
    "add_sender_params",
    "cancel_job_params",
    "check_done",
    "confirm_sender_params",
    "history_params",
    "hlr_from_fields",
    "jobs_params",
    "operator_params",
    "parse_hlr_line",
    "parse_jobs",
    "parse_operator",
    "raw_request",
    "sender_code_params",
]

# SMSC answers at most 1000 history entries per request (smsc-protocol.md §1.11).
MAX_HISTORY = 1000
# Parameters the transport sets itself on every call: a raw call may not override them.
RAW_RESERVED = frozenset({"login", "psw", "apikey", "fmt", "charset"})
_COMMAND = re.compile(r"[a-z][a-z0-9_]{0,39}")
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_CODE = re.compile(r"[0-9A-Za-z]{1,16}")


def _phones(value: str | Sequence[str], kind: MessageKind) -> str:
    items = [value] if isinstance(value, str) else list(value)
    if not items:
        raise ValidationError("an empty list of numbers filters nothing", field="phone")
    return ",".join(normalize_phone(item, kind) for item in items)


def history_params(
    *,
    start: date | None = None,
    end: date | None = None,
    phone: str | Sequence[str] | None = None,
    count: int = 100,
    prev_id: str | None = None,
    email: str | Sequence[str] | None = None,
    kind: MessageKind | None = None,
) -> dict[str, str]:
    """Return ``get.php?get_messages=1`` parameters for every filter SMSC documents.

    ``start``/``end`` are days (SMSC reads ``dd.mm.yyyy``, Moscow dates), ``phone`` and
    ``email`` one value or several, ``kind`` SMSC's ``format``, ``count`` its ``cnt``
    (1…1000) and ``prev_id`` the ``int_id`` to page back from.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_HISTORY:
        raise ValidationError(f"count must be 1…{MAX_HISTORY}, got {count!r}", field="count")
    params = {"get_messages": "1", "cnt": str(count)}
    for name, day in (("start", start), ("end", end)):
        if day is not None:
            if not isinstance(day, date):
                raise ValidationError(f"{name} must be a date", field=name)
            params[name] = day.strftime("%d.%m.%Y")
    if start is not None and end is not None and end < start:
        raise ValidationError("end is before start", field="end")
    if phone is not None:
        params["phone"] = _phones(phone, MessageKind.SMS)
    if email is not None:
        params["email"] = _phones(email, MessageKind.MAIL)
    if kind is not None:
        params["format"] = str(int(MessageKind(kind)))
    if prev_id is not None:
        text = str(prev_id).strip()
        if not (text.isascii() and text.isdigit() and 0 < len(text) <= 18):
            raise ValidationError(f"prev_id must be an int_id (digits), got {prev_id!r}")
        params["prev_id"] = text
    return params


def operator_params(phone: str) -> dict[str, str]:
    """Return ``info.php`` parameters asking for the operator of ``phone``."""
    return {"get_operator": "1", "phone": normalize_phone(phone)}


def parse_operator(answer: Any, phone: str) -> OperatorInfo:
    """Return the :class:`OperatorInfo` of an ``info.php?get_operator=1`` answer.

    SMSC answers ``country``, ``operator``, ``region``, ``mcc`` and ``mnc`` (its ``fmt=0``
    form reads ``country = …, operator = …, region = …, mcc = …, mnc = …`` [S]).
    """
    check_error(answer, "operator")
    body = _expect_object(answer, "operator")
    return OperatorInfo(
        phone=_optional_str(body, "phone") or phone,
        country=_optional_str(body, "country"),
        operator=_optional_str(body, "operator"),
        region=_optional_str(body, "region"),
        mcc=_optional_str(body, "mcc"),
        mnc=_optional_str(body, "mnc"),
        raw=body,
    )


def jobs_params() -> dict[str, str]:
    """Return ``jobs.php`` parameters listing every scheduled mailing (``get_all=1``)."""
    return {"get_all": "1"}


def _job_id(id: str) -> str:
    text = str(id).strip()
    if not STRING_ID.fullmatch(text):
        raise ValidationError(f"job id {id!r} must be 1 to 40 of A-Z a-z 0-9 . _ -", field="id")
    return text


def cancel_job_params(id: str) -> dict[str, str]:
    """Return ``jobs.php`` parameters cancelling the mailing ``id`` (``cancel=1``)."""
    return {"cancel": "1", "id": _job_id(id)}


def _job_phones(value: Any) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, list):
        return tuple(_text(item, "phones") for item in value)
    return tuple(p.strip() for p in re.split(r"[,;\n]", _text(value, "phones")) if p.strip())


def parse_jobs(answer: Any) -> list[ScheduledJob]:
    """Return the mailings of a ``jobs.php?get_all=1`` answer (a JSON list, or nothing)."""
    check_error(answer, "jobs")
    if answer in (None, "", {}):
        return []
    if isinstance(answer, dict):
        answer = [answer]  # one job may come back unwrapped
    if not isinstance(answer, list):
        raise ProtocolError("SMSC jobs answer is not a list")
    jobs = []
    for item in answer:
        entry = _expect_object(item, "job")
        job_id = error_id(entry.get("id"))
        if job_id is None:
            raise ProtocolError("SMSC jobs answer lists a job without an id")
        jobs.append(
            ScheduledJob(
                id=job_id,
                name=_optional_str(entry, "name"),
                text=_optional_str(entry, "mes"),
                phones=_job_phones(entry.get("phones")),
                status=_optional_str(entry, "status"),
                send_at=_time(entry, "timestamp", "time"),
                raw=entry,
            )
        )
    return jobs


def _sender_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("a sender name is required", field="sender")
    if len(name) > 15 or not re.fullmatch(r"[A-Za-z0-9 !#$%&'*+,./:;<=>?@_\-]+", name):
        raise ValidationError(
            f"sender {name!r} must be at most 15 Latin letters, digits, spaces or simple symbols",
            field="sender",
        )
    return name


def add_sender_params(name: str, comment: str | None = None) -> dict[str, str]:
    """Return ``senders.php`` parameters asking SMSC to register ``name`` (``add=1``)."""
    params = {"add": "1", "sender": _sender_name(name)}
    if comment:
        if "\x00" in comment or len(comment) > 1000:
            raise ValidationError("comment must be text of at most 1000 characters")
        params["cmt"] = comment
    return params


def sender_code_params(name: str) -> dict[str, str]:
    """Return ``senders.php`` parameters sending a code to the numeric sender ``name``."""
    return {"send_code": "1", "sender": _numeric_sender(name)}


def confirm_sender_params(name: str, code: str) -> dict[str, str]:
    """Return ``senders.php`` parameters confirming ``name`` with ``code`` (``check_code=1``)."""
    text = str(code).strip()
    if not _CODE.fullmatch(text):
        raise ValidationError("the confirmation code must be 1 to 16 letters or digits")
    return {"check_code": "1", "sender": _numeric_sender(name), "code": text}


def _numeric_sender(name: str) -> str:
    sender = _sender_name(name)
    if not (sender.isascii() and sender.isdigit()):
        raise ValidationError(
            f"only a numeric sender is confirmed by code; {name!r} is a name", field="sender"
        )
    return sender


def check_done(answer: Any, operation: str) -> None:
    """Accept the answer of a command that returns nothing useful, or raise its error."""
    check_error(answer, operation)


def raw_request(command: str, params: Mapping[str, object] | None) -> tuple[str, dict[str, str]]:
    """Return the path and parameters of a raw call to SMSC's ``command``.

    ``command`` is a plain name (``info``, ``jobs``, ``phones``…: ``/sys/<command>.php``);
    parameter names are plain names, values ``str`` or ``int``. The credentials, the
    answer format and the charset are the transport's, so a raw call may not set them.
    """
    if not isinstance(command, str) or not _COMMAND.fullmatch(command):
        raise ValidationError(
            f"command {command!r} must be a plain lower-case name, such as 'info'",
            field="command",
        )
    checked: dict[str, str] = {}
    for name, value in (params or {}).items():
        if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
            raise ValidationError(f"parameter name {name!r} is not a plain name", field=name)
        if name in RAW_RESERVED:
            raise ValidationError(
                f"parameter {name!r} is set by the transport (credentials, fmt=3, charset=utf-8)",
                field=name,
            )
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError(f"parameter {name!r} must be a str or an int", field=name)
        checked[name] = str(value)
    return f"/sys/{command}.php", checked


def hlr_from_fields(fields: Sequence[str]) -> HlrInfo:
    """Return the :class:`HlrInfo` of an HLR status in SMSC's ``fmt=1`` form.

    ``fields`` are the comma-separated values after status, time and error: IMSI, MSC,
    MCC, MNC, country, operator, roaming country, roaming operator (§1.7). Missing
    trailing fields and empty ones are ``None``; more than eight is a
    :class:`ProtocolError`.
    """
    if len(fields) > len(_HLR_FIELDS):
        raise ProtocolError(f"SMSC's HLR answer has {len(fields)} fields, at most 8 expected")
    values: dict[str, str | None] = {}
    for name, raw in zip(_HLR_FIELDS.values(), fields, strict=False):
        text = raw.strip()
        if len(text) > 200 or any(not ch.isprintable() for ch in text):
            raise ProtocolError(f"SMSC's HLR field {name!r} is not a short printable text")
        values[name] = text or None
    return HlrInfo(**values)


def parse_hlr_line(line: str, id: str = "", phone: str = "") -> StatusResult:
    """Return the :class:`StatusResult` of an HLR status in SMSC's ``fmt=1`` form.

    ``status,time,err,imsi,msc,mcc,mnc,country,operator,roaming country,roaming
    operator`` (§1.7); ``0,-N`` is SMSC's error ``N``.
    """
    if not isinstance(line, str) or len(line) > 4096:
        raise ProtocolError("SMSC's fmt=1 status answer is not a short text")
    fields = line.strip().split(",")
    if len(fields) == 2 and fields[1].strip().startswith("-"):
        code = fields[1].strip()[1:]
        if not (code.isascii() and code.isdigit() and len(code) <= 4):
            raise ProtocolError("SMSC's fmt=1 error answer has a bad code")
        raise api_error(int(code), operation="status")
    if len(fields) < 3:
        raise ProtocolError("SMSC's fmt=1 status answer has fewer than 3 fields")
    status, stamp, err = (_small_int(f, name) for f, name in zip(fields, _HEAD, strict=False))
    try:
        changed_at = None if stamp == 0 else datetime.fromtimestamp(stamp, UTC)
    except (OverflowError, OSError, ValueError):
        raise ProtocolError("SMSC's fmt=1 status time is out of range") from None
    return StatusResult(
        id=id,
        phone=phone,
        status=MessageStatus(status),
        error=DeliveryError(err),
        changed_at=changed_at,
        hlr=hlr_from_fields(fields[3:]) if len(fields) > 3 else None,
        raw=line,
    )


_HEAD = ("status", "time", "err")


def _small_int(text: str, name: str) -> int:
    value = text.strip()
    digits = value[1:] if value.startswith("-") else value
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 11):
        raise ProtocolError(f"SMSC's fmt=1 field {name!r} is not a number")
    return int(value)
