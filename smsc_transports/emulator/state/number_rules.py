"""The rules of test numbers: recipients that behave in a known way, like a sandbox's test cards.

Every rule lives in :data:`RULES`, one table, checked in order; the first that matches a
recipient decides its fate, and any recipient no rule matches is delivered after the
normal schedule. All phone rules sit under the fake prefix ``7999000``; e-mail rules
under the reserved domain ``emulator.test``. ``docs/emulator.md`` shows the same table.

Every front end uses :func:`behaviour_for` (through the state) and, where it can delay
an answer, :func:`answer_delay`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from smsc_transports.emulator.state.records import HlrRecord
from smsc_transports.statuses import MessageStatus

__all__ = [
    "DELIVERED",
    "RULES",
    "TEST_PREFIX",
    "Behaviour",
    "NumberInfo",
    "Rule",
    "answer_delay",
    "behaviour_for",
    "describe_hlr",
    "describe_number",
    "failure_status",
    "mccmnc_of",
]

TEST_PREFIX = "7999000"
_MAIL_DOMAIN = "@emulator.test"


@dataclass(frozen=True)
class Behaviour:
    """What happens to one recipient.

    ``final_status`` is reached after the delivery delay (``None``: stays "transferred"
    forever); ``err`` goes with it. ``stopped`` keeps it at -2 instead; ``hlr`` is what
    an HLR request to the number finds. ``send_error`` refuses the recipient at send time
    with that SMSC error code. ``answer_delay`` holds the send answer back that many
    seconds. ``expires`` keeps it transferred until its lifetime ends, then status 3.
    """

    final_status: MessageStatus | None = MessageStatus.DELIVERED
    err: int = 0
    send_error: int | None = None
    answer_delay: float = 0.0
    expires: bool = False
    stopped: bool = False
    """Stays "stopped" (-2) from the start: a mailing paused before it left."""
    hlr: str = "home"
    """What an HLR request finds: ``home``, ``roaming``, ``absent`` or ``unknown``."""


DELIVERED = Behaviour()

# Delivery error -> the status a failed message ends in (smsc-protocol.md §1.8/§1.9):
# format problems are "invalid number", policy blocks are "forbidden", no route is
# "unavailable", a missing status is "expired", everything else "unable to deliver".
_STATUS_BY_ERR: dict[int, MessageStatus] = {
    200: MessageStatus.DELIVERED,  # virtual sending: counts as delivered, err kept
    245: MessageStatus.EXPIRED,
    248: MessageStatus.UNAVAILABLE_NUMBER,
    249: MessageStatus.INVALID_NUMBER,
    **dict.fromkeys(
        (238, 239, 243, 244, 246, 247, 250, 251, 252, 253, 254), MessageStatus.FORBIDDEN
    ),
}


def failure_status(err: int) -> MessageStatus:
    """The final status of a message that failed with delivery error ``err``."""
    return _STATUS_BY_ERR.get(err, MessageStatus.UNABLE_TO_DELIVER)


def _failing(err: int) -> Behaviour | None:
    if not 1 <= err <= 255:
        return None
    return Behaviour(final_status=failure_status(err), err=err)


@dataclass(frozen=True)
class Rule:
    """One row of the test-number table: a pattern, an example and what it does."""

    pattern: str
    example: str
    description: str
    make: Callable[[re.Match[str]], Behaviour | None]

    def apply(self, address: str) -> Behaviour | None:
        """The behaviour for ``address`` if this rule matches it, else ``None``."""
        match = re.fullmatch(self.pattern, address, re.ASCII)
        return self.make(match) if match else None


RULES: tuple[Rule, ...] = (
    Rule(
        r"79990000\d{3}",
        "79990000001",
        "delivered (status 1) after the normal schedule",
        lambda m: DELIVERED,
    ),
    Rule(
        r"79990001(\d{3})",
        "79990001249",
        "fails with delivery error EEE = the last three digits (001-255); "
        "status 22 for 249, 23 for 238/239/243/244/246/247/250-254, 25 for 248, "
        "3 for 245, 1 for 200 (virtual send), 20 otherwise",
        lambda m: _failing(int(m[1])),
    ),
    Rule(
        r"79990002000",
        "79990002000",
        "stays transferred (0) until its lifetime (valid, default 24 h) ends, "
        "then expired (3) with err 6",
        lambda m: Behaviour(final_status=MessageStatus.EXPIRED, err=6, expires=True),
    ),
    Rule(
        r"79990003(\d{3})",
        "79990003005",
        "the send answer is held back SSS = the last three digits seconds "
        "(HTTP front end), then delivered",
        lambda m: Behaviour(answer_delay=float(int(m[1]))),
    ),
    Rule(
        r"7999000400([678])",
        "79990004007",
        "refused at send with error 6, 7 or 8 (the last digit); the id is still assigned",
        lambda m: Behaviour(send_error=int(m[1])),
    ),
    Rule(
        r"79990005000",
        "79990005000",
        "stays transferred (0) forever",
        lambda m: Behaviour(final_status=None),
    ),
    Rule(
        r"79990006000",
        "79990006000",
        "delivered and read (status 2), like an opened e-mail",
        lambda m: Behaviour(final_status=MessageStatus.READ),
    ),
    Rule(
        r"79990007000",
        "79990007000",
        "HLR: reachable in its home network (status 1, err 0; as every other number)",
        lambda m: DELIVERED,
    ),
    Rule(
        r"79990007001",
        "79990007001",
        "HLR: absent, switched off or out of coverage (status 20, err 6; IMSI known, no MSC)",
        lambda m: Behaviour(final_status=MessageStatus.UNABLE_TO_DELIVER, err=6, hlr="absent"),
    ),
    Rule(
        r"79990007002",
        "79990007002",
        "HLR: roaming abroad (status 1, err 0; roaming country and operator filled)",
        lambda m: Behaviour(hlr="roaming"),
    ),
    Rule(
        r"79990007003",
        "79990007003",
        "HLR: unknown subscriber (status 20, err 1; no IMSI, no MSC)",
        lambda m: Behaviour(final_status=MessageStatus.UNABLE_TO_DELIVER, err=1, hlr="unknown"),
    ),
    Rule(
        r"79990008000",
        "79990008000",
        "stopped (-2) from the start: a mailing paused before it left, never sent",
        lambda m: Behaviour(final_status=None, stopped=True),
    ),
    Rule(
        r"read@emulator\.test",
        "read@emulator.test",
        "e-mail: delivered and read (status 2)",
        lambda m: Behaviour(final_status=MessageStatus.READ),
    ),
    Rule(
        r"fail-(\d{3})@emulator\.test",
        "fail-002@emulator.test",
        "e-mail: fails with err EEE (2 mailbox full, 3 server not found, 4 blocked), status 20",
        lambda m: _failing(int(m[1])),
    ),
)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def behaviour_for(address: str) -> Behaviour:
    """What happens to a message for ``address`` (a normalized phone or an e-mail)."""
    # Every rule lives under these two; bulk sends to ordinary numbers skip the table
    # (the first test, cheaper, lets through all that can match the second).
    if TEST_PREFIX not in address and "@" not in address:
        return DELIVERED
    key = address.lstrip("+").lower()
    if not key.startswith(TEST_PREFIX) and not key.endswith(_MAIL_DOMAIN):
        return DELIVERED
    for rule in RULES:
        behaviour = rule.apply(key)
        if behaviour is not None:
            return behaviour
    return DELIVERED


def answer_delay(addresses: Iterable[str]) -> float:
    """How long a front end should hold back the answer to a send to ``addresses``."""
    addresses = list(addresses)
    everything = "\n".join(addresses).lower()
    if TEST_PREFIX not in everything and _MAIL_DOMAIN not in everything:
        # Only a test number (or test address) can ask for a delay: a bulk send to
        # ordinary numbers is settled by one scan of the joined text.
        return 0.0
    return max((behaviour_for(a).answer_delay for a in addresses), default=0.0)


def describe_hlr(address: str, behaviour: Behaviour) -> HlrRecord:
    """The HLR answer for ``address`` given its test-number ``behaviour``.

    The home network is the number's country (``describe_number``) with MNC 99; the
    IMSI is MCC+MNC and the number's last ten digits; a roaming subscriber is in
    Turkey on "Emulator Roaming". An unknown subscriber has no IMSI and no MSC, an
    absent one no MSC; a failure of the other test numbers (err 1 included) is
    reported like those.
    """
    info = describe_number(address)
    digits = address.lstrip("+")
    mcc, mnc = info.mccmnc[:3], info.mccmnc[3:]
    imsi = f"{info.mccmnc}{digits[-10:]}" if info.mccmnc else ""
    msc = f"{digits[:4]}9900000" if digits[:4].isdigit() else ""
    kind = behaviour.hlr
    if behaviour.err == 1:
        kind = "unknown"
    elif behaviour.err and kind == "home":
        kind = "absent"
    if kind == "unknown":
        return HlrRecord("", "", mcc, mnc, info.country, info.operator)
    if kind == "absent":
        return HlrRecord(imsi, "", mcc, mnc, info.country, info.operator)
    if kind == "roaming":
        return HlrRecord(
            imsi, "905329900000", mcc, mnc, info.country, info.operator, "Turkey",
            "Emulator Roaming",
        )  # fmt: skip
    return HlrRecord(imsi, msc, mcc, mnc, info.country, info.operator)


@dataclass(frozen=True)
class NumberInfo:
    """What the emulator reports about a number's network (op=1, status all=2)."""

    country: str
    operator: str
    region: str
    mccmnc: str


