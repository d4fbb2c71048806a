"""SMSC's answer formats: fmt 0 (text), 1 (comma numbers), 2 (XML), 3 (JSON).

Shapes follow smsc-protocol.md §1.5, §1.7, §1.10; where the facts are uncertain the
choice is written down in ``docs/emulator.md``. Every function returns text; the front
end encodes it in the request's charset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from json.encoder import encode_basestring
from xml.sax.saxutils import escape

from smsc_transports.emulator.state.clock import format_date
from smsc_transports.emulator.state.mailings import Job
from smsc_transports.emulator.state.records import (
    BalanceInfo,
    HlrRecord,
    IncomingRecord,
    LinkStats,
    PhoneOutcome,
    SendOutcome,
    SendStats,
    StatusRecord,
    kind_flag,
)
from smsc_transports.errors import APIError
from smsc_transports.message import MessageKind

__all__ = [
    "Fields",
    "hlr_fields",
    "job_fields",
    "json_id",
    "money",
    "render_balance",
    "render_error",
    "render_fields",
    "render_items",
    "render_link",
    "render_send",
    "render_stat",
    "render_status",
    "render_statuses",
    "status_fields",
]

Value = str | int | Decimal | list["Fields"]
Fields = list[tuple[str, Value]]
_CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    """Money as SMSC writes it: two decimals (``"1.40"``)."""
    return str(amount.quantize(_CENT))


def json_id(value: str) -> str | int:
    """A message id for JSON: a number when it is one (SMSC's own ids), else the string."""
    if (
        value.isascii()
        and value.isdigit()
        and (value == "0" or not value.startswith("0"))
        and len(value) < 16
    ):
        return int(value)
    return value


def _plain(value: Value) -> str:
    if isinstance(value, Decimal):
        return money(value)
    return str(value)


def _to_json(fields: Fields) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, value in fields:
        if isinstance(value, list):
            out[name] = [_to_json(item) for item in value]
        elif isinstance(value, Decimal):
            out[name] = money(value)
        elif name == "id" and isinstance(value, str):
            out[name] = json_id(value)
        else:
            out[name] = value
    return out


def _xml(fields: Fields) -> str:
    parts = []
    for name, value in fields:
        if isinstance(value, list):
            inner = "".join(f"<item>{_xml(item)}</item>" for item in value)
            parts.append(f"<{name}>{inner}</{name}>")
        else:
            parts.append(f"<{name}>{escape(_plain(value))}</{name}>")
    return "".join(parts)


# What json.dumps(…, ensure_ascii=False, separators=(",", ":")) builds on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(document: object) -> str:
    return _ENCODER.encode(document)


# How json.dumps(…, ensure_ascii=False) writes a string, quotes included.
_string = encode_basestring


def render_error(fmt: int, error: APIError) -> str:
    """An error answer; errors 3, 6, 7, 8 carry the message id."""
    code = error.code
    if fmt == 1:
        return f"{error.id or 0},-{code}"
    if fmt == 2:
        tail = f"<id>{escape(error.id)}</id>" if error.id is not None else ""
        body = f"<error>{escape(error.message)}</error><error_code>{code}</error_code>"
        return f"<result>{body}{tail}</result>"
    if fmt == 3:
        document: dict[str, object] = {"error": error.message, "error_code": code}
        if error.id is not None:
            document["id"] = json_id(error.id)
        return _json(document)
    text = f"ERROR = {code} ({error.message})"
    return text + (f", ID - {error.id}" if error.id is not None else "")


def _send_fields(outcome: SendOutcome) -> Fields:
    """A send answer's scalar fields (per-phone details: :func:`_listed_phones`)."""
    if outcome.is_estimate:
        fields: Fields = [("cost", outcome.cost), ("cnt", outcome.parts)]
    else:
        fields = [("id", str(outcome.id)), ("cnt", outcome.parts)]
        if outcome.cost_mode in (2, 3):
            fields.append(("cost", outcome.cost))
        if outcome.cost_mode == 3 and outcome.balance is not None:
            fields.append(("balance", outcome.balance))
    return fields


# The fields of one recipient of ``op=1``/``err=1``, in SMSC's order.
_PHONE_FIELDS = ("phone", "mccmnc", "cost", "status", "error")


def _listed_phones(outcome: SendOutcome) -> Sequence[PhoneOutcome]:
    """The recipients the answer lists (all with ``op=1``, refused ones with ``err=1``)."""
    if outcome.op:
        return outcome.phones
    if outcome.err:
        return [p for p in outcome.phones if p.error]
    return ()


def render_send(fmt: int, outcome: SendOutcome) -> str:
    """A send (or ``cost=1`` price) answer; per-phone details only in fmt 2 and 3."""
    fields = _send_fields(outcome)
    if fmt == 3:
        document = _json(_to_json(fields))
        listed = _listed_phones(outcome)
        if not listed:
            return document
        # Every listed recipient has the same shape (_PHONE_FIELDS), and in a bulk
        # answer runs of them share everything after the phone: each row is written
        # straight out (strings escaped as json.dumps escapes them) instead of through
        # a dict of its own, the part after the phone made again only when it differs
        # from the previous row's (recipients priced alike share one cost Decimal).
        rows = []
        tail = ""
        last: PhoneOutcome | None = None
        for p in listed:
            if (
                last is None
                or p.cost is not last.cost
                or p.mccmnc != last.mccmnc
                or p.status != last.status
                or p.error != last.error
            ):
                tail = (
                    f',"mccmnc":{_string(p.mccmnc)},"cost":{_string(money(p.cost))},'
                    f'"status":{p.status:d},"error":{p.error:d}}}'
                )
            last = p
            rows.append(f'{{"phone":{_string(p.phone)}{tail}')
        return f'{document[:-1]},"phones":[{",".join(rows)}]}}'
    if fmt == 2:
        listed = _listed_phones(outcome)
        if listed:
            items: list[Fields] = [
                list(
                    zip(_PHONE_FIELDS, (p.phone, p.mccmnc, p.cost, p.status, p.error), strict=True)
                )
                for p in listed
            ]
            fields.append(("phones", items))
        return f"<result>{_xml(fields)}</result>"
    scalars = [_plain(v) for _, v in fields]
    if fmt == 1:
        return ",".join(scalars)
    if outcome.is_estimate:
        return f"OK - {outcome.parts} SMS, COST - {money(outcome.cost)}"
    text = f"OK - {outcome.parts} SMS, ID - {outcome.id}"
    if outcome.cost_mode in (2, 3):
        text += f", COST - {money(outcome.cost)}"
    if outcome.cost_mode == 3 and outcome.balance is not None:
        text += f", BALANCE - {money(outcome.balance)}"
    return text


def status_fields(record: StatusRecord, level: int) -> Fields:
    """The fields of one status answer, in SMSC's order, for ``all`` = ``level``."""
    found = record.found
    fields: Fields = [
        ("status", int(record.status)),
        ("last_date", format_date(record.last_timestamp) if found else ""),
        ("last_timestamp", int(record.last_timestamp)),
        ("flag", kind_flag(record.kind) if found else 0),
        ("err", record.err),
    ]
    if record.hlr is not None:
        fields += hlr_fields(record.hlr)
    if level >= 1:
        fields += [
            ("send_date", format_date(record.send_timestamp) if found else ""),
            ("send_timestamp", int(record.send_timestamp)),
            ("phone", record.phone),
            ("cost", record.cost),
            ("sender_id", record.sender),
            ("status_name", record.status.description),
            ("message", record.text),
            ("comment", ""),
            ("type", kind_flag(record.kind)),
            ("sms_cnt", record.parts),
            ("mccmnc", record.mccmnc),
        ]
        if record.kind in _SUBJECT_KINDS:
            # SMSC documents no answer field for the subject [U]: shown under the
            # request's own name, so a rehearsal can see what was stored.
            fields.append(("subj", record.subject or ""))
    if level >= 2:
        fields += [("country", record.country), ("operator", record.operator)]
        fields += [("region", record.region)]
    return fields


_SUBJECT_KINDS = frozenset({MessageKind.MAIL, MessageKind.MMS})


def hlr_fields(hlr: HlrRecord) -> Fields:
    """An HLR request's lookup fields, in the official libraries' order (L-php35, L-py20).

    ``mcc``/``mnc`` are JSON numbers (T-cs types them ``int``) when they are digits.
    """
    mcc: Value = int(hlr.mcc) if hlr.mcc.isdigit() else hlr.mcc
    mnc: Value = int(hlr.mnc) if hlr.mnc.isdigit() else hlr.mnc
    return [
        ("imsi", hlr.imsi),
        ("msc", hlr.msc),
        ("mcc", mcc),
        ("mnc", mnc),
        ("cn", hlr.cn),
        ("net", hlr.net),
        ("rcn", hlr.rcn),
        ("rnet", hlr.rnet),
    ]


# fmt=1 order (L-py20/L-php35): status, time, err, the 8 HLR fields for an HLR request,
# then with all>=1 send time, phone, cost, sender, status name, text. The libraries
# split on "," at most 8 (all=1) or 11 (all=2) times, so the text (which may hold
# commas) is last; for an HLR request they look for "HLR" at index 14 (all=1) or 17
# (all=2): that is the sender, so all=2's country, operator, region come before it.
_FMT1_HEAD = ("status", "last_timestamp", "err")
_HLR_NAMES = ("imsi", "msc", "mcc", "mnc", "cn", "net", "rcn", "rnet")
_FMT1_DETAIL = ("send_timestamp", "phone", "cost")
_FMT1_PLACE = ("country", "operator", "region")
_FMT1_TAIL = ("sender_id", "status_name", "message")
_FMT0_NAMES = {"status": "Status", "last_date": "check_time"}
_FMT0_SKIP = frozenset({"last_timestamp", "send_timestamp", "flag"})


def _fmt1_names(record: StatusRecord, level: int) -> list[str]:
    names = list(_FMT1_HEAD)
    if record.hlr is not None:
        names += _HLR_NAMES
    if level >= 1:
        names += _FMT1_DETAIL
        if level >= 2:
            names += _FMT1_PLACE
        names += _FMT1_TAIL
    return names


def _status_line(fmt: int, record: StatusRecord, level: int) -> str:
    fields = dict(status_fields(record, level))
    if fmt == 1:
        return ",".join(_plain(fields[n]) for n in _fmt1_names(record, level))
    shown = [(n, v) for n, v in status_fields(record, level) if n not in _FMT0_SKIP]
    return ", ".join(f"{_FMT0_NAMES.get(n, n)} = {_plain(v)}" for n, v in shown)


def render_status(fmt: int, record: StatusRecord, level: int) -> str:
    """The answer for one message's status."""
    if fmt == 3:
        return _json(_to_json(status_fields(record, level)))
    if fmt == 2:
        return f"<sms>{_xml(status_fields(record, level))}</sms>"
    return _status_line(fmt, record, level)


def _row_keys(record: StatusRecord, level: int) -> Fields:
    """What a several-message answer adds to each row (L-php35's get_status comment):
    the message id and phone with ``all=0``, only the id with ``all=1``/``all=2``,
    whose rows already carry the phone."""
    if level >= 1:
        return [("id", record.id)]
    return [("id", record.id), ("phone", record.phone)]


def render_statuses(fmt: int, records: Sequence[StatusRecord], level: int) -> str:
    """The answer for several messages: a JSON array / XML list / one line each."""
    if fmt == 3:
        return _json([_to_json([*_row_keys(r, level), *status_fields(r, level)]) for r in records])
    if fmt == 2:
        inner = "".join(
            f"<sms>{_xml([*_row_keys(r, level), *status_fields(r, level)])}</sms>" for r in records
        )
        return f"<result>{inner}</result>"
    lines = []
    for record in records:
        keys = _row_keys(record, level)
        if fmt == 1:
            head = ",".join(_plain(v) for _, v in keys) + ","
        else:
            head = ", ".join(f"{n} = {_plain(v)}" for n, v in keys) + ", "
        lines.append(head + _status_line(fmt, record, level))
    return "\n".join(lines)


def render_balance(fmt: int, info: BalanceInfo, currency: bool) -> str:
    """The balance answer; ``currency`` (``cur=1``) adds the credit (if any) and currency."""
    fields: Fields = [("balance", info.balance)]
    if currency:
        if info.credit:
            fields.append(("credit", info.credit))
        fields.append(("currency", info.currency))
    if fmt == 3:
        return _json(_to_json(fields))
    if fmt == 2:
        return f"<result>{_xml(fields)}</result>"
    return ",".join(_plain(v) for _, v in fields)


def history_fields(record: StatusRecord) -> Fields:
    """One sent message of ``get.php?get_messages=1``."""
    return [
        ("id", record.id),
        ("int_id", record.int_id),
        ("phone", record.phone),
        *status_fields(record, 1)[0:5],
        ("send_date", format_date(record.send_timestamp)),
        ("send_timestamp", int(record.send_timestamp)),
        ("sender_id", record.sender),
        ("cost", record.cost),
        ("sms_cnt", record.parts),
        ("format", int(record.kind)),
        ("status_name", record.status.description),
        ("message", record.text),
        *([("subj", record.subject or "")] if record.kind in _SUBJECT_KINDS else []),
    ]


def inbox_fields(record: IncomingRecord) -> Fields:
    """One incoming message of ``get.php?get_answers=1``."""
    return [
        ("id", record.id),
        ("received", format_date(record.received)),
        ("phone", record.phone),
        ("to_phone", record.to_phone),
        ("sent", int(record.sent)),
        ("message", record.text),
    ]


def render_items(fmt: int, items: Iterable[Fields], element: str) -> str:
    """A list answer (history, inbox, senders): JSON array, XML list, or a line per item."""
    rows = list(items)
    if fmt == 3:
        return _json([_to_json(row) for row in rows])
    if fmt == 2:
        return "<result>" + "".join(f"<{element}>{_xml(r)}</{element}>" for r in rows) + "</result>"
    return "\n".join(",".join(_plain(v) for _, v in row) for row in rows)


def render_fields(fmt: int, fields: Fields, element: str = "result") -> str:
    """One object's answer: JSON object, XML element, ``a,b`` (1) or ``name = value, …`` (0)."""
    if fmt == 3:
        return _json(_to_json(fields))
    if fmt == 2:
        return f"<{element}>{_xml(fields)}</{element}>"
    if fmt == 1:
        return ",".join(_plain(v) for _, v in fields if not isinstance(v, list))
    return ", ".join(f"{n} = {_plain(v)}" for n, v in fields if not isinstance(v, list))


def job_fields(job: Job, status: int) -> Fields:
    """One scheduled mailing of ``jobs.php?get_all=1`` (the emulator's own shape, [U])."""
    return [
        ("id", str(job.id)),
        ("name", job.name),
        ("status", status),
        ("time", format_date(job.start)),
        ("timestamp", int(job.start)),
        ("phones", ",".join(job.phones)),
        ("mes", job.text),
        ("sms_id", job.message_id),
    ]


def _single(fmt: int, fields: Fields) -> str:
    """A one-object answer: JSON object, XML ``<result>``, or comma-separated values."""
    if fmt == 3:
        return _json(_to_json(fields))
    if fmt == 2:
        return f"<result>{_xml(fields)}</result>"
    return ",".join(_plain(v) for _, v in fields)


def render_stat(fmt: int, stats: SendStats) -> str:
    """``get.php?get_stat=1``: login, messages, money spent (``credit``), paid in
    (``debit``, never in the emulator) and currency — D-stat's names; the shape [U]."""
    return _single(
        fmt,
        [
            ("login", stats.login),
            ("cnt", stats.count),
            ("credit", stats.spent),
            ("debit", Decimal(0)),
            ("currency", stats.currency),
        ],
    )


def render_link(fmt: int, link: LinkStats) -> str:
    """``tinyurls.php?get=1``: the link's number and clicks (in all, this month, today)
    — D-tinyurl's ``id, cnt, cnt_mon, cnt_day``; ``link``/``url`` are the emulator's [U]."""
    return _single(
        fmt,
        [
            ("id", link.id),
            ("cnt", link.clicks),
            ("cnt_mon", link.month),
            ("cnt_day", link.day),
            ("link", link.link),
            ("url", link.url),
        ],
    )
