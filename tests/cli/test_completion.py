"""``smsc completion``: scripts generated from the parser, checked by a real bash."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from smsc_transports.cli import build_parser, main
from smsc_transports.cli.completion import describe, render
from tests.conftest import require_command

SUBCOMMANDS = {c.name for c in describe(build_parser())}


def bash_complete(script: str, *words: str) -> list[str]:
    """What bash offers for the command line ``words`` (the last one being completed)."""
    line = " ".join(f"'{w}'" for w in words)
    program = f"""{script}
COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}
_smsc
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(
        ["bash", "--norc", "--noprofile"],
        input=program,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.split()


def test_the_parser_has_the_subcommands_of_the_issue() -> None:
    assert {"bulk", "status", "history", "inbox", "senders", "completion"} <= SUBCOMMANDS


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_script_names_every_subcommand(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in script, name
    assert "dry-run" in script  # an option of a subcommand (fish drops the dashes)


def test_bash_completes_subcommands_options_and_choices() -> None:
    require_command("bash", "to run the completion script it is written for")
    script = render(build_parser(), "bash")
    assert set(bash_complete(script, "smsc", "")) == SUBCOMMANDS | {"-h", "--help"}
    assert bash_complete(script, "smsc", "bu") == ["bulk"]
    assert bash_complete(script, "smsc", "bulk", "--dr") == ["--dry-run"]
    assert bash_complete(script, "smsc", "status", "1", "7999", "--wa") == ["--watch"]
    assert bash_complete(script, "smsc", "send", "--kind", "fl") == ["flash"]
    assert bash_complete(script, "smsc", "completion", "") == ["bash", "zsh", "fish"]


def test_bash_completes_file_names_for_bulk(tmp_path: Path) -> None:
    require_command("bash", "to run the completion script it is written for")
    script = render(build_parser(), "bash")
    (tmp_path / "list.csv").write_text("phone\n")
    offered = bash_complete(script, "smsc", "bulk", f"{tmp_path}/li")
    assert offered == [f"{tmp_path}/list.csv"]


def test_unknown_shells_are_refused() -> None:
    with pytest.raises(ValueError, match="bash, zsh, fish"):
        render(build_parser(), "tcsh")
    with pytest.raises(SystemExit) as exited:
        main(["completion", "tcsh"])
    assert exited.value.code == 2
