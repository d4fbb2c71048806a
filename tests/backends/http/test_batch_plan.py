"""plan_jobs: which messages share a send.php request (sans-I/O: planning makes no request)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from operator import attrgetter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import Message, MessageKind
from smsc_transports.backends.http.batch import _SHARED_FIELDS, Job, _shared_options, plan_jobs
from smsc_transports.message import CallParams

# For each option: what both messages have, and what the second one changes. Two messages
# that differ in any one of them must never share a request: the request carries the
# first one's options.
CALL = {"kind": MessageKind.CALL}
DIFFERENCES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "sender": ({}, {"sender": "Shop"}),
    "kind": ({}, {"kind": MessageKind.FLASH}),
    "translit": ({}, {"translit": 1}),
    "send_at": ({}, {"send_at": "+60"}),
    "valid": ({}, {"valid": timedelta(hours=1)}),
    "extra": ({}, {"extra": {"fmt_extra": "1"}}),
    "tz": ({"send_at": "1012261200"}, {"tz": 3}),
    "max_parts": ({}, {"max_parts": 2}),
    "subject": ({"kind": MessageKind.MMS}, {"subject": "Hello"}),
    "voice": (CALL, {"voice": "w"}),
    "call_params": (CALL, {"call_params": CallParams(wait=30)}),
    "spread_over": ({}, {"spread_over": timedelta(hours=2)}),
    "spread_every": (
        {"spread_over": timedelta(hours=2)},
        {"spread_every": timedelta(minutes=30)},
    ),
    "short_links": ({}, {"short_links": True}),
    "partner_id": ({}, {"partner_id": "p1"}),
    "user_ip": ({}, {"user_ip": "192.0.2.7"}),
    "data": ({"kind": MessageKind.BIN, "data": b"\x00\x01"}, {"data": b"\x00\x02"}),
}
# Fields that are each message's own: recipients, text, the caller's id and files (a
# message with an id or files is sent alone, so they never decide a shared request).
OWN = {"phones", "text", "id", "attachments"}


def test_every_message_field_is_either_its_own_or_an_option_that_splits_requests() -> None:
    names = {field.name for field in dataclasses.fields(Message)}
    assert names == OWN | set(DIFFERENCES)


@pytest.mark.parametrize("name", sorted(DIFFERENCES))
def test_messages_whose_options_differ_never_share_a_request(name: str) -> None:
    common, changed = DIFFERENCES[name]
    text = "" if "data" in common else "Same text"
    first = Message("79120000001", text, **common)
    second = Message("79120000002", text, **{**common, **changed})
    assert getattr(first, name) != getattr(second, name)
    assert [job.messages for job in plan_jobs([first, second])] == [(first,), (second,)]
    # The same two with equal options share one.
    twin = Message("79120000003", text, **common)
    assert [job.messages for job in plan_jobs([first, twin])] == [(first, twin)]


def test_the_options_key_holds_every_shared_field_as_attrgetter_reads_it() -> None:
    # Every option set away from its default, so that a field read wrongly shows.
    message = Message(
        "79120000001",
        "text",
        sender="Shop",
        translit=1,
        send_at="+60",
        valid=timedelta(hours=1),
        max_parts=2,
        spread_over=timedelta(hours=2),
        spread_every=timedelta(minutes=30),
        short_links=True,
        partner_id="p1",
        user_ip="192.0.2.7",
    )
    assert _shared_options(message) == attrgetter(*_SHARED_FIELDS)(message)
    assert len(_SHARED_FIELDS) > 2


@pytest.mark.parametrize(
    ("message", "sending"),
    [
        (Message("79120000002", "with id", id="own-1"), True),
        (Message("79120000002", "two\nlines"), True),
        (Message("79120000002", "carriage\rreturn"), True),
        (Message("79120000002", "two\nlines"), False),
    ],
)
def test_a_message_that_cannot_share_goes_alone(message: Message, sending: bool) -> None:
    others = [Message("79120000001", "plain"), Message("79120000003", "plain")]
    jobs = plan_jobs([others[0], message, others[1]], sending=sending)
    assert [job.messages for job in jobs] == [(message,), tuple(others)]
    assert [job.positions for job in jobs] == [(1,), (0, 2)]


def test_a_priced_message_with_its_own_id_shares_a_request() -> None:
    messages = [Message("79120000001", "a", id="own-1"), Message("79120000002", "a", id="own-2")]
    assert [job.messages for job in plan_jobs(messages, sending=False)] == [tuple(messages)]


def test_a_run_of_alike_messages_fills_a_request_then_opens_the_next() -> None:
    a, b, c, d, e = (Message(f"7912000000{n}", "same") for n in range(1, 6))
    again = Message("+79120000002", "same")  # b's phone: may not share b's request
    jobs = plan_jobs([a, b, again, c, d, e], max_phones=3)
    assert [job.messages for job in jobs] == [(a, b), (again, c, d), (e,)]
    assert [job.positions for job in jobs] == [(0, 1), (2, 3, 4), (5,)]


def test_alternating_options_and_texts_each_keep_their_own_request() -> None:
    def make(n: int, text: str, sender: str | None = None) -> Message:
        return Message(f"791200000{n:02d}", text, sender=sender)

    messages = [
        make(1, "x"),
        make(2, "x", "Shop"),
        make(3, "x"),
        make(4, "y"),
        make(5, "x", "Shop"),
        make(6, "y"),
        make(7, "x"),
    ]
    jobs = plan_jobs(messages, max_phones=2)
    # Same text and options: 1+3, then 7 (the request is full); 2+5; 4+6. The one left
    # (7) goes alone: no other message shares its options and is left.
    assert [job.positions for job in jobs] == [(0, 2), (1, 4), (3, 5), (6,)]


def reference_plan(block: list[Message], max_phones: int, sending: bool) -> list[Job]:
    """The planning rule spelt out plainly: every message looks its group up by key, is
    checked against it, then added (no run of alike messages is noticed). Messages
    with files are left out: they go alone, as test_attachments holds."""
    jobs: list[Job] = []
    items = []
    for position, message in enumerate(block):
        text = message.text
        if (sending and message.id is not None) or "\n" in text or "\r" in text:
            jobs.append(Job((message,), (position,)))
            continue
        options = attrgetter(*_SHARED_FIELDS)(message)
        items.append((position, message, (options, tuple(sorted(message.extra.items())))))

    def gather(items: list[Any], by_text: bool) -> tuple[list[Job], list[Any]]:
        groups: dict[Any, list[Any]] = {}  # key: [options, messages, positions, phones]
        closed = []
        for position, message, options in items:
            key = (options, message.text) if by_text else options
            phones = {p.lstrip("+") for p in message.phones}
            group = groups.get(key)
            if group is not None and (
                (len(group[3]) + len(message.phones) > max_phones) or group[3] & phones
            ):
                closed.append(group)
                group = None
            if group is None:
                group = groups[key] = [options, [], [], set()]
            group[1].append(message)
            group[2].append(position)
            group[3] |= phones
        full, left = [], []
        for options, messages, positions, _ in [*closed, *groups.values()]:
            if len(messages) > 1:
                full.append(Job(tuple(messages), tuple(positions)))
            else:
                left.append((positions[0], messages[0], options))
        return full, left

    same_text, rest = gather(items, by_text=True)
    listed, singles = gather(rest, by_text=False)
    return [*jobs, *same_text, *listed, *(Job((m,), (p,)) for p, m, _ in singles)]


EXTRAS: list[dict[str, str | int]] = [{}, {"k": "1"}, {"k": "2", "j": 3}]


@st.composite
def messages(draw: st.DrawFn) -> Message:
    numbers = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3, unique=True))
    phones = [draw(st.sampled_from(["", "+"])) + f"7912000000{n}" for n in numbers]
    return Message(
        phones,
        draw(st.sampled_from(["a", "b", "two\nlines"])),
        sender=draw(st.sampled_from([None, "Shop"])),
        id=draw(st.sampled_from([None, "own-1"])),
        extra=draw(st.sampled_from(EXTRAS)),
    )


@given(st.lists(messages(), max_size=25), st.integers(1, 5), st.booleans())
def test_plan_jobs_plans_as_the_rule_spelt_out_does(
    block: list[Message], max_phones: int, sending: bool
) -> None:
    assert plan_jobs(block, max_phones=max_phones, sending=sending) == reference_plan(
        block, max_phones, sending
    )
