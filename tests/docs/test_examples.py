"""The runnable examples of the protocol pages run, as written, against the emulator.

Every ```python block of the pages below that starts its own ``Emulator(`` is a whole
program a reader can paste: it is run here in a fresh namespace, and its ``assert``
lines are what the page promises. Blocks without an emulator (the ones that talk to
``smsc.ru``) are only compiled.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("http.md", "soap.md")
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(page: str) -> list[tuple[str, str]]:
    """(id, code) of each python block of ``docs/<page>``."""
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    return [(f"{page}#{n}", code) for n, code in enumerate(BLOCK.findall(text), 1)]


ALL = [item for page in PAGES for item in blocks(page)]
RUNNABLE = [(name, code) for name, code in ALL if "Emulator(" in code]


def test_the_pages_have_runnable_examples() -> None:
    # Guards the scan: http.md shows each new operation with an example that runs.
    assert len([name for name, _ in RUNNABLE if name.startswith("http.md")]) >= 7
    assert any(name.startswith("soap.md") for name, _ in RUNNABLE)


@pytest.mark.parametrize(("name", "code"), ALL, ids=[name for name, _ in ALL])
def test_every_example_compiles(name: str, code: str) -> None:
    compile(code, name, "exec")


@pytest.mark.parametrize(("name", "code"), RUNNABLE, ids=[name for name, _ in RUNNABLE])
def test_the_example_runs_against_the_emulator(name: str, code: str) -> None:
    exec(compile(code, name, "exec"), {"__name__": "__doc_example__"})
