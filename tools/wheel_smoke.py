#!/usr/bin/env python3
"""Build the wheel, install it alone in a fresh virtual environment, use it as a user would.

    python3 tools/wheel_smoke.py [--keep]        (``python3 tasks.py check`` runs it)

The checkout's own environment hides what a user of the published package meets: it
has the ``dev`` extra, an editable install and the checkout on ``sys.path``, so a file
missing from the wheel, a dependency missing from ``pyproject.toml`` or an import that
works only from the checkout all pass there. This script, standard library only:

1. creates a virtual environment in a temporary folder, with the interpreter running it;
2. builds the wheel (``pip wheel``) and the sdist (hatchling's ``build_sdist``) and
   checks what they hold: ``py.typed``, the WSDL, the license and the metadata in the
   wheel; every tracked file of the checkout in the sdist;
3. installs the wheel with its core dependencies only: pip reaching the package index
   (or its cache) is the one use of the network;
4. runs the installed package from outside the checkout: ``import smsc_transports``
   stays light, ``smsc --version``, ``python -m smsc_transports``, one emulator started
   from a scenario file (``smsc emulator --config``) with every front end (HTTPS, SMPP
   over TLS and SMTP's STARTTLS too when ``openssl`` can make a certificate), its
   health endpoint and control API, then send, cost, status and balance over HTTP(S),
   SOAP, SMTP and SMPP —
   what a protocol cannot do must exit with status 2 — a text from standard input, and
   ``bulk`` of 300 rows from a file and 300 from standard input (with ``--live``).

Every process it starts runs in a session of its own and is stopped by its PID (its
process group after a timeout); the temporary folder is removed unless ``--keep``.
The output ends with a summary; the exit status is 0 when every check passed, else 1.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("zeep", "lxml", "aiosmtplib", "aiosmtpd", "smpplib", "requests")
"""What ``import smsc_transports`` alone must not import: each backend's own library."""
TIMEOUT = 300.0  # a hang guard per command (pip's first download may be slow), not a goal
ROWS = 300
PHONE = "79990000001"  # the emulator's "always delivered" test number
BALANCE = "100000"  # enough for every send and both bulks
TOKEN = "smoke-token"  # noqa: S105  # the throwaway emulator's control token
# The emulator's documented demo account (docs/emulator.md): not a secret anywhere.
DEMO_ACCOUNT = {"login": "demo", "password": "demo"}

# What each protocol's send / cost / status / balance must exit with (2: it cannot).
ALL = {"send": 0, "cost": 0, "status": 0, "balance": 0}
SMPP = {"send": 0, "cost": 2, "status": 0, "balance": 2}
SMTP_ALONE = {"send": 0, "cost": 2, "status": 2, "balance": 2}


@dataclass
class Check:
    """One check's outcome: ``ok`` is None when it was skipped."""

    name: str
    ok: bool | None
    detail: str = ""


class Failed(Exception):
    """A check failed in a way that makes the checks after it pointless."""


