#!/usr/bin/env python3
"""The project's two commands, runnable with nothing but Python 3.11+.

    python3 tasks.py demo    set up, start the local SMSC emulator, send one real message
    python3 tasks.py check   set up, run the tests, the wheel smoke, mypy --strict and ruff

Both create ``.venv`` beside this file on first use and install the project into it
(editable, with the ``dev`` extra), so a fresh machine needs nothing else. The wheel
smoke (``tools/wheel_smoke.py``) installs the built wheel alone in a fresh environment
instead, with this interpreter, and runs it as a user of the package index would.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def _run(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def setup() -> None:
    """Create the virtual environment and install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    _run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def demo() -> None:
    """Send one message: through SMSC when SMSC_URL is set, else through the local emulator."""
    setup()
    text = "Привет from smsc_transports: код 1234"
    if os.environ.get("SMSC_URL"):
        phone = os.environ.get("SMSC_DEMO_PHONE")
        if not phone:
            sys.exit("SMSC_URL is set: also set SMSC_DEMO_PHONE to the number to send to")
        _run(BIN / "smsc", "send", "--to", phone, "--text", text)
    else:
        _run(BIN / "smsc", "demo", "--text", text)


def check() -> None:
    """Run every check; exit non-zero when any of them fails."""
    setup()
    failed: list[str] = []
    steps = {
        "pytest": [PYTHON, "-m", "pytest", "-q"],
        "wheel smoke": [sys.executable, ROOT / "tools" / "wheel_smoke.py"],
        "mypy": [PYTHON, "-m", "mypy"],
        "ruff check": [PYTHON, "-m", "ruff", "check", "."],
        "ruff format": [PYTHON, "-m", "ruff", "format", "--check", "."],
    }
    for name, argv in steps.items():
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([str(a) for a in argv], cwd=ROOT, check=False).returncode != 0:
            failed.append(name)
    print()
    if failed:
        sys.exit("FAILED: " + ", ".join(failed))
    print("all checks passed")


COMMANDS = {"demo": demo, "check": check, "setup": setup}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 {Path(__file__).name} {{{'|'.join(COMMANDS)}}}")
    COMMANDS[sys.argv[1]]()
