"""Fixtures of the conformance suite: one shared memory of what each scenario recorded."""

from __future__ import annotations

import pytest

from tests.conformance.table import Observations


@pytest.fixture(scope="session")
def observations() -> Observations:
    """Records of (scenario, protocol, mode), each played once per session on demand.

    The parametrised tests and the docs-table test read the same records, so running the
    whole suite plays every scenario once, and any subset still plays what it needs.
    """
    return Observations()
