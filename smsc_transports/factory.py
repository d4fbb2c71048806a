"""Build the right transport from configuration: ``create_transport(url)``.

Each scheme names the module and class that implement it; the module is imported only
when the scheme is used, so an unused backend's dependency is never loaded. Third-party
backends register through the entry point group ``smsc_transports.backends``: the
entry point's name is the URL scheme (``mysms = "package.module:Class"``); register one
entry point per scheme. Only the backend of the scheme in use is imported, so a broken
plugin cannot break the other schemes.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from smsc_transports.adapters import LoopThreadTransport, ThreadedAsyncTransport
from smsc_transports.config import Settings, load_settings
from smsc_transports.errors import ConfigurationError
from smsc_transports.observe import Observer
from smsc_transports.transport import AsyncTransport, Transport

__all__ = [
    "COMMON_OPTIONS",
    "ENTRY_POINT_GROUP",
    "check_options",
    "create_async_transport",
    "create_transport",
    "known_schemes",
]

ENTRY_POINT_GROUP = "smsc_transports.backends"

# scheme -> "module:Class". Sync classes subclass Transport, async ones AsyncTransport;
# the factory adapts whichever a caller did not get natively.
_BUILTIN: dict[str, str] = {
    "https": "smsc_transports.backends.http:HttpTransport",
    "http": "smsc_transports.backends.http:HttpTransport",
    "smpp": "smsc_transports.backends.smpp:SmppTransport",
    "smpps": "smsc_transports.backends.smpp:SmppTransport",
    "smtp": "smsc_transports.backends.smtp:AsyncSmtpTransport",
    "smtps": "smsc_transports.backends.smtp:AsyncSmtpTransport",
    "soap": "smsc_transports.backends.soap:SoapTransport",
    "soap+https": "smsc_transports.backends.soap:SoapTransport",
    "soap+http": "smsc_transports.backends.soap:SoapTransport",
}

# Schemes whose backend also has a native asyncio class, preferred by
# create_async_transport over running the sync class in a thread pool.
_NATIVE_ASYNC: dict[str, str] = {
    "smpp": "smsc_transports.backends.smpp:AsyncSmppTransport",
    "smpps": "smsc_transports.backends.smpp:AsyncSmppTransport",
}

Config = str | Path | Mapping[str, Any] | Settings | None

# Options any scheme takes: read by the settings themselves or by this factory.
COMMON_OPTIONS = frozenset({"region", "path", "async_workers"})


def _registry() -> dict[str, str]:
    table = dict(_BUILTIN)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        table.setdefault(entry.name.lower(), entry.value)
    return table


def known_schemes() -> list[str]:
    """Return every scheme a transport can be built for, built-in and installed."""
    return sorted(_registry())


def _import(target: str) -> type[Transport] | type[AsyncTransport]:
    module_name, _, class_name = target.partition(":")
    try:
        backend = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"backend {target} cannot be loaded: {exc}") from exc
    if not (isinstance(backend, type) and issubclass(backend, Transport | AsyncTransport)):
        raise ConfigurationError(f"{target} is not a Transport or AsyncTransport class")
    return backend


def _backend_for(settings: Settings) -> type[Transport] | type[AsyncTransport]:
    # A built-in scheme is never taken over by a plugin (_registry keeps ours first), so
    # it needs no scan of the installed packages' entry points: that reads every
    # distribution's metadata, 5 ms a transport in a large environment.
    target = _BUILTIN.get(settings.scheme)
    if target is not None:
        return _import(target)
    table = _registry()
    target = table.get(settings.scheme)
    if target is None:
        raise ConfigurationError(
            f"unknown scheme {settings.scheme!r}; known schemes: {', '.join(sorted(table))}"
        )
    return _import(target)


def check_options(backend: type[Transport] | type[AsyncTransport], settings: Settings) -> None:
    """Refuse an option ``backend`` does not read, naming the closest one it does.

    A misspelt option (``?tiemout=3``) would otherwise be ignored and its default used
    without a word. Backends that declare no ``option_names`` are not checked.
    """
    known = backend.option_names
    if known is None:
        return
    known = known | COMMON_OPTIONS
    unknown = sorted(set(settings.options) - known)
    if not unknown:
        return
    name = unknown[0]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigurationError(
        f"unknown option {name!r} for {settings.scheme}://{hint}; "
        f"the options it takes: {', '.join(sorted(known))}"
    )


def _built(
    backend: type[Transport] | type[AsyncTransport], settings: Settings, observer: Observer | None
) -> Transport | AsyncTransport:
    transport = backend.from_settings(settings)
    if observer is not None:
        transport.observe(observer)
    return transport


def create_transport(
    config: Config = None, *, observer: Observer | None = None, **overrides: Any
) -> Transport:
    """Return a synchronous transport for ``config`` (a URL, mapping, Settings, TOML path).

    With no ``config``, ``SMSC_URL`` from the environment is used. Keyword overrides
    win over the configuration (``create_transport(url, timeout=5)``). ``observer``
    hears what the transport does (:mod:`smsc_transports.observe`).
    """
    settings = load_settings(config, **overrides)
    backend = _backend_for(settings)
    check_options(backend, settings)
    transport = _built(backend, settings, observer)
    if isinstance(transport, Transport):
        return transport
    return LoopThreadTransport(transport)


def create_async_transport(
    config: Config = None, *, observer: Observer | None = None, **overrides: Any
) -> AsyncTransport:
    """Return an asyncio transport for ``config``; see :func:`create_transport`.

    A backend written synchronously runs in a thread pool of ``async_workers``
    threads (default 8).
    """
    settings = load_settings(config, **overrides)
    native = _NATIVE_ASYNC.get(settings.scheme)
    backend = _import(native) if native else _backend_for(settings)
    check_options(backend, settings)
    transport = _built(backend, settings, observer)
    if isinstance(transport, AsyncTransport):
        return transport
    workers = settings.get_int("async_workers", 8)
    return ThreadedAsyncTransport(transport, max_workers=workers)
