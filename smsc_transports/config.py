"""Settings: which protocol, which server, which account, and each backend's options.

One :class:`Settings` value comes from any of:

* a URL — ``https://login:password@smsc.ru``, ``smpp://login:password@smpp.smsc.ru:3700``,
  ``smtp://…``, ``soap://…``; an empty login with a password (``https://:KEY@smsc.ru``)
  or ``?apikey=KEY`` means an API key; other query parameters are backend options
  (``?sender=Shop&timeout=5``);
* a mapping (``{"url": …}`` or ``{"scheme": "https", "login": …, "password": …}``);
* the environment (``SMSC_URL``, overridden by ``SMSC_LOGIN``, ``SMSC_PASSWORD``,
  ``SMSC_APIKEY``);
* a TOML file (a top-level table, or its ``[smsc]`` table, read like a mapping).

Secrets are :class:`Secret` values: their ``repr`` and ``str`` are masked, so printing
settings, a transport or an exception never shows them.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from smsc_transports.errors import ConfigurationError

__all__ = [
    "DEFAULT_HOSTS",
    "REGION_HOSTS",
    "Secret",
    "Settings",
    "host_list",
    "load_settings",
]

# SMSC runs the same platform under several regional domains (smsc-protocol.md §1.1).
REGION_HOSTS: Mapping[str, str] = MappingProxyType(
    {"ru": "smsc.ru", "kz": "smsc.kz", "ua": "smsc.ua", "com": "smscentre.com"}
)
# Where each scheme talks to by default: SMSC's own servers (smsc-protocol.md §1–§4).
DEFAULT_HOSTS: Mapping[str, tuple[str, int | None]] = MappingProxyType(
    {
        "https": ("smsc.ru", 443),
        "http": ("smsc.ru", 80),
        "smpp": ("smpp.smsc.ru", 3700),
        "smpps": ("smpp.smsc.ru", 3443),
        "smtp": ("send.smsc.ru", 25),
        "smtps": ("send.smsc.ru", 465),
        "soap": ("smsc.ru", 443),
        "soap+https": ("smsc.ru", 443),
        "soap+http": ("smsc.ru", 80),
    }
)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_IDENTITY_KEYS = frozenset({"scheme", "host", "port", "login", "password", "apikey"})


class Secret:
    """A password or API key that never shows itself in ``repr``, ``str`` or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise ConfigurationError("a secret must be a string")
        self._value = value

    def reveal(self) -> str:
        """Return the secret itself, for the one place that must send it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


def _secret(value: object) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value) if value else None
    raise ConfigurationError("password and apikey must be strings")


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a transport needs: protocol, server, credentials and options.

    ``host``/``port`` default to SMSC's own server for the scheme; ``options`` holds the
    backend-specific settings (read them with :meth:`get_str`, :meth:`get_int`,
    :meth:`get_float`, :meth:`get_bool`).
    """

    scheme: str
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: Secret | None = None
    apikey: Secret | None = None
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        scheme = self.scheme.lower()
        object.__setattr__(self, "scheme", scheme)
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        if self.port is not None and not 0 < self.port < 65536:
            raise ConfigurationError(f"port {self.port} is outside 1…65535")

    # Construction ------------------------------------------------------------------

    @classmethod
    def from_url(cls, url: str) -> Settings:
        """Parse ``scheme://[login[:password]@]host[:port][/path][?options]``."""
        if not isinstance(url, str) or "://" not in url:
            raise ConfigurationError("a settings URL looks like scheme://login:password@host")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            # The error's own text may quote a piece of the password: say nothing of it.
            raise ConfigurationError(_MALFORMED_URL) from None
        options: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        if _split_in_credentials(parts.path, parts.fragment, options):
            raise ConfigurationError(_MALFORMED_URL)
        login = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        apikey = options.pop("apikey", None)
        if not login and password and apikey is None:
            # SMSC's own convention: no login, and the "password" is the API key.
            apikey, password = password, None
        if parts.path not in ("", "/"):
            options.setdefault("path", parts.path)
        return cls(
            scheme=parts.scheme,
            host=parts.hostname or None,
            port=port,
            login=login or None,
            password=_secret(password),
            apikey=_secret(apikey),
            options=options,
        )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Settings:
        """Build settings from a mapping: ``url`` first, then the other keys over it."""
        values = dict(mapping)
        url = values.pop("url", None)
        base = cls.from_url(url) if url else None
        if base is None:
            scheme = values.pop("scheme", None) or values.pop("protocol", None)
            if not scheme:
                raise ConfigurationError("settings need a 'url' or a 'scheme'")
            base = cls(scheme=str(scheme))
        return base.with_overrides(**values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``SMSC_URL`` and ``SMSC_LOGIN``/``PASSWORD``/``APIKEY``."""
        env = os.environ if environ is None else environ
        url = env.get("SMSC_URL")
        if not url:
            raise ConfigurationError(
                "no configuration given and SMSC_URL is not set "
                "(example: SMSC_URL=https://login:password@smsc.ru)"
            )
        overrides = {
            key: env[name]
            for key, name in (
                ("login", "SMSC_LOGIN"),
                ("password", "SMSC_PASSWORD"),
                ("apikey", "SMSC_APIKEY"),
            )
            if env.get(name)
        }
        return cls.from_url(url).with_overrides(**overrides)

    @classmethod
    def from_toml(cls, path: str | Path) -> Settings:
        """Read a TOML file: its ``[smsc]`` table if it has one, else its top level."""
        try:
            with Path(path).open("rb") as fh:
                document = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(f"cannot read settings file {path}: {exc}") from None
        table = document.get("smsc", document)
        if not isinstance(table, dict):
            raise ConfigurationError(f"[smsc] in {path} must be a table")
        return cls.from_mapping(table)

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with identity fields replaced and other keys merged into options."""
        changes: dict[str, Any] = {}
        options = dict(self.options)
        for key, value in overrides.items():
            if key in ("password", "apikey"):
                changes[key] = _secret(value)
            elif key == "port":
                changes[key] = None if value is None else _as_int("port", value)
            elif key in _IDENTITY_KEYS:
                changes[key] = value
            else:
                options[key] = value
        changes["options"] = options
        return replace(self, **changes)

    # Reading -------------------------------------------------------------------------

    @property
    def address(self) -> tuple[str, int | None]:
        """The host and port to talk to: explicit ones, a ``region``, or SMSC's default."""
        default_host, default_port = DEFAULT_HOSTS.get(self.scheme, ("smsc.ru", None))
        host = self.host
        if host is None and "region" in self.options:
            region = str(self.options["region"]).lower()
            if region not in REGION_HOSTS:
                raise ConfigurationError(
                    f"unknown region {region!r}; known: {', '.join(sorted(REGION_HOSTS))}"
                )
            host = default_host.replace("smsc.ru", REGION_HOSTS[region])
        return host or default_host, self.port or default_port

    def require_credentials(self) -> None:
        """Raise :class:`ConfigurationError` unless a login+password or an API key is set."""
        if self.apikey:
            return
        if self.login and self.password:
            return
        raise ConfigurationError(
            f"{self.scheme} settings need a login and password or an API key "
            f"(for example {self.scheme}://login:password@host)"
        )

    def get_str(self, name: str, default: str | None = None) -> str | None:
        """Return option ``name`` as a string, or ``default``."""
        value = self.options.get(name)
        return default if value is None else str(value)

    def get_int(self, name: str, default: int) -> int:
        """Return option ``name`` as an int; a malformed value is a ConfigurationError."""
        value = self.options.get(name)
        return default if value is None else _as_int(name, value)

    def get_float(self, name: str, default: float) -> float:
        """Return option ``name`` as a float; a malformed value is a ConfigurationError."""
        value = self.options.get(name)
        if value is None:
            return default
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise ConfigurationError(f"option {name}={value!r} is not a number") from None
        if math.isnan(result) or result < 0:
            raise ConfigurationError(f"option {name}={value!r} must be a non-negative number")
        return result

    def get_bool(self, name: str, default: bool) -> bool:
        """Return option ``name`` as a bool (1/0, true/false, yes/no, on/off)."""
        value = self.options.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigurationError(f"option {name}={value!r} is not a yes/no value")

    def to_url(self, *, reveal: bool = False) -> str:
        """Return the settings as a URL; secrets are masked unless ``reveal``."""

        def secret_text(secret: Secret | None) -> str:
            if secret is None:
                return ""
            return quote(secret.reveal(), safe="") if reveal else "***"

        userinfo = ""
        if self.login or self.password:
            userinfo = quote(self.login or "", safe="")
            if self.password:
                userinfo += ":" + secret_text(self.password)
            userinfo += "@"
        host, port = self.host or "", self.port
        netloc = userinfo + host + (f":{port}" if port else "")
        query = [
            f"{quote(k, safe='')}={quote(v if reveal else _mask_option(k, v), safe='')}"
            for k, v in ((k, str(v)) for k, v in self.options.items())
        ]
        if self.apikey:
            query.insert(0, "apikey=" + secret_text(self.apikey))
        return f"{self.scheme}://{netloc}" + ("?" + "&".join(query) if query else "")

    def __repr__(self) -> str:
        return f"Settings({self.to_url()!r})"

    __str__ = __repr__


_MALFORMED_URL = (
    "malformed settings URL: the port must be a number 1…65535, and a login or password "
    "holding '/', '?' or '#' must be percent-encoded ('/' as %2F, '?' as %3F, '#' as %23, "
    "'%' as %25; in Python: urllib.parse.quote(password, safe=''))"
)


def _split_in_credentials(path: str, fragment: str, options: Mapping[str, Any]) -> bool:
    """Whether an unencoded '/', '?' or '#' in the login or password split the URL early.

    Then what followed it (``…@host``) lands in the path, the fragment or a query
    parameter's name, where no well-formed settings URL has an '@' or a fragment.
    """
    return "@" in path or bool(fragment) or any("@" in name for name in options)


_SECRET_OPTION = re.compile(r"pass|psw|secret|token|key", re.I)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@/\s]*@")


