"""The README and the project metadata are ready for a package index.

An index page shows the README without the repository around it, so every link in it
is absolute: documentation pages under the Documentation URL of ``[project.urls]``,
files of the repository under its Source URL. Each such link must name a page or a
file that exists here. People with a checkout still find "Two commands" first.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
URLS: dict[str, str] = PROJECT["urls"]


def without_code(markdown: str) -> str:
    """The text outside fenced blocks and inline code spans."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return re.sub(r"`[^`\n]*`", "", text)


PROSE = without_code(README)
INLINE = re.findall(r"\]\(([^)\s]+)\)", PROSE)
DEFINITIONS = {
    label.lower(): url for label, url in re.findall(r"^\[([^\]]+)\]:\s*(\S+)", README, re.MULTILINE)
}
TARGETS = INLINE + list(DEFINITIONS.values())


def test_the_readme_has_links_to_check() -> None:
    # Guards the scan: the README links to the documentation in a dozen places.
    assert len(TARGETS) >= 10


@pytest.mark.parametrize("target", TARGETS)
def test_every_link_is_absolute(target: str) -> None:
    assert target.startswith("https://"), f"{target!r} breaks on an index page"


def test_every_reference_is_defined() -> None:
    # "[HTTP]" with no "[http]: URL" below renders as the bracketed word itself.
    used = re.findall(r"(?<!\])\[([^\]\[]+)\](?:\[([^\]]*)\])?(?![(:])", PROSE)
    undefined = [text for text, key in used if (key or text).lower() not in DEFINITIONS]
    assert undefined == []


def page_for(url: str) -> Path:
    """The source page of a documentation URL (MkDocs serves ``x.md`` at ``x/``)."""
    rest = url.removeprefix(URLS["Documentation"]).partition("#")[0].strip("/")
    return ROOT / "docs" / (f"{rest}.md" if rest else "index.md")


DOC_LINKS = [t for t in TARGETS if t.startswith(URLS["Documentation"])]
SOURCE_LINKS = [t for t in TARGETS if t.startswith(URLS["Source"] + "/")]


@pytest.mark.parametrize("url", DOC_LINKS)
def test_each_documentation_link_names_a_page(url: str) -> None:
    assert page_for(url).is_file(), f"{url} has no page in docs/"


@pytest.mark.parametrize("url", SOURCE_LINKS)
def test_each_repository_link_names_a_file_or_folder(url: str) -> None:
    match = re.fullmatch(re.escape(URLS["Source"]) + r"/(?:tree|blob)/main/(.+)", url)
    assert match, f"{url} is not a link to the main branch"
    assert (ROOT / match[1]).exists(), f"{url} names no path of the repository"


def test_the_documentation_index_is_linked() -> None:
    assert URLS["Documentation"] in TARGETS
    assert {page_for(url).name for url in DOC_LINKS} >= {"index.md", "getting-started.md"}


def test_project_urls_are_absolute_https() -> None:
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(URLS)
    assert all(url.startswith("https://") for url in URLS.values())


def test_two_commands_come_first_then_pip_install() -> None:
    headings = re.findall(r"^## (.+)$", without_code(README), re.MULTILINE)
    assert headings[0] == "Two commands"
    assert f"pip install {PROJECT['name']}" in README


def test_the_license_file_is_the_mit_license_pyproject_names() -> None:
    assert PROJECT["license"] == "MIT"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_the_version_comes_from_the_package() -> None:
    # One place for the version: `smsc --version` and the index cannot disagree.
    assert "version" not in PROJECT
    assert "version" in PROJECT["dynamic"]
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert tool["hatch"]["version"]["path"] == "smsc_transports/__init__.py"


def test_the_readme_test_command_runs_the_wheel_smoke() -> None:
    # CI runs `python3 tasks.py check`; the wheel smoke is one of its steps.
    tasks = (ROOT / "tasks.py").read_text(encoding="utf-8")
    assert '"wheel smoke": [sys.executable, ROOT / "tools" / "wheel_smoke.py"]' in tasks
    assert (ROOT / "tools" / "wheel_smoke.py").is_file()
    assert "python3 tasks.py check" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
