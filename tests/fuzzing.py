"""The fuzz tests' shared settings and their one rule: only the library's own errors.

Every parser of untrusted input (answers, e-mails, envelopes, PDUs, callbacks, settings
URLs) must return a value or raise an :class:`~smsc_transports.errors.SMSCError`
subclass, in bounded time and memory, whatever it is fed. :func:`typed_only` checks the
first; the run's budget and the per-example limits depend on how it is started:

* the normal test run: :data:`FUZZ` is deterministic (``derandomize``, no example
  database) with a fixed ``max_examples`` (``SMSC_FUZZ_EXAMPLES``, default 100), so it
  costs a few seconds and never fails on one machine but not another;
* by hand, ``SMSC_FUZZ=long`` (see ``docs/reliability.md``): random seeds, 20,000
  examples per test unless ``SMSC_FUZZ_EXAMPLES`` says otherwise, a deadline per example
  (``SMSC_FUZZ_DEADLINE_MS``, default 2000) and a memory ceiling per example
  (``SMSC_FUZZ_MEMORY_MB``, default 64, measured with :mod:`tracemalloc`).
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from hypothesis import HealthCheck, settings

from smsc_transports.errors import SMSCError

T = TypeVar("T")

LONG = os.environ.get("SMSC_FUZZ", "").lower() == "long"
EXAMPLES = int(os.environ.get("SMSC_FUZZ_EXAMPLES", "20000" if LONG else "100"))
DEADLINE = timedelta(milliseconds=int(os.environ.get("SMSC_FUZZ_DEADLINE_MS", "2000")))
MEMORY_LIMIT = int(os.environ.get("SMSC_FUZZ_MEMORY_MB", "64")) * 1024 * 1024

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=not LONG,
    database=None,
    # A per-example deadline only where time is the point; in the normal run a busy
    # machine must not turn into a failure (pytest-timeout guards against hangs).
    deadline=DEADLINE if LONG else None,
    print_blob=LONG,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
"""Hypothesis settings for every fuzz test (see the module docstring)."""


def fuzz_scaled(fraction: float) -> settings:
    """:data:`FUZZ` with ``fraction`` of its examples, for the slower targets."""
    return settings(FUZZ, max_examples=max(10, int(EXAMPLES * fraction)))


def typed_only(call: Callable[[], T]) -> T | SMSCError:
    """Return what ``call`` returns, or the :class:`SMSCError` it raises.

    Any other exception propagates and fails the test. In the long run the call's
    peak memory (what it allocates on top of what exists) must stay under
    :data:`MEMORY_LIMIT`.
    """
    if not LONG:
        try:
            return call()
        except SMSCError as exc:
            return exc
    tracemalloc.start()
    try:
        try:
            result: T | SMSCError = call()
        except SMSCError as exc:
            result = exc
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"one example allocated {peak} bytes"
    return result
