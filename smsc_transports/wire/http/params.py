"""SMSC's HTTP API requests as data: each command's parameters (``fmt=3``, ``charset=utf-8``).

Credentials go in the body of a POST (never a URL); every value is checked by
:class:`~smsc_transports.message.Message` before it gets here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from urllib.parse import quote_plus

from smsc_transports.field_support import refuse_uncarried
from smsc_transports.message import KIND_FLAGS, Message, MessageKind

__all__ = [
    "CHARSET",
    "MAX_CONCURRENCY",
    "auth_params",
    "balance_params",
    "form_body",
    "form_value",
    "list_params",
    "message_text",
    "period_param",
    "send_params",
    "status_params",
    "time_param",
    "valid_param",
]

CHARSET = "utf-8"
# SMSC answers error 9 to more simultaneous requests from one account (§1.6).
MAX_CONCURRENCY = 15

# Binary content always travels as hex (bin=2): bin=1's raw octets would be read
# through the request's charset, which cannot carry every octet.
_KIND_FLAG: Mapping[MessageKind, tuple[str, str]] = {
    kind: (flag, "2" if flag == "bin" else "1") for kind, flag in KIND_FLAGS.items()
}


def form_value(text: str) -> str:
    """``text`` escaped for a form body, as ``urllib.parse.quote_plus`` escapes it but for
    the comma, which is left as it is.

    A form's fields are split at "&" and "=" alone, so a comma reads back the same either
    way (RFC 3986 lets a query hold one as it is); escaping it would make
    ``quote_plus`` look up each character of a bulk request's comma-separated
    ``phones`` in Python, which cost more than the rest of the request.
    """
    return quote_plus(text, safe=",")


def form_body(params: Mapping[str, str]) -> bytes:
    """The ``application/x-www-form-urlencoded`` body of ``params`` (see :func:`form_value`)."""
    return "&".join(f"{form_value(k)}={form_value(v)}" for k, v in params.items()).encode()


def auth_params(login: str | None, password: str | None, apikey: str | None) -> dict[str, str]:
    """Return the credential parameters: ``apikey`` if set, else ``login`` and ``psw``."""
    if apikey:
        return {"apikey": apikey}
    return {"login": login or "", "psw": password or ""}


def time_param(value: datetime | str) -> str:
    """Return ``send_at`` as SMSC's ``time``: a datetime becomes ``0<unix time>``."""
    if isinstance(value, datetime):
        return "0" + str(int(value.timestamp()))
    return value


def valid_param(value: timedelta) -> str:
    """Return a lifetime as SMSC's ``valid`` (``hh:mm``)."""
    minutes = int(value.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _options(message: Message) -> dict[str, str]:
    params: dict[str, str] = {}
    if message.sender is not None:
        if message.kind is MessageKind.BOT:
            params["bot"] = message.sender
        else:
            params["sender"] = message.sender
    if message.kind in _KIND_FLAG:
        name, value = _KIND_FLAG[message.kind]
        params[name] = value
    if message.translit:
        params["translit"] = str(message.translit)
    if message.send_at is not None:
        params["time"] = time_param(message.send_at)
    if message.valid is not None:
        params["valid"] = valid_param(message.valid)
    params.update(_typed_options(message))
    params.update({key: str(value) for key, value in message.extra.items()})
    for attachment in message.attachments:
        if attachment.url is not None:
            params["fileurl"] = attachment.url  # the file SMSC fetches itself
    return params


def period_param(value: timedelta) -> str:
    """Return a spreading period as SMSC's ``period``: hours, in tenths (``0.1``…``720``)."""
    tenths = value // timedelta(minutes=6)
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


def _typed_options(message: Message) -> dict[str, str]:
    """The send.php parameters of the typed options (each field's parameter is SMSC's)."""
    params: dict[str, str] = {}
    if message.tz is not None:
        params["tz"] = str(message.tz)
    if message.max_parts is not None:
        params["maxsms"] = str(message.max_parts)
    if message.subject is not None:
        params["subj"] = message.subject
    if message.voice is not None:
        params["voice"] = message.voice
    if message.call_params is not None:
        params["param"] = message.call_params.parameter
    if message.spread_over is not None:
        params["period"] = period_param(message.spread_over)
    if message.spread_every is not None:
        params["freq"] = str(message.spread_every // timedelta(minutes=1))
    if message.short_links:
        params["tinyurl"] = "1"
    if message.partner_id is not None:
        params["pp"] = message.partner_id
    if message.user_ip is not None:
        params["userip"] = message.user_ip
    return params


def message_text(message: Message) -> str:
    """``mes`` for ``message``: its text, or a binary message's octets in hex (``bin=2``)."""
    return message.data.hex() if message.data is not None else message.text


def send_params(
    message: Message,
    *,
    cost: int = 3,
    per_phone: bool = True,
    phones: Iterable[str] | None = None,
) -> dict[str, str]:
    """Return ``send.php`` parameters for ``message`` (without credentials).

    ``cost`` is SMSC's cost mode: 3 sends and reports cost and balance, 1 only prices.
    ``per_phone`` adds ``op=1`` so the answer lists every recipient's outcome.
    ``phones`` replaces the message's recipients (several messages sharing one text).
    """
    refuse_uncarried(message, "https")
    recipients = message.phones if phones is None else phones
    params = {"phones": ",".join(recipients), "mes": message_text(message), "cost": str(cost)}
    if message.id is not None:
        params["id"] = str(message.id)
    if per_phone:
        params["op"] = "1"
    params.update(_options(message))
    return params


def list_params(
    messages: Sequence[Message], *, per_phone: bool = True, cost: int = 3
) -> dict[str, str]:
    """Return one ``send.php`` request carrying different texts as ``list=phone:text`` lines.

    All ``messages`` must share every option but text and phones; texts must not hold a
    new line (it separates the lines) and a phone may appear once. ``cost`` is SMSC's
    cost mode, as for :func:`send_params` (1 prices the list, nothing is sent).
    """
    lines = [f"{phone}:{message_text(message)}" for message in messages for phone in message.phones]
    params = {"list": "\n".join(lines), "cost": str(cost)}
    if per_phone:
        params["op"] = "1"
    params.update(_options(messages[0]))
    return params


def status_params(ids: Sequence[str], phones: Sequence[str], detail: int = 0) -> dict[str, str]:
    """Return ``status.php`` parameters for one or several (id, phone) pairs."""
    params = {"id": ",".join(ids), "phone": ",".join(phones)}
    if len(ids) > 1:
        # A trailing comma asks for the list format even when SMSC could answer one.
        params["id"] += ","
        params["phone"] += ","
    if detail:
        params["all"] = str(detail)
    return params


def balance_params() -> dict[str, str]:
    """Return ``balance.php`` parameters (with the currency and credit)."""
    return {"cur": "1"}
