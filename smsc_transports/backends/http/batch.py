"""Plan ``send_many`` requests and turn their answers back into one outcome per message.

Planning is pure: messages in, :class:`Job` values out. Messages that share their text
and options go in one ``phones`` list; the rest that share options go in ``list=``
lines; a message with its own ``id`` (SMSC keys duplicates by it) or a text with a new
line (``list=`` cannot carry it) goes alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from smsc_transports.encoding import billed_parts
from smsc_transports.errors import OutcomeUnknown, RateLimited, SMSCError, api_error
from smsc_transports.message import Message
from smsc_transports.results import (
    CostOutcome,
    CostResult,
    Outcome,
    PhoneResult,
    SendResult,
    build_outcome,
    build_send_result,
)
from smsc_transports.wire import http as wire

__all__ = ["Job", "plan_jobs", "settle_costs", "settle_job"]


@dataclass(frozen=True, slots=True)
class Job:
    """One ``send.php`` request: its messages and their positions in the input block."""

    messages: tuple[Message, ...]
    positions: tuple[int, ...] = (0,)

    @property
    def client_id(self) -> str | None:
        """The caller's id when the job is one message that has one."""
        if len(self.messages) == 1 and self.messages[0].id is not None:
            return str(self.messages[0].id)
        return None

    def params(self, *, cost: int = 3) -> dict[str, str]:
        """The request's parameters (without credentials); ``cost=1`` only prices."""
        first = self.messages[0]
        if len(self.messages) == 1:
            return wire.send_params(first, cost=cost)
        if all(m.text == first.text and m.data == first.data for m in self.messages):
            phones = [p for m in self.messages for p in m.phones]
            return wire.send_params(first, cost=cost, phones=phones)
        return wire.list_params(self.messages, cost=cost)

    def may_repeat(self, error: RateLimited, uncertain: bool) -> bool:
        """Whether the request may be made again after SMSC refused it with ``error``.

        Never once an earlier attempt may have arrived (``uncertain``): the 9 is then
        read as that attempt's duplicate, and time spent backing off could take a
        repeat past the minute in which SMSC recognises it.
        """
        return not uncertain and wire.may_repeat_send(error, own_id=self.client_id is not None)

    def already_accepted(self) -> SendResult:
        """The result of a send SMSC had accepted on an attempt whose answer was lost.

        Read so from an error 9 to the repeat (which carries the same id): SMSC refuses
        the id's second message within a minute.
        """
        return SendResult.accepted_earlier(self.messages[0], "https")

    def in_doubt(self, refusal: RateLimited) -> OutcomeUnknown:
        """The outcome of a send whose answer was lost and whose repeat SMSC refused for
        load: that refusal says nothing of the first attempt, which may or may not have
        been accepted (never report it accepted: it may not have been)."""
        return OutcomeUnknown(
            f"message {self.client_id}: the answer to the send was lost and the repeat was "
            f"refused for load ({refusal.message}); it may or may not have been accepted"
        )


# Every field but the recipients, the text, the caller's id (a message with its own id
# is sent alone) and the files (a message with files too): messages share one request
# only when all of these are equal, since the request carries the first one's options.
# Read off the dataclass, so that a field added to Message splits requests by default.
_OWN_FIELDS = frozenset({"phones", "text", "id", "attachments", "extra"})
_SHARED_FIELDS = tuple(f.name for f in fields(Message) if f.name not in _OWN_FIELDS)


def _reader(names: Sequence[str]) -> Callable[[Message], tuple[Any, ...]]:
    """A function that returns the named attributes of a message as one tuple.

    What ``attrgetter(*names)`` returns (for two names or more), compiled from the
    names: Python code reads each slot with an instruction specialised to it, where
    ``attrgetter`` looks every name up in full (0.17 µs against 0.47 µs for Message's
    options, read once for every message of a bulk send).
    """
    # Compiled from field names (identifiers read off the dataclass), nothing else.
    source = "lambda message: (" + "".join(f"message.{name}, " for name in names) + ")"
    return eval(source)  # type: ignore[no-any-return]  # noqa: S307


_shared_options = _reader(_SHARED_FIELDS)


def _sharing_key(message: Message, by_id: bool) -> Hashable | None:
    """The options under which ``message`` may share a request, or ``None`` when it goes
    alone: with its own id when sending (``by_id``), with files (a request carrying
    them carries nothing else), or with a text on several lines (``list=`` cannot carry
    it)."""
    text = message.text
    if (by_id and message.id is not None) or message.attachments or "\n" in text or "\r" in text:
        return None
    extra = message.extra
    # ``extra`` is a read-only mapping, which cannot be hashed: its sorted items can.
    return _shared_options(message), tuple(sorted(extra.items())) if extra else ()


