"""One interface over four protocols: the same scenarios, the same results.

Every scenario is played against a fresh emulator over each protocol, through
``create_transport(url)`` and through ``create_async_transport(url)``, with nothing but
the URL changing. Each must record what HTTP records (the scenario's ``expected``),
except where its protocol cannot report something; there it must raise
``UnsupportedOperation`` naming the protocols that can (see ``stage.PROFILES``).
``docs/conformance.md`` is the table of these observations.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from smsc_transports import Capability, Message, UnsupportedOperation
from tests.conformance.observations import as_seen_by
from tests.conformance.scenarios import SCENARIOS, Scenario
from tests.conformance.stage import (
    ASKED,
    COMPANION_ASKS,
    MODES,
    PROFILES,
    Mode,
    Profile,
    Stage,
    play,
)
from tests.conformance.table import (
    PAGE,
    WRITE_VARIABLE,
    Observations,
    render_page,
    rows,
)


def _name(item: Scenario | Profile) -> str:
    return item.name if isinstance(item, Scenario) else item.key


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("profile", PROFILES, ids=_name)
@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=_name)
def test_each_protocol_records_what_http_records_where_it_can(
    observations: Observations, scenario: Scenario, profile: Profile, mode: Mode
) -> None:
    expected = as_seen_by(scenario.expected, profile)
    assert observations.get(scenario, profile, mode) == expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("profile", PROFILES, ids=_name)
def test_capabilities_announce_exactly_the_operations_that_answer(
    profile: Profile, mode: Mode
) -> None:
    async def announced(stage: Stage) -> frozenset[Capability]:
        async with stage.transport() as transport:
            return transport.capabilities

    capabilities = play(announced, profile, mode)
    assert {Capability.SEND, Capability.BULK} <= capabilities
    assert {op for op in ASKED if Capability(op) in capabilities} == profile.asks


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("profile", PROFILES, ids=_name)
def test_an_unsupported_operation_suggests_a_companion_only_where_one_can_do_it(
    profile: Profile, mode: Mode
) -> None:
    # Reproduced first: every refusal said "or configure a companion transport", over
    # SOAP and SMPP too (which have none), and for SMTP's raw (which its companion
    # does not do).
    phone = "79990000001"

    async def refusals(stage: Stage) -> dict[str, str]:
        async with stage.transport() as t:
            calls: dict[str, Callable[[], Awaitable[Any]]] = {
                "cost": lambda: t.cost(Message([phone], "hi")),
                "status": lambda: t.status("1", phone),
                "balance": t.balance,
                "cancel": lambda: t.cancel("1", phone),
                "replace": lambda: t.replace("1", phone, "hi"),
                "history": t.history,
                "incoming": t.incoming,
                "senders": t.senders,
                "delete": lambda: t.delete("1", phone),
                "operator": lambda: t.operator(phone),
                "jobs": t.jobs,
                "raw": lambda: t.raw("balance", {}),
            }
            texts: dict[str, str] = {}
            for operation in ASKED:
                if operation not in stage.profile.asks:
                    with pytest.raises(UnsupportedOperation) as caught:
                        await calls[operation]()
                    texts[operation] = str(caught.value)
            return texts

    texts = play(refusals, profile, mode)
    assert set(texts) == set(ASKED) - profile.asks
    by_companion = COMPANION_ASKS if profile.key == "smtp" else frozenset()
    assert {op for op, text in texts.items() if "status_via" in text} == by_companion
    assert not [text for text in texts.values() if "companion" in text]


def test_the_async_transports_fill_the_same_table(observations: Observations) -> None:
    for row in rows():
        scenario = SCENARIOS[row.scenario]
        for profile in PROFILES:
            sync = row.cell(scenario, profile, observations.get(scenario, profile, "sync"))
            native = row.cell(scenario, profile, observations.get(scenario, profile, "async"))
            assert (row.title, profile.key, native) == (row.title, profile.key, sync)


def test_the_docs_table_is_what_the_suite_observes(observations: Observations) -> None:
    page = render_page(observations)
    if os.environ.get(WRITE_VARIABLE) == "1":
        PAGE.write_text(page, encoding="utf-8")
    assert PAGE.read_text("utf-8") == page, (
        f"docs/conformance.md is stale; regenerate it: {WRITE_VARIABLE}=1 pytest tests/conformance"
    )
