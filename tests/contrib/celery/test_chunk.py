"""One attempt at a chunk: what is sent, what is sent again, and what is never resent.

The transport here is a real :class:`Transport` whose answers are scripted per message
id and attempt, so each rule is seen from the wire's side: how often each message
actually went out.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any, ClassVar, Self

import pytest

from smsc_transports import (
    ConfigurationError,
    ConnectError,
    InvalidPhone,
    Message,
    OutcomeUnknown,
    RateLimited,
    SendResult,
    Settings,
    SMSCError,
    Transport,
    TransportTimeout,
)
from smsc_transports.contrib.celery.chunk import ChunkState, ProcessTransport, run_chunk
from smsc_transports.contrib.celery.codec import message_to_dict
from smsc_transports.contrib.celery.policy import RetryPolicy

POLICY = RetryPolicy(max_retries=3)
Answer = SendResult | SMSCError


class ScriptedTransport(Transport):
    """Answers each message id with the next item of its script (then "accepted")."""

    protocol: ClassVar[str] = "scripted"

    def __init__(self, script: dict[str, list[Answer]] | None = None) -> None:
        self.script = {key: list(answers) for key, answers in (script or {}).items()}
        self.sent: Counter[str] = Counter()
        self.closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Not configurable: tests build it directly."""
        return cls()

    def send(self, message: Message) -> SendResult:
        """Record the send and give the scripted answer."""
        key = str(message.id)
        self.sent[key] += 1
        answers = self.script.get(key) or [SendResult(id=key, parts=1, transport="scripted")]
        answer = answers.pop(0)
        if isinstance(answer, SMSCError):
            raise answer
        return answer

    def close(self) -> None:
        """Remember that it was closed."""
        self.closed = True


def entries(*ids: str | None) -> list[dict[str, Any]]:
    """One message dict per id, each to its own phone."""
    return [message_to_dict(Message(f"7915000000{n}", "Код", id=i)) for n, i in enumerate(ids)]


def attempt(
    chunk: list[dict[str, Any]],
    state: ChunkState,
    transport: ScriptedTransport,
    **options: Any,
) -> float | None:
    return run_chunk(chunk, state, lambda: transport, options.pop("policy", POLICY), **options)


def test_a_chunk_that_goes_through_is_settled_in_one_attempt() -> None:
    transport, state = ScriptedTransport(), ChunkState()
    assert attempt(entries("a", "b"), state, transport) is None
    assert [o["ok"] for o in state.outcomes(2)] == [True, True]
    assert [o["already_accepted"] for o in state.outcomes(2)] == [False, False]
    assert transport.sent == {"a": 1, "b": 1} and state.attempts == 1


def test_a_lost_answer_is_sent_again_and_error_9_then_counts_as_accepted() -> None:
    transport = ScriptedTransport({"a": [TransportTimeout("no answer"), RateLimited()]})
    state, chunk = ChunkState(), entries("a")
    assert attempt(chunk, state, transport, now=lambda: 1000.0) == POLICY.connect_base
    assert state.uncertain == {0: 1000.0}
    assert attempt(chunk, state, transport, now=lambda: 1001.0) is None
    outcome = state.outcomes(1)[0]
    assert (outcome["ok"], outcome["already_accepted"], outcome["id"]) == (True, True, "a")
    assert transport.sent["a"] == 2


def test_a_lost_answer_without_an_id_is_never_sent_again() -> None:
    transport = ScriptedTransport({"None": [OutcomeUnknown("link lost")]})
    state = ChunkState()
    assert attempt(entries(None), state, transport) is None
    assert state.outcomes(1)[0]["error"]["class"] == "OutcomeUnknown"
    assert transport.sent["None"] == 1


def test_error_9_to_a_first_attempt_is_retried_after_a_backoff() -> None:
    transport = ScriptedTransport({"a": [RateLimited(), RateLimited()]})
    state, chunk = ChunkState(), entries("a")
    assert attempt(chunk, state, transport) == POLICY.rate_limit_base
    assert attempt(chunk, state, transport) == POLICY.rate_limit_base * 2
    assert attempt(chunk, state, transport) is None
    outcome = state.outcomes(1)[0]
    assert (outcome["ok"], outcome["already_accepted"]) == (True, False)
    assert transport.sent["a"] == 3


def test_after_the_last_retry_the_last_error_is_the_outcome() -> None:
    transport = ScriptedTransport({"a": [ConnectError("refused")] * 10})
    state, chunk = ChunkState(), entries("a")
    delays = [attempt(chunk, state, transport) for _ in range(POLICY.max_retries + 1)]
    assert delays[-1] is None and None not in delays[:-1]
    assert state.outcomes(1)[0]["error"]["class"] == "ConnectError"
    assert transport.sent["a"] == POLICY.max_retries + 1


def test_only_the_unsettled_messages_are_sent_again() -> None:
    transport = ScriptedTransport({"b": [ConnectError("refused")], "c": [InvalidPhone()]})
    state, chunk = ChunkState(), entries("a", "b", "c")
    assert attempt(chunk, state, transport) is not None
    assert attempt(chunk, state, transport) is None
    assert transport.sent == {"a": 1, "b": 2, "c": 1}
    assert [o["ok"] for o in state.outcomes(3)] == [True, True, False]
    assert state.outcomes(3)[2]["error"]["code"] == 7


