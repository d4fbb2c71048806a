"""plan_jobs: which messages share a send.php request (sans-I/O: planning makes no request)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from smsc_transports import Message, MessageKind
from smsc_transports.backends.http.batch import plan_jobs
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
