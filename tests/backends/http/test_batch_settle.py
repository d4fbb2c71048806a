"""settle_job: each message of a shared request gets the outcome the general share rule
gives it, whatever order or form SMSC lists the recipients in.

``settle_job`` builds the share of a one-phone message that the answer lists as accepted
(the usual recipient of a bulk send) itself; every other message goes through
``_share``'s general rule. Each test sends through ``send_many`` over real sockets (a
canned answer, or the emulator's own) and compares every outcome with what the general
rule gives that message from the same answer.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from smsc_transports import InvalidPhone, Message, Outcome, create_transport
from smsc_transports.backends.http.batch import _phones_of, _share
from smsc_transports.emulator import Emulator
from smsc_transports.encoding import billed_parts
from smsc_transports.wire import http as wire
from tests.faults import CannedServer, http_answer

TEXT = "Sale today"
LONG = "Длинный текст " * 8  # three parts in UCS-2
P1, P2, P3, P4, P5 = (f"7912000000{n}" for n in range(1, 6))


def general_rule(messages: list[Message], answer: Any) -> list[tuple[Any, Any]]:
    """Each message's (share, error) by ``_share``'s rule, the fast path's reference."""
    result = wire.parse_send(answer)
    by_phone = {p.phone.removeprefix("+"): p for p in result.phones}
    return [
        _share(
            message,
            result,
            _phones_of(message, by_phone),
            billed_parts(message) // len(message.phones),
        )
        for message in messages
    ]


def assert_settled_by_the_general_rule(
    outcomes: list[Outcome], messages: list[Message], answer: Any
) -> None:
    assert [o.index for o in outcomes] == list(range(len(messages)))
    assert [o.message for o in outcomes] == messages
    for outcome, (share, error) in zip(outcomes, general_rule(messages, answer), strict=True):
        assert outcome.result == share
        if share is not None:
            assert outcome.result is not None
            assert outcome.result.raw == share.raw
            # Listed exactly as SendResult.for_recipients lists the message's phones.
            assert outcome.result == outcome.result.for_recipients(outcome.message.phones)
        assert type(outcome.error) is type(error)
        assert str(outcome.error) == str(error)


def entry(phone: str, error: int = 0, cost: str = "1.40") -> dict[str, Any]:
    """One recipient of an ``op=1`` answer, as SMSC writes it."""
    return {
        "phone": phone,
        "mccmnc": "25099",
        "cost": "0.00" if error else cost,
        "status": 22 if error else -1,
        "error": error,
    }


def one(*phones: str, text: str = TEXT) -> list[Message]:
    return [Message(phone, text) for phone in phones]


# Each case: the messages sent (one text: one request), the recipients the answer lists,
# and which messages end accepted.
CASES: dict[str, tuple[list[Message], list[dict[str, Any]], list[bool]]] = {
    "in the order sent": (
        one(P1, P2, P3, P4),
        [entry(P1), entry(P2), entry(P3), entry(P4, cost="2.10")],
        [True] * 4,
    ),
    "in another order": (
        one(P1, P2, P3, P4),
        [entry(P4), entry(P2, cost="2.10"), entry(P1), entry(P3)],
        [True] * 4,
    ),
    "echoed without the plus sent": (
        one(f"+{P1}", P2, f"+{P3}"),
        [entry(P1), entry(P2), entry(P3)],
        [True] * 3,
    ),
    "echoed with a plus not sent": (
        one(P1, P2),
        [entry(f"+{P1}"), entry(P2)],
        [True] * 2,
    ),
    "a phone listed twice, refused the second time": (
        one(P1, P2, P3),
        [entry(P1), entry(P2), entry(P1, error=7), entry(P3)],
        [False, True, True],
    ),
    "a phone not listed": (
        one(P1, P2, P3),
        [entry(P1), entry(P3)],
        [True] * 3,
    ),
    "a phone refused mid-list": (
        one(P1, P2, P3),
        [entry(P1), entry(P2, error=7), entry(P3)],
        [True, False, True],
    ),
    "a message with several phones among one-phone ones": (
        [Message(P1, TEXT), Message([P2, P5], TEXT), Message(P3, TEXT)],
        [entry(P1), entry(P2), entry(P5, error=7), entry(P3)],
        [True] * 3,
    ),
    "a message with several phones all refused": (
        [Message(P1, TEXT), Message([P2, P5], TEXT), Message(P3, TEXT)],
        [entry(P1), entry(P2, error=7), entry(P5, error=7), entry(P3)],
        [True, False, True],
    ),
    "a text of three parts": (
        one(P1, P2, P3, text=LONG),
        [entry(P1, cost="4.20"), entry(P2, error=7), entry(P3, cost="4.20")],
        [True, False, True],
    ),
    "an accepted phone without a cost": (
        one(P1, P2),
        [{"phone": P1, "status": -1, "error": 0}, entry(P2)],
        [True] * 2,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_message_of_a_canned_answer_is_settled_by_the_general_rule(case: str) -> None:
    messages, entries, accepted = CASES[case]
    phones = sum(len(m.phones) for m in messages)
    answer = {"id": 51, "cnt": phones, "cost": "5.60", "balance": "94.40", "phones": entries}
    body = http_answer(json.dumps(answer).encode(), content_type="application/json")
    with (
        CannedServer(body) as server,
        create_transport(f"http://shop:pw@127.0.0.1:{server.port}?timeout=5") as transport,
    ):
        outcomes = list(transport.send_many(messages))
    assert len(server.requests) == 1  # one request carried them all
    assert [o.ok for o in outcomes] == accepted
    assert all(isinstance(o.error, InvalidPhone) for o in outcomes if not o.ok)
    assert_settled_by_the_general_rule(outcomes, messages, answer)


def test_a_share_keeps_the_cost_its_entry_gives() -> None:
    messages, entries, _ = CASES["in another order"]
    answer = {"id": 51, "cnt": 4, "cost": "6.30", "balance": "94.40", "phones": entries}
    body = http_answer(json.dumps(answer).encode(), content_type="application/json")
    with (
        CannedServer(body) as server,
        create_transport(f"http://shop:pw@127.0.0.1:{server.port}?timeout=5") as transport,
    ):
        results = [o.unwrap() for o in transport.send_many(messages)]
    assert [r.cost for r in results] == [Decimal("1.40"), Decimal("2.10")] + [Decimal("1.40")] * 2
    assert [r.phones[0].phone for r in results] == [P1, P2, P3, P4]
    assert {r.id for r in results} == {"51"}
    assert all(r.balance == Decimal("94.40") and r.parts == 1 for r in results)


def test_each_message_of_an_emulator_answer_is_settled_by_the_general_rule(
    shared_emulator: Emulator,
) -> None:
    messages = [
        Message("+79120000301", TEXT),  # the emulator echoes it without the '+'
        Message("79990004007", TEXT),  # refused with 7, mid-list
        Message(["79120000302", "79990004008"], TEXT),  # one of two refused
        Message("79120000303", TEXT),
    ]
    with create_transport(shared_emulator.url()) as transport:
        outcomes = list(transport.send_many(messages))
    assert [o.ok for o in outcomes] == [True, False, True, True]
    results = [o.result for o in outcomes if o.result is not None]
    assert len({r.id for r in results}) == 1  # one request
    answer = results[0].raw
    assert answer["phones"][0]["phone"] == "79120000301"
    assert_settled_by_the_general_rule(outcomes, messages, answer)
