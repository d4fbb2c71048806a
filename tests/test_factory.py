"""create_transport(): scheme -> backend, including third-party entry-point backends.

The third-party backend is real: a module and a ``*.dist-info`` directory written into
``tmp_path`` and put on ``sys.path``, so ``importlib.metadata`` discovers its entry
point exactly as it would for an installed package.
"""

from __future__ import annotations

import ast
import asyncio
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smsc_transports import (
    AsyncTransport,
    ConfigurationError,
    Message,
    SendResult,
    Transport,
    create_async_transport,
    create_transport,
    factory,
)
from smsc_transports.adapters import LoopThreadTransport, ThreadedAsyncTransport
from smsc_transports.backends.http import HttpTransport
from smsc_transports.backends.smpp import SmppTransport
from smsc_transports.backends.smtp import AsyncSmtpTransport
from smsc_transports.backends.soap import SoapTransport
from smsc_transports.factory import COMMON_OPTIONS, ENTRY_POINT_GROUP, known_schemes

PLUGIN_SOURCE = textwrap.dedent(
    '''
    """A third-party smsc_transports backend, as a plugin package would ship it."""

    from smsc_transports import AsyncTransport, SendResult, Transport


    class EchoTransport(Transport):
        protocol = "test-echo"
        schemes = ("test-echo",)

        def __init__(self, settings):
            self.settings = settings

        @classmethod
        def from_settings(cls, settings):
            return cls(settings)

        def send(self, message):
            s = self.settings
            return SendResult(
                id=f"{s.login}@{s.host}:{message.text}:{s.options.get('flavour', '-')}",
                parts=1,
                transport=self.protocol,
            )


    class StrictEchoTransport(EchoTransport):
        protocol = "test-strict-echo"
        schemes = ("test-strict-echo",)
        option_names = frozenset({"flavour"})


    class AsyncEchoTransport(AsyncTransport):
        protocol = "test-async-echo"
        schemes = ("test-async-echo",)

        def __init__(self, settings):
            self.settings = settings
            self.closed = False

        @classmethod
        def from_settings(cls, settings):
            return cls(settings)

        async def send(self, message):
            return SendResult(id=f"async:{message.text}", parts=1, transport=self.protocol)


    class NotATransport:
        schemes = ("test-not-transport",)

        @classmethod
        def from_settings(cls, settings):
            return cls()
    '''
)

