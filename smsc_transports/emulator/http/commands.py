"""The HTTP API's commands: checked parameters in, a call on the state, rendered text out."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from smsc_transports.emulator.http.params import Params, RequestData
from smsc_transports.emulator.http.render import (
    Fields,
    history_fields,
    inbox_fields,
    job_fields,
    render_balance,
    render_error,
    render_fields,
    render_items,
    render_link,
    render_send,
    render_stat,
    render_status,
    render_statuses,
)
from smsc_transports.emulator.state.accounts import Account
from smsc_transports.emulator.state.clock import MOSCOW
from smsc_transports.emulator.state.mailings import is_sender_name
from smsc_transports.emulator.state.number_rules import answer_delay
from smsc_transports.emulator.state.pricing import params_error
from smsc_transports.emulator.state.records import SendRequest, StoredFile
from smsc_transports.emulator.state.smsc import EmulatorState
from smsc_transports.emulator.state.time_forms import parse_valid
from smsc_transports.errors import APIError
from smsc_transports.message import MessageKind

__all__ = ["COMMANDS", "Reply", "run_command"]

Wait = Callable[[float], None]


@dataclass(frozen=True)
class Reply:
    """Rendered answer text plus the HTTP status (200 for every SMSC error, as SMSC)."""

    text: str
    status: int = 200


_STRING_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")
_TZ = re.compile(r"[+-]?[0-9]{1,2}")
# The send.php parameters the emulator reads itself; every other one is kept with the
# message as SMSC received it (``options``), so a test can see that it arrived.
_READ_PARAMETERS = frozenset(
    {"login", "psw", "apikey", "phones", "mes", "id", "sender", "bot", "bin", "time", "tz"}
    | {"valid", "translit", "cost", "op", "err", "list", "maxsms", "subj", "fmt", "charset"}
    | {"flash", "push", "hlr", "ping", "mms", "mail", "call", "viber", "soc", "tg"}
)
# Kind switches in the order they are looked at; the first one set wins.
_KIND_FLAGS = (
    ("flash", MessageKind.FLASH),
    ("push", MessageKind.PUSH),
    ("hlr", MessageKind.HLR),
    ("ping", MessageKind.PING),
    ("mms", MessageKind.MMS),
    ("mail", MessageKind.MAIL),
    ("call", MessageKind.CALL),
    ("viber", MessageKind.VIBER),
    ("soc", MessageKind.SOC),
    ("tg", MessageKind.TELEGRAM),
)


def _items(value: str) -> tuple[str, ...]:
    """The non-blank items of a list separated by commas, semicolons or line breaks."""
    # Plain string splits: a bulk send lists thousands of phones.
    items = value.replace(";", ",").replace("\n", ",").split(",")
    return tuple([item for item in items if item.strip()])


def _client_id(value: str | None) -> str | None:
    """The caller's ``id``: 1…2147483647 or 1-40 of ``[A-Za-z0-9._-]``; 0/empty = none."""
    if value is None or value.strip() in ("", "0"):
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        if not 1 <= int(value) <= 2_147_483_647:
            raise params_error()
        return str(int(value))
    if not _STRING_ID.fullmatch(value):
        raise params_error()
    return value


def _kind_and_sender(params: Params) -> tuple[MessageKind, str | None]:
    sender = params.get("sender")
    bot = params.text("bot").strip()
    if bot:
        return MessageKind.BOT, bot
    binary = params.number("bin", 0, high=2)
    if binary:
        return (MessageKind.BIN if binary == 1 else MessageKind.BIN_HEX), sender
    for name, kind in _KIND_FLAGS:
        if params.flag(name):
            return kind, sender
    return MessageKind.SMS, sender


ListLines = tuple[tuple[tuple[str, str], ...], tuple[tuple[str | None, float | None], ...]]


def _list_lines(value: str) -> ListLines:
    """``list=``: ``[sender[,tz]|]phone:message`` lines, as (phone, text) pairs and each
    line's own (sender, tz) (smsc-protocol.md §1.4)."""
    pairs, options = [], []
    for line in value.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        head, colon, text = line.partition(":")
        if not colon:
            raise params_error()
        prefix, bar, phone = head.rpartition("|")
        sender: str | None = None
        tz: float | None = None
        if bar:
            sender_text, comma, tz_text = prefix.partition(",")
            sender = sender_text.strip()
            tz = _tz(tz_text) if comma else None
        pairs.append((phone.strip(), text))
        options.append((sender, tz))
    return tuple(pairs), tuple(options) if any(o != (None, None) for o in options) else ()


def _tz(value: str) -> float | None:
    """A ``tz`` value: hours from Moscow, -12…12; empty = none; else error 1."""
    value = value.strip()
    if not value:
        return None
    if not (_TZ.fullmatch(value) and -12 <= int(value) <= 12):
        raise params_error()
    return float(value)


def _period(params: Params) -> tuple[float | None, int | None]:
    """``period`` (0.1-720 hours) and ``freq`` (1-1440 minutes, ignored without a period)."""
    text = params.text("period").strip()
    if not text:
        return None, None
    try:
        period = float(text)
    except ValueError:
        raise params_error() from None
    if not 0.1 <= period <= 720:
        raise params_error()
    return period, params.number("freq", 60, low=1, high=1440)


