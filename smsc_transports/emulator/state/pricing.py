"""Pure helpers of a send: turning a :class:`SendRequest` into priced recipients.

Nothing here touches the state; :meth:`EmulatorState.send` calls these under its lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from smsc_transports.emulator.state.accounts import Limits, Tariff
from smsc_transports.emulator.state.number_rules import (
    Behaviour,
    behaviour_for,
    mccmnc_of,
)
from smsc_transports.emulator.state.records import PhoneOutcome, SendRequest
from smsc_transports.encoding import count_parts, split
from smsc_transports.errors import APIError, ValidationError, api_error
from smsc_transports.frozen import builder
from smsc_transports.message import MessageKind, is_plain_phone, normalize_phone
from smsc_transports.statuses import MessageStatus
from smsc_transports.translit import transliterate

__all__ = [
    "ERROR_TEXT",
    "PREFIXES",
    "Prepared",
    "apply_prefix",
    "params_error",
    "phone_outcomes",
    "prepare",
    "refusal",
]

# SMSC's short English error texts (recorded ones: "authorise error", "invalid number",
# "duplicate request, wait a minute"; "ip is blocked" from SMSC's FAQ; the rest are made
# up in the same style).
ERROR_TEXT = {
    1: "parameters error",
    2: "authorise error",
    3: "no money",
    4: "ip is blocked",
    5: "invalid date format",
    6: "message is forbidden",
    7: "invalid number",
    8: "message can't be delivered",
    9: "duplicate request, wait a minute",
}
# The status reported (op=1) for a recipient refused at send with each code.
_REFUSED_STATUS = {
    6: int(MessageStatus.FORBIDDEN),
    7: int(MessageStatus.INVALID_NUMBER),
    8: int(MessageStatus.UNAVAILABLE_NUMBER),
}
_WAITING = int(MessageStatus.WAITING)
_SPLITTABLE = (MessageKind.SMS, MessageKind.FLASH, MessageKind.PUSH)


# Message-type prefixes at the start of ``mes`` (SMSC's "Using prefixes when sending
# messages"; names from T-panda's Prefix.php [S]): the text after one is sent as that kind.
PREFIXES: dict[str, MessageKind] = {
    "__CALL__": MessageKind.CALL,
    "__VIBER__": MessageKind.VIBER,
    "__SOC__": MessageKind.SOC,
    "__PING__": MessageKind.PING,
    "__HLR__": MessageKind.HLR,
}


def apply_prefix(request: SendRequest) -> SendRequest:
    """``request`` sent as the kind a prefix of its text names, the prefix removed.

    Only a plain SMS request looks at prefixes: a kind switch (``call=1``…) wins.
    """
    if request.kind is not MessageKind.SMS or not request.text.startswith("__"):
        return request
    for prefix, kind in PREFIXES.items():
        if request.text.startswith(prefix):
            return replace(request, kind=kind, text=request.text[len(prefix) :].lstrip())
    return request


def params_error(operation: str = "send") -> APIError:
    """SMSC's error 1."""
    return api_error(1, ERROR_TEXT[1], operation=operation)


def refusal(code: int, id: str | None, operation: str = "send") -> APIError:
    """SMSC's error ``code`` with its usual text, carrying the message ``id``."""
    return api_error(code, ERROR_TEXT[code], id=id, operation=operation)


@dataclass(slots=True)
class Prepared:
    """One recipient of a request after validation and pricing; ``error`` 0 = accepted.

    ``line`` is the index of its ``list=`` line (``None`` outside ``list=``), for the
    line's own sender and time zone.
    """

    phone: str
    text: str
    parts: int
    cost: Decimal
    error: int
    behaviour: Behaviour
    line: int | None = None


# A bulk answer holds one per recipient: built as a plain call (see frozen.builder).
_phone_outcome = builder(PhoneOutcome)


def phone_outcomes(prepared: Sequence[Prepared]) -> tuple[PhoneOutcome, ...]:
    """Each recipient as the per-phone part of a send answer, in order."""
    networks = mccmnc_of([p.phone for p in prepared])
    return tuple(
        [
            _phone_outcome(
                p.phone, mccmnc, p.cost, _REFUSED_STATUS.get(p.error, _WAITING), p.error, p.parts
            )
            for p, mccmnc in zip(prepared, networks, strict=True)
        ]
    )


