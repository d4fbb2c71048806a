"""One attempt at a chunk of messages, and the one transport each worker process keeps.

:func:`run_chunk` is the body of the Celery send tasks without Celery: it sends what
is still pending through a transport, settles each message by the rules of
:mod:`~smsc_transports.contrib.celery.policy`, records everything in a
:class:`ChunkState` that travels with the task's retries, and says whether and when
to try again. :class:`ProcessTransport` builds the transport on first use in each
process and never reuses one across a fork.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from smsc_transports.contrib.celery.codec import (
    accepted_entry,
    already_accepted_entry,
    failure_entry,
    message_from_dict,
)
from smsc_transports.contrib.celery.policy import (
    RetryPolicy,
    Verdict,
    judge,
    may_have_arrived,
    retry_delay,
)
from smsc_transports.errors import OutcomeUnknown, SMSCError, TransportError
from smsc_transports.message import Message
from smsc_transports.results import SendResult
from smsc_transports.transport import Transport

__all__ = ["ChunkState", "ProcessTransport", "run_chunk"]

log = logging.getLogger(__name__)

T = TypeVar("T", bound=Transport)


@dataclass
class ChunkState:
    """What earlier attempts at a chunk settled, carried in the task's retry kwargs.

    ``done`` maps a message's index to its final outcome dict, ``uncertain`` maps the
    index of a message that may have reached SMSC to the wall-clock time of that
    attempt, ``attempts`` counts executions, ``redelivered`` is set once the broker
    handed the chunk out again after a worker was lost.
    """

    done: dict[int, dict[str, Any]] = field(default_factory=dict)
    uncertain: dict[int, float] = field(default_factory=dict)
    attempts: int = 0
    redelivered: bool = False

    def to_json(self) -> dict[str, Any]:
        """Return the state as JSON types (object keys become strings)."""
        return {
            "done": {str(i): entry for i, entry in self.done.items()},
            "uncertain": {str(i): since for i, since in self.uncertain.items()},
            "attempts": self.attempts,
            "redelivered": self.redelivered,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ChunkState:
        """Rebuild the state :meth:`to_json` wrote; ``None`` is a fresh chunk."""
        if not data:
            return cls()
        return cls(
            done={int(i): dict(entry) for i, entry in data.get("done", {}).items()},
            uncertain={int(i): float(since) for i, since in data.get("uncertain", {}).items()},
            attempts=int(data.get("attempts", 0)),
            redelivered=bool(data.get("redelivered", False)),
        )

    def outcomes(self, count: int) -> list[dict[str, Any]]:
        """The outcome dicts of a finished chunk of ``count`` messages, in input order."""
        return [self.done[index] for index in range(count)]


def run_chunk(
    entries: Sequence[Mapping[str, Any]],
    state: ChunkState,
    transport: Callable[[], Transport],
    policy: RetryPolicy,
    *,
    redelivered: bool = False,
    now: Callable[[], float] = time.time,
) -> float | None:
    """Make one attempt at the unsettled messages of ``entries`` (message dicts).

    Updates ``state`` and returns the seconds to wait before the next attempt, or
    ``None`` when every message is settled. ``redelivered`` says the broker delivered
    the chunk again after a worker died mid-attempt: every unsettled message may then
    have reached SMSC. ``now`` is the wall clock (the state may cross machines).
    """
    state.attempts += 1
    clock = now()
    if redelivered:
        state.redelivered = True
    pending = _pending(entries, state, policy, redelivered=redelivered, clock=clock)
    if not pending:
        return None
    retrying: dict[int, SMSCError] = {}
    for (index, message), sent in zip(pending, _send_all(transport, pending), strict=True):
        if isinstance(sent, SendResult):
            state.done[index] = accepted_entry(index, message, sent)
            continue
        verdict = judge(sent, message, arrived_before=index in state.uncertain)
        if verdict is Verdict.ACCEPTED:
            state.done[index] = already_accepted_entry(index, message)
        elif verdict is Verdict.RETRY and state.attempts <= policy.max_retries:
            if may_have_arrived(sent):
                state.uncertain.setdefault(index, clock)
            retrying[index] = sent
        else:
            state.done[index] = failure_entry(index, message.id, sent)
    if not retrying:
        return None
    delay = max(retry_delay(error, state.attempts - 1, policy) for error in retrying.values())
    # A message that may have arrived must be repeated while SMSC still remembers it.
    deadlines = [
        state.uncertain[i] + policy.resend_window - clock for i in retrying if i in state.uncertain
    ]
    return max(0.0, min([delay, *deadlines]))


def _pending(
    entries: Sequence[Mapping[str, Any]],
    state: ChunkState,
    policy: RetryPolicy,
    *,
    redelivered: bool,
    clock: float,
) -> list[tuple[int, Message]]:
    """The messages still to send, settling those that must not be sent (again)."""
    pending: list[tuple[int, Message]] = []
    for index, entry in enumerate(entries):
        if index in state.done:
            continue
        try:
            message = message_from_dict(entry)
        except SMSCError as exc:
            raw_id = entry.get("id") if isinstance(entry, Mapping) else None
            state.done[index] = failure_entry(index, raw_id, exc)
            continue
        if redelivered:
            if message.id is None:
                lost = OutcomeUnknown(
                    "the worker was lost while sending; a message without an id is not "
                    "sent again, as SMSC could not recognise the repeat"
                )
                state.done[index] = failure_entry(index, None, lost)
                continue
            state.uncertain.setdefault(index, clock)
        since = state.uncertain.get(index)
        if since is not None and clock - since > policy.resend_window:
            stale = OutcomeUnknown(
                f"may have been accepted {clock - since:.0f} s ago; SMSC forgets a "
                "repeat after a minute, so sending it again could deliver it twice"
            )
            state.done[index] = failure_entry(index, message.id, stale)
            continue
        pending.append((index, message))
    return pending


def _send_all(
    transport: Callable[[], Transport], pending: Sequence[tuple[int, Message]]
) -> list[SendResult | SMSCError]:
    """Send ``pending`` in one ``send_many``; exactly one result or error per message."""
    results: list[SendResult | SMSCError] = []
    try:
        for outcome in transport().send_many(message for _, message in pending):
            sent: SendResult | SMSCError | None = outcome.result or outcome.error
            # An Outcome holds exactly one of the two; the guard only satisfies typing.
            results.append(sent if sent is not None else TransportError("empty outcome"))
    except SMSCError as exc:
        # The transport could not be built (settings) or gave up as a whole.
        results.extend([exc] * (len(pending) - len(results)))
    except Exception as exc:
        log.exception("sending a chunk failed unexpectedly")
        lost = OutcomeUnknown(f"sending stopped by an unexpected {type(exc).__name__}")
        results.extend([lost] * (len(pending) - len(results)))
    if len(results) != len(pending):
        log.error("the transport reported %d outcomes for %d messages", len(results), len(pending))
        missing = TransportError("the transport reported no outcome for this message")
        results = [*results[: len(pending)], *[missing] * (len(pending) - len(results))]
    return results


class ProcessTransport(Generic[T]):
    """One transport per process: built on first use, never shared across a fork.

    A forked child (a Celery prefork worker) inherits its parent's object and sockets;
    using them from two processes would interleave bytes on one connection, and closing
    them would end the parent's SMPP bind. So the child forgets the inherited transport
    without closing it and builds its own: one connection (one SMPP bind) per process.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._transport: T | None = None
        self._owner = os.getpid()
        # Kept, never closed: after a fork they hold the parent's sockets.
        self._inherited: list[T] = []
        ref = weakref.ref(self)

        def forget_in_child() -> None:
            holder = ref()
            if holder is not None:
                holder.forget()

        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=forget_in_child)

    def get(self) -> T:
        """Return this process's transport, building it on first use."""
        with self._lock:
            if self._owner != os.getpid():
                self._drop_inherited()
            if self._transport is None:
                self._transport = self._factory()
            return self._transport

    def forget(self) -> None:
        """Drop a transport inherited from a parent process without closing it."""
        if self._owner != os.getpid():
            # The lock may have been held by a parent thread at fork time: start afresh.
            self._lock = threading.Lock()
            self._drop_inherited()

    def _drop_inherited(self) -> None:
        if self._transport is not None:
            self._inherited.append(self._transport)
        self._transport = None
        self._owner = os.getpid()

    def close(self) -> None:
        """Close this process's own transport (an SMPP unbind); the next use builds anew."""
        with self._lock:
            if self._owner != os.getpid():
                self._drop_inherited()  # the parent's: not ours to close
            transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