# A few prefixes so answers look plausible; longest prefix wins.
_COUNTRIES: dict[str, tuple[str, str]] = {
    "7": ("Russia", "250"),
    "76": ("Kazakhstan", "401"),
    "77": ("Kazakhstan", "401"),
    "375": ("Belarus", "257"),
    "380": ("Ukraine", "255"),
}


# Regions of a few Russian number ranges (ABC/DEF codes), so ``region`` is not always
# empty; longest prefix wins, anything else has none, as SMSC for numbers it cannot place.
_REGIONS: dict[str, str] = {
    TEST_PREFIX: "Emulator Test Region",
    "7495": "Moscow",
    "7499": "Moscow",
    "7812": "Saint Petersburg",
    "7903": "Moscow",
    "7916": "Moscow",
    "7921": "Saint Petersburg",
    "7343": "Sverdlovsk Region",
}


def _region(digits: str) -> str:
    for length in range(min(len(digits), _HEAD_LENGTH), 0, -1):
        region = _REGIONS.get(digits[:length])
        if region is not None:
            return region
    return ""


def describe_number(address: str) -> NumberInfo:
    """Country, operator, region and MCC+MNC the emulator reports for ``address``."""
    head = _head(address)
    return _NOT_A_NUMBER if head is None else _describe_head(head)


