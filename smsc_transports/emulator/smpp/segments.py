"""Split messages submitted over SMPP, joined into one message as SMSC stores them.

A long text arrives as several submit_sm joined by a UDH (``esm_class`` 0x40 with a
concatenation element) or by the SAR TLVs (SMPP 3.4 §5.3.2.22–24). The emulator keeps
it as ONE message billed for its parts, as SMSC's history shows it: the first part
numbers the message (:meth:`~smsc_transports.emulator.state.EmulatorState.new_message_id`)
and every part is answered with that id; the part that completes the text sends the
message. A group whose parts stop coming is sent as far as it got after ``ttl``
seconds, so no accepted part is ever silently dropped.

Rule: pure bookkeeping under the front end's event loop — no I/O, no state calls.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Final

from smsc_transports.emulator.state.records import SendRequest
from smsc_transports.wire.smpp.incoming import IncomingPart
from smsc_transports.wire.smpp.short_message import ShortMessage

__all__ = ["Segments", "SplitMessage"]

_MAX_OPEN: Final = 10_000


@dataclass
class SplitMessage:
    """One split message being received: its id, its parts so far, its first submit.

    ``request`` is the send its first part asked for (sender, times), without the text;
    ``start`` when it is to leave (state clock), for its receipt.
    """

    login: str
    id: str
    total: int
    started: float
    first: ShortMessage
    request: SendRequest
    start: float
    texts: dict[int, str] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """Whether every part has come."""
        return len(self.texts) == self.total

    @property
    def text(self) -> str:
        """The parts received, joined in their order."""
        return "".join(self.texts[n] for n in sorted(self.texts))

    def send_request(self) -> SendRequest:
        """The send of the whole message: its parts joined, billed as ``total`` SMS."""
        return replace(self.request, text=self.text, id=self.id, segments=self.total)


Key = tuple[str, str, str, int, int]


class Segments:
    """The split messages of every account being received; see the module docstring.

    Keyed by (login, source, destination, reference, total): the reference of a UDH
    or SAR group is unique only between one sender and one recipient.
    """

    def __init__(self, *, ttl: float = 600.0, max_open: int = _MAX_OPEN) -> None:
        self.ttl = ttl
        self.max_open = max_open
        self._open: OrderedDict[Key, SplitMessage] = OrderedDict()

    def __len__(self) -> int:
        return len(self._open)

    def find(self, login: str, part: IncomingPart) -> SplitMessage | None:
        """The split message ``part`` belongs to, if its first part has come."""
        return self._open.get(self._key(login, part))

    def open(
        self,
        login: str,
        message_id: str,
        part: IncomingPart,
        request: SendRequest,
        start: float,
        now: float,
    ) -> SplitMessage:
        """Start a split message with its first part to arrive (``part.source`` its PDU)."""
        assert part.source is not None
        split = SplitMessage(login, message_id, part.total, now, part.source, request, start)
        self._open[self._key(login, part)] = split
        return split

    def add(self, login: str, split: SplitMessage, part: IncomingPart) -> None:
        """Take one part's text; a finished message leaves the table."""
        split.texts[part.number] = part.text
        if split.complete:
            self._open.pop(self._key(login, part), None)

    def expired(self, now: float) -> list[SplitMessage]:
        """Take out the groups older than ``ttl`` (and the oldest beyond ``max_open``)."""
        done: list[SplitMessage] = []
        while self._open:
            key, split = next(iter(self._open.items()))
            if split.started > now - self.ttl and len(self._open) <= self.max_open:
                break
            del self._open[key]
            done.append(split)
        return done

    @staticmethod
    def _key(login: str, part: IncomingPart) -> Key:
        assert part.reference is not None
        return (login, part.phone, part.to_phone, part.reference, part.total)
