"""The state as plain JSON values and back: what a snapshot file holds.

:func:`capture` takes the state's :class:`Parts` — the accounts, the recipients of
sent messages, the inbox, the short links, the scheduled mailings and the sender names
asked for (with their numbering) — as one JSON-ready dict; :func:`load` puts such a
dict back. A key an older snapshot lacks (``short_links``, ``jobs``, ``sender_names``
came later) is read as empty, so the version stays 1. What is transient by nature —
rate-limit and IP-block windows, requests in flight — is not part of it.

:func:`to_plain` turns the state's dataclasses (accounts, recipients with their
timelines, incoming messages) into dicts, lists, strings and numbers — ``Decimal`` as a
string so no cent is lost, enums as their values — and :func:`from_plain` rebuilds a
value of a given type from them, reading the field types off the dataclass itself.
A field added to a record later is saved without touching this module; a field missing
from an older snapshot takes its default, and a key the record no longer has is
ignored, so a snapshot outlives small changes of the records.

Values that do not fit their type raise :class:`ValueError` naming the path
(``recipients[3].cost``), so a damaged file is refused with a reason instead of
loading half a state; the value is shown shortened, so the reason stays one short
line whatever the file holds. A number must be finite: a clock or a time of
``Infinity`` would break every answer that shows it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import enum
import math
import reprlib
import types
import typing
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from smsc_transports.emulator.state.accounts import Account, Accounts
from smsc_transports.emulator.state.clock import is_date
from smsc_transports.emulator.state.inbox import Inbox
from smsc_transports.emulator.state.mailings import Job, Mailings, SenderName, SenderNames
from smsc_transports.emulator.state.recipient import Recipient, Recipients
from smsc_transports.emulator.state.records import IncomingRecord
from smsc_transports.emulator.state.short_links import ShortLink, ShortLinks

__all__ = ["SNAPSHOT_VERSION", "Parts", "capture", "from_plain", "load", "to_plain"]

SNAPSHOT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Parts:
    """The collaborators of the state a snapshot holds (the state passes its own)."""

    accounts: Accounts
    recipients: Recipients
    inbox: Inbox
    links: ShortLinks
    mailings: Mailings
    sender_names: SenderNames


def capture(parts: Parts, now: float) -> dict[str, Any]:
    """The state's parts as one JSON-ready dict (called under the state's lock)."""
    next_ids, next_int_id = parts.recipients.numbering()
    return {
        "version": SNAPSHOT_VERSION,
        "clock": now,
        "accounts": [to_plain(account) for account in parts.accounts],
        "recipients": [to_plain(recipient) for recipient in parts.recipients.everyone()],
        "incoming": [to_plain(record) for record in parts.inbox.everything()],
        "next_ids": next_ids,
        "next_int_id": next_int_id,
        "short_links": [to_plain(link) for link in parts.links.everything()],
        "next_link_id": parts.links.next_id(),
        "jobs": [to_plain(job) for job in parts.mailings.everything()],
        "next_job_id": parts.mailings.next_id(),
        "sender_names": [to_plain(name) for name in parts.sender_names.everything()],
    }


def load(image: Any, parts: Parts) -> list[Recipient]:
    """Put :func:`capture`'s dict back into the parts; return the recipients restored.

    Everything is read and checked before anything changes, so a damaged image
    (``ValueError`` naming what is wrong) leaves the parts as they were. The image's
    accounts replace those of the same login.
    """
    if not isinstance(image, dict) or image.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"not a version {SNAPSHOT_VERSION} emulator snapshot")

    def read(kind: Any, key: str, default: Any) -> Any:
        return from_plain(kind, image.get(key, default), key)

    new_accounts: list[Account] = read(list[Account], "accounts", [])
    new_recipients: list[Recipient] = read(list[Recipient], "recipients", [])
    incoming: list[IncomingRecord] = read(list[IncomingRecord], "incoming", [])
    next_ids: dict[str, int] = read(dict[str, int], "next_ids", {})
    next_int_id: int = read(int, "next_int_id", 1)
    links: list[ShortLink] = read(list[ShortLink], "short_links", [])
    next_link_id: int = read(int, "next_link_id", 1)
    jobs: list[Job] = read(list[Job], "jobs", [])
    next_job_id: int = read(int, "next_job_id", 1)
    names: list[SenderName] = read(list[SenderName], "sender_names", [])
    logins = {account.login for account in [*parts.accounts, *new_accounts]}
    for i, recipient in enumerate(new_recipients):
        if recipient.login not in logins or not recipient.steps:
            login = _shown(recipient.login)
            raise ValueError(f"recipients[{i}]: no account {login} or no timeline")
        times = [recipient.created, recipient.start, *(step[0] for step in recipient.steps)]
        if not all(is_date(when) for when in times):
            raise ValueError(f"recipients[{i}]: a time that is not one (1970 to 9999)")
    owners = (None if link.owner is None else link.owner[0] for link in links)
    _known(logins, owners, "short_links", "owner")
    _known(logins, (job.login for job in jobs), "jobs", "login")
    _known(logins, (name.login for name in names), "sender_names", "login")
    parts.links.check(links, "short_links")
    parts.mailings.check(jobs, "jobs")
    parts.sender_names.check(names, "sender_names")
    for account in new_accounts:
        parts.accounts.add(account)
    for recipient in new_recipients:
        parts.recipients.add(recipient)
    for record in incoming:
        parts.inbox.put(record)
    parts.recipients.renumber(next_ids, next_int_id)
    parts.links.put(links, next_link_id)
    parts.mailings.put(jobs, next_job_id)
    parts.sender_names.put(names)
    return new_recipients


def _known(logins: set[str], owners: Iterable[str | None], where: str, key: str) -> None:
    """``ValueError`` naming ``where[i].key`` for the first owner with no account."""
    for i, login in enumerate(owners):
        if login is not None and login not in logins:
            raise ValueError(f"{where}[{i}].{key}: no account {_shown(login)}")


def to_plain(value: object) -> Any:
    """``value`` as JSON-ready values: dataclasses as dicts, Decimals as strings, bytes
    (the files that came with a message) as base64 strings."""
    if isinstance(value, enum.Enum):
        return to_plain(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot save a {type(value).__name__} in a snapshot")


def from_plain(kind: Any, value: Any, path: str = "") -> Any:
    """A value of type ``kind`` (a class or a typing form such as ``list[Account]``) rebuilt
    from :func:`to_plain`'s output; ``ValueError`` naming ``path`` when it does not fit."""
    return _build(kind, value, path or "value")