class _Group:
    """Messages being gathered into one request, with the phones already used."""

    def __init__(self, options: Hashable) -> None:
        self.options = options
        self.messages: list[Message] = []
        self.positions: list[int] = []
        self.phones: set[str] = set()

    def take(self, message: Message, position: int, max_phones: int) -> bool:
        """Add ``message`` if it fits in this request; return whether it did (a group
        without messages takes any)."""
        phones = message.phones
        if len(self.phones) + len(phones) > max_phones and self.messages:
            return False
        # A phone may appear once: the per-phone answer is matched back by number.
        if len(phones) == 1:
            phone = phones[0].removeprefix("+")
            if phone in self.phones:
                return False
            self.phones.add(phone)
        else:
            keys = {p.removeprefix("+") for p in phones}
            if not self.phones.isdisjoint(keys):
                return False
            self.phones.update(keys)
        self.messages.append(message)
        self.positions.append(position)
        return True

    def job(self) -> Job:
        return Job(tuple(self.messages), tuple(self.positions))


_Item = tuple[int, Message, Hashable]
"""A message to plan: its position in the block, itself, and its options key."""


def _gather(
    items: Sequence[_Item], max_phones: int, *, by_text: bool
) -> tuple[list[Job], list[_Item]]:
    """Group items by options (and text, ``by_text``); return full jobs and the items
    left alone in their group."""
    open_groups: dict[Hashable, _Group] = {}
    closed: list[_Group] = []
    # The group the previous item joined, under last_key: open_groups[last_key] is it.
    group: _Group | None = None
    last_key: Hashable = None
    for position, message, options in items:
        key = (options, message.text) if by_text else options
        # Bulk input runs of messages alike: the same group as the item before, found by
        # comparing keys (element by element, mostly the very same objects), which is
        # cheaper than hashing the key anew (tuples do not keep their hash).
        if group is None or key != last_key:
            group = open_groups.get(key)
            last_key = key
        if group is None or not group.take(message, position, max_phones):
            if group is not None:
                closed.append(group)
            group = open_groups[key] = _Group(options)
            group.take(message, position, max_phones)
    closed.extend(open_groups.values())
    jobs: list[Job] = []
    singles: list[_Item] = []
    for group in closed:
        if len(group.messages) > 1:
            jobs.append(group.job())
        else:
            singles.append((group.positions[0], group.messages[0], group.options))
    return jobs, singles


def plan_jobs(
    block: Sequence[Message], *, max_phones: int = 100, sending: bool = True
) -> list[Job]:
    """Split ``block`` into requests; every message lands in exactly one job.

    A message with its own id goes alone when ``sending`` (SMSC keys duplicates by it);
    a price (``sending=False``) is the same whatever the id, so it may share a request.
    """
    jobs: list[Job] = []
    mergeable: list[_Item] = []
    for position, message in enumerate(block):
        options = _sharing_key(message, sending)
        if options is None:
            jobs.append(Job((message,), (position,)))
        else:
            mergeable.append((position, message, options))
    same_text, rest = _gather(mergeable, max_phones, by_text=True)
    jobs.extend(same_text)
    listed, singles = _gather(rest, max_phones, by_text=False)
    jobs.extend(listed)
    jobs.extend(Job((message,), (position,)) for position, message, _ in singles)
    return jobs


def settle_job(job: Job, answer: Any | SendResult | SMSCError, start: int = 0) -> list[Outcome]:
    """Return one :class:`Outcome` per message of ``job`` from its answer or error.

    ``answer`` is SMSC's JSON answer, an error, or a result already settled (a send SMSC
    had accepted before a lost reply). Outcome indexes are the messages' positions in
    their block plus ``start``.
    """
    pairs = zip(job.positions, job.messages, strict=True)
    if isinstance(answer, SMSCError):
        return [Outcome(start + pos, message, error=answer) for pos, message in pairs]
    try:
        result = answer if isinstance(answer, SendResult) else wire.parse_send(answer)
    except SMSCError as exc:
        return [Outcome(start + pos, message, error=exc) for pos, message in pairs]
    if len(job.messages) == 1:
        ((pos, message),) = pairs
        phones = _phones_of(message, {p.phone.removeprefix("+"): p for p in result.phones})
        return [Outcome(start + pos, message, *_settle_alone(message, result, phones))]
    # SMSC may echo a number without the '+' it was sent with: both sides are keyed
    # without it.
    by_phone = {p.phone.removeprefix("+"): p for p in result.phones}
    # A job's messages share every option (plan_jobs groups them so): what SMSC bills
    # per phone depends on the text alone.
    parts_per_text: dict[str, int] = {}
    outcomes = []
    for pos, message in pairs:
        parts = parts_per_text.get(message.text)
        if parts is None:
            parts = parts_per_text[message.text] = billed_parts(message) // len(message.phones)
        if len(message.phones) == 1:
            found = by_phone.get(message.phones[0].removeprefix("+"))
            if found is not None and found.id is not None and not found.error:
                # The usual recipient of a bulk send, listed and accepted: its share is its
                # own entry, its cost and the text's parts, which is what _share's rule
                # gives (the cost summed over one entry is that entry's; test_batch_settle
                # compares the two). Built here, once per recipient, without the calls of
                # _phones_of and _share, and by the results' builders (a class call hands
                # keywords to __init__ through a dict and changes the class twice).
                own = build_send_result(
                    id=result.id,
                    parts=parts,
                    cost=found.cost,
                    balance=result.balance,
                    phones=(found,),
                    transport=result.transport,
                    raw=result.raw,
                )
                outcomes.append(build_outcome(start + pos, message, own, None))
                continue
        share, error = _share(message, result, _phones_of(message, by_phone), parts)
        outcomes.append(build_outcome(start + pos, message, share, error))
    return outcomes