Install = Callable[[dict[str, str]], str]


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """Return a function that installs the plugin with the given entry points.

    Each entry maps an entry-point name to ``"Class"`` (in the plugin module) or to a
    full ``"module:Class"`` target. Returns the plugin's module name.
    """
    module = f"smsc_test_plugin_{uuid.uuid4().hex}"

    def install(entries: dict[str, str]) -> str:
        (tmp_path / f"{module}.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
        dist_info = tmp_path / "something-0.1.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: something\nVersion: 0.1\n", encoding="utf-8"
        )
        lines = [f"[{ENTRY_POINT_GROUP}]"]
        for name, target in entries.items():
            lines.append(f"{name} = {target if ':' in target else f'{module}:{target}'}")
        (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        return module

    yield install
    sys.modules.pop(module, None)


MESSAGE = Message(phones="79991234567", text="hi")


def test_an_unknown_scheme_is_a_configuration_error_listing_known_schemes() -> None:
    with pytest.raises(ConfigurationError, match="'nope'") as excinfo:
        create_transport("nope://u:p@host")
    text = str(excinfo.value)
    assert "https" in text
    assert "smpp" in text


def test_an_unknown_scheme_is_refused_by_the_async_factory_too() -> None:
    with pytest.raises(ConfigurationError, match="'nope'"):
        create_async_transport("nope://u:p@host")


def test_known_schemes_cover_every_documented_protocol() -> None:
    documented = {"https", "http", "smpp", "smpps", "smtp", "smtps", "soap", "soap+https"}
    assert documented <= set(known_schemes())


def test_an_entry_point_backend_is_built_by_create_transport(install_plugin: Install) -> None:
    module = install_plugin({"test-echo": "EchoTransport"})
    assert "test-echo" in known_schemes()
    with create_transport("test-echo://u:p@host?flavour=x") as transport:
        assert isinstance(transport, Transport)
        assert type(transport).__name__ == "EchoTransport"
        assert type(transport).__module__ == module
        result = transport.send(MESSAGE)
    assert result == SendResult(id="u@host:hi:x", parts=1, transport="test-echo")


def test_a_plugin_never_takes_over_a_built_in_scheme(install_plugin: Install) -> None:
    # What lets create_transport skip the scan of entry points for a built-in scheme.
    install_plugin({"https": "EchoTransport", "smpp": "EchoTransport"})
    assert factory._registry()["https"] == "smsc_transports.backends.http:HttpTransport"
    assert factory._registry()["smpp"] == "smsc_transports.backends.smpp:SmppTransport"
    with create_transport("https://u:p@127.0.0.1:1") as transport:
        assert isinstance(transport, HttpTransport)


def test_an_entry_point_backend_gets_mapping_config_and_overrides(
    install_plugin: Install,
) -> None:
    install_plugin({"test-echo": "EchoTransport"})
    transport = create_transport({"scheme": "test-echo", "login": "m"}, host="h2", flavour="y")
    assert transport.send(MESSAGE).id == "m@h2:hi:y"


def test_create_async_transport_wraps_a_sync_entry_point_backend(install_plugin: Install) -> None:
    install_plugin({"test-echo": "EchoTransport"})
    transport = create_async_transport("test-echo://u:p@host?async_workers=2")
    assert isinstance(transport, AsyncTransport)
    assert isinstance(transport, ThreadedAsyncTransport)
    assert transport.protocol == "test-echo"

    async def main() -> SendResult:
        async with transport:
            return await transport.send(MESSAGE)

    assert asyncio.run(main()).id == "u@host:hi:-"


def test_create_transport_wraps_an_async_entry_point_backend(install_plugin: Install) -> None:
    install_plugin({"test-async-echo": "AsyncEchoTransport"})
    with create_transport("test-async-echo://u:p@host") as transport:
        assert isinstance(transport, LoopThreadTransport)
        assert transport.send(MESSAGE).id == "async:hi"


def test_create_async_transport_returns_an_async_entry_point_backend_as_is(
    install_plugin: Install,
) -> None:
    install_plugin({"test-async-echo": "AsyncEchoTransport"})
    transport = create_async_transport("test-async-echo://u:p@host")
    assert type(transport).__name__ == "AsyncEchoTransport"
    assert asyncio.run(transport.send(MESSAGE)).id == "async:hi"


@pytest.mark.parametrize(
    "target",
    ["MissingClass", "smsc_no_such_module_xyz:EchoTransport"],
    ids=["missing-class", "missing-module"],
)
def test_an_entry_point_to_something_missing_is_a_configuration_error(
    install_plugin: Install, target: str
) -> None:
    install_plugin({"test-broken": target})
    with pytest.raises(ConfigurationError, match="cannot be loaded"):
        create_transport("test-broken://u:p@host")


def test_an_entry_point_to_a_non_transport_class_is_a_configuration_error(
    install_plugin: Install,
) -> None:
    install_plugin({"test-not-transport": "NotATransport"})
    with pytest.raises(ConfigurationError, match="not a Transport"):
        create_transport("test-not-transport://u:p@host")


def test_a_broken_third_party_backend_does_not_break_other_schemes(
    install_plugin: Install,
) -> None:
    # One badly packaged plugin must not make every other scheme (built-in ones
    # included) unusable; only its own scheme should fail.
    install_plugin({"test-echo": "EchoTransport", "test-broken": "MissingClass"})
    transport = create_transport("test-echo://u:p@host")
    assert transport.send(MESSAGE).id == "u@host:hi:-"
    assert "https" in known_schemes()


@pytest.mark.parametrize("factory", [create_transport, create_async_transport])
def test_no_config_and_no_smsc_url_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, factory: Callable[[], object]
) -> None:
    monkeypatch.delenv("SMSC_URL", raising=False)
    with pytest.raises(ConfigurationError, match="SMSC_URL"):
        factory()


def test_no_config_reads_smsc_url(monkeypatch: pytest.MonkeyPatch, install_plugin: Install) -> None:
    install_plugin({"test-echo": "EchoTransport"})
    monkeypatch.setenv("SMSC_URL", "test-echo://env:p@envhost")
    for name in ("SMSC_LOGIN", "SMSC_PASSWORD", "SMSC_APIKEY"):
        monkeypatch.delenv(name, raising=False)
    assert create_transport().send(MESSAGE).id == "env@envhost:hi:-"


