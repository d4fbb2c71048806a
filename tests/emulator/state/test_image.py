"""The state as plain JSON values and back (snapshots), and the scaled clock."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from smsc_transports.emulator.state import Account, EmulatorState, ManualClock, SendRequest
from smsc_transports.emulator.state.clock import ScaledClock
from smsc_transports.statuses import MessageStatus


def test_a_snapshot_round_trips_accounts_messages_and_numbering() -> None:
    clock = ManualClock()
    state = EmulatorState(
        [Account("a", "pw", apikey="K", credit=Decimal("5"), senders=("X",))], clock=clock
    )
    account = state.authenticate("a", "pw")
    request = SendRequest(
        phones=("79990000001", "79990001249"), text="hi", options=(("voice", "w"),)
    )
    sent = state.send(account, request)
    state.add_incoming("a", "79991112233", "yo")
    group = state.add_group("a", ["79990000003", "79990000004"])
    clock.advance(1.5)
    state.force_status("a", sent.id or "", "79990000001", MessageStatus.READ)
    image = json.loads(json.dumps(state.snapshot()))

    again = EmulatorState(clock=ManualClock(clock()))
    again.restore(image)
    restored = again.authenticate("", "", apikey="K")
    first = again.status(restored, "1", "79990000001")
    assert (first.status, first.options) == (MessageStatus.READ, (("voice", "w"),))
    again.clock.advance(5)  # type: ignore[attr-defined]
    assert again.status(restored, "1", "79990001249").status == MessageStatus.INVALID_NUMBER
    assert again.account_balance("a").balance == Decimal("97.20")
    assert [m.text for m in again.incoming(restored)] == ["yo"]
    assert again.send(restored, SendRequest(phones=("79990000002",), text="x")).id == "2"
    to_group = again.send(restored, SendRequest(phones=(f"G{group}",), text="to the group"))
    assert sorted(p.phone for p in to_group.phones) == ["79990000003", "79990000004"]


def test_a_snapshot_keeps_short_links_jobs_and_sender_names_and_numbers_after_them() -> None:
    clock = ManualClock()
    state = EmulatorState([Account("a", "pw", senders=("Shop",))], clock=clock)
    account = state.authenticate("a", "pw")
    link_send = SendRequest(phones=("79990000001",), text="see https://x.example", tinyurl=True)
    state.send(account, link_send)
    (code,) = re.findall(r"/t/([0-9a-f]{6})", state.status(account, "1", "79990000001").text)
    clock.advance(3)
    assert state.click(code) == "https://x.example"
    job = state.add_job(account, "sale", SendRequest(phones=("79990000002",), text="j", time="+5"))
    for name in ("79990000008", "79990000009"):
        state.add_sender(account, name)
        state.send_sender_code(account, name)
    confirm = state.sender_code("a", "79990000008")
    assert confirm is not None
    state.confirm_sender(account, "79990000008", confirm)
    pending = state.sender_code("a", "79990000009")
    image = json.loads(json.dumps(state.snapshot()))

    again = EmulatorState(clock=ManualClock(clock()))
    again.restore(image)
    restored = again.account("a")
    assert again.status(restored, "1", "79990000001").status == MessageStatus.LINK_CLICKED
    stats = again.short_link(restored, link=code)
    assert stats is not None and (stats.id, stats.clicks, stats.url) == (1, 1, "https://x.example")
    assert [(j.id, j.name, status) for j, status in again.jobs(restored)] == [(job.id, "sale", 0)]
    assert again.senders(restored) == ("Shop", "79990000008")
    assert again.sender_code("a", "79990000009") == pending
    # New links and jobs are numbered after the kept ones; a new code is not a kept one.
    again.send(restored, link_send)
    new_stats = again.short_link(restored, id=2)
    assert new_stats is not None and new_stats.link != stats.link
    later = again.add_job(restored, "next", SendRequest(phones=("79990000003",), text="k"))
    assert later.id == job.id + 1


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda i: i.update(version=9), "version 1"),
        (lambda i: i["accounts"][0].update(balance="lots"), "accounts[0].balance"),
        (lambda i: i["recipients"][0].update(steps="never"), "recipients[0].steps"),
        (lambda i: i["recipients"][0].update(login="ghost"), "no account 'ghost'"),
    ],
)
def test_a_damaged_snapshot_changes_nothing(damage: object, said: str) -> None:
    state = EmulatorState([Account("a", "pw")], clock=ManualClock())
    state.send(state.authenticate("a", "pw"), SendRequest(phones=("79990000001",), text="hi"))
    image = json.loads(json.dumps(state.snapshot()))
    damage(image)  # type: ignore[operator]
    fresh = EmulatorState(clock=ManualClock())
    with pytest.raises(ValueError, match=said.replace("[", r"\[").replace("]", r"\]")):
        fresh.restore(image)
    assert fresh.logins() == ("demo",)


def test_a_scaled_clock_runs_at_its_speed_and_moves_forward_only() -> None:
    now = [100.0]
    clock = ScaledClock(60, start=1_700_000_000, source=lambda: now[0])
    now[0] += 2
    assert clock() == 1_700_000_120
    assert clock.advance(30) == 1_700_000_150
    with pytest.raises(ValueError, match="forward"):
        clock.set(1_600_000_000)
    stopped = ScaledClock(0, start=5, source=lambda: now[0])
    now[0] += 1000
    assert stopped() == 5
    stopped.resume(3)  # a snapshot's time, before serving
    assert stopped() == 3


def test_numbering_after_a_snapshot_never_reuses_a_kept_message_s_id() -> None:
    state = EmulatorState([Account("a", "pw")], clock=ManualClock())
    account = state.authenticate("a", "pw")
    for phone in ("79990000001", "79990000002"):
        state.send(account, SendRequest(phones=(phone,), text="kept"))
    image = json.loads(json.dumps(state.snapshot()))
    # A file edited by hand (or an older writer) whose counters lag behind its messages.
    image["next_ids"], image["next_int_id"] = {"a": 1}, 1

    again = EmulatorState(clock=ManualClock())
    again.restore(image)
    restored = again.authenticate("a", "pw")
    sent = again.send(restored, SendRequest(phones=("79990000001",), text="new"))
    assert sent.id == "3"
    assert again.status(restored, "1", "79990000001").text == "kept"
    int_ids = [recipient["int_id"] for recipient in again.snapshot()["recipients"]]
    assert sorted(int_ids) == [1, 2, 3]