def _final_text(
    text: str, request: SendRequest, limits: Limits, shorten: Callable[[str], str] | None
) -> str:
    """Apply the length rule, ``tinyurl``, ``translit`` and ``maxsms`` to one text."""
    if limits.max_text_length is not None and len(text) > limits.max_text_length:
        raise params_error()
    if request.kind.needs_text and not text.strip():
        raise params_error()
    if shorten is not None:
        text = shorten(text)
    try:
        text = transliterate(text, request.translit)
    except ValidationError:
        raise params_error() from None
    if request.maxsms is not None and request.kind in _SPLITTABLE:
        # SMSC cuts a long text to fit the allowed number of parts.
        text = "".join(split(text)[: request.maxsms])
    return text


def _address(raw: str, kind: MessageKind) -> str | None:
    """The stored form of a recipient, or ``None`` when SMSC would call it invalid."""
    try:
        address = normalize_phone(raw, kind)
    except ValidationError:
        return None
    if address.startswith("G"):
        return None  # a contact group that does not exist (known ones are expanded)
    return address.lstrip("+")


def prepare(
    request: SendRequest,
    tariff: Tariff,
    limits: Limits,
    *,
    groups: Callable[[str], Sequence[str] | None] | None = None,
    shorten: Callable[[str], str] | None = None,
) -> list[Prepared]:
    """Validate and price every recipient of ``request`` (duplicates dropped).

    Raises error 1 for a request that is wrong as a whole (no recipients, a text too
    long or empty, an unknown translit, binary text that is not binary). A bad
    recipient is not an exception: it comes back with ``error`` 7 (or the code its
    test number asks for). ``groups`` turns a ``G<id>`` recipient into the phones of
    that contact group (``None``: no such group, error 7); ``shorten`` rewrites the
    links of each text (``tinyurl=1``) before it is counted and priced.
    """
    wanted = _expand_groups(_wanted(request), groups)
    prepared: list[Prepared] = []
    seen: set[str] = set()
    # A bulk request repeats one text (or a few): each is shaped, counted and (where
    # the tariff charges every phone alike) priced once — unless links are shortened,
    # which gives every recipient links of its own.
    finals: dict[str, str] = {}
    priced: dict[str, tuple[int, Decimal | None]] = {}
    kind = request.kind
    for raw, text, line in wanted:
        final = finals.get(text)  # never filled when links are shortened
        if final is None:
            final = _final_text(text, request, limits, shorten)
            if shorten is None:
                finals[text] = final
        # Plain digits, the usual bulk recipient, are their own stored form: they skip
        # normalize_phone's call and _address's, which settle everything else.
        address = raw if is_plain_phone(raw, kind) else _address(raw, kind)
        if address is None:
            prepared.append(Prepared(raw, final, 0, Decimal(0), 7, behaviour_for(raw), line))
            continue
        behaviour = behaviour_for(address)
        if address in seen:
            continue
        seen.add(address)
        if behaviour.send_error:
            prepared.append(
                Prepared(address, final, 0, Decimal(0), behaviour.send_error, behaviour, line)
            )
            continue
        price = priced.get(final)
        if price is None:
            try:
                parts = max(count_parts(final, kind=kind).parts, 1)
            except ValidationError:
                raise params_error() from None
            if request.segments:
                parts = request.segments  # it arrived in that many SMS, and goes out so
            price = priced[final] = (parts, tariff.flat_price(kind, parts))
        parts, cost = price
        if cost is None:
            cost = tariff.price(address, kind, parts)
        prepared.append(Prepared(address, final, parts, cost, 0, behaviour, line))
    return prepared


def _wanted(request: SendRequest) -> list[tuple[str, str, int | None]]:
    """Each recipient of ``request`` with its text and ``list=`` line, blank ones left out;
    error 1 when none is left (or ``maxsms`` is below 1)."""
    wanted: list[tuple[str, str, int | None]]
    if request.pairs:
        wanted = [
            (phone, text, line)
            for line, (raw, text) in enumerate(request.pairs)
            if (phone := raw.strip())
        ]
    else:
        text = request.text
        wanted = [(phone, text, None) for raw in request.phones if (phone := raw.strip())]
    if not wanted or (request.maxsms is not None and request.maxsms < 1):
        raise params_error()
    return wanted


def _expand_groups(
    wanted: list[tuple[str, str, int | None]],
    groups: Callable[[str], Sequence[str] | None] | None,
) -> list[tuple[str, str, int | None]]:
    """Replace each ``G<id>`` recipient with its contact group's phones (SMSC's
    "sending to a group of numbers"); an unknown group stays, to be refused as 7."""
    if groups is None:
        return wanted
    out: list[tuple[str, str, int | None]] = []
    for raw, text, line in wanted:
        members = groups(raw[1:]) if raw[:1] in ("G", "g") else None
        if members is None:
            out.append((raw, text, line))
        else:
            out += [(member, text, line) for member in members]
    return out