@pytest.mark.parametrize(
    ("url", "suggestion"),
    [
        ("https://login:pw@127.0.0.1:1?tiemout=3", "timeout"),
        ("soap://login:pw@127.0.0.1:1?concurency=2", "concurrency"),
        ("smpp://login:pw@127.0.0.1:1?windw=128", "window"),
        ("smtp://login:pw@127.0.0.1:1?status_vai=https://l:p@127.0.0.1:2", "status_via"),
    ],
)
def test_a_misspelt_option_is_refused_naming_the_one_meant(url: str, suggestion: str) -> None:
    with pytest.raises(ConfigurationError, match=f"did you mean '{suggestion}'") as caught:
        create_transport(url)
    assert "pw" not in str(caught.value)
    with pytest.raises(ConfigurationError, match=f"did you mean '{suggestion}'"):
        create_async_transport(url)


def test_an_option_nothing_resembles_is_refused_with_the_list_of_options() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown option 'colour'.*batch_phones"):
        create_transport("https://login:pw@127.0.0.1:1?colour=red")


def test_options_every_scheme_takes_are_accepted() -> None:
    transport = create_transport("https://login:pw@127.0.0.1:1?region=kz&async_workers=2")
    transport.close()


def test_a_plugin_that_declares_its_options_gets_them_checked(install_plugin: Install) -> None:
    install_plugin({"test-strict-echo": "StrictEchoTransport", "test-echo": "EchoTransport"})
    assert create_transport("test-strict-echo://u:p@h?flavour=x").send(MESSAGE).id == "u@h:hi:x"
    with pytest.raises(ConfigurationError, match="did you mean 'flavour'"):
        create_transport("test-strict-echo://u:p@h?flavor=x")
    # One that declares nothing takes anything, as before.
    assert create_transport("test-echo://u:p@h?flavor=x").send(MESSAGE).id == "u@h:hi:-"


# Where each built-in backend reads its options, and the calls that read one by name.
BACKEND_SOURCES = {
    "https": ["backends/http"],
    "soap": ["backends/soap", "backends/http/client.py"],
    "smtp": ["backends/smtp"],
    "smpp": ["backends/smpp", "wire/smpp/session/options.py"],
}
BACKENDS: dict[str, type[Transport] | type[AsyncTransport]] = {
    "https": HttpTransport,
    "soap": SoapTransport,
    "smtp": AsyncSmtpTransport,
    "smpp": SmppTransport,
}
READERS = {"get_str", "get_int", "get_float", "get_bool", "_choice", "_address", "_optional_int"}


def _reads_an_option(node: ast.AST) -> str | None:
    """The option name ``node`` reads (``get_int("window", 64)``, ``"x" in s.options``)."""
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        on_options = isinstance(func, ast.Attribute) and "options" in ast.unparse(func.value)
        named = [
            a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
        ]
        if named and (name in READERS or (name == "get" and on_options)):
            return named[0]
    if (
        isinstance(node, ast.Compare)
        and any(isinstance(op, ast.In) for op in node.ops)
        and isinstance(node.left, ast.Constant)
        and "options" in ast.unparse(node)
    ):
        return str(node.left.value)
    return None


def _option_names_read(paths: list[str]) -> set[str]:
    root = Path(__file__).resolve().parent.parent / "smsc_transports"
    files = [
        file
        for path in paths
        for file in ([root / path] if path.endswith(".py") else (root / path).rglob("*.py"))
    ]
    return {
        name
        for file in files
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8")))
        if (name := _reads_an_option(node)) is not None
    }


@pytest.mark.parametrize("scheme", sorted(BACKEND_SOURCES))
def test_every_option_a_backend_reads_is_declared(scheme: str) -> None:
    read = _option_names_read(BACKEND_SOURCES[scheme])
    assert len(read) >= 3  # the scan finds what it is meant to find
    declared = BACKENDS[scheme].option_names
    assert declared is not None
    assert read <= declared | COMMON_OPTIONS, sorted(read - declared - COMMON_OPTIONS)