class Smoke:
    """The checks, the temporary folder they run in, and the processes they start."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.venv = work / "venv"
        self.bin = self.venv / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")
        self.dist = work / "dist"
        self.checks: list[Check] = []
        # Nothing of the checkout's environment may reach the installed package.
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
            and not key.startswith("SMSC_")
        }
        self.env["PATH"] = os.pathsep.join([str(self.bin), self.env.get("PATH", "")])
        self.env["PYTHONNOUSERSITE"] = "1"
        self.env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        self.version = _source_version()

    # -- recording -------------------------------------------------------------------

    def record(self, name: str, ok: bool | None, detail: str = "") -> bool:
        """Record and print one check; return ``ok`` (a skip counts as not failed)."""
        self.checks.append(Check(name, ok, detail))
        mark = {True: "ok  ", False: "FAIL", None: "skip"}[ok]
        shown = f": {detail}" if detail and ok is not True else ""
        print(f"  {mark}  {name}{shown}", flush=True)
        return ok is not False

    def summary(self) -> int:
        """Print the closing summary; return the exit status."""
        failed = [c.name for c in self.checks if c.ok is False]
        skipped = [c.name for c in self.checks if c.ok is None]
        done = len(self.checks) - len(skipped)
        skip = f"; skipped: {', '.join(skipped)}" if skipped else ""
        if failed:
            print(f"\nwheel smoke FAILED {len(failed)} of {done} checks: {', '.join(failed)}{skip}")
            return 1
        print(f"\nwheel smoke: all {done} checks good{skip}")
        return 0

    # -- running ---------------------------------------------------------------------

    def run(
        self, argv: list[str | Path], *, stdin: str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the clean environment; kill its process group on a timeout."""
        process = subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd or self.work,
            env=self.env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            start_new_session=True,
        )
        try:
            out, err = process.communicate(stdin, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            out, err = process.communicate()
            err += f"\n(killed after {TIMEOUT:g} s)"
            return subprocess.CompletedProcess(process.args, -9, out, err)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)

    def expect(
        self,
        name: str,
        argv: list[str | Path],
        *,
        code: int = 0,
        stdin: str | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str] | None:
        """Run ``argv``; record whether it exited with ``code``; return it when it did."""
        done = self.run(argv, stdin=stdin, cwd=cwd)
        if done.returncode == code:
            self.record(name, True)
            return done
        self.record(name, False, f"exit status {done.returncode}, wanted {code}{_tail(done)}")
        return None

    def smsc(
        self, name: str, *args: str, code: int = 0, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str] | None:
        """Run the installed ``smsc`` with ``args`` (see :meth:`expect`)."""
        return self.expect(name, [self.bin / "smsc", *args], code=code, stdin=stdin)

    # -- the steps -------------------------------------------------------------------

    def build(self) -> Path:
        """Create the environment, build wheel and sdist, check both; return the wheel."""
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(self.venv)
        except (OSError, subprocess.CalledProcessError) as exc:
            self.record("a fresh virtual environment", False, f"{type(exc).__name__}: {exc}")
            raise Failed("no virtual environment") from None
        self.record("a fresh virtual environment", self.python.exists(), str(self.venv))
        pip: list[str | Path] = [self.python, "-m", "pip"]
        if not self.expect(
            "pip wheel builds the wheel", [*pip, "wheel", "--no-deps", "-q", "-w", self.dist, ROOT]
        ):
            raise Failed("no wheel")
        (wheel,) = self.dist.glob("*.whl")
        self.check_wheel(wheel)
        backend = self.work / "build-backend"
        fetched = self.expect(
            "pip fetches hatchling to build the sdist with",
            [*pip, "install", "-q", "--target", backend, "hatchling>=1.27"],
        )
        if fetched is not None and self.run_backend(backend):
            (sdist,) = self.dist.glob("*.tar.gz")
            self.check_sdist(sdist)
        return wheel

    def run_backend(self, backend: Path) -> bool:
        """Build the sdist with hatchling from ``backend`` (kept out of the environment)."""
        code = f"from hatchling.build import build_sdist; build_sdist({str(self.dist)!r})"
        self.env["PYTHONPATH"] = str(backend)
        try:
            done = self.run([self.python, "-c", code], cwd=ROOT)
        finally:
            del self.env["PYTHONPATH"]
        return self.record("the sdist is written", done.returncode == 0, _tail(done).strip())

    def check_wheel(self, wheel: Path) -> None:
        """The wheel holds the package's data files, the license and the metadata."""
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
            metadata = archive.read(f"{info}/METADATA").decode("utf-8")
            entry_points = archive.read(f"{info}/entry_points.txt").decode("utf-8")
        for needed in ("smsc_transports/py.typed", "smsc_transports/wire/soap/smsc.wsdl"):
            self.record(f"the wheel holds {needed}", needed in names)
        self.record("the wheel holds LICENSE", f"{info}/licenses/LICENSE" in names)
        self.record("the wheel holds no tests", not any(n.startswith("tests/") for n in names))
        self.record(
            "the wheel's metadata: version, MIT, documentation URL",
            f"\nVersion: {self.version}\n" in metadata
            and "\nLicense-Expression: MIT\n" in metadata
            and "\nProject-URL: Documentation, https://" in metadata,
        )
        self.record("the wheel's smsc script", "smsc = smsc_transports.cli:main" in entry_points)

    def check_sdist(self, sdist: Path) -> None:
        """The sdist holds every file the checkout tracks (its tests read docs/ and more)."""
        with tarfile.open(sdist) as archive:
            names = {name.partition("/")[2] for name in archive.getnames()}
        git = shutil.which("git")
        listed = (
            subprocess.run(
                [git, "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=False
            )
            if git
            else None
        )
        if listed is None or listed.returncode != 0:
            self.record("the sdist holds every tracked file", None, "not a git checkout")
            return
        tracked = {p for p in listed.stdout.decode("utf-8").split("\0") if p}
        missing = sorted(p for p in tracked if (ROOT / p).exists() and p not in names)
        self.record(
            f"the sdist holds every tracked file ({len(tracked)})",
            not missing,
            ", ".join(missing[:10]),
        )

    def install(self, wheel: Path) -> None:
        """Install the wheel and its core dependencies; check where it is imported from."""
        pip: list[str | Path] = [self.python, "-m", "pip", "install", "-q", wheel]
        if not self.expect("pip installs the wheel with its core dependencies", pip):
            raise Failed("the wheel did not install")
        probe = (
            "import json, sys, smsc_transports; "
            f"print(json.dumps([smsc_transports.__file__, [m for m in {HEAVY!r} "
            "if m in sys.modules]]))"
        )
        done = self.run([self.python, "-c", probe])
        try:
            where, heavy = json.loads(done.stdout)
        except ValueError:
            self.record("import smsc_transports", False, _tail(done))
            raise Failed("the package does not import") from None
        inside = Path(where).resolve().is_relative_to(self.venv.resolve())
        self.record("smsc_transports is imported from the environment", inside, where)
        self.record("import smsc_transports stays light", not heavy, f"imported {', '.join(heavy)}")

    def command(self) -> None:
        """``smsc --version`` and ``python -m smsc_transports`` answer with the version."""
        wanted = f"smsc {self.version}"
        done = self.smsc("smsc --version", "--version")
        if done is not None:
            self.record("smsc --version prints the version", done.stdout.strip() == wanted)
        done = self.expect(
            "python -m smsc_transports --version",
            [self.python, "-m", "smsc_transports", "--version"],
        )
        if done is not None:
            self.record("python -m smsc_transports prints it too", done.stdout.strip() == wanted)

    def certificate(self) -> tuple[Path, Path] | None:
        """A self-signed certificate for 127.0.0.1 and its key, or None without openssl."""
        openssl = shutil.which("openssl")
        if openssl is None:
            self.record("a TLS certificate", None, "no openssl: TLS front ends left out")
            return None
        cert, key = self.work / "cert.pem", self.work / "key.pem"
        made = self.expect("openssl makes a TLS certificate", [
            openssl, "req", "-x509", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])  # fmt: skip
        return (cert, key) if made else None

    def service(self, ports: dict[str, int]) -> None:
        """The health endpoint, and the control API (enabled by the scenario file)."""
        base = f"http://127.0.0.1:{ports['http']}/_emulator"
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=30) as answer:  # noqa: S310
                health = json.loads(answer.read())
        except (OSError, ValueError) as exc:
            health = {"error": repr(exc)}
        self.record("the emulator's health endpoint names its ports", health.get("ports") == ports,
                    str(health))  # fmt: skip
        body = json.dumps({"login": "demo", "phone": "79991112233", "text": "smoke"}).encode()
        request = urllib.request.Request(  # noqa: S310  # a loopback http URL built here
            f"{base}/incoming",
            data=body,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                injected = json.loads(answer.read())
        except (OSError, ValueError) as exc:
            injected = {"error": repr(exc)}
        self.record("the control API injects an incoming message", injected.get("text") == "smoke",
                    str(injected))  # fmt: skip

    def protocols(self, ports: dict[str, int], cert: Path | None) -> None:
        """Send, cost, status and balance over every protocol the emulator serves."""
        host = "demo:demo@127.0.0.1"
        http = f"http://{host}:{ports['http']}"
        tls = f"?ca_file={quote(str(cert))}" if cert else ""
        urls = {
            "http": (http, ALL),
            "soap": (f"soap+http://{host}:{ports['http']}", ALL),
            "smpp": (f"smpp://{host}:{ports['smpp']}", SMPP),
            # STARTTLS is offered when the emulator has a certificate, and then required.
            "smtp": (f"smtp://{host}:{ports['smtp']}{tls}", SMTP_ALONE),
        }
        companion = f"status_via={quote(http, safe='')}"
        urls["smtp with status_via"] = (
            f"{urls['smtp'][0]}{'&' if tls else '?'}{companion}",
            ALL,
        )
        if "smpps" in ports:
            urls["smpps"] = (f"smpps://{host}:{ports['smpps']}{tls}", SMPP)
        if "https" in ports and cert is not None:
            verify = f"?verify={quote(str(cert), safe='')}"
            urls["https"] = (f"https://{host}:{ports['https']}{verify}", ALL)
        for number, (name, (url, wanted)) in enumerate(urls.items()):
            self.one_protocol(name, url, wanted, f"smoke-{number}")

    def one_protocol(self, name: str, url: str, wanted: dict[str, int], tag: str) -> None:
        """The four operations over one URL, each with the exit status it must have."""
        message = ["--to", PHONE, "--text", f"hello over {name}", "--id", tag]
        sent = self.smsc(f"{name}: send", "send", *message, "--json", "--url", url)
        message_id = json.loads(sent.stdout)["id"] if sent is not None else tag
        operations = {
            "cost": ["cost", *message],
            "status": ["status", message_id, PHONE],
            "balance": ["balance"],
        }
        for operation, args in operations.items():
            code = wanted[operation]
            label = f"{name}: {operation}" + (" refused" if code else "")
            done = self.smsc(label, *args, "--url", url, code=code)
            if done is not None and code:
                # Exit status 2 is also a bad URL: the refusal must be UnsupportedOperation's,
                # which names the operation and the protocols that can do it.
                said = done.stderr
                self.record(
                    f"{name}: {operation} refused as unsupported, naming https",
                    operation in said and "https" in said,
                    said.strip(),
                )

    def standard_input(self, http: str) -> None:
        """``send --text -`` takes the text piped in."""
        self.smsc(
            "send --text - reads standard input",
            "send",
            "--to",
            PHONE,
            "--text",
            "-",
            "--url",
            http,
            stdin="Привет из stdin\n",
        )

    def bulk(self, http: str, smpp: str) -> None:
        """300 rows from a file over HTTP, 300 piped in over SMPP; every one accepted."""
        source = self.work / "rows.csv"
        with source.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(["phone", "text"])
            writer.writerows((f"7999000{i:04d}", f"строка {i}") for i in range(ROWS))
        done = self.smsc(
            f"bulk of {ROWS} rows over HTTP", "bulk", str(source), "--json", "--url", http
        )
        if done is not None:
            summary = json.loads(done.stdout)
            with (self.work / "rows.csv.results.csv").open(encoding="utf-8") as results:
                lines = sum(1 for _ in csv.reader(results)) - 1
            self.record(
                "every row accepted, a results line each",
                (summary["accepted"], lines) == (ROWS, ROWS),
                f"{summary['accepted']} accepted, {lines} results lines",
            )
        piped = source.read_text(encoding="utf-8").replace(",строка ", ",piped ")
        done = self.smsc(
            f"bulk - of {ROWS} rows over SMPP, --live",
            *("bulk", "-", "--json", "--live", "60", "--url", smpp),
            stdin=piped,
        )
        if done is not None:
            summary = json.loads(done.stdout)
            self.record(
                "every piped row accepted, cost unknown over SMPP",
                (summary["accepted"], summary["cost"]) == (ROWS, None),
                f"{summary['accepted']} accepted, cost {summary['cost']}",
            )
            live = [line for line in done.stderr.splitlines() if line.startswith("smsc: sent")]
            self.record(
                "--live ends with the transport's own count on stderr",
                len(live) == 1 and live[0].startswith(f"smsc: sent {ROWS} "),
                repr(live),
            )


class Emulator:
    """``smsc emulator`` from the environment, in a session of its own, stopped by PID."""

    def __init__(self, smoke: Smoke, cert: tuple[Path, Path] | None) -> None:
        # The account, limits and control come from a scenario file, as a team's would.
        config = smoke.work / "emulator.toml"
        config.write_text(
            f'[control]\nenabled = true\ntoken = "{TOKEN}"\n\n[limits]\nunlimited = true\n\n'
            "[[accounts]]\n"
            + "".join(f"{key} = {json.dumps(value)}\n" for key, value in DEMO_ACCOUNT.items())
            + f"balance = {json.dumps(BALANCE)}\n",
            encoding="utf-8",
        )
        argv = [
            str(smoke.bin / "smsc"),
            "emulator",
            "--config",
            str(config),
            "--http-port",
            "0",
            "--smtp-port",
            "0",
            "--smpp-port",
            "0",
        ]
        if cert is not None:
            argv += ["--smpps-port", "0", "--https-port", "0"]
            argv += ["--tls-cert", str(cert[0]), "--tls-key", str(cert[1])]
        self.log = (smoke.work / "emulator.log").open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            argv,
            cwd=smoke.work,
            env=smoke.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            start_new_session=True,
        )
        self.pid = self.process.pid
        self.line = ""

    def ready(self, timeout: float = 60.0) -> dict[str, int] | None:
        """The ports of the ready line, or None when none came in time."""
        assert self.process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(
            target=_read_one_line, args=(self.process.stdout, lines), daemon=True
        ).start()
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            return None
        self.line = line.strip()
        if not line.startswith("emulator ready "):
            return None
        return {name: int(port) for name, port in re.findall(r"(\w+)=(\d+)", line)}

    def stop(self) -> int | None:
        """SIGTERM to the emulator's PID, then SIGKILL to its group; return its status."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    return self.process.wait(30)
                except subprocess.TimeoutExpired:
                    _kill_group(self.process)
                    self.process.wait(30)
                    return None
            return self.process.returncode
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.log.close()


def _read_one_line(stream: IO[str], into: queue.Queue[str]) -> None:
    into.put(stream.readline())


def _kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the process group this script started ``process`` in (its PID)."""
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.killpg(process.pid, signal.SIGKILL)
    else:
        process.kill()


