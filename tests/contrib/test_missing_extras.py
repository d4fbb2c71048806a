"""Without its extra installed, an adapter says which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

BLOCKED = {
    "smsc_transports.contrib.prometheus": ("prometheus_client", "[prometheus]"),
    "smsc_transports.contrib.opentelemetry": ("opentelemetry", "[otel]"),
}


@pytest.mark.parametrize("module", sorted(BLOCKED))
def test_the_import_error_names_the_extra(module: str) -> None:
    dependency, extra = BLOCKED[module]
    # None in sys.modules makes Python refuse the import, as if it were not installed.
    code = f"import sys; sys.modules[{dependency!r}] = None; import {module}"
    done = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError") and extra in last and dependency in last
