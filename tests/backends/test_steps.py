"""Calls written as steps (backends/steps.py): run straight through, or made ahead.

Pure control flow, so plain generators stand in for calls; the real calls that pause
(HTTP requests written ahead of their answers) are tested on sockets in
``tests/backends/http/test_pipeline.py``.
"""

from __future__ import annotations

import pytest

from smsc_transports.backends.steps import Ahead, Steps, at_once, run


class Pause:
    """What a call here waits on (nothing real: these calls never touch a socket)."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.deadline = 0.0

    def fileno(self) -> int:
        return -1


def call(log: list[str], value: int, *, pauses: int = 1, fail_at: int | None = None) -> Steps[int]:
    for step in range(pauses + 1):
        if fail_at == step:
            raise ValueError(f"failed at step {step}")
        log.append(f"step {step}")
        if step < pauses:
            yield Pause(step)
    return value


def test_run_goes_on_at_every_pause_and_returns_the_value() -> None:
    log: list[str] = []
    assert run(call(log, 7, pauses=3)) == 7
    assert log == ["step 0", "step 1", "step 2", "step 3"]


def test_at_once_never_pauses() -> None:
    steps = at_once(lambda: 5)
    with pytest.raises(StopIteration) as end:
        next(steps)
    assert end.value.value == 5


def test_ahead_makes_the_call_up_to_its_first_pause_and_the_rest_when_finished() -> None:
    log: list[str] = []
    ahead = Ahead(call(log, 3, pauses=2))
    assert log == ["step 0"]
    assert ahead.finish() == 3
    assert log == ["step 0", "step 1", "step 2"]
    assert ahead.waiting is None
    assert ahead.finish() == 3  # the value stays


def test_each_step_goes_on_to_the_next_pause_and_says_what_it_waits_on() -> None:
    log: list[str] = []
    ahead = Ahead(call(log, 4, pauses=2))
    assert isinstance(ahead.waiting, Pause) and ahead.waiting.step == 0
    ahead.step()
    assert isinstance(ahead.waiting, Pause) and ahead.waiting.step == 1
    assert log == ["step 0", "step 1"]
    ahead.step()
    assert ahead.waiting is None  # ended
    assert log == ["step 0", "step 1", "step 2"]
    ahead.step()  # nothing left to do
    assert ahead.finish() == 4


def test_an_error_before_the_first_pause_is_raised_by_finish_not_by_creation() -> None:
    log: list[str] = []
    ahead = Ahead(call(log, 3, fail_at=0))
    assert ahead.waiting is None  # ended, with its error kept for finish
    with pytest.raises(ValueError, match="step 0"):
        ahead.finish()


def test_an_error_after_the_first_pause_is_raised_by_finish() -> None:
    log: list[str] = []
    ahead = Ahead(call(log, 3, pauses=2, fail_at=1))
    assert log == ["step 0"]
    with pytest.raises(ValueError, match="step 1"):
        ahead.finish()


def test_a_call_that_never_pauses_is_done_when_created() -> None:
    log: list[str] = []
    ahead = Ahead(call(log, 9, pauses=0))
    assert log == ["step 0"]
    assert ahead.finish() == 9


def test_abandon_closes_the_call_where_it_paused() -> None:
    closed: list[str] = []

    def holding() -> Steps[int]:
        try:
            yield Pause(0)
        finally:
            closed.append("closed")
        return 1

    steps = holding()  # held here too: only a close, not a dropped reference, ends it
    ahead = Ahead(steps)
    assert closed == []
    ahead.abandon()
    assert closed == ["closed"]
    ahead.abandon()  # a second time changes nothing
    assert closed == ["closed"]