def _head(address: str) -> str | None:
    """The first digits of a number, which decide all it is described by (``None``
    for an address that is not a number)."""
    digits = address.lstrip("+")
    if not (digits.isascii() and digits.isdigit()):
        return None
    return digits[:_HEAD_LENGTH]


# Country, region and the test prefix are all read off a number's first few digits
# (seven), so the description is remembered per head of that length: a bulk answer
# describes every recipient, and they share a few heads.
_HEAD_LENGTH = max(len(TEST_PREFIX), *map(len, _COUNTRIES), *map(len, _REGIONS))
_NOT_A_NUMBER = NumberInfo("", "", "", "")
_NO_COUNTRY = NumberInfo("", "Emulator", "", "")


def mccmnc_of(addresses: Iterable[str]) -> list[str]:
    """The MCC+MNC :func:`describe_number` reports for each of ``addresses``, in order."""
    # For a bulk answer, which names every recipient's network: the recipients of one
    # send share a few heads, each looked up once here instead of once per number.
    by_head: dict[str | None, str] = {}
    found = []
    for address in addresses:
        head = _head(address)
        mccmnc = by_head.get(head)
        if mccmnc is None:
            mccmnc = by_head[head] = (
                _NOT_A_NUMBER if head is None else _describe_head(head)
            ).mccmnc
        found.append(mccmnc)
    return found


@functools.lru_cache(maxsize=4096)
def _describe_head(head: str) -> NumberInfo:
    for length in (3, 2, 1):
        found = _COUNTRIES.get(head[:length])
        if found:
            country, mcc = found
            operator = "Emulator Test" if head.startswith(TEST_PREFIX) else "Emulator"
            return NumberInfo(country, operator, _region(head), f"{mcc}99")
    return _NO_COUNTRY