def _phones_of(message: Message, by_phone: dict[str, PhoneResult]) -> tuple[PhoneResult, ...]:
    """What the answer says about each of ``message``'s phones it names."""
    if len(message.phones) == 1:
        found = by_phone.get(message.phones[0].removeprefix("+"))
        return () if found is None else (found,)
    return tuple(
        found
        for found in (by_phone.get(p.removeprefix("+")) for p in message.phones)
        if found is not None
    )


def _refused(
    message: Message, result: SendResult, phones: tuple[PhoneResult, ...]
) -> tuple[list[PhoneResult], SMSCError | None]:
    """The phones SMSC refused, and the error when it refused every one of the message's."""
    failed = [p for p in phones if p.error]
    if failed and len(failed) == len(message.phones):
        code = failed[0].error or 0
        return failed, api_error(code, f"refused for {failed[0].phone}", id=result.id)
    return failed, None


def _settle_alone(
    message: Message, result: SendResult, phones: tuple[PhoneResult, ...]
) -> tuple[SendResult | None, SMSCError | None]:
    """A job of one message: the whole answer is its result, unless every phone failed."""
    _, error = _refused(message, result, phones)
    if error is not None:
        return None, error
    return result.for_recipients(message.phones), None


def _share(
    message: Message,
    result: SendResult,
    phones: tuple[PhoneResult, ...],
    parts_per_phone: int,
) -> tuple[SendResult | None, SMSCError | None]:
    """One message's share of a request that carried several (settle_job builds the
    share of a listed, accepted one-phone message itself)."""
    failed, error = _refused(message, result, phones)
    if error is not None:
        return None, error
    costs = [p.cost for p in phones if not p.error and p.cost is not None]
    share = SendResult(
        id=result.id,
        parts=parts_per_phone * (len(message.phones) - len(failed)),
        cost=sum(costs, _ZERO) if costs else None,
        balance=result.balance,
        phones=phones,
        transport=result.transport,
        raw=result.raw,
    )
    if len(phones) == len(message.phones) and all(p.id is not None or p.error for p in phones):
        # Every recipient listed, in order, with its id: what for_recipients would make.
        return share, None
    return share.for_recipients(message.phones), None


_ZERO = Decimal(0)


def settle_costs(
    job: Job, answer: Any | SMSCError, start: int = 0
) -> list[tuple[int, Message, CostOutcome | None]]:
    """Return each message of a priced job with its :class:`CostOutcome`.

    The outcome is ``None`` for a message of a several-message job whose answer gave
    no per-number costs (a server that ignores ``op=1`` for prices): it cannot be told
    from the others, and must be priced on its own.
    """
    pairs = [
        (start + pos, message) for pos, message in zip(job.positions, job.messages, strict=True)
    ]
    if isinstance(answer, SMSCError):
        return [(pos, m, CostOutcome(pos, m, error=answer)) for pos, m in pairs]
    try:
        result = wire.parse_cost(answer)
    except SMSCError as exc:
        return [(pos, m, CostOutcome(pos, m, error=exc)) for pos, m in pairs]
    if len(pairs) == 1:
        pos, message = pairs[0]
        return [(pos, message, _cost_outcome(pos, message, result, result.phones, None))]
    by_phone = {p.phone.removeprefix("+"): p for p in result.phones}
    settled: list[tuple[int, Message, CostOutcome | None]] = []
    for pos, message in pairs:
        phones = _phones_of(message, by_phone)
        if len(phones) < len(message.phones) or any(p.cost is None for p in phones if not p.error):
            settled.append((pos, message, None))
            continue
        parts = billed_parts(message) // len(message.phones)
        settled.append((pos, message, _cost_outcome(pos, message, result, phones, parts)))
    return settled


def _cost_outcome(
    pos: int,
    message: Message,
    result: CostResult,
    phones: tuple[PhoneResult, ...],
    parts_per_phone: int | None,
) -> CostOutcome:
    failed = [p for p in phones if p.error]
    if failed and len(failed) == len(message.phones):
        error = api_error(failed[0].error or 0, f"refused for {failed[0].phone}", operation="cost")
        return CostOutcome(pos, message, error=error)
    if parts_per_phone is None:
        return CostOutcome(pos, message, result=result)
    share = CostResult(
        cost=sum((p.cost or Decimal(0) for p in phones if not p.error), Decimal(0)),
        parts=parts_per_phone * (len(message.phones) - len(failed)),
        phones=phones,
        raw=result.raw,
    )
    return CostOutcome(pos, message, result=share)