def host_list(text: str, default_port: int | None) -> tuple[tuple[str, int | None], ...]:
    """Read a comma-separated host list (``backup_hosts``) as ``(host, port)`` pairs.

    Each entry is ``host``, ``host:port``, ``[v6]`` or ``[v6]:port``; a host without a
    port takes ``default_port`` (the main host's). A bad port is a ConfigurationError.
    """
    found = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        host, port = entry, default_port
        if entry.startswith("["):
            host, closing, rest = entry[1:].partition("]")
            if not closing or (rest and not rest.startswith(":")):
                raise ConfigurationError(f"bad host {entry!r} in a host list")
            if rest:
                port = _port(rest[1:], entry)
        elif entry.count(":") == 1:
            host, _, port_text = entry.partition(":")
            port = _port(port_text, entry)
        if not host:
            raise ConfigurationError(f"bad host {entry!r} in a host list")
        found.append((host, port))
    return tuple(found)


def _port(text: str, entry: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and 0 < int(text) < 65536):
        raise ConfigurationError(f"bad port in {entry!r}: a port is a number from 1 to 65535")
    return int(text)


def _mask_option(name: str, value: str) -> str:
    """Hide option values that are secrets, and passwords inside URL-valued options."""
    if _SECRET_OPTION.search(name):
        return "***"
    return _URL_PASSWORD.sub(r"\1***@", value)


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ConfigurationError(f"option {name}={value!r} is not an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"option {name}={value!r} is not an integer") from None


def load_settings(
    config: str | Path | Mapping[str, Any] | Settings | None = None, **overrides: Any
) -> Settings:
    """Return :class:`Settings` from whatever the caller has.

    ``None`` reads the environment; a string with ``://`` is a URL; another string or
    a :class:`~pathlib.Path` is a TOML file; a mapping is read key by key. Keyword
    ``overrides`` win over all of these.
    """
    settings: Settings
    if config is None:
        settings = Settings.from_env()
    elif isinstance(config, Settings):
        settings = config
    elif isinstance(config, Path) or (isinstance(config, str) and "://" not in config):
        settings = Settings.from_toml(config)
    elif isinstance(config, str):
        settings = Settings.from_url(config)
    elif isinstance(config, Mapping):
        settings = Settings.from_mapping(config)
    else:
        raise ConfigurationError(f"cannot read settings from a {type(config).__name__}")
    return settings.with_overrides(**overrides) if overrides else settings
