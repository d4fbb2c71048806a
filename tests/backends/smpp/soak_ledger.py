"""The fault soak's ledger: what the soak server saw and did, held against the client.

The :class:`Ledger` records every submit_sm the server received (a :class:`Reception`:
how it answered, under which id), every receipt it owes (a :class:`Delivery`: how often
it was sent, acknowledged, refused), the faults it injected and anything the client did
wrong. :func:`reconcile` then holds the client's outcomes and events against it:

* one outcome per message, in input order;
* no false success: accepted means the server accepted that very message, under that id;
* no false failure: rejected means the server refused it (its last reception), or it
  never reached the server at all;
* no duplicate: a message reached the server again only after a throttling refusal;
* every ``OutcomeUnknown`` really unanswered at the fault: the server never received
  it, or its last reception got no (whole) answer;
* every acknowledged receipt delivered exactly once (at most once per delivery when an
  acknowledgement was lost with its link), to the right message; every unreadable one
  reported;
* nothing written after the client's unbind_resp, and every request of the server
  answered before a close the server began gracefully (checked by the server).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from smsc_transports import APIError, Message, OutcomeUnknown, RateLimited
from tests.backends.smpp.faces import Run

ACCEPTED, REFUSED, NACKED, THROTTLED, UNANSWERED = (
    "accepted",
    "refused",
    "nacked",
    "throttled",
    "unanswered",
)


@dataclass
class Reception:
    """One submit_sm as the server received it, and its answer."""

    connection: int
    answer: str = UNANSWERED
    message_id: str = ""
    status: int = 0


@dataclass
class Delivery:
    """One receipt the server owes: how often it was sent and how it was answered."""

    rid: str
    phone: str
    malformed: bool = False
    sent: int = 0
    acked: int = 0
    refused: int = 0


@dataclass
class Ledger:
    """Everything the server saw and did, for :func:`reconcile`."""

    receptions: dict[str, list[Reception]] = field(default_factory=dict)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    faults: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    after_unbind_resp: int = 0
    violations: list[str] = field(default_factory=list)
    connections: int = 0


def reconcile(run: Run, sent: list[Message], ledger: Ledger) -> tuple[list[str], Counter[str]]:
    """Hold the client's outcomes and events against the ledger; return (problems, counts)."""
    problems: list[str] = list(ledger.violations)
    counts: Counter[str] = Counter()
    if [o.index for o in run.outcomes] != list(range(len(sent))):
        problems.append("not exactly one outcome per message, in input order")
    for outcome in run.outcomes:
        tag = sent[outcome.index].text
        problem = _check_outcome(outcome.ok, outcome.error, outcome.result, ledger, tag, counts)
        if problem:
            problems.append(f"message {outcome.index}: {problem}")
    if ledger.after_unbind_resp:
        problems.append(f"{ledger.after_unbind_resp} submit_sm written after unbind_resp")
    problems += _check_receipts(run, ledger, counts)
    counts.update({f"fault: {name}": n for name, n in ledger.faults.items()})
    counts.update(ledger.events)
    counts["connections"] = ledger.connections
    return problems, counts


def _check_outcome(
    ok: bool, error: object, result: object, ledger: Ledger, tag: str, counts: Counter[str]
) -> str | None:
    receptions = ledger.receptions.get(tag, [])
    if any(r.answer != THROTTLED for r in receptions[:-1]):
        return f"reached the server again after {[r.answer for r in receptions]}"
    last = receptions[-1] if receptions else None
    if ok:
        counts["accepted"] += 1
        message_id = getattr(result, "id", None)
        if last is None or last.answer != ACCEPTED or last.message_id != message_id:
            return f"false success: {message_id!r}, the server logged {last}"
        return None
    if isinstance(error, OutcomeUnknown):
        counts["unknown"] += 1
        if last is not None and last.answer != UNANSWERED:
            return f"false unknown: the server answered {last}"
        return None
    counts["rejected"] += 1
    if isinstance(error, APIError) and error.protocol_status is not None:
        if isinstance(error, RateLimited):
            counts["rate limited"] += 1
        if last is None or last.answer not in (REFUSED, NACKED, THROTTLED):
            return f"false failure {error!r}: the server logged {last}"
        if last.status != error.protocol_status:
            return f"refused with {last.status:#x}, reported {error.protocol_status:#x}"
        return None
    if last is not None:
        return f"false failure {error!r}: it reached the server ({last})"
    return None


def _check_receipts(run: Run, ledger: Ledger, counts: Counter[str]) -> list[str]:
    problems: list[str] = []
    heard = Counter(str(r.raw.message_id) for r in run.receipts)
    for receipt in run.receipts:
        rid = str(receipt.raw.message_id)
        delivery = ledger.deliveries.get(rid)
        if delivery is None or delivery.malformed:
            problems.append(f"receipt {rid} was never sent as a readable receipt")
        elif receipt.id != rid or receipt.phone != delivery.phone:
            problems.append(f"receipt {rid} to {delivery.phone} handed over as {receipt.id}")
    readable = [d for d in ledger.deliveries.values() if not d.malformed]
    for delivery in readable:
        times = heard[delivery.rid]
        if delivery.acked and delivery.sent == delivery.acked and times != delivery.acked:
            problems.append(f"receipt {delivery.rid} acknowledged, delivered {times} times")
        if not delivery.acked <= times <= delivery.sent - delivery.refused:
            problems.append(
                f"receipt {delivery.rid}: sent {delivery.sent}, acknowledged"
                f" {delivery.acked}, refused {delivery.refused}, delivered {times}"
            )
    unreadable = [d for d in ledger.deliveries.values() if d.malformed]
    refused = sum(d.refused for d in unreadable)
    if not refused <= len(run.malformed) <= sum(d.sent for d in unreadable):
        problems.append(f"{len(run.malformed)} unreadable receipts reported, {refused} answered")
    counts["receipts acknowledged"] = sum(d.acked for d in readable)
    counts["receipts delivered"] = len(run.receipts)
    counts["receipts redelivered"] = sum(d.sent - 1 for d in readable if d.sent > 1)
    counts["unreadable reported"] = len(run.malformed)
    return problems
