"""The state as plain JSON values and back: what a snapshot file holds.

:func:`capture` takes the accounts, the recipients of sent messages and the inbox
(with their numbering) as one JSON-ready dict; :func:`load` puts such a dict back.

:func:`to_plain` turns the state's dataclasses (accounts, recipients with their
timelines, incoming messages) into dicts, lists, strings and numbers — ``Decimal`` as a
string so no cent is lost, enums as their values — and :func:`from_plain` rebuilds a
value of a given type from them, reading the field types off the dataclass itself.
A field added to a record later is saved without touching this module; a field missing
from an older snapshot takes its default, and a key the record no longer has is
ignored, so a snapshot outlives small changes of the records.

Values that do not fit their type raise :class:`ValueError` naming the path
(``recipients[3].cost``), so a damaged file is refused with a reason instead of
loading half a state.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from smsc_transports.emulator.state.accounts import Account, Accounts
from smsc_transports.emulator.state.inbox import Inbox
from smsc_transports.emulator.state.recipient import Recipient, Recipients
from smsc_transports.emulator.state.records import IncomingRecord

__all__ = ["SNAPSHOT_VERSION", "capture", "from_plain", "load", "to_plain"]

SNAPSHOT_VERSION = 1


def capture(accounts: Accounts, recipients: Recipients, inbox: Inbox, now: float) -> dict[str, Any]:
    """The state's parts as one JSON-ready dict (called under the state's lock)."""
    next_ids, next_int_id = recipients.numbering()
    return {
        "version": SNAPSHOT_VERSION,
        "clock": now,
        "accounts": [to_plain(account) for account in accounts],
        "recipients": [to_plain(recipient) for recipient in recipients.everyone()],
        "incoming": [to_plain(record) for record in inbox.everything()],
        "next_ids": next_ids,
        "next_int_id": next_int_id,
    }


def load(image: Any, accounts: Accounts, recipients: Recipients, inbox: Inbox) -> list[Recipient]:
    """Put :func:`capture`'s dict back into the parts; return the recipients restored.

    Everything is read and checked before anything changes, so a damaged image
    (``ValueError`` naming what is wrong) leaves the parts as they were. The image's
    accounts replace those of the same login.
    """
    if not isinstance(image, dict) or image.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"not a version {SNAPSHOT_VERSION} emulator snapshot")
    new_accounts: list[Account] = from_plain(list[Account], image.get("accounts", []), "accounts")
    new_recipients: list[Recipient] = from_plain(
        list[Recipient], image.get("recipients", []), "recipients"
    )
    incoming: list[IncomingRecord] = from_plain(
        list[IncomingRecord], image.get("incoming", []), "incoming"
    )
    next_ids: dict[str, int] = from_plain(dict[str, int], image.get("next_ids", {}), "next_ids")
    next_int_id: int = from_plain(int, image.get("next_int_id", 1), "next_int_id")
    logins = {account.login for account in [*accounts, *new_accounts]}
    for i, recipient in enumerate(new_recipients):
        if recipient.login not in logins or not recipient.steps:
            raise ValueError(f"recipients[{i}]: no account {recipient.login} or no timeline")
    for account in new_accounts:
        accounts.add(account)
    for recipient in new_recipients:
        recipients.add(recipient)
    for record in incoming:
        inbox.put(record)
    recipients.renumber(next_ids, next_int_id)
    return new_recipients


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
        raise ValueError(f"{path}: {value!r} fits none of {kind}")
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
            raise ValueError(f"{path}: expected a table, got {value!r}")
        return {
            _build(key_kind, key, f"{path}.{key}"): _build(item_kind, item, f"{path}.{key}")
            for key, item in value.items()
        }
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{path}: {value!r} is not a {kind.__name__}") from None
    if kind is Decimal:
        try:
            amount = Decimal(str(value)) if isinstance(value, str | int) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            raise ValueError(f"{path}: expected an amount, got {value!r}")
        return amount
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _dataclass(kind, value, path)
    if kind is bytes:
        try:
            if isinstance(value, str):
                return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
        raise ValueError(f"{path}: expected base64, got {value!r}")
    if kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ValueError(f"{path}: expected a number, got {value!r}")
    if kind in (int, str, bool):
        if type(value) is not kind:
            raise ValueError(f"{path}: expected {kind.__name__}, got {value!r}")
        return value
    if kind is type(None) and value is None:
        return None
    raise ValueError(f"{path}: cannot read a {kind}")


def _sequence(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{path}: expected a list, got {value!r}")
    return value


def _dataclass(kind: type[Any], value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise ValueError(f"{path}: expected a table, got {value!r}")
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
