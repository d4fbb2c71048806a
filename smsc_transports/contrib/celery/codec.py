"""Messages and outcomes as JSON-safe dicts, for task queues and journals.

A :class:`~smsc_transports.message.Message` crosses a broker as a plain dict of JSON
types (:func:`message_to_dict`) and is rebuilt, and so validated again, on the worker
(:func:`message_from_dict`). The worker answers with one JSON-safe outcome dict per
message (:func:`accepted_entry`, :func:`failure_entry`, :func:`already_accepted_entry`).

Message dict keys (absent when empty): ``phones`` (list), ``text``, ``sender``, ``id``
(int or str, as given), ``kind`` (the :class:`~smsc_transports.message.MessageKind`
name), ``translit``, ``send_at`` (ISO 8601 with its offset, for an aware datetime),
``time`` (one of SMSC's own time strings, for a ``send_at`` given that way),
``valid_minutes``, ``extra`` (object), the typed options ``tz``, ``max_parts``,
``subject``, ``voice``, ``call_params`` (``[wait, interval, attempts]``),
``spread_over_minutes``, ``spread_every_minutes``, ``short_links``, ``partner_id``,
``user_ip``, ``data_hex`` (a binary message's octets), ``attachments`` (a list of
objects with ``name``, ``content_type`` and either ``url`` or ``content``, the bytes in
base64), and ``v``, the format's version.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from smsc_transports.errors import APIError, SMSCError, ValidationError
from smsc_transports.message import Attachment, CallParams, Message, MessageKind
from smsc_transports.results import SendResult

__all__ = [
    "FORMAT_VERSION",
    "accepted_entry",
    "already_accepted_entry",
    "failure_entry",
    "message_from_dict",
    "message_to_dict",
    "new_job_id",
    "with_id",
]

FORMAT_VERSION = 1
_KEYS = frozenset(
    {"v", "phones", "text", "sender", "id", "kind", "translit", "send_at", "time"}
    | {"valid_minutes", "extra", "tz", "max_parts", "subject", "voice", "call_params"}
    | {"spread_over_minutes", "spread_every_minutes", "short_links", "partner_id", "user_ip"}
    | {"data_hex", "attachments"}
)
# Typed options that are JSON values as they are (None/False/0 when unset).
_PLAIN_OPTIONS = ("tz", "max_parts", "subject", "voice", "short_links", "partner_id", "user_ip")
_PLAIN_TYPES: Mapping[str, type | tuple[type, ...]] = {
    "tz": int,
    "max_parts": int,
}
_MINUTES = timedelta(minutes=1)


def message_to_dict(message: Message) -> dict[str, Any]:
    """Return ``message`` as a dict of JSON types that :func:`message_from_dict` reverses."""
    data: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "phones": list(message.phones),
        "text": message.text,
    }
    if message.sender is not None:
        data["sender"] = message.sender
    if message.id is not None:
        data["id"] = message.id
    if message.kind is not MessageKind.SMS:
        data["kind"] = message.kind.name
    if message.translit:
        data["translit"] = message.translit
    if isinstance(message.send_at, datetime):
        data["send_at"] = message.send_at.isoformat()
    elif message.send_at is not None:
        # SMSC's own forms ("+30", "0<unix time>"…) are kept apart from ISO datetimes,
        # so the worker never has to guess which one a string is.
        data["time"] = message.send_at
    if message.valid is not None:
        data["valid_minutes"] = message.valid // timedelta(minutes=1)
    if message.extra:
        data["extra"] = dict(message.extra)
    data.update(_options_to_dict(message))
    return data


def _options_to_dict(message: Message) -> dict[str, Any]:
    """The typed options of ``message`` that are set, as JSON values."""
    data: dict[str, Any] = {}
    for name in _PLAIN_OPTIONS:
        value = getattr(message, name)
        if value not in (None, False):
            data[name] = value
    if message.call_params is not None:
        params = message.call_params
        data["call_params"] = [params.wait, params.interval, params.attempts]
    if message.spread_over is not None:
        data["spread_over_minutes"] = message.spread_over // _MINUTES
    if message.spread_every is not None:
        data["spread_every_minutes"] = message.spread_every // _MINUTES
    if message.data is not None:
        data["data_hex"] = message.data.hex()
    if message.attachments:
        data["attachments"] = [_attachment_to_dict(a) for a in message.attachments]
    return data


def _attachment_to_dict(attachment: Attachment) -> dict[str, str]:
    data = {"name": attachment.name, "content_type": attachment.content_type}
    if attachment.url is not None:
        data["url"] = attachment.url
    else:
        data["content"] = base64.b64encode(attachment.content or b"").decode("ascii")
    return data


def _attachments(value: object) -> list[Attachment]:
    if not isinstance(value, list):
        raise ValidationError("attachments must be a list", field="attachments")
    found = []
    for item in value:
        if not isinstance(item, Mapping) or set(item) - {"name", "content_type", "url", "content"}:
            raise ValidationError("an attachment is an object of name, content_type and url "
                                  "or content", field="attachments")  # fmt: skip
        name, kind = item.get("name"), item.get("content_type", "application/octet-stream")
        url, content = item.get("url"), item.get("content")
        if not isinstance(name, str) or not isinstance(kind, str):
            raise ValidationError("an attachment needs a name and a type", field="attachments")
        if isinstance(url, str) and content is None:
            found.append(Attachment(name, url=url, content_type=kind))
            continue
        if not isinstance(content, str) or url is not None:
            raise ValidationError("an attachment holds a url or a content", field="attachments")
        try:
            raw = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("attachment content is not base64", field="attachments") from None
        found.append(Attachment(name, content=raw, content_type=kind))
    return found


def message_from_dict(data: Mapping[str, Any]) -> Message:
    """Rebuild and validate a message from :func:`message_to_dict`'s form.

    Raises :class:`~smsc_transports.errors.ValidationError` for anything that is not a
    valid message: an unknown key or version (a newer producer's field is refused,
    not silently dropped), a wrong type, or a message :class:`Message` itself rejects.
    """
    if not isinstance(data, Mapping):
        raise ValidationError(f"a message must be a mapping, got {type(data).__name__}")
    unknown = set(data) - _KEYS
    if unknown:
        raise ValidationError(f"unknown message fields: {', '.join(sorted(map(str, unknown)))}")
    if data.get("v", FORMAT_VERSION) != FORMAT_VERSION:
        raise ValidationError(f"unsupported message format version {data.get('v')!r}")
    phones = data.get("phones")
    if not isinstance(phones, list) or not all(isinstance(p, str) for p in phones):
        raise ValidationError("phones must be a list of strings", field="phones")
    if "send_at" in data and "time" in data:
        raise ValidationError("give send_at or time, not both", field="send_at")
    return Message(
        phones,
        _typed(data, "text", str, required=True),
        sender=_typed(data, "sender", str),
        id=_typed(data, "id", (int, str)),
        kind=_kind(data.get("kind", MessageKind.SMS.name)),
        translit=_typed(data, "translit", int) or 0,
        send_at=_send_at(data),
        valid=_valid(data.get("valid_minutes")),
        extra=_extra(data.get("extra", {})),
        call_params=_call_params(data.get("call_params")),
        spread_over=_minutes(data, "spread_over_minutes"),
        spread_every=_minutes(data, "spread_every_minutes"),
        data=_data(data.get("data_hex")),
        attachments=_attachments(data.get("attachments", [])),
        **{name: _option(data, name) for name in _PLAIN_OPTIONS if name in data},
    )


def _option(data: Mapping[str, Any], name: str) -> Any:
    if name == "short_links":
        value = data[name]
        if not isinstance(value, bool):
            raise ValidationError("short_links must be true or false", field=name)
        return value
    return _typed(data, name, _PLAIN_TYPES.get(name, str))


def _call_params(value: object) -> CallParams | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 3:
        raise ValidationError("call_params must be [wait, interval, attempts]", field="call_params")
    return CallParams(*value)


def _minutes(data: Mapping[str, Any], key: str) -> timedelta | None:
    value = _typed(data, key, int)
    return None if value is None else timedelta(minutes=value)


def _data(value: object) -> bytes | None:
    if value is None:
        return None
    # Anything but a hex string is refused: read as "no data", a corrupted payload would
    # send the text instead, or an empty binary message.
    if isinstance(value, str):
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    raise ValidationError("data_hex must be hex digits", field="data")


def _typed(
    data: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], *, required: bool = False
) -> Any:
    value = data.get(key)
    if value is None and not required:
        return None
    # bool is an int to Python but never a valid id, translit or text.
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ValidationError(f"{key} has the wrong type: {type(value).__name__}", field=key)
    return value


def _kind(value: object) -> MessageKind:
    if isinstance(value, str) and value in MessageKind.__members__:
        return MessageKind[value]
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return MessageKind(value)
        except ValueError:
            pass
    raise ValidationError(f"unknown message kind {value!r}", field="kind")


def _send_at(data: Mapping[str, Any]) -> datetime | str | None:
    if "time" in data:
        return _typed(data, "time", str)  # type: ignore[no-any-return]
    text = _typed(data, "send_at", str)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"send_at {text!r} is not an ISO 8601 time", field="send_at"
        ) from None


def _valid(minutes: object) -> timedelta | None:
    if minutes is None:
        return None
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError("valid_minutes must be an integer", field="valid")
    return timedelta(minutes=minutes)


def _extra(extra: object) -> dict[str, str | int]:
    if not isinstance(extra, Mapping):
        raise ValidationError("extra must be a mapping")
    return dict(extra)


def new_job_id() -> str:
    """Return a fresh random job id: 12 hex digits, the stem of a bulk job's message ids."""
    return secrets.token_hex(6)