def _build(kind: Any, value: Any, path: str) -> Any:  # noqa: PLR0912
    origin = typing.get_origin(kind)
    if origin is typing.Union or origin is types.UnionType:
        arms = typing.get_args(kind)
        if value is None and type(None) in arms:
            return None
        for arm in arms:
            if arm is type(None):
                continue
            try:
                return _build(arm, value, path)
            except ValueError:
                continue
        raise ValueError(f"{path}: {_shown(value)} fits none of {kind}")
    if origin is tuple:
        args = typing.get_args(kind)
        items = _sequence(value, path)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], item, f"{path}[{i}]") for i, item in enumerate(items))
        if len(args) != len(items):
            raise ValueError(f"{path}: expected {len(args)} items, got {len(items)}")
        pairs = enumerate(zip(args, items, strict=True))
        return tuple(_build(arg, item, f"{path}[{i}]") for i, (arg, item) in pairs)
    if origin is list:
        (arg,) = typing.get_args(kind)
        return [_build(arg, item, f"{path}[{i}]") for i, item in enumerate(_sequence(value, path))]
    if origin in (dict, Mapping):
        key_kind, item_kind = typing.get_args(kind)
        if not isinstance(value, dict):
            raise ValueError(f"{path}: expected a table, got {_shown(value)}")
        named = {key: f"{path}.{_key(key)}" for key in value}
        return {
            _build(key_kind, key, named[key]): _build(item_kind, item, named[key])
            for key, item in value.items()
        }
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{path}: {_shown(value)} is not a {kind.__name__}") from None
    if kind is Decimal:
        try:
            amount = Decimal(str(value)) if isinstance(value, str | int) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            raise ValueError(f"{path}: expected an amount, got {_shown(value)}")
        return amount
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass(kind, value, path)
    if kind is bytes:
        try:
            if isinstance(value, str):
                return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
        raise ValueError(f"{path}: expected base64, got {_shown(value)}")
    if kind is float:
        return _number(value, path)
    if kind in (int, str, bool):
        if type(value) is not kind:
            raise ValueError(f"{path}: expected {kind.__name__}, got {_shown(value)}")
        return value
    if kind is type(None) and value is None:
        return None
    raise ValueError(f"{path}: cannot read a {kind}")


def _number(value: Any, path: str) -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):  # an integer of 400 digits
            number = float(value)
    if number is None or not math.isfinite(number):
        raise ValueError(f"{path}: expected a finite number, got {_shown(value)}")
    return number


def _short_repr() -> reprlib.Repr:
    shortened = reprlib.Repr()  # attributes, not arguments: those came in Python 3.12
    shortened.maxstring = shortened.maxother = 40
    shortened.maxlist = shortened.maxdict = 3
    shortened.maxlevel = 2
    return shortened


_SHORT = _short_repr()


def _shown(value: object) -> str:
    """``value`` as Python shows it, shortened: a reason stays one short line."""
    return _SHORT.repr(value)


def _key(key: str) -> str:
    """A table's key as part of a path: as it is when short and printable, else shown."""
    return key if len(key) <= 40 and key.isprintable() else _shown(key)


def _sequence(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{path}: expected a list, got {_shown(value)}")
    return value


def _dataclass(kind: type[Any], value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"{path}: expected a table, got {_shown(value)}")
    hints = typing.get_type_hints(kind)
    given: dict[str, Any] = {}
    for field in dataclasses.fields(kind):
        if field.name in value:
            given[field.name] = _build(hints[field.name], value[field.name], f"{path}.{field.name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ValueError(f"{path}: {field.name} is missing")
    init = {name: item for name, item in given.items() if _field(kind, name).init}
    built = kind(**init)
    for name, item in given.items():
        if not _field(kind, name).init:
            object.__setattr__(built, name, item)
    return built


def _field(kind: type[Any], name: str) -> dataclasses.Field[Any]:
    return next(f for f in dataclasses.fields(kind) if f.name == name)
