"""``docs/cli.md`` documents every subcommand, option and exit status the real parser has.

The page is checked against the argparse parser ``smsc`` runs with, so an option added
to the command without a line on the page fails here. Each subcommand has a section
whose heading names it (`` `smsc NAME` ``); its own options must be in that section,
the options every subcommand shares in "Options of every subcommand". The exit
statuses are checked against :data:`~smsc_transports.cli.app.EXIT_STATUSES` (what
``smsc --help`` prints) and against every status the CLI's code returns.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from smsc_transports.cli import build_parser
from smsc_transports.cli.app import EXIT_STATUSES

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
CLI = ROOT / "smsc_transports" / "cli"
COMMON_HEADING = "Options of every subcommand"


def sections(markdown: str) -> dict[str, str]:
    """Each heading's text mapped to its section: up to the next heading as high or higher."""
    lines = markdown.splitlines()
    headings: list[tuple[int, int, str]] = []
    fenced = False
    for number, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"(#+) (.*)", line)):
            headings.append((number, len(match[1]), match[2]))
    found = {}
    for index, (start, level, title) in enumerate(headings):
        end = next((n for n, lv, _ in headings[index + 1 :] if lv <= level), len(lines))
        found[title] = "\n".join(lines[start + 1 : end])
    return found


SECTIONS = sections(PAGE)


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """The real parser's subcommands (argparse lists them only through its actions)."""
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the smsc parser has no subcommands")


COMMANDS = subcommands()


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {flag for action in parser._actions for flag in action.option_strings}


def positionals(parser: argparse.ArgumentParser) -> list[str]:
    """How the usage line names each positional argument (``FILE``, ``ID``)."""
    return [
        action.metavar if isinstance(action.metavar, str) else action.dest.upper()
        for action in parser._actions
        if not action.option_strings
    ]


# The options of the common parent parser: those every subcommand with --url shares.
COMMON = set.intersection(
    *(option_strings(parser) for parser in COMMANDS.values() if "--url" in option_strings(parser))
)


def section_of(command: str) -> str:
    """Every section whose heading names `` `smsc COMMAND` ``, joined."""
    pattern = re.compile(rf"`smsc {re.escape(command)}\b")
    return "\n".join(text for title, text in SECTIONS.items() if pattern.search(title))


def documented(option: str, text: str) -> bool:
    """Whether ``text`` shows ``option`` as code (`` `--out FILE` ``, `` `-v` ``)."""
    return re.search(rf"`{re.escape(option)}(?![\w-])", text) is not None


def test_the_page_splits_into_sections() -> None:
    # Guards the parser of the page: a broken split would let every check pass.
    assert COMMON_HEADING in SECTIONS
    assert "Exit status" in SECTIONS
    assert "--dry-run" in section_of("bulk")
    assert "--dry-run" not in section_of("send")


def test_common_options_are_those_of_every_command_with_a_url() -> None:
    assert {"--url", "--json", "-v", "--verbose", "-q", "--quiet", "-h", "--help"} <= COMMON
    assert "--to" not in COMMON


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_has_its_section(command: str) -> None:
    assert section_of(command), f"docs/cli.md has no section headed `smsc {command}`"
    intro = PAGE.split("\n## ", 1)[0]  # the table of subcommands comes before any section
    assert f"[`{command}" in intro, f"{command} is not in the table of subcommands"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_option_of_a_subcommand_is_on_the_page(command: str) -> None:
    parser = COMMANDS[command]
    missing = [
        option
        for option in sorted(option_strings(parser))
        if not documented(option, SECTIONS[COMMON_HEADING] if option in COMMON else "")
        and not documented(option, section_of(command))
    ]
    assert missing == [], f"docs/cli.md does not document {missing} of smsc {command}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_positional_argument_is_named_in_its_section(command: str) -> None:
    text = section_of(command)
    missing = [name for name in positionals(COMMANDS[command]) if name not in text]
    assert missing == [], f"the smsc {command} section does not name {missing}"


def test_the_top_level_options_are_on_the_page() -> None:
    for option in option_strings(build_parser()):
        assert documented(option, PAGE), option


def page_exit_statuses() -> set[int]:
    table = SECTIONS["Exit status"]
    return {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}


def test_the_exit_statuses_on_the_page_are_those_smsc_help_lists() -> None:
    assert page_exit_statuses() == set(EXIT_STATUSES)


def int_constants(node: ast.expr) -> set[int]:
    """The int constants an expression can evaluate to (``1 if failed else 0``: both)."""
    if isinstance(node, ast.IfExp):
        return int_constants(node.body) | int_constants(node.orelse)
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return {node.value}
    return set()


def returned_statuses() -> set[int]:
    """Every constant an ``-> int`` function of the CLI returns: its exit statuses."""
    found: set[int] = set()
    for path in CLI.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.returns is not None:
                if ast.unparse(node.returns) != "int":
                    continue
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Return) and inner.value is not None:
                        found |= int_constants(inner.value)
    return found


def test_every_status_the_cli_returns_is_documented() -> None:
    returned = returned_statuses()
    assert {0, 1, 2, 130} <= returned  # guards the scan: these are returned today
    undocumented = returned - set(EXIT_STATUSES)
    assert not undocumented, f"exit statuses missing from EXIT_STATUSES: {undocumented}"
