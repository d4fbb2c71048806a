"""The public contract DESIGN.md promises: names, fields, methods and the typing marker."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
import typing
from datetime import datetime
from decimal import Decimal
from importlib import resources

import pytest

import smsc_transports
from smsc_transports import (
    AsyncTransport,
    Balance,
    Capability,
    CostResult,
    Message,
    MessageKind,
    SendResult,
    StatusResult,
    Transport,
)

# DESIGN.md, "Public contract".
CONTRACT_NAMES = [
    "create_transport",
    "create_async_transport",
    "Message",
    "MessageKind",
    "SendResult",
    "CostResult",
    "StatusResult",
    "Balance",
    "MessageStatus",
    "DeliveryError",
    "Capability",
    "SMSCError",
    "TransportError",
    "APIError",
    "UnsupportedOperation",
    "ValidationError",
]


@pytest.mark.parametrize("name", smsc_transports.__all__)
def test_every_name_in_all_imports(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from smsc_transports import {name}", namespace)
    assert namespace[name] is getattr(smsc_transports, name)


def test_all_has_no_duplicates() -> None:
    assert len(set(smsc_transports.__all__)) == len(smsc_transports.__all__)


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_the_design_contract_names_are_public(name: str) -> None:
    assert name in smsc_transports.__all__
    assert hasattr(smsc_transports, name)


def test_py_typed_ships_in_the_package_directory() -> None:
    marker = resources.files("smsc_transports") / "py.typed"
    assert marker.is_file()


def test_the_version_is_a_string() -> None:
    assert isinstance(smsc_transports.__version__, str)
    assert smsc_transports.__version__.count(".") >= 1


@pytest.mark.parametrize(
    "name", ["SMS", "FLASH", "PUSH", "HLR", "BIN", "BIN_HEX", "PING", "MMS", "MAIL", "CALL"]
)
def test_message_kinds_named_in_the_contract_exist(name: str) -> None:
    assert name in MessageKind.__members__


def test_message_kinds_carry_smsc_format_numbers() -> None:
    # smsc-protocol.md §1.4: 0 SMS, 1 flash, 2 wap-push, 3 hlr, 4 bin, 5 bin-hex, 6 ping,
    # 7 mms, 8 mail, 9 call, 10 viber, 11 soc, 12 bot, 13 telegram.
    assert [int(kind) for kind in MessageKind] == list(range(14))
    assert (MessageKind.VIBER, MessageKind.SOC) == (10, 11)


@pytest.mark.parametrize("name", ["SEND", "COST", "STATUS", "BALANCE", "RECEIPTS", "BULK"])
def test_capabilities_named_in_the_contract_exist(name: str) -> None:
    assert name in Capability.__members__


def test_message_takes_the_contract_arguments_in_order() -> None:
    parameters = list(inspect.signature(Message).parameters)
    assert parameters == [
        "phones",
        "text",
        "sender",
        "id",
        "kind",
        "translit",
        "send_at",
        "valid",
        "extra",
        # Added after the contract, keyword-only so that no positional call changes.
        "tz",
        "max_parts",
        "subject",
        "voice",
        "call_params",
        "spread_over",
        "spread_every",
        "short_links",
        "partner_id",
        "user_ip",
        "data",
        "attachments",
    ]


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (SendResult, {"id", "parts", "cost", "balance", "phones", "transport", "raw"}),
        (CostResult, {"cost", "parts"}),
        (
            StatusResult,
            {"id", "phone", "status", "error", "changed_at", "sent_at", "hlr", "raw"},
        ),
        (Balance, {"amount", "currency", "credit"}),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_results_have_the_contract_fields(cls: type, fields: set[str]) -> None:
    assert fields <= {f.name for f in dataclasses.fields(cls)}


def test_money_is_decimal_times_are_datetimes_and_ids_are_str() -> None:
    send = typing.get_type_hints(SendResult)
    status = typing.get_type_hints(StatusResult)
    assert send["id"] is str
    assert send["cost"] == Decimal | None
    assert typing.get_type_hints(Balance)["amount"] is Decimal
    assert typing.get_type_hints(CostResult)["cost"] is Decimal
    assert status["id"] is str
    assert status["changed_at"] == datetime | None


@pytest.mark.parametrize(
    "method", ["send", "send_many", "cost", "status", "balance", "close", "__enter__", "__exit__"]
)
def test_transport_has_the_contract_methods(method: str) -> None:
    assert callable(getattr(Transport, method))


@pytest.mark.parametrize("method", ["send", "cost", "status", "balance", "aclose", "__aenter__"])
def test_async_transport_has_the_same_operations_as_coroutines(method: str) -> None:
    assert inspect.iscoroutinefunction(getattr(AsyncTransport, method))


def test_async_send_many_is_an_async_generator() -> None:
    assert inspect.isasyncgenfunction(AsyncTransport.send_many)


def test_both_transports_declare_capabilities() -> None:
    assert Capability.SEND in Transport.capabilities
    assert Capability.SEND in AsyncTransport.capabilities


def test_importing_the_package_does_not_import_backend_dependencies() -> None:
    # The factory imports a backend only when its scheme is used, so an unused
    # protocol's dependency is never loaded (tools/wheel_smoke.py checks the wheel too).
    heavy = ("smpplib", "zeep", "aiosmtplib", "aiosmtpd", "lxml", "requests")
    code = f"import sys, smsc_transports; print(sorted(m for m in {heavy} if m in sys.modules))"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert completed.stdout.strip() == "[]"
