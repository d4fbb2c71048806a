"""The Architecture page draws the package as it is: every folder and module is on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "smsc_transports"
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
TREE = PAGE.split("```", 2)[1]  # the first code block is the tree
WORDS = set(re.findall(r"[\w.]+", TREE))


@pytest.mark.parametrize(
    "folder",
    sorted(
        str(p.parent.relative_to(PACKAGE))
        for p in PACKAGE.rglob("__init__.py")
        if p.parent != PACKAGE
    ),
)
def test_every_folder_is_on_the_tree(folder: str) -> None:
    assert f"{Path(folder).name}/" in TREE, f"docs/architecture.md does not draw {folder}/"


@pytest.mark.parametrize(
    "module",
    sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"),
)
def test_every_module_is_on_the_tree(module: str) -> None:
    stem = Path(module).stem
    assert stem in WORDS or f"{stem}.py" in WORDS, f"docs/architecture.md does not name {module}"
