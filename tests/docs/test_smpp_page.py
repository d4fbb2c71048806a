"""The examples of docs/smpp.md that track recipients and change scheduled messages run,
as written, against the emulator's SMPP front end, and do what the page says."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from smsc_transports import Message, MessageStatus, create_transport
from smsc_transports.emulator import Account, EmulatorState, Limits, ManualClock
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from tests.backends.smpp.conftest import smpp_url

PAGE = Path(__file__).resolve().parents[2] / "docs" / "smpp.md"
BLOCKS: list[str] = re.findall(r"```python\n(.*?)```", PAGE.read_text("utf-8"), re.S)


def example(marker: str) -> str:
    """The one example on the page that contains ``marker``."""
    found = [block for block in BLOCKS if marker in block]
    assert len(found) == 1, f"{marker!r} is in {len(found)} examples of docs/smpp.md"
    return found[0]


def test_the_recipient_and_scheduling_examples_run_and_do_what_they_say() -> None:
    clock = ManualClock()
    rich = Account("demo", "demo", balance=Decimal(1000))
    state = EmulatorState([rich], clock=clock, limits=Limits.unlimited())
    now = datetime.fromtimestamp(clock(), UTC)
    with (
        SmppFrontEnd(state, poll_interval=0.01) as front,
        create_transport(smpp_url(front.port)) as transport,
    ):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(example("one per phone"), {"transport": transport, "Message": Message})
        names: dict[str, Any] = {
            "transport": transport,
            "Message": Message,
            "at_ten": now + timedelta(hours=10),
            "at_eleven": now + timedelta(hours=11),
        }
        exec(example("transport.cancel("), names)
    lines = printed.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["79990000001", "79990000002"]
    assert len({line.split()[1] for line in lines}) == 2  # each its own SMSC id
    account = state.account("demo")
    first, second = names["first"], names["second"]
    replaced = state.status(account, first.id, first.phone)
    assert (replaced.text, replaced.send_timestamp) == (
        "Sale at 11:00",
        (now + timedelta(hours=11)).timestamp(),
    )
    assert state.status(account, second.id, second.phone).status is MessageStatus.STOPPED
