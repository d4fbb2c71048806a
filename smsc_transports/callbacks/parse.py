"""Parse SMSC's HTTP callbacks (form fields) into :class:`StatusResult` / :class:`IncomingMessage`.

What is known (smsc-protocol.md §5.1): a status callback carries ``id``, ``status``
and ``err`` (seen in a real handler) and ``phone``; every other field name — times,
the incoming-message fields, any signature — is unconfirmed [U]. So the names are a
:class:`CallbackFields` value whose defaults match what the bundled emulator sends,
and a deployment that sees other names passes its own.

The rules:

* **Which kind.** A callback with a ``status`` field is a status callback; one without
  it but with a text field (``mes``) is an incoming message; anything else is refused.
* **Strict where it matters.** ``id`` is required and must be 1–100 printable
  characters without spaces; ``status`` is required and an integer; ``err``, when
  present and not empty, an integer; an incoming message needs ``phone``.
* **Lenient where it does not.** An optional field that cannot be read (a time in an
  unexpected format) is left ``None`` rather than refusing the callback; every field,
  known or not, is kept in ``raw``.

Every failure is a :class:`~smsc_transports.errors.ValidationError` whose message
says which field is wrong and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from smsc_transports.errors import ValidationError
from smsc_transports.results import IncomingMessage, StatusResult
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.http import MOSCOW

__all__ = [
    "DEFAULT_FIELDS",
    "CallbackFields",
    "CallbackKind",
    "Form",
    "callback_kind",
    "form_fields",
    "parse_callback",
    "parse_incoming_callback",
    "parse_status_callback",
]

CallbackKind = Literal["status", "incoming"]

Form = Mapping[str, str] | Mapping[str, Sequence[str]] | Iterable[tuple[str, str]]
"""Callback fields: a mapping (values may be lists, as ``parse_qs`` gives) or pairs."""

_ID = re.compile(r"[\x21-\x7e]{1,100}")
_CODE = re.compile(r"-?[0-9]{1,6}")
_STAMP = re.compile(r"[0-9]{1,12}")
_PHONE = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
_DATE_FORMS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%y %H:%M:%S", "%d.%m.%y %H:%M")


@dataclass(frozen=True, slots=True)
class CallbackFields:
    """The form field names SMSC's callbacks use; defaults match the bundled emulator.

    ``id``, ``status``, ``err`` (and ``phone``) are the confirmed names; the others are
    guesses [U]: ``timestamp`` (Unix seconds) and ``time`` (``DD.MM.YYYY hh:mm:ss``,
    Moscow) for when the status changed or the message arrived, ``text`` and
    ``to_phone`` for an incoming message, ``sent`` (Unix seconds) for when it was sent.
    """

    id: str = "id"
    phone: str = "phone"
    status: str = "status"
    err: str = "err"
    timestamp: str = "ts"
    time: str = "time"
    text: str = "mes"
    to_phone: str = "to"
    sent: str = "sent"


DEFAULT_FIELDS = CallbackFields()


def form_fields(form: Form) -> dict[str, str]:
    """Return ``form`` as a plain ``{name: value}`` dict; the first value of a name wins.

    Raises ValidationError for names or values that are not strings.
    """
    items: Iterable[tuple[object, object]]
    items = form.items() if isinstance(form, Mapping) else form
    fields: dict[str, str] = {}
    for pair in items:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValidationError("callback fields must be (name, value) pairs")
        name, value = pair
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValidationError("callback field names and values must be text")
        fields.setdefault(name, value)
    return fields


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _required(fields: Mapping[str, str], name: str, what: str) -> str:
    value = fields.get(name)
    if value is None:
        raise ValidationError(f"the callback has no {name!r} field ({what})", field=name)
    return value.strip()


def _id(fields: Mapping[str, str], names: CallbackFields) -> str:
    value = _required(fields, names.id, "the message id")
    if not _ID.fullmatch(value):
        raise ValidationError(
            f"the callback's {names.id!r} {_show(value)} is not an id "
            "(1 to 100 printable characters, no spaces)",
            field=names.id,
        )
    return value


def _code(value: str, name: str) -> int:
    if not _CODE.fullmatch(value):
        raise ValidationError(
            f"the callback's {name!r} {_show(value)} is not an integer code", field=name
        )
    return int(value)


def _phone(fields: Mapping[str, str], name: str, *, required: bool) -> str:
    value = fields.get(name)
    if value is None or not value.strip():
        if required:
            raise ValidationError(f"the callback has no {name!r} field (the phone)", field=name)
        return ""
    value = value.strip()
    if not _PHONE.fullmatch(value):
        raise ValidationError(f"the callback's {name!r} {_show(value)} is not a phone", field=name)
    return value


def _stamp(fields: Mapping[str, str], name: str) -> datetime | None:
    value = fields.get(name, "").strip()
    if not _STAMP.fullmatch(value) or value.strip("0") == "":
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _when(fields: Mapping[str, str], names: CallbackFields) -> datetime | None:
    found = _stamp(fields, names.timestamp)
    if found is not None:
        return found
    text = fields.get(names.time, "").strip()
    for form in _DATE_FORMS:
        try:
            # SMSC writes its dates in Moscow time (smsc-protocol.md §1.7).
            return datetime.strptime(text, form).replace(tzinfo=MOSCOW)
        except ValueError:
            continue
    return None


def callback_kind(form: Form, fields: CallbackFields = DEFAULT_FIELDS) -> CallbackKind:
    """Return ``"status"`` or ``"incoming"`` for a callback, or raise ValidationError.

    A ``status`` field makes it a status callback; otherwise a text field (``mes``)
    makes it an incoming message.
    """
    values = form_fields(form)
    if fields.status in values:
        return "status"
    if fields.text in values:
        return "incoming"
    raise ValidationError(
        f"cannot tell what the callback reports: it has neither {fields.status!r} "
        f"(a status) nor {fields.text!r} (an incoming message)"
    )


def parse_status_callback(form: Form, fields: CallbackFields = DEFAULT_FIELDS) -> StatusResult:
    """Return the :class:`StatusResult` a status callback reports.

    ``error`` is the ``err`` code when present (``DeliveryError.NO_ERROR`` for 0, which
    is false, so ``if result.error:`` reads naturally); ``changed_at`` comes from the
    timestamp or the date field; ``raw`` holds every field received.
    """
    values = form_fields(form)
    id = _id(values, fields)
    status = _code(_required(values, fields.status, "the status code"), fields.status)
    err_text = values.get(fields.err, "").strip()
    return StatusResult(
        id=id,
        phone=_phone(values, fields.phone, required=False),
        status=MessageStatus(status),
        error=DeliveryError(_code(err_text, fields.err)) if err_text else None,
        changed_at=_when(values, fields),
        raw=values,
    )


def parse_incoming_callback(form: Form, fields: CallbackFields = DEFAULT_FIELDS) -> IncomingMessage:
    """Return the :class:`IncomingMessage` an incoming-message callback reports.

    ``text`` is kept exactly as received (an empty text is allowed), ``received_at``
    comes from the timestamp or the date field, ``sent_at`` from ``sent``.
    """
    values = form_fields(form)
    if fields.text not in values:
        raise ValidationError(
            f"the callback has no {fields.text!r} field (the message text)", field=fields.text
        )
    to_phone = _phone(values, fields.to_phone, required=False)
    return IncomingMessage(
        id=_id(values, fields),
        phone=_phone(values, fields.phone, required=True),
        text=values[fields.text],
        to_phone=to_phone or None,
        received_at=_when(values, fields),
        sent_at=_stamp(values, fields.sent),
        raw=values,
    )


def parse_callback(
    form: Form, fields: CallbackFields = DEFAULT_FIELDS
) -> StatusResult | IncomingMessage:
    """Return whichever of StatusResult or IncomingMessage the callback reports.

    See :func:`callback_kind` for how the two are told apart.
    """
    values = form_fields(form)
    if callback_kind(values, fields) == "status":
        return parse_status_callback(values, fields)
    return parse_incoming_callback(values, fields)