def _tail(done: subprocess.CompletedProcess[str], lines: int = 6) -> str:
    text = "\n".join((done.stderr or done.stdout or "").strip().splitlines()[-lines:])
    return f"\n      {text.replace(chr(10), chr(10) + '      ')}" if text else ""


def _source_version() -> str:
    text = (ROOT / "smsc_transports" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"', text, re.MULTILINE)
    if match is None:
        raise SystemExit("smsc_transports/__init__.py has no __version__")
    return match[1]


def smoke(work: Path) -> int:
    """Run every check in ``work``; return the exit status."""
    checks = Smoke(work)
    print(f"wheel smoke in {work} with {sys.executable}", flush=True)
    started = time.monotonic()
    try:
        wheel = checks.build()
        checks.install(wheel)
        checks.command()
        cert = checks.certificate()
        emulator = Emulator(checks, cert)
        try:
            ports = emulator.ready()
            wanted = {"http", "smtp", "smpp"} | ({"smpps", "https"} if cert else set())
            log = (work / "emulator.log").read_text(encoding="utf-8", errors="replace")
            if not checks.record(
                "the emulator prints one ready line with every port",
                ports is not None and set(ports) == wanted,
                f"{emulator.line or 'no ready line'}; its stderr: {log[-2000:]}",
            ):
                raise Failed("no emulator")
            assert ports is not None
            checks.service(ports)
            checks.protocols(ports, cert[0] if cert else None)
            http = f"http://demo:demo@127.0.0.1:{ports['http']}"
            checks.standard_input(http)
            checks.bulk(http, f"smpp://demo:demo@127.0.0.1:{ports['smpp']}")
        finally:
            status = emulator.stop()
            checks.record("the emulator stops on SIGTERM with status 0", status == 0, str(status))
    except Failed as exc:
        print(f"  stopping early: {exc}", flush=True)
    print(f"  ({time.monotonic() - started:.0f} s)")
    return checks.summary()


def main() -> int:
    """Parse the options, run the smoke in a temporary folder, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="smsc-wheel-smoke-"))
    try:
        return smoke(work)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
