"""What a user set up survives a real restart with ``--snapshot``: short links (and their
clicks), ``jobs.php`` mailings, sender names added over ``senders.php``; a snapshot
written before these were kept still loads; a hostile one is refused in one line.

Every emulator here is a subprocess started in the test, stopped by SIGTERM to its own
recorded PID, and started again on the same file; it is spoken to over loopback with
plain ``requests``, as a team using the emulator from another language would."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from smsc_transports.emulator.snapshot import SnapshotFile
from smsc_transports.emulator.state import Account, EmulatorState, ManualClock
from tests.emulator.api import ROOT, EmulatorProcess, started_emulator

SCENARIO = """\
[emulator]
http_port = 0
clock_speed = 0
snapshot = "state.json"

[control]
enabled = true

[limits]
duplicate_window = false

[[accounts]]
login = "shop"
password = "secret"
balance = "100.00"
senders = ["Shop"]
"""

PHONE = "79990000001"
OTHER = "79990000005"


class Client:
    """``/sys/<command>.php`` of one emulator process as the account ``shop``, fmt=3."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator

    def call(self, command: str, **params: Any) -> Any:
        fields = {"login": "shop", "psw": "secret", "fmt": 3, "charset": "utf-8", **params}
        answer = requests.post(self.emulator.url(f"/sys/{command}.php"), data=fields, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def status(self, id: object, phone: str = PHONE) -> Any:
        return self.call("status", id=id, phone=phone, all=1)

    def advance(self, seconds: float) -> None:
        moved = requests.post(
            self.emulator.url("/_emulator/clock"), json={"advance": seconds}, timeout=10
        )
        assert moved.status_code == 200, moved.text

    def click(self, short: str) -> requests.Response:
        """Follow a short link's code on this process's own port (a restart may change it)."""
        code = short.rstrip("/").rpartition("/")[2]
        return requests.get(self.emulator.url(f"/t/{code}"), allow_redirects=False, timeout=10)


def _short_link(message: str) -> str:
    found = re.search(r"http://127\.0\.0\.1:\d+/t/(\S+)", message)
    assert found, message
    return found[0]


def test_a_restart_keeps_short_links_jobs_and_added_sender_names(tmp_path: Path) -> None:
    (tmp_path / "emulator.toml").write_text(SCENARIO, encoding="utf-8")
    with started_emulator(["--config", "emulator.toml"], tmp_path) as first:
        api = Client(first)
        # Each recipient gets its own link: the first is clicked before the restart.
        text = "Order: https://shop.example/o/1 ok"
        sent = api.call("send", phones=f"{PHONE},{OTHER}", mes=text, tinyurl=1)
        clicked = _short_link(api.status(sent["id"])["message"])
        short = _short_link(api.status(sent["id"], OTHER)["message"])
        assert api.click(clicked).status_code == 302
        later = api.call("jobs", add=1, name="later", phones="79990000002", mes="a", time="+60")
        kept = api.call("jobs", add=1, name="kept", phones="79990000003", mes="b", time="+90")
        jobs_before = api.call("jobs", get_all=1)
        assert [job["id"] for job in jobs_before] == [kept["id"], later["id"]]
        assert api.call("senders", add=1, sender="Brand") == {"sender": "Brand"}
        assert api.call("senders", add=1, sender="79990000009") == {"sender": "79990000009"}
        assert api.call("senders", send_code=1, sender="79990000009") == {"result": "OK"}
        assert first.terminate() == 0
    saved = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    # The code texted to the number: its owner read it on the phone before the restart.
    (code,) = [n["code"] for n in saved["sender_names"] if n["name"] == "79990000009"]

    with started_emulator(["--config", "emulator.toml"], tmp_path) as second:
        api = Client(second)
        # Jobs: listed as before, and cancel still stops the kept job's message.
        assert api.call("jobs", get_all=1) == jobs_before
        assert api.call("jobs", cancel=1, id=later["id"]) == {"result": "OK"}
        cancelled = {job["id"]: job["status"] for job in api.call("jobs", get_all=1)}
        assert cancelled == {later["id"]: 2, kept["id"]: 0}
        assert api.status(jobs_before[1]["sms_id"], "79990000002")["status"] == -2
        fresh = api.call("jobs", add=1, name="new", phones="79990000004", mes="c", time="+60")
        assert fresh["id"] not in (later["id"], kept["id"])
        # Sender names: the added name still sends, the number still needs its code.
        assert "error_code" not in api.call("send", phones=PHONE, mes="x", sender="Brand")
        refused = api.call("send", phones=PHONE, mes="x", sender="79990000009")
        assert refused["error_code"] == 6
        listed = [row["sender"] for row in api.call("senders", get=1)]
        assert listed == ["Shop", "Brand"]
        wrong = "0000" if code != "0000" else "1111"
        assert (
            api.call("senders", check_code=1, sender="79990000009", code=wrong)["error_code"] == 1
        )
        assert api.call("senders", check_code=1, sender="79990000009", code=code) == {
            "result": "OK"
        }
        assert "error_code" not in api.call("send", phones=PHONE, mes="x", sender="79990000009")
        # Short links: the click made before shows once delivered; a click on the other
        # still resolves and still turns its message to status 4.
        api.advance(3)
        assert [api.status(sent["id"], phone)["status"] for phone in (PHONE, OTHER)] == [4, 1]
        click = api.click(short)
        assert (click.status_code, click.headers["Location"]) == (302, "https://shop.example/o/1")
        assert api.status(sent["id"], OTHER)["status"] == 4
        assert api.click(clicked).status_code == 302
        stats = api.call("tinyurls", get=1, link=clicked)
        assert (stats["cnt"], stats["url"]) == (2, "https://shop.example/o/1")
        assert api.call("tinyurls", get=1, link=short)["cnt"] == 1
        again = api.call("send", phones=PHONE, mes="More: https://shop.example/o/2", tinyurl=1)
        new_short = _short_link(api.status(again["id"])["message"])
        new_stats = api.call("tinyurls", get=1, link=new_short)
        kept = [api.call("tinyurls", get=1, link=link) for link in (clicked, short)]
        code = new_short.rpartition("/")[2]
        assert new_stats["id"] not in {found["id"] for found in kept}
        assert code not in {link.rpartition("/")[2] for link in (clicked, short)}
        # Both kept links still lead where they did, with their own clicks.
        assert [(found["url"], found["cnt"]) for found in kept] == [
            ("https://shop.example/o/1", 2),
            ("https://shop.example/o/1", 1),
        ]
        assert api.call("tinyurls", get=1, id=stats["id"])["url"] == "https://shop.example/o/1"
        assert second.terminate() == 0


OLD_SHAPE = {
    # A snapshot as written before short links, jobs and sender names were kept.
    "version": 1,
    "clock": 1_700_000_000.0,
    "accounts": [{"login": "shop", "password": "secret", "balance": "98.50", "senders": ["Shop"]}],
    "recipients": [],
    "incoming": [],
    "next_ids": {"shop": 4},
    "next_int_id": 9,
    "groups": {},
}


def test_a_snapshot_written_before_these_were_kept_still_loads(tmp_path: Path) -> None:
    (tmp_path / "emulator.toml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "state.json").write_text(json.dumps(OLD_SHAPE), encoding="utf-8")
    with started_emulator(["--config", "emulator.toml"], tmp_path) as emulator:
        api = Client(emulator)
        assert api.call("balance") == {"balance": "98.50"}
        assert api.call("jobs", get_all=1) == []
        assert [row["sender"] for row in api.call("senders", get=1)] == ["Shop"]
        sent = api.call("send", phones=PHONE, mes="see https://a.example", tinyurl=1)
        assert sent["id"] == 4
        link = api.call("tinyurls", get=1, link=_short_link(api.status(4)["message"]))
        assert link["id"] == 1
        assert api.call("jobs", add=1, phones=PHONE, mes="j", time="+60")["id"] == 1
        assert emulator.terminate() == 0
    saved = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert [link["url"] for link in saved["short_links"]] == ["https://a.example"]
    assert [job["id"] for job in saved["jobs"]] == [1]


def _with(**parts: object) -> str:
    image = {**OLD_SHAPE, "accounts": [{"login": "shop", "password": "secret"}], **parts}
    return json.dumps(image)


LINK = {"id": 1, "code": "a1b2c3", "url": "https://a.example", "owner": ["shop", "1", PHONE]}
JOB = {"id": 1, "login": "shop", "name": "sale", "text": "hi", "phones": [PHONE],
       "message_id": "1", "start": 1_700_000_100.0}  # fmt: skip
NAME = {"login": "shop", "name": "Brand", "comment": "", "confirmed": True}
DEEP = '{"version": 1, "jobs": [' + "[" * 100_000 + "]" * 100_000 + "]}"


@pytest.mark.parametrize(
    ("snapshot", "said"),
    [
        (_with(short_links={"a1b2c3": LINK}), "short_links: expected a list"),
        (
            _with(short_links=[{**LINK, "url": "https://a.example\r\nSet-Cookie: x=1"}]),
            "short_links[0].url: not a link",
        ),
        (
            _with(short_links=[{**LINK, "url": "javascript:alert(1)"}]),
            "short_links[0].url: not a link",
        ),
        (_with(short_links=[{**LINK, "code": "../../etc"}]), "short_links[0].code: not a code"),
        (_with(short_links=[LINK, {**LINK, "id": 2}]), "short_links[1].code: 'a1b2c3' twice"),
        (_with(short_links=[LINK, {**LINK, "code": "ffffff"}]), "short_links[1].id: 1 twice"),
        (
            _with(short_links=[{**LINK, "owner": ["ghost", "1", PHONE]}]),
            "short_links[0].owner: no account 'ghost'",
        ),
        (_with(short_links=[{**LINK, "clicks": ["yesterday"]}]), "short_links[0].clicks[0]"),
        (_with(short_links=[{**LINK, "clicks": [float("nan")]}]), "short_links[0].clicks[0]"),
        (_with(short_links=[{**LINK, "id": 0}]), "short_links[0].id: expected a number above 0"),
        (_with(next_link_id="many"), "next_link_id: expected int"),
        (_with(jobs=[{**JOB, "login": "ghost"}]), "jobs[0].login: no account 'ghost'"),
        (_with(jobs=[JOB, JOB]), "jobs[1].id: 1 twice"),
        (_with(jobs=[{**JOB, "start": "soon"}]), "jobs[0].start: expected a finite number"),
        (_with(jobs=[{**JOB, "start": float("inf")}]), "jobs[0].start: expected a finite number"),
        (_with(jobs=[{**JOB, "phones": PHONE}]), "jobs[0].phones: expected a list"),
        (_with(jobs=[{**JOB, "phones": []}]), "jobs[0].phones: a job has at least one phone"),
        (_with(jobs=[{**JOB, "start": 1e300}]), "jobs[0].start: not a time"),
        (_with(jobs=[{**JOB, "start": 10**400}]), "jobs[0].start: expected a finite number"),
        (_with(short_links=[{**LINK, "clicks": [-5.0]}]), "short_links[0].clicks[0]: not a time"),
        ('{"version": 1, "clock": 1e300}', "clock: expected a finite number"),
        (_with(jobs=[{**JOB, "id": -3}]), "jobs[0].id: expected a number above 0"),
        (_with(next_job_id=[]), "next_job_id: expected int"),
        (_with(sender_names=[{**NAME, "login": "ghost"}]), "sender_names[0].login: no account"),
        (_with(sender_names=[{**NAME, "name": "x" * 16}]), "sender_names[0].name: not a sender"),
        (_with(sender_names=[{**NAME, "name": " "}]), "sender_names[0].name: not a sender"),
        (_with(sender_names=[NAME, NAME]), "sender_names[1].name: 'Brand' twice"),
        (_with(sender_names=[{**NAME, "confirmed": "yes"}]), "sender_names[0].confirmed"),
        ('{"version": 1, "clock": 1e999}', "clock: expected a finite number"),
        ('{"version": 1, "clock": NaN}', "clock: expected a finite number"),
        (DEEP, "nested too deep"),
        ("\ufeff{}", "not a version 1 emulator snapshot"),
    ],
)
def test_a_hostile_snapshot_is_refused_naming_the_file_and_key(
    tmp_path: Path, snapshot: str, said: str
) -> None:
    path = tmp_path / "state.json"
    path.write_text(snapshot, encoding="utf-8")
    state = EmulatorState([Account("shop", "secret")], clock=ManualClock())
    with pytest.raises(ValueError) as caught:
        SnapshotFile(path, state).load()
    message = str(caught.value)
    assert message.startswith(f"snapshot {path} is damaged: ") and said in message, message
    assert "\n" not in message and len(message) < 500
    # Nothing was half loaded.
    assert state.jobs(state.account("shop")) == [] and state.logins() == ("shop",)
    assert state.senders(state.account("shop")) == ()


@pytest.mark.parametrize(
    ("snapshot", "said"),
    [
        (
            _with(short_links=[{**LINK, "url": "https://a.example\r\nSet-Cookie: x=1"}]),
            "state.json is damaged: short_links[0].url: not a link",
        ),
        (DEEP, "state.json is damaged: nested too deep"),
        (_with(jobs=[{**JOB, "login": "ghost"}]), "state.json is damaged: jobs[0].login"),
        ("not json \xff", "state.json is damaged"),
    ],
)
def test_a_hostile_snapshot_stops_the_start_in_one_line_with_exit_2(
    tmp_path: Path, snapshot: str, said: str
) -> None:
    (tmp_path / "state.json").write_text(snapshot, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "smsc_transports.emulator", "--http-port", "0",
         "--snapshot", "state.json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        # The ready line (an emulator serving a hostile snapshot) or nothing at exit.
        assert process.stdout is not None and process.stdout.readline() == ""
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)  # its own recorded PID
            process.communicate(timeout=30)
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert said in done.stderr
    assert (tmp_path / "state.json").read_text(encoding="utf-8") == snapshot  # left as it was


def test_a_snapshot_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_bytes(b'{"version": 1, "accounts": [{"login": "\xff"}]}')
    with pytest.raises(ValueError, match=r"^snapshot .*state\.json is damaged: not UTF-8"):
        SnapshotFile(path, EmulatorState(clock=ManualClock())).load()
