"""The documentation site builds with warnings as errors, and documents the public API.

``mkdocs build --strict`` fails on any warning: a page missing from the nav, a link to a
page or anchor that does not exist, a docstring mkdocstrings cannot render. Running it
here is how CI, which runs the test suite, builds the docs. The build needs no network.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import smsc_transports

ROOT = Path(__file__).resolve().parents[2]
BUILD_LIMIT = 300  # seconds; the build takes a few


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from ``mkdocs.yml`` into a temporary folder (fails the tests if not)."""
    folder = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's notice, not ours
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_LIMIT,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-6000:]}"
    return folder


def reference_html(site: Path) -> str:
    """Every API reference page, concatenated."""
    return "".join(page.read_text("utf-8") for page in sorted((site / "reference").rglob("*.html")))


def test_the_site_builds_strictly_into_pages(site: Path) -> None:
    assert (site / "index.html").is_file()
    for page in ("getting-started", "protocols", "http", "smtp", "soap", "errors", "emulator"):
        assert (site / page / "index.html").is_file(), page


def test_the_api_reference_is_generated_from_the_docstrings(site: Path) -> None:
    page = (site / "reference" / "index.html").read_text("utf-8")
    assert 'id="smsc_transports.create_transport"' in page
    # The first line of create_transport's docstring, rendered.
    assert "Return a synchronous transport for" in page


@pytest.mark.parametrize(
    "name", [name for name in smsc_transports.__all__ if not name.startswith("__")]
)
def test_every_public_name_has_its_entry_in_the_api_reference(site: Path, name: str) -> None:
    assert f'id="smsc_transports.{name}"' in reference_html(site)


@pytest.mark.parametrize(
    "name",
    [
        "smsc_transports.backends.http.HttpTransport",
        "smsc_transports.backends.smtp.AsyncSmtpTransport",
        "smsc_transports.backends.smpp.SmppTransport",
        "smsc_transports.backends.smpp.AsyncSmppTransport",
        "smsc_transports.backends.soap.SoapTransport",
        "smsc_transports.callbacks.make_asgi_app",
        "smsc_transports.callbacks.make_wsgi_app",
        "smsc_transports.callbacks.parse_callback",
        "smsc_transports.emulator.Emulator",
    ],
)
def test_the_transports_callbacks_and_emulator_are_in_the_api_reference(
    site: Path, name: str
) -> None:
    assert f'id="{name}"' in reference_html(site)


def test_the_site_loads_nothing_from_other_hosts(site: Path) -> None:
    external = re.compile(r"<(?:link|script|img)\b[^>]*\b(?:href|src)=\"(?:https?:)?//", re.I)
    offenders = [
        str(page.relative_to(site))
        for page in site.rglob("*.html")
        if external.search(page.read_text("utf-8"))
    ]
    assert offenders == []


def python_blocks(markdown: str) -> list[str]:
    """The fenced ```python blocks of a page."""
    return re.findall(r"^```python\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)


EMULATOR_SNIPPETS = [
    block
    for block in python_blocks((ROOT / "docs" / "getting-started.md").read_text("utf-8"))
    if "Emulator(" in block
]


def test_getting_started_has_emulator_snippets_to_run() -> None:
    assert len(EMULATOR_SNIPPETS) >= 3


@pytest.mark.parametrize("snippet", EMULATOR_SNIPPETS, ids=lambda s: s.split("\n", 1)[0][:40])
def test_each_emulator_snippet_of_getting_started_runs_as_printed(snippet: str) -> None:
    # pytest's own test function at the end of a snippet is called, not just defined.
    tests = re.findall(r"^def (test_\w+)\(", snippet, re.MULTILINE)
    program = snippet + "".join(f"\n{name}()\n" for name in tests)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSC_")}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    if "print(" in snippet:
        assert "DELIVERED" in done.stdout or "WAITING" in done.stdout, done.stdout
