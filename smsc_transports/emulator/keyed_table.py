"""A TOML table read key by key, each error naming the file and the key.

:class:`KeyedTable` wraps one table of a parsed TOML document: typed getters
(``text``, ``number``, ``port``, ``flag``, ``money``, ``strings``, ``path_value``,
``table``, ``tables``) return the value or a default, and raise :class:`ScenarioError`
with one line — ``emulator.toml: accounts[1].balance: expected an amount ("250.00"),
got 'lots'`` — when it has the wrong type; :meth:`KeyedTable.done` refuses a key no
getter asked for, so a typo is an error rather than a silently ignored setting. The
scenario file (:mod:`~smsc_transports.emulator.scenario`) is read with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from smsc_transports.errors import ConfigurationError

__all__ = ["KeyedTable", "ScenarioError"]


class ScenarioError(ConfigurationError):
    """A scenario file that cannot be used; the message names the file and the key."""


class KeyedTable:
    """One table of the file ``name`` (in ``folder``) at ``path`` (``accounts[1]``; ``""``
    for the root), read key by key; :meth:`done` refuses the keys nobody asked for."""

    def __init__(self, data: Mapping[str, Any], path: str, name: str, folder: Path) -> None:
        self.data = data
        self.path = path
        self.name = name
        self.folder = folder
        self.used: set[str] = set()

    def fail(self, key: str, what: str) -> ScenarioError:
        """The error for ``key`` of this table: ``FILE: path.key: what``."""
        where = f"{self.path}.{key}" if self.path else key
        return ScenarioError(f"{self.name}: {where}: {what}")

    def get(self, key: str) -> Any:
        self.used.add(key)
        return self.data.get(key)

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.fail(key, f"expected a string, got {value!r}")
        return value

    def required(self, key: str) -> str:
        value = self.text(key)
        if not value:
            raise self.fail(key, "is required (a non-empty string)")
        return value

    def number(self, key: str, default: float | None = None, *, minimum: float = 0) -> float | None:
        value = self.get(key)
        if value is None:
            return default
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(key, f"expected a number, got {value!r}")
        if value < minimum:
            raise self.fail(key, f"must be {minimum:g} or more, got {value!r}")
        return float(value)

    def port(self, key: str, default: int | None = None) -> int | None:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
            raise self.fail(key, f"expected a port 0-65535 (0 = any free port), got {value!r}")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(key, f"expected true or false, got {value!r}")
        return value

    def money(self, key: str, default: Decimal | None = None) -> Decimal | None:
        value = self.get(key)
        if value is None:
            return default
        return self.amount(key, value)

    def amount(self, key: str, value: Any) -> Decimal:
        amount = None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                amount = None
        if amount is None or not amount.is_finite():
            raise self.fail(key, f'expected an amount ("250.00"), got {value!r}')
        return amount

    def strings(self, key: str) -> tuple[str, ...] | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"expected a list of strings, got {value!r}")
        return tuple(value)

    def path_value(self, key: str) -> Path | None:
        value = self.text(key)
        return None if value is None else self.folder / value

    def table(self, key: str) -> KeyedTable | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table ([{key}]), got {value!r}")
        return KeyedTable(value, f"{self.path}.{key}" if self.path else key, self.name, self.folder)

    def tables(self, key: str) -> list[KeyedTable]:
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, f"expected an array of tables ([[{key}]]), got {value!r}")
        prefix = f"{self.path}.{key}" if self.path else key
        return [
            KeyedTable(item, f"{prefix}[{i}]", self.name, self.folder)
            for i, item in enumerate(value)
        ]

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise self.fail(unknown[0], f"unknown key (known here: {known})")