def _files(params: Params, uploaded: tuple[StoredFile, ...]) -> tuple[StoredFile, ...]:
    """The uploaded files and the ``fileurl`` one (error 1 for a URL that is not http(s))."""
    url = params.text("fileurl").strip()
    if not url:
        return uploaded
    if not url.startswith(("http://", "https://")) or len(url) > 2000:
        raise params_error()
    name = url.rsplit("/", 1)[-1] or "file"
    return (*uploaded, StoredFile(name, "application/octet-stream", url=url))


def send_request(params: Params, files: tuple[StoredFile, ...] = ()) -> SendRequest:
    """A :class:`SendRequest` from ``send.php`` parameters (error 1 for bad ones)."""
    kind, sender = _kind_and_sender(params)
    pairs, line_options = _list_lines(params.text("list"))
    phones = _items(params.text("phones"))
    if not pairs and not phones:
        raise params_error()
    tz = _tz(params.text("tz"))
    maxsms = params.number("maxsms", 0, low=1, high=100)
    options = tuple(sorted((k, v) for k, v in params.values.items() if k not in _READ_PARAMETERS))
    period, freq = _period(params)
    return SendRequest(
        phones=phones,
        text=params.text("mes"),
        sender=sender,
        id=_client_id(params.get("id")),
        kind=kind,
        time=params.get("time"),
        tz=tz,
        valid=parse_valid(params.get("valid")),
        translit=params.number("translit", 0, high=2),
        cost=params.number("cost", 0, high=3),
        op=params.flag("op"),
        err=params.flag("err"),
        pairs=pairs,
        maxsms=maxsms or None,
        subject=params.get("subj"),
        files=_files(params, files),
        options=options,
        tinyurl=bool(params.number("tinyurl", 0, high=1)),
        period=period,
        freq=freq,
        line_options=line_options,
    )


def _send(state: EmulatorState, account: Account, data: RequestData, wait: Wait) -> str:
    request = send_request(data.params, data.files)
    try:
        outcome = state.send(account, request)
    finally:
        # Slow test numbers hold the answer back whatever it is, like a slow server.
        wait(answer_delay(request.phones or [p for p, _ in request.pairs]))
    return render_send(data.fmt, outcome)


def _id_phone_lists(params: Params) -> tuple[list[tuple[str, str]], bool]:
    """(id, phone) pairs of a status/delete request and whether it is a multi-request."""
    ids_text, phones_text = params.text("id").strip(), params.text("phone").strip()
    if not ids_text or not phones_text:
        raise params_error("status")
    multi = ids_text.endswith(",") or phones_text.endswith(",")
    ids = [i.strip() for i in ids_text.split(",") if i.strip()]
    phones = [p.strip() for p in phones_text.split(",") if p.strip()]
    if len(phones) == 1 and len(ids) > 1:
        phones *= len(ids)
    if len(ids) != len(phones) or not ids:
        raise params_error("status")
    return list(zip(ids, phones, strict=True)), multi or len(ids) > 1


def _status(state: EmulatorState, account: Account, data: RequestData, wait: Wait) -> str:
    wanted, multi = _id_phone_lists(data.params)
    if data.params.flag("del"):
        for id, phone in wanted:
            state.delete(account, id, phone)
        return {0: "OK", 1: "1", 2: "<result><result>OK</result></result>"}.get(
            data.fmt, '{"result":"OK"}'
        )
    level = data.params.number("all", 0, high=2)
    if multi:
        return render_statuses(data.fmt, state.statuses(account, wanted), level)
    return render_status(data.fmt, state.status(account, *wanted[0]), level)


def _balance(state: EmulatorState, account: Account, data: RequestData, wait: Wait) -> str:
    return render_balance(data.fmt, state.balance(account), data.params.flag("cur"))


def _date(value: str | None) -> float | None:
    """``dd.mm.yyyy`` (Moscow) as Unix seconds, for history bounds."""
    if not value or not value.strip():
        return None
    try:
        day = datetime.strptime(value.strip(), "%d.%m.%Y").replace(tzinfo=MOSCOW)
    except ValueError:
        raise params_error("get") from None
    return day.timestamp()


def _get(state: EmulatorState, account: Account, data: RequestData, wait: Wait) -> str:
    params = data.params
    if params.flag("get_messages"):
        end = _date(params.get("end"))
        phones = list(_items(params.text("phone") + "," + params.text("email")))
        format_text = params.text("format").strip()
        records = state.history(
            account,
            start=_date(params.get("start")),
            end=end + 86400 if end is not None else None,
            phones=phones or None,
            kind=MessageKind(params.number("format", 0, high=13)) if format_text else None,
            cnt=params.number("cnt", 100, low=1, high=1000),
            prev_id=params.number("prev_id", 0) or None,
        )
        return render_items(data.fmt, (history_fields(r) for r in records), "sms")
    if params.flag("get_answers"):
        after = params.number("after_id", 0)
        records_in = state.incoming(
            account,
            cnt=params.number("cnt", 100, low=1, high=10000),
            hours=params.number("hour", 0, low=1, high=168) or None,
            after_id=after or None,
            to_phone=params.get("to_phone"),
        )
        return render_items(data.fmt, (inbox_fields(r) for r in records_in), "sms")
    if params.flag("get_stat"):
        end = _date(params.get("end"))
        stats = state.stat(account, _date(params.get("start")), end + 86400 if end else None)
        return render_stat(data.fmt, stats)
    # get_price, get_mega_accounts and any other switch: SMSC's answer to a command it
    # does not know, error 1.
    raise params_error("get")