def with_id(message: Message, fallback: str) -> Message:
    """Return ``message`` as it is when it has an ``id``, else a copy with ``fallback``.

    An id is what makes a repeated send safe: SMSC refuses the repeat with error 9
    instead of sending the text twice (DESIGN.md, reliability rules).
    """
    return message if message.id is not None else message.replace(id=fallback)


def accepted_entry(index: int, message: Message, result: SendResult) -> dict[str, Any]:
    """The outcome of a message SMSC accepted now.

    ``phones`` lists every recipient with the ``id`` its status is asked with (its own
    over SMPP, the message's elsewhere; ``None`` when it was refused) and its ``error``.
    """
    return {
        "index": index,
        "message_id": message.id,
        "ok": True,
        "id": result.id,
        "parts": result.parts,
        "cost": None if result.cost is None else str(result.cost),
        "already_accepted": result.already_accepted,
        "error": None,
        "phones": _phones(result.for_recipients(message.phones)),
    }


def _phones(result: SendResult) -> list[dict[str, Any]]:
    return [{"phone": p.phone, "id": p.id, "error": p.error} for p in result.phones]


def already_accepted_entry(index: int, message: Message) -> dict[str, Any]:
    """The outcome of a message an earlier attempt got through (SMSC answered 9 to the repeat).

    SMSC does not say what the earlier attempt cost, so ``cost`` is unknown and
    ``parts`` is this library's own count of the parts billed.
    """
    return accepted_entry(index, message, SendResult.accepted_earlier(message, ""))


def failure_entry(index: int, message_id: object, error: SMSCError) -> dict[str, Any]:
    """The outcome of a message that was not accepted; ``error`` names the exception."""
    code = error.code if isinstance(error, APIError) else None
    smsc_id = error.id if isinstance(error, APIError) else None
    return {
        "index": index,
        "message_id": message_id if isinstance(message_id, int | str) else None,
        "ok": False,
        "id": smsc_id,
        "parts": 0,
        "cost": None,
        "already_accepted": False,
        "error": {"class": type(error).__name__, "code": code, "message": str(error)},
    }