def test_a_redelivered_chunk_is_resent_and_what_had_arrived_counts_as_accepted() -> None:
    # The first worker sent "a" and died; "b" had not gone out yet.
    transport = ScriptedTransport({"a": [RateLimited()]})
    state = ChunkState()
    assert attempt(entries("a", "b", None), state, transport, redelivered=True) is None
    a, b, no_id = state.outcomes(3)
    assert (a["ok"], a["already_accepted"]) == (True, True)
    assert (b["ok"], b["already_accepted"]) == (True, False)
    # Without an id SMSC could not recognise a repeat: reported, not resent.
    assert (no_id["ok"], no_id["error"]["class"]) == (False, "OutcomeUnknown")
    assert transport.sent == {"a": 1, "b": 1}
    assert state.redelivered


def test_a_message_that_may_have_arrived_is_not_resent_after_smsc_forgot_it() -> None:
    transport = ScriptedTransport({"a": [TransportTimeout("no answer")]})
    state, chunk = ChunkState(), entries("a")
    attempt(chunk, state, transport, now=lambda: 1000.0)
    late = 1000.0 + POLICY.resend_window + 1
    assert attempt(chunk, state, transport, now=lambda: late) is None
    assert state.outcomes(1)[0]["error"]["class"] == "OutcomeUnknown"
    assert transport.sent["a"] == 1


def test_the_wait_never_outlasts_the_resend_window_of_an_uncertain_message() -> None:
    policy = RetryPolicy(rate_limit_base=40, connect_base=1, resend_window=30)
    transport = ScriptedTransport({"a": [TransportTimeout("x")], "b": [RateLimited()]})
    state, chunk = ChunkState(), entries("a", "b")
    assert attempt(chunk, state, transport, policy=policy, now=lambda: 0.0) == 30


def test_an_invalid_message_fails_alone() -> None:
    transport, state = ScriptedTransport(), ChunkState()
    chunk = [*entries("a"), {"phones": ["12"], "text": "x", "id": "bad"}]
    assert attempt(chunk, state, transport) is None
    good, bad = state.outcomes(2)
    assert good["ok"] and (bad["message_id"], bad["error"]["class"]) == ("bad", "ValidationError")


def test_a_transport_that_cannot_be_built_fails_every_message_without_retry() -> None:
    def broken() -> Transport:
        raise ConfigurationError("no SMSC_URL")

    state = ChunkState()
    assert run_chunk(entries("a", "b"), state, broken, POLICY) is None
    assert [o["error"]["class"] for o in state.outcomes(2)] == ["ConfigurationError"] * 2


def test_an_unexpected_crash_mid_chunk_leaves_the_rest_uncertain() -> None:
    class Crashing(ScriptedTransport):
        def send(self, message: Message) -> SendResult:
            if message.id == "b" and self.sent["b"] == 0:
                self.sent["b"] += 1
                raise RuntimeError("bug")
            return super().send(message)

    transport, state = Crashing({"b": [RateLimited()]}), ChunkState()
    chunk = entries("a", "b")
    assert attempt(chunk, state, transport) is not None
    assert 1 in state.uncertain
    assert attempt(chunk, state, transport) is None
    assert state.outcomes(2)[1]["already_accepted"] is True


def test_the_state_survives_json_between_attempts() -> None:
    state = ChunkState(uncertain={3: 12.5}, attempts=2, redelivered=True)
    state.done[0] = {"index": 0, "ok": True}
    assert ChunkState.from_json(json.loads(json.dumps(state.to_json()))) == state
    assert ChunkState.from_json(None) == ChunkState()


# --- one transport per process ------------------------------------------------------


def counting_holder() -> tuple[ProcessTransport[ScriptedTransport], list[ScriptedTransport]]:
    built: list[ScriptedTransport] = []

    def factory() -> ScriptedTransport:
        built.append(ScriptedTransport())
        return built[-1]

    return ProcessTransport(factory), built


def test_the_transport_is_built_on_first_use_and_then_reused() -> None:
    holder, built = counting_holder()
    assert built == []
    assert holder.get() is holder.get()
    assert len(built) == 1


def test_close_closes_it_and_the_next_use_builds_a_new_one() -> None:
    holder, built = counting_holder()
    first = holder.get()
    holder.close()
    assert first.closed and holder.get() is not first and len(built) == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_a_forked_child_builds_its_own_transport_and_leaves_the_parents_open() -> None:
    holder, built = counting_holder()
    parents = holder.get()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, never return into pytest
        try:
            mine = holder.get()
            holder.close()
            report = {"own": mine is not parents, "built": len(built), "closed": parents.closed}
            os.write(write_end, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        report = json.loads(pipe.read() or "{}")
    os.waitpid(pid, 0)
    assert report == {"own": True, "built": 2, "closed": False}
    assert holder.get() is parents and not parents.closed