def _tinyurls(state: EmulatorState, account: Account, data: RequestData, wait: Wait) -> str:
    params = data.params
    if not params.flag("get"):
        raise params_error("get")
    link_id = params.number("id", 0)
    found = state.short_link(account, link=params.get("link"), id=link_id or None)
    if found is None:
        raise params_error("get")
    return render_link(data.fmt, found)


def _unknown_command(state: EmulatorState, account: Account, data: RequestData, wait: Wait) -> str:
    """A documented command the emulator does not model: SMSC's answer to a command it
    does not know (error 1), after the login is checked like any other request."""
    raise params_error("get")


_OK: Fields = [("result", "OK")]


def _senders(state: EmulatorState, account: Account, data: RequestData, wait: Wait) -> str:
    params = data.params
    if params.flag("get"):
        rows: list[Fields] = [[("sender", s)] for s in state.senders(account)]
        return render_items(data.fmt, rows, "sender")
    name = params.text("sender").strip()
    if not is_sender_name(name):
        raise params_error("senders")
    if params.flag("add"):
        state.add_sender(account, name, params.text("cmt"))
        return render_fields(data.fmt, [("sender", name)])
    if params.flag("send_code"):
        state.send_sender_code(account, name)
        return render_fields(data.fmt, _OK)
    if params.flag("check_code"):
        state.confirm_sender(account, name, params.text("code").strip())
        return render_fields(data.fmt, _OK)
    raise params_error("senders")


def _info(state: EmulatorState, account: Account, data: RequestData, wait: Wait) -> str:
    if not data.params.flag("get_operator"):
        raise params_error("operator")
    phone = data.params.text("phone")
    info = state.operator(phone)
    mcc, mnc = info.mccmnc[:3], info.mccmnc[3:]
    fields: Fields = [
        ("phone", phone.strip().lstrip("+")),
        ("country", info.country),
        ("operator", info.operator),
        ("region", info.region),
        ("mcc", mcc),
        ("mnc", mnc),
    ]
    return render_fields(data.fmt, fields)


def _jobs(state: EmulatorState, account: Account, data: RequestData, wait: Wait) -> str:
    params = data.params
    if params.flag("add"):
        request = send_request(params)
        name = params.text("name").strip() or "job"
        job = state.add_job(account, name, replace(request, cost=0))
        return render_fields(data.fmt, [("id", str(job.id))])
    if params.flag("get_all") or params.flag("get"):
        wanted = params.text("id").strip() if params.flag("get") else ""
        rows = [job_fields(j, status) for j, status in state.jobs(account)]
        if wanted:
            rows = [row for row in rows if dict(row)["id"] == wanted]
        return render_items(data.fmt, rows, "job")
    job_id = params.text("id").strip()
    if not job_id:
        raise params_error("jobs")
    if params.flag("cancel"):
        state.cancel_job(account, job_id)
        return render_fields(data.fmt, _OK)
    if params.flag("del"):
        state.delete_job(account, job_id)
        return render_fields(data.fmt, _OK)
    raise params_error("jobs")


Handler = Callable[[EmulatorState, Account, RequestData, Wait], str]
COMMANDS: dict[str, tuple[str, Handler]] = {
    "send": ("send", _send),
    "status": ("status", _status),
    "balance": ("balance", _balance),
    "get": ("get", _get),
    "senders": ("senders", _senders),
    "info": ("operator", _info),
    "jobs": ("jobs", _jobs),
    "tinyurls": ("get", _tinyurls),
    "unknown": ("get", _unknown_command),
}


def run_command(
    state: EmulatorState, command: str, data: RequestData, ip: str, wait: Wait
) -> Reply:
    """Authenticate, hold a concurrency slot, run ``command`` and render the answer."""
    operation, handler = COMMANDS[command]
    if data.error is not None:
        return Reply(render_error(data.fmt, data.error))
    params = data.params
    login, password, apikey = params.get("login"), params.get("psw"), params.get("apikey")
    try:
        state.check_ip(ip, operation)
        if not (login or password or apikey):
            raise params_error(operation)
        account = state.authenticate(login, password, apikey, ip=ip, operation=operation)
    except APIError as refused:
        return Reply(render_error(data.fmt, refused))
    failure: APIError | None = None
    try:
        with state.request_slot(account.login):
            return Reply(handler(state, account, data, wait))
    except APIError as refused:
        failure = refused
    except ValueError:  # e.g. an unknown message format number
        failure = params_error(operation)
    finally:
        if command == "send":
            state.note_send_answer(ip, failure)
    return Reply(render_error(data.fmt, failure))
